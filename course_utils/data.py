"""Fashion-MNIST, offline first, and the small helpers the chapters use to carve tasks out of it.

>>> from course_utils import fashion_mnist, select_classes, k_per_class
>>> fm = fashion_mnist()                                       # doctest: +SKIP
>>> x, y = select_classes(fm.train_images, fm.train_labels, [2, 4, 6])  # doctest: +SKIP
"""
from __future__ import annotations

import gzip
import hashlib
import os
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .checks import check_bool, check_images_labels, check_int, check_number, check_seed
from .debian import DebianFetchError, fetch_debian_files
from .paths import data_dir

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

# sha256 of each file's *decompressed* bytes: the same for torchvision's download and Debian's copy.
FILES = {
    "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
DEBIAN_PACKAGE = "dataset-fashion-mnist"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")

HOW_TO_GET_IT = """\
Ways to get Fashion-MNIST (any one is enough):
  1. Debian/Ubuntu, no root needed: python -m course_utils.doctor (runs apt-get download
     dataset-fashion-mnist and unpacks it into the course's data folder), or, with root,
     sudo apt-get install dataset-fashion-mnist (files in /usr/share/datasets/fashion-mnist/)
  2. Online: fashion_mnist() fetches them with torchvision into the course's data folder
  3. Copy the four *-ubyte.gz files into data/fashion-mnist/ or a folder named by $COURSE_DATA_DIR."""


class DataError(RuntimeError):
    """The dataset is missing or damaged; the message says how to fix it."""


@dataclass
class FashionMNIST:
    """The whole dataset as tensors: images are uint8 (N, 28, 28), labels int64 (N,)."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    classes: list[str]
    source: Path

    def __repr__(self) -> str:
        return (f"FashionMNIST(train={len(self.train_labels)}, test={len(self.test_labels)}, "
                f"classes={len(self.classes)}, from {self.source})")


def candidate_dirs() -> list[Path]:
    """Folders searched for the files, in order: $COURSE_DATA_DIR (or the course's data folder,
    see :mod:`course_utils.paths`), then Debian's installed package."""
    base = data_dir()
    dirs = [base, base / "fashion-mnist", base / "fashion-mnist" / "FashionMNIST" / "raw"]
    return dirs + [DEBIAN_DIR]


def _fetch(target: Path) -> Path:
    """Get the files into ``target``: Debian's package without root, else torchvision (online)."""
    try:
        print(f"course_utils: fetching Debian's {DEBIAN_PACKAGE} (31 MB) into {target}")
        return fetch_debian_files(DEBIAN_PACKAGE, "usr/share/datasets/fashion-mnist", target)
    except (DebianFetchError, OSError, subprocess.SubprocessError) as err:
        print(f"course_utils: {err}; trying torchvision's download instead")
    return _download(target)


def _read_idx(path: Path) -> np.ndarray:
    """Decompress one IDX file, check its hash, and return it as an array."""
    try:
        raw = gzip.decompress(path.read_bytes())
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise DataError(f"{path} is damaged ({err}). Delete it and get a fresh copy.\n"
                        + HOW_TO_GET_IT) from None
    if hashlib.sha256(raw).hexdigest() != FILES[path.name]:
        raise DataError(f"{path} does not match the published Fashion-MNIST file (wrong sha256). "
                        "Delete it and get a fresh copy.\n" + HOW_TO_GET_IT)
    ndim = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _download(target: Path) -> Path:
    """Fetch the files with torchvision (needs internet) into target/FashionMNIST/raw."""
    from torchvision.datasets import FashionMNIST as TorchvisionFashionMNIST

    try:
        TorchvisionFashionMNIST(root=str(target), train=True, download=True)
        TorchvisionFashionMNIST(root=str(target), train=False, download=True)
    except Exception as err:  # no network, a proxy, a full disk...
        raise DataError(f"Downloading Fashion-MNIST failed ({err}).\n" + HOW_TO_GET_IT) from None
    return target / "FashionMNIST" / "raw"


def fashion_mnist(download: bool | None = None) -> FashionMNIST:
    """Load Fashion-MNIST from the first folder that has all four files.

    Args:
        download: what to do when no local copy is found: ``None`` (default) fetches Debian's
            package without root (``apt-get download``, 31 MB), then tries torchvision's download
            (needs internet); ``False`` never downloads.

    Returns:
        A :class:`FashionMNIST` with 60,000 train and 10,000 test images.

    Raises:
        DataError: no copy was found (the message lists the ways to get one), or a file is damaged.

    >>> fm = fashion_mnist()                    # doctest: +SKIP
    >>> fm.train_images.shape, fm.classes[0]    # doctest: +SKIP
    (torch.Size([60000, 28, 28]), 'T-shirt/top')
    """
    folder = next((d for d in candidate_dirs() if all((d / f).is_file() for f in FILES)), None)
    if download not in (None, True, False):
        raise ValueError(f"download={download!r}: use None (fetch when missing) or False.")
    if folder is None and download is not False:
        folder = _fetch(data_dir() / "fashion-mnist")
    _warn_if_data_dir_unused(folder)
    if folder is None:
        searched = "\n".join(f"  - {d}" for d in candidate_dirs())
        raise DataError("Fashion-MNIST was not found. Looked in:\n" + searched + "\n" + HOW_TO_GET_IT)
    arrays = [torch.from_numpy(_read_idx(folder / name).copy()) for name in FILES]
    train_x, train_y, test_x, test_y = arrays
    return FashionMNIST(train_x, train_y.long(), test_x, test_y.long(), list(CLASSES), folder)


def _warn_if_data_dir_unused(folder: Path | None) -> None:
    """Say so when $COURSE_DATA_DIR is set but the files came from somewhere else."""
    env = os.environ.get("COURSE_DATA_DIR")
    if not env or folder is None or data_dir() in (folder, *folder.parents):
        return
    have = sorted(p.name for d in candidate_dirs()[:3] for p in d.glob("*-ubyte.gz"))
    detail = f"it holds only {', '.join(have)}" if have else "it holds none of the four files"
    if not data_dir().exists():
        detail = "that folder does not exist"
    warnings.warn(f"COURSE_DATA_DIR={env!r} is set but {detail}; Fashion-MNIST was read from "
                  f"{folder} instead. Copy the four *-ubyte.gz files there, or unset the "
                  "variable.", UserWarning, stacklevel=3)


def select_classes(images: torch.Tensor, labels: torch.Tensor, classes: list[int],
                   relabel: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep only the given classes; with relabel, class ``classes[i]`` becomes label ``i``.

    >>> x, y = select_classes(torch.zeros(4, 2, 2), torch.tensor([0, 5, 2, 5]), [5, 2])
    >>> y.tolist()
    [0, 1, 0]
    """
    images, labels = check_images_labels(images, labels)
    classes = check_classes(classes)
    relabel = check_bool("relabel", relabel)
    present = sorted(labels.unique().tolist())
    missing = sorted(set(classes) - set(present))
    if missing:
        raise ValueError(f"classes={classes}: no example has label {missing}. HINT: use labels "
                         f"that are present: {present}.")
    classes_t = torch.as_tensor(classes)
    keep = torch.isin(labels, classes_t)
    kept = labels[keep]
    if relabel:
        lookup = torch.full((int(labels.max()) + 1,), -1, dtype=torch.long)
        lookup[classes_t] = torch.arange(len(classes))
        kept = lookup[kept]
    return images[keep], kept


def check_classes(classes: object) -> list[int]:
    """A list of distinct class indices (ints, or a 1-D integer tensor), at least one.

    >>> check_classes(["Coat"])
    Traceback (most recent call last):
    TypeError: classes=['Coat']: give class indices (ints), not names. HINT: CLASSES.index('Coat') is 4.
    """
    if isinstance(classes, torch.Tensor):
        classes = classes.tolist() if classes.dim() == 1 and not classes.is_floating_point() \
            else [classes]
    if isinstance(classes, (set, frozenset)):
        raise TypeError(f"classes={classes!r}: a set has no order, but class classes[i] becomes "
                        f"label i. HINT: give a list, e.g. {sorted(classes)}.")
    if isinstance(classes, (str, bytes)) or not hasattr(classes, "__iter__"):
        raise TypeError(f"classes={classes!r}: give a list of class indices, e.g. [2, 4, 6] "
                        "(class classes[i] becomes label i).")
    classes = list(classes)
    names = [c for c in classes if isinstance(c, str)]
    if names:
        hint = f" HINT: CLASSES.index({names[0]!r}) is {CLASSES.index(names[0])}." \
            if names[0] in CLASSES else f" HINT: Fashion-MNIST's are {CLASSES} (index = class)."
        raise TypeError(f"classes={classes!r}: give class indices (ints), not names.{hint}")
    out = [check_int(f"classes[{i}]", c, min=0, example=2) if not isinstance(c, int) or
           isinstance(c, bool) else c for i, c in enumerate(classes)]
    if not out or len(set(out)) != len(out):
        raise ValueError(f"classes={out}: give each class once (at least one), e.g. "
                         "[2, 4, 6]; class classes[i] becomes label i.")
    return out


def k_per_class(images: torch.Tensor, labels: torch.Tensor, k: int,
                seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw ``k`` labelled examples of every class (a few-shot training set), reproducibly.

    >>> x, y = k_per_class(torch.arange(10), torch.tensor([0, 1] * 5), k=2, seed=0)
    >>> torch.bincount(y).tolist()
    [2, 2]
    """
    images, labels = check_images_labels(images, labels)
    k = check_int("k", k, min=1, example=50)
    generator = torch.Generator().manual_seed(check_seed(seed))
    chosen = []
    for c in labels.unique().tolist():
        idx = (labels == c).nonzero().flatten()
        if len(idx) < k:
            raise ValueError(f"k={k}: class {c} has only {len(idx)} examples, fewer than "
                             f"k={k}. HINT: use k={len(idx)} or less.")
        chosen.append(idx[torch.randperm(len(idx), generator=generator)[:k]])
    order = torch.cat(chosen)
    order = order[torch.randperm(len(order), generator=generator)]
    return images[order], labels[order]


def train_val_split(images: torch.Tensor, labels: torch.Tensor, val_fraction: float = 0.2,
                    seed: int = 0) -> tuple[tuple[torch.Tensor, torch.Tensor],
                                            tuple[torch.Tensor, torch.Tensor]]:
    """Split into (train, validation), stratified so every class keeps its share.

    >>> (xt, yt), (xv, yv) = train_val_split(torch.arange(10), torch.tensor([0, 1] * 5), 0.4)
    >>> len(yt), len(yv)
    (6, 4)
    """
    images, labels = check_images_labels(images, labels)
    val_fraction = check_number("val_fraction", val_fraction, low=0, high=1, low_open=True,
                                high_open=True, example=0.2)
    generator = torch.Generator().manual_seed(check_seed(seed))
    train_idx, val_idx = [], []
    for c in labels.unique().tolist():
        idx = (labels == c).nonzero().flatten()
        idx = idx[torch.randperm(len(idx), generator=generator)]
        n_val = round(len(idx) * val_fraction)
        if not 0 < n_val < len(idx):
            raise ValueError(f"val_fraction={val_fraction:g}: class {c} has {len(idx)} examples, "
                             f"so {n_val} would go to validation and {len(idx) - n_val} to "
                             "training; each split needs at least one. HINT: use a fraction "
                             "nearer 0.5, or fewer, larger classes.")
        val_idx.append(idx[:n_val])
        train_idx.append(idx[n_val:])
    tr, va = torch.cat(train_idx).sort().values, torch.cat(val_idx).sort().values
    return (images[tr], labels[tr]), (images[va], labels[va])


# The Fashion-MNIST facts the course uses, in one place: the pixel mean and standard deviation
# of the training images (scaled to 0..1), and the lab checkpoint's split of the ten classes.
FASHION_MEAN, FASHION_STD = (0.2860,), (0.3530,)
LAB_SOURCE_CLASSES = [0, 1, 3, 5, 7, 8, 9]  # T-shirt, Trouser, Dress, Sandal, Sneaker, Bag, Boot
LAB_TARGET_CLASSES = [2, 4, 6]  # pullover, coat, shirt: never seen by the lab checkpoint


def normalise_fashion(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``(N, 28, 28)`` -> float ``(N, 1, 28, 28)``, normalised as the lab network expects."""
    return (images.unsqueeze(1).float() / 255 - FASHION_MEAN[0]) / FASHION_STD[0]


@dataclass
class Task:
    """Train / validation / test images (uint8) and labels 0..len(classes)-1."""

    classes: list[int]
    train: tuple[torch.Tensor, torch.Tensor]
    val: tuple[torch.Tensor, torch.Tensor]
    test: tuple[torch.Tensor, torch.Tensor]


def load_task(classes: list[int], k: int = 0, val_per_class: int = 500, seed: int = 0) -> Task:
    """Fashion-MNIST restricted to ``classes``: ``k`` training images per class (0: all that
    are left after holding out 10 % for validation), ``val_per_class`` of those held out, and
    all test images. Labels become 0..len(classes)-1.

    >>> task = load_task(LAB_TARGET_CLASSES, k=5, val_per_class=5)  # doctest: +SKIP
    >>> len(task.train[1]), len(task.val[1])                        # doctest: +SKIP
    (15, 15)
    """
    fm = fashion_mnist()
    x, y = select_classes(fm.train_images, fm.train_labels, classes)
    (pool_x, pool_y), (rest_x, rest_y) = train_val_split(x, y, val_fraction=0.1, seed=0)
    train = k_per_class(pool_x, pool_y, k, seed=seed) if k else (pool_x, pool_y)
    val = k_per_class(rest_x, rest_y, val_per_class, seed=0)
    return Task(classes, train, val, select_classes(fm.test_images, fm.test_labels, classes))
