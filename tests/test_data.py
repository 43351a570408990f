"""course_utils.data: finding Fashion-MNIST offline, clear errors, and the task helpers."""
import gzip
import shutil

import pytest
import torch

from course_utils import data
from course_utils.data import DataError, fashion_mnist, k_per_class, select_classes, train_val_split


@pytest.fixture(scope="module")
def fm():
    return fashion_mnist(download=False)


def test_loads_the_whole_dataset_as_uint8_tensors(fm):
    assert fm.train_images.shape == (60000, 28, 28) and fm.train_images.dtype == torch.uint8
    assert fm.test_images.shape == (10000, 28, 28)
    assert torch.bincount(fm.train_labels).tolist() == [6000] * 10
    assert fm.classes[2] == "Pullover" and len(fm.classes) == 10


def test_course_data_dir_comes_first(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    assert data.candidate_dirs()[0] == tmp_path


def test_download_argument_is_checked():
    with pytest.raises(ValueError, match="download="):
        fashion_mnist(download="yes")


def test_missing_data_offline_lists_every_way_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "candidate_dirs", lambda: [tmp_path / "nowhere"])
    with pytest.raises(DataError) as err:
        fashion_mnist(download=False)
    message = str(err.value)
    assert "nowhere" in message                      # where it looked
    assert "apt-get download" in message and "apt-get install dataset-fashion-mnist" in message
    assert "COURSE_DATA_DIR" in message


def test_failed_download_gives_the_same_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "candidate_dirs", lambda: [tmp_path / "nowhere"])
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))

    def offline(*args, **kwargs):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(data, "fetch_debian_files", lambda *a, **k: offline())
    monkeypatch.setattr("torchvision.datasets.FashionMNIST.download", offline)
    with pytest.raises(DataError, match="Downloading Fashion-MNIST failed"):
        fashion_mnist()


def _copy_dataset(fm, target):
    target.mkdir()
    for name in data.FILES:
        shutil.copy(fm.source / name, target / name)


def test_truncated_file_is_named_with_what_to_do(fm, monkeypatch, tmp_path):
    copy = tmp_path / "copy"
    _copy_dataset(fm, copy)
    broken = copy / "t10k-labels-idx1-ubyte.gz"
    broken.write_bytes(broken.read_bytes()[:100])
    monkeypatch.setenv("COURSE_DATA_DIR", str(copy))
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz is damaged.*fresh copy"):
        fashion_mnist(download=False)


def test_wrong_content_fails_the_hash_check(fm, monkeypatch, tmp_path):
    copy = tmp_path / "copy"
    _copy_dataset(fm, copy)
    target = copy / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(target.read_bytes()))
    raw[-1] = (raw[-1] + 1) % 10                     # one label changed: still a valid gzip file
    target.write_bytes(gzip.compress(bytes(raw)))
    monkeypatch.setenv("COURSE_DATA_DIR", str(copy))
    with pytest.raises(DataError, match="wrong sha256"):
        fashion_mnist(download=False)


def test_select_classes_relabels_in_the_given_order():
    labels = torch.tensor([2, 4, 6, 0, 6])
    images = torch.arange(5)
    x, y = select_classes(images, labels, [6, 2])
    assert x.tolist() == [0, 2, 4] and y.tolist() == [1, 0, 0]
    _, kept = select_classes(images, labels, [6, 2], relabel=False)
    assert kept.tolist() == [2, 6, 6]


def test_k_per_class_is_balanced_and_reproducible(fm):
    x1, y1 = k_per_class(fm.train_images, fm.train_labels, k=7, seed=3)
    x2, y2 = k_per_class(fm.train_images, fm.train_labels, k=7, seed=3)
    x3, _ = k_per_class(fm.train_images, fm.train_labels, k=7, seed=4)
    assert torch.bincount(y1).tolist() == [7] * 10
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    assert not torch.equal(x1, x3)


def test_k_per_class_refuses_more_than_there_is():
    with pytest.raises(ValueError, match="fewer than k=3"):
        k_per_class(torch.arange(4), torch.tensor([0, 0, 1, 1]), k=3)


def test_train_val_split_is_stratified_and_disjoint():
    labels = torch.tensor([0] * 10 + [1] * 20)
    images = torch.arange(30)
    (xt, yt), (xv, yv) = train_val_split(images, labels, val_fraction=0.2, seed=0)
    assert torch.bincount(yv).tolist() == [2, 4]
    assert set(xt.tolist()).isdisjoint(xv.tolist()) and len(xt) + len(xv) == 30


def test_an_incomplete_course_data_dir_is_named_when_the_files_come_from_elsewhere(
        monkeypatch, tmp_path, fm):
    elsewhere = fm.source  # a complete copy (this checkout's data folder or Debian's)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(data, "DEBIAN_DIR", elsewhere)
    with pytest.warns(UserWarning, match="COURSE_DATA_DIR=.*holds only train-images"):
        assert fashion_mnist(download=False).source == elsewhere
