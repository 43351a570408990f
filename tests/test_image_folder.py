"""image_folder: the example folder is written once and atomically, bad folders get clear errors,
and the folder pipeline feeds fit() with exactly the model's own preprocessing."""
import numpy as np
import pytest
import torch
from PIL import Image

from course_utils import fit
from course_utils.image_folder import (MARKER, ImageFolderError, check_image_folder,
                                       folder_loaders, folder_transforms, write_example_folder)
from course_utils.models import pretrained


def make_folder(root, counts, size=(12, 10)):
    """A class-per-folder tree of small random grayscale PNGs: counts = {class: n}."""
    rng = np.random.default_rng(0)
    for name, n in counts.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 255, size, dtype=np.uint8)).save(root / name / f"{i}.png")
    return root


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    return write_example_folder(tmp_path_factory.mktemp("ex") / "photos", per_class=6)


def test_example_folder_has_one_folder_per_class(example):
    summary = check_image_folder(example)
    assert summary.classes == ["Coat", "Pullover", "Shirt"]
    assert summary.counts == {"Coat": 6, "Pullover": 6, "Shirt": 6}
    assert (example / MARKER).is_file()


def test_example_folder_is_reused_not_rewritten(example):
    before = {p: p.stat().st_mtime_ns for p in example.rglob("*.png")}
    assert write_example_folder(example, per_class=6) == example
    assert {p: p.stat().st_mtime_ns for p in example.rglob("*.png")} == before


def test_example_folder_leaves_no_temporary_folder(example):
    assert [p.name for p in example.parent.iterdir()] == ["photos"]


def test_a_folder_the_course_did_not_write_is_never_touched(tmp_path):
    mine = make_folder(tmp_path / "mine", {"a": 2, "b": 2})
    with pytest.raises(ImageFolderError, match="choose another folder"):
        write_example_folder(mine, per_class=2)
    assert sorted(p.name for p in mine.rglob("*.png")) == ["0.png", "0.png", "1.png", "1.png"]


def test_other_arguments_do_not_reuse_the_folder(example):
    with pytest.raises(ImageFolderError, match="not the example folder"):
        write_example_folder(example, per_class=7)


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(ImageFolderError, match=r"nope does not exist.*HINT"):
        check_image_folder(tmp_path / "nope")


def test_one_class_only_is_refused(tmp_path):
    root = make_folder(tmp_path / "one", {"cat": 3})
    with pytest.raises(ImageFolderError, match=r"only one class folder \(cat\).*at least two"):
        check_image_folder(root)


def test_empty_class_is_named(tmp_path):
    root = make_folder(tmp_path / "f", {"cat": 3, "dog": 3})
    (root / "bird").mkdir()
    with pytest.raises(ImageFolderError, match=r"bird has 0.*HINT"):
        check_image_folder(root)


def test_non_image_file_is_named(tmp_path):
    root = make_folder(tmp_path / "f", {"cat": 3, "dog": 3})
    (root / "dog" / "notes.txt").write_text("hello")
    with pytest.raises(ImageFolderError, match=r"not images \(dog/notes.txt\).*move them out"):
        check_image_folder(root)


def test_hidden_and_browser_files_are_ignored(tmp_path):
    root = make_folder(tmp_path / "f", {"cat": 3, "dog": 3})
    (root / ".DS_Store").write_text("x")
    (root / "cat" / "Thumbs.db").write_text("x")
    assert check_image_folder(root).counts == {"cat": 3, "dog": 3}


def test_loose_images_in_the_root_are_explained(tmp_path):
    root = make_folder(tmp_path / "f", {"cat": 3, "dog": 3})
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(root / "stray.png")
    with pytest.raises(ImageFolderError, match="sub-folder named after its class"):
        check_image_folder(root)


def test_eval_transform_matches_the_models_own_preprocess(example):
    cfg = pretrained("lab_resnet.fmnist_source", weights=None).course_cfg
    data = folder_loaders(example, cfg, val_fraction=0.5)
    x, _ = data.val.dataset[0]  # through ImageFolder's own loader (PIL, RGB) and the transform
    path = data.val.dataset.dataset.samples[data.val.dataset.indices[0]][0]
    pixels = torch.from_numpy(np.array(Image.open(path)))
    assert torch.allclose(x, cfg.preprocess(pixels[None])[0], atol=1e-5)


def test_train_transform_is_random_eval_transform_is_not(example):
    cfg = pretrained("lab_resnet.fmnist_source", weights=None).course_cfg
    image = Image.open(next(example.rglob("*.png")))
    torch.manual_seed(0)
    train = [folder_transforms(cfg, train=True)(image) for _ in range(5)]
    evals = [folder_transforms(cfg, train=False)(image) for _ in range(2)]
    assert any(not torch.equal(train[0], t) for t in train[1:])
    assert torch.equal(evals[0], evals[1])


def test_colour_model_gets_three_channels_at_its_size(tmp_path):
    root = make_folder(tmp_path / "f", {"cat": 2, "dog": 2}, size=(40, 30))
    cfg = pretrained("lab_resnet.fmnist_source", weights=None).course_cfg.resized(16)
    from dataclasses import replace
    colour = replace(cfg, input_size=(3, 16, 16), mean=(0.5,) * 3, std=(0.5,) * 3)
    x, _ = folder_loaders(root, colour, val_fraction=0.5).val.dataset[0]
    assert tuple(x.shape) == (3, 16, 16)


def test_split_is_stratified_and_disjoint(tmp_path):
    root = make_folder(tmp_path / "f", {"a": 10, "b": 5})
    cfg = pretrained("lab_resnet.fmnist_source", weights=None).course_cfg
    data = folder_loaders(root, cfg, val_fraction=0.2, seed=0)
    train, val = set(data.train.dataset.indices), set(data.val.dataset.indices)
    assert not train & val and len(train | val) == 15
    targets = data.train.dataset.dataset.targets
    assert sorted(targets[i] for i in val) == [0, 0, 1]


def test_bad_val_fraction_is_named(example):
    cfg = pretrained("lab_resnet.fmnist_source", weights=None).course_cfg
    with pytest.raises(ValueError, match="val_fraction=1.5"):
        folder_loaders(example, cfg, val_fraction=1.5)


def test_fit_trains_on_the_folder(example):
    torch.manual_seed(0)
    model = pretrained("lab_resnet.fmnist_source", num_classes=3, weights=None)
    data = folder_loaders(example, model.course_cfg, val_fraction=0.5, batch_size=9)
    history = fit(model, data.train, 3, lr=3e-3, val_loader=data.val, live_plot=False,
                  progress=False, device="cpu", amp="off")
    assert len(history) == 3 and history.train_loss[-1] < history.train_loss[0]


def test_damaged_image_is_named(tmp_path):
    root = make_folder(tmp_path / "f", {"cat": 3, "dog": 3})
    (root / "cat" / "broken.jpg").write_bytes(b"not really a jpeg")
    with pytest.raises(ImageFolderError, match=r"cannot be read \(cat/broken.jpg\).*re-save"):
        check_image_folder(root)
