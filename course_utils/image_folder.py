"""A folder of image files, one sub-folder per class, into ``fit()``: torchvision's ``ImageFolder``.

The layout every tool expects (torchvision, Keras, fastai, Hugging Face ``imagefolder``)::

    my_photos/
        Coat/      001.png  002.jpg ...
        Pullover/  ...
        Shirt/     ...

The folder names are the class names (sorted: label 0 is the first name). ``folder_loaders``
checks the folder first (:func:`check_image_folder` names the problem and what to do), splits
it into training and validation images (stratified), and applies the pretrained model's OWN
preprocessing (``model.course_cfg``): random crops and flips for training, a plain resize and
centre crop for validation. The loaders yield ``(x, y)`` batches, which is all ``fit()`` needs.

>>> import tempfile
>>> root = write_example_folder(Path(tempfile.mkdtemp()) / "photos", per_class=2)  # doctest: +SKIP
>>> check_image_folder(root).counts                                                # doctest: +SKIP
{'Coat': 2, 'Pullover': 2, 'Shirt': 2}
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import torch
from torchvision.datasets.folder import IMG_EXTENSIONS

from .checks import check_choice, check_instance, check_number
from .data import LAB_TARGET_CLASSES
from .models import PretrainedCfg

IGNORED_FILES = {".DS_Store", "Thumbs.db", "desktop.ini"}  # made by file browsers, not by you
MARKER = ".course_example.json"  # written last into a course-made folder: it is complete


class ImageFolderError(ValueError):
    """The folder cannot be used as a class-per-sub-folder image data set; the message says why."""


@dataclass
class FolderSummary:
    """What :func:`check_image_folder` found: the classes (sorted) and the images per class."""

    root: Path
    classes: list[str]
    counts: dict[str, int]

    def __str__(self) -> str:
        per_class = ", ".join(f"{name} {n}" for name, n in self.counts.items())
        return f"{self.root}: {sum(self.counts.values())} images in {len(self.classes)} classes ({per_class})"


def _visible(path: Path) -> bool:
    return not path.name.startswith(".") and path.name not in IGNORED_FILES


def _readable(path: Path) -> bool:
    """True when PIL can identify the file as an image (it reads the header, not every pixel)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.verify()
        return True
    except Exception:  # PIL raises many kinds of errors for damaged files
        return False


def check_image_folder(root: str | os.PathLike, min_per_class: int = 2) -> FolderSummary:
    """Check that ``root`` holds one sub-folder of images per class, at least two classes.

    Raises :class:`ImageFolderError` naming the folder, the problem and what to do: a missing
    folder, images lying directly in ``root``, fewer than two classes, a class with fewer than
    ``min_per_class`` images, a file that is not an image or cannot be read (hidden files are
    ignored).

    >>> check_image_folder("/no/such/folder")
    Traceback (most recent call last):
    course_utils.image_folder.ImageFolderError: The image folder /no/such/folder does not exist. HINT: give the path of a folder that holds one sub-folder per class.
    """
    root = Path(root).expanduser()
    if root.is_file():
        raise ImageFolderError(f"{root} is a file, not a folder (an archive? unzip it first). "
                               "HINT: give the path of a folder that holds one sub-folder per "
                               "class.")
    if not root.is_dir():
        raise ImageFolderError(f"The image folder {root} does not exist. HINT: give the path of "
                               "a folder that holds one sub-folder per class.")
    entries = sorted(p for p in root.iterdir() if _visible(p))
    class_dirs = [p for p in entries if p.is_dir()]
    loose = [p.name for p in entries if p.is_file()]
    if loose:
        raise ImageFolderError(
            f"{root} holds files directly ({', '.join(loose[:3])}{', ...' if len(loose) > 3 else ''}"
            f"). HINT: put every image into a sub-folder named after its class, e.g. "
            f"{root / 'cat' / 'img1.jpg'}; the sub-folder names are the class names.")
    if len(class_dirs) < 2:
        found = f"only one class folder ({class_dirs[0].name})" if class_dirs else "no class folders"
        raise ImageFolderError(f"{root} has {found}. A classifier needs at least two classes. "
                               "HINT: add one sub-folder of images per class.")
    counts, not_images = {}, []
    for folder in class_dirs:
        files = [p for p in folder.rglob("*") if p.is_file() and _visible(p)]
        images = [p for p in files if p.suffix.lower() in IMG_EXTENSIONS]
        not_images += [p for p in files if p.suffix.lower() not in IMG_EXTENSIONS]
        counts[folder.name] = len(images)
    if not_images:
        shown = ", ".join(str(p.relative_to(root)) for p in not_images[:3])
        raise ImageFolderError(
            f"{root} holds {len(not_images)} file(s) that are not images ({shown}"
            f"{', ...' if len(not_images) > 3 else ''}). HINT: move them out of the folder; image "
            f"files end in {', '.join(IMG_EXTENSIONS)}.")
    broken = [p for folder in class_dirs for p in folder.rglob("*")
              if p.is_file() and _visible(p) and not _readable(p)]
    if broken:
        shown = ", ".join(str(p.relative_to(root)) for p in broken[:3])
        raise ImageFolderError(
            f"{root} holds {len(broken)} image file(s) that cannot be read ({shown}"
            f"{', ...' if len(broken) > 3 else ''}): damaged, or not really images. HINT: open "
            "them in an image viewer; re-save or delete them.")
    small = {name: n for name, n in counts.items() if n < min_per_class}
    if small:
        listed = ", ".join(f"{root / name} has {n}" for name, n in small.items())
        raise ImageFolderError(
            f"Too few images: {listed} (at least {min_per_class} per class are needed to have "
            "one for training and one for validation). HINT: add images to that class, or remove "
            "its folder.")
    return FolderSummary(root, [p.name for p in class_dirs], counts)


def open_image(path: str | os.PathLike) -> "Image.Image":
    """Open an image file as grayscale ("L") or colour ("RGB"), whichever it is.

    torchvision's default loader turns every image into RGB; a grayscale model then turns it
    back, and the round trip can move a pixel by one level. Keeping "L" images as they are makes
    a file give exactly the pixels of the tensor it was saved from.
    """
    from PIL import Image

    with Image.open(path) as image:
        return image.convert("L" if image.mode in ("1", "L", "I;16", "I") else "RGB")


def folder_transforms(cfg: PretrainedCfg, train: bool) -> Callable:
    """The pretrained model's own preprocessing for image FILES (a torchvision ``v2`` pipeline).

    Evaluation: resize the shorter side to the model's input size, crop the centre, scale to
    [0, 1], normalise with the model's mean and std: the same numbers ``cfg.preprocess`` gives
    for a uint8 tensor. Training adds a random crop (90-100 % of the area) and a horizontal flip.

    >>> from course_utils.models import PretrainedCfg
    >>> cfg = PretrainedCfg("demo", [], (1, 28, 28), (0.5,), (0.5,))
    >>> folder_transforms(cfg, train=False)(torch.zeros(1, 40, 30, dtype=torch.uint8)).shape
    torch.Size([1, 28, 28])
    """
    from torchvision.transforms import v2

    channels, height, width = cfg.input_size
    colour = v2.Grayscale(1) if channels == 1 else v2.RGB()
    if train:
        size = [v2.RandomResizedCrop((height, width), scale=(0.9, 1.0), antialias=True),
                v2.RandomHorizontalFlip()]
    else:
        size = [v2.Resize(min(height, width), antialias=True), v2.CenterCrop((height, width))]
    return v2.Compose([v2.ToImage(), colour, *size, v2.ToDtype(torch.float32, scale=True),
                       v2.Normalize(list(cfg.mean), list(cfg.std))])


@dataclass
class FolderData:
    """Training and validation loaders of an image folder, and its class names."""

    train: torch.utils.data.DataLoader
    val: torch.utils.data.DataLoader
    classes: list[str]
    summary: FolderSummary


def folder_loaders(root: str | os.PathLike, cfg: PretrainedCfg, val_fraction: float = 0.2,
                   batch_size: int = 32, seed: int = 0) -> FolderData:
    """Check ``root``, split its images (stratified by class) and build the two loaders.

    Args:
        root: a folder with one sub-folder of images per class.
        cfg: the pretrained model's ``course_cfg`` (input size, mean, std).
        val_fraction: share of each class held out for validation.
        batch_size: images per batch.
        seed: fixes the split and the training order.

    Returns:
        :class:`FolderData`; ``data.train.dataset`` and ``data.val.dataset`` are ``Subset``s of
        a torchvision ``ImageFolder`` (``.dataset.samples`` lists the files).
    """
    from sklearn.model_selection import train_test_split
    from torch.utils.data import DataLoader, Subset
    from torchvision.datasets import ImageFolder

    check_instance("cfg", cfg, PretrainedCfg, "pass the model's model.course_cfg.")
    check_number("val_fraction", val_fraction, low=0, high=1, low_open=True, high_open=True,
                 example=0.2)
    summary = check_image_folder(root)

    class VisibleFolder(ImageFolder):  # the files check_image_folder counted, nothing hidden
        def find_classes(self, directory: str) -> tuple[list[str], dict[str, int]]:
            classes = sorted(p.name for p in Path(directory).iterdir() if p.is_dir() and _visible(p))
            return classes, {name: i for i, name in enumerate(classes)}

    def visible_image(path: str) -> bool:  # not macOS's "._x.png" nor .ipynb_checkpoints
        return _visible(Path(path)) and Path(path).suffix.lower() in IMG_EXTENSIONS

    train_set, val_set = (VisibleFolder(str(summary.root), folder_transforms(cfg, train=train),
                                        loader=open_image, is_valid_file=visible_image)
                          for train in (True, False))
    targets = train_set.targets
    smallest = min(targets.count(c) for c in set(targets))
    if round(smallest * val_fraction) < 1 or len(targets) * val_fraction < len(set(targets)):
        raise ValueError(f"val_fraction={val_fraction}: the smallest class has {smallest} images, "
                         "too few to hold out one per class for validation. HINT: add images, "
                         "or raise val_fraction.")
    train_idx, val_idx = train_test_split(list(range(len(targets))), test_size=val_fraction,
                                          stratify=targets, random_state=seed)
    generator = torch.Generator().manual_seed(seed)
    train = DataLoader(Subset(train_set, sorted(train_idx)), batch_size=batch_size, shuffle=True,
                       generator=generator)  # num_workers=0: no worker processes to crash
    val = DataLoader(Subset(val_set, sorted(val_idx)), batch_size=256)
    return FolderData(train, val, list(train_set.classes), summary)


def write_example_folder(root: str | os.PathLike, per_class: int = 100,
                         classes: Sequence[int] = tuple(LAB_TARGET_CLASSES), seed: int = 0,
                         split: str = "train") -> Path:
    """Write ``per_class`` Fashion-MNIST images of each class as PNG files, one folder per class.

    The course's stand-in for "a folder of your own photos". Idempotent: a folder written
    before with the same arguments is reused. Atomic: the files go into a temporary folder
    beside ``root`` that is renamed to ``root`` once complete, so an interrupted run leaves no
    half-written folder. A folder at ``root`` that the course did not write, or wrote with
    other arguments, is never touched: you get an error instead.

    Args:
        root: the folder to create.
        per_class: images per class.
        classes: Fashion-MNIST class indices (default: Pullover, Coat, Shirt).
        seed: which images are drawn.
        split: ``"train"`` or ``"test"``: the Fashion-MNIST split they come from.
    """
    from PIL import Image

    from .data import CLASSES, fashion_mnist, k_per_class, select_classes

    root = Path(root).expanduser()
    check_choice("split", split, ("train", "test"))
    recipe = {"per_class": per_class, "classes": list(classes), "seed": seed, "split": split}
    if root.exists():
        try:
            if json.loads((root / MARKER).read_text()) == recipe:
                return root
        except (OSError, ValueError):
            pass
        raise ImageFolderError(f"{root} already exists and is not the example folder asked for "
                               f"({recipe}). HINT: choose another folder; the course does not "
                               "overwrite a folder it did not write this way.")
    fm = fashion_mnist()
    images, labels = (fm.train_images, fm.train_labels) if split == "train" else (
        fm.test_images, fm.test_labels)
    x, y = k_per_class(*select_classes(images, labels, list(classes)), per_class, seed=seed)
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=root.parent, prefix=f".{root.name}."))
    try:
        counter = {c: 0 for c in range(len(classes))}
        for image, label in zip(x, y.tolist()):
            folder = tmp / CLASSES[classes[label]].replace("/", "-")
            folder.mkdir(exist_ok=True)
            counter[label] += 1
            Image.fromarray(image.numpy()).save(folder / f"{counter[label]:04d}.png")
        (tmp / MARKER).write_text(json.dumps(recipe))
        os.chmod(tmp, 0o755)  # mkdtemp made it private
        os.replace(tmp, root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if root.exists() and (root / MARKER).is_file():  # another process finished it first
            return root
        raise
    return root
