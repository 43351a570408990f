"""Chapter 01 exercises (pretrained models): a copy with a new head, and a grayscale photo.

Each checker collects what is wrong (which case, what was expected, what it got) and prints it
with :func:`~course_utils.exercises.framework.report`; it returns True or False, so a notebook
cell can also ``assert`` it.

>>> from course_utils.exercises.ch01 import check_head
>>> check_head(my_model, reference=model, num_classes=10)  # doctest: +SKIP
✅ Output shape (2, 10); the new head is a fresh, trainable Linear(1280 -> 10) ...
True
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..surgery import get_head
from .framework import report


def check_head(model: nn.Module, reference: nn.Module, num_classes: int = 10,
               image_size: int = 64) -> bool:
    """Check that ``model`` is ``reference`` with a new head for ``num_classes`` classes.

    The checks: the output has ``num_classes`` columns; the head is a new ``nn.Linear`` whose
    parameters are all trainable and not copied from the old head; every other weight and buffer
    equals the reference's (the pretrained backbone is untouched); and the reference itself still
    has its old head (you changed a copy, not the original).

    Args:
        model: your model with the new head.
        reference: the untouched pretrained model you started from.
        num_classes: how many classes the new head should predict.
        image_size: side of the dummy images used to test the output shape.

    Returns:
        True when everything is right (it also prints a one-line summary), else False with
        the reasons printed.

    >>> import copy, torchvision
    >>> ref = torchvision.models.resnet18(weights=None).eval()
    >>> mine = copy.deepcopy(ref); mine.fc = nn.Linear(512, 10)
    >>> check_head(mine, ref, num_classes=10)  # doctest: +ELLIPSIS
    ✅ Output shape (2, 10); the new head is a fresh, trainable Linear(512 -> 10) ...
    True
    """
    if model is reference:
        return report(["`model` and `reference` are the same object, so the original model was "
                       "changed too. Make a copy first: my_model = copy.deepcopy(model)."], "")
    problems: list[str] = []
    old_head = get_head(reference)
    try:
        head = get_head(model)
    except ValueError:  # get_head finds no Linear where the head belongs
        return report([f"Your model has no nn.Linear head where {type(model).__name__} keeps "
                       f"it; put a new nn.Linear({getattr(old_head, 'in_features', '...')}, "
                       f"{num_classes}) there."], "")
    if isinstance(old_head, nn.Linear) and old_head.out_features == num_classes:
        return report([f"The reference's head already has {num_classes} outputs, so the original "
                       "model was changed before you copied it. Load it again and change only "
                       "a copy."], "")
    in_channels = getattr(getattr(model, "course_cfg", None), "input_size", (3,))[0]
    was_training = model.training
    try:
        with torch.no_grad():
            out = model.eval()(torch.zeros(2, in_channels, image_size, image_size))
    finally:
        model.train(was_training)
    old_linear = isinstance(old_head, nn.Linear)
    if (isinstance(head, nn.Linear) and old_linear and head.weight.shape == old_head.weight.shape
            and torch.equal(head.weight.detach(), old_head.weight.detach())):
        problems.append(f"The head is still the pretrained {old_head.out_features}-class head. "
                        f"Put a fresh one in its place: replace_head(my_model, {num_classes}) or "
                        f"a new nn.Linear({old_head.in_features}, {num_classes}).")
    elif not isinstance(head, nn.Linear):
        problems.append(f"The head is a {type(head).__name__}; this exercise wants one nn.Linear.")
    else:
        if head.out_features != num_classes:
            problems.append(f"The head has out_features={head.out_features}, not {num_classes}.")
        if old_linear and head.in_features != old_head.in_features:
            problems.append(f"The head takes {head.in_features} features, but the backbone gives "
                            f"{old_head.in_features}: use in_features={old_head.in_features}.")
        if (old_linear and head.weight.shape[1:] == old_head.weight.shape[1:]
                and len(head.weight) <= len(old_head.weight)
                and torch.equal(head.weight.detach(), old_head.weight.detach()[:len(head.weight)])):
            problems.append("The head's weights are rows copied from the old head: those were "
                            "trained for other classes. Start from a fresh nn.Linear.")
        frozen = [n for n, p in head.named_parameters() if not p.requires_grad]
        if frozen:
            problems.append(f"The new head's {', '.join(frozen)} has requires_grad=False: a head "
                            "that cannot learn is useless. Leave it trainable.")
    if not problems and tuple(out.shape) != (2, num_classes):
        problems.append(f"For a batch of 2 images the output has shape {tuple(out.shape)}, not "
                        f"(2, {num_classes}): does forward() still use the head?")
    head_names = {n for n, m in model.named_modules() if m is head}
    head_prefixes = tuple(f"{n}." if n else "" for n in head_names)
    ours, theirs = model.state_dict(), reference.state_dict()
    body = [k for k in ours if not k.startswith(head_prefixes)]
    missing = [k for k in body if k not in theirs]
    changed = [k for k in body if k in theirs and (ours[k].shape != theirs[k].shape
                                                   or not torch.equal(ours[k], theirs[k]))]
    if missing:
        problems.append(f"{len(missing)} tensor(s) outside the head are not in the reference "
                        f"(first: {missing[0]}): change only the head.")
    if changed:
        problems.append(f"{len(changed)} backbone tensor(s) differ from the pretrained ones "
                        f"(first: {changed[0]}): keep the backbone exactly as loaded.")
    n_head = sum(p.numel() for p in head.parameters())
    return report(problems, f"Output shape (2, {num_classes}); the new head is a fresh, trainable "
                  f"Linear({getattr(head, 'in_features', '?')} -> {num_classes}) with {n_head:,} "
                  "parameters; the backbone is exactly the pretrained one.")


# ----- the exercises of chapter 01: reference solutions, the checks run by check(), hints -----

def reference_with_new_head(model: nn.Module, num_classes: int) -> nn.Module:
    """A copy of ``model`` with a fresh ``num_classes`` head; ``model`` itself stays unchanged."""
    import copy

    from course_utils.surgery import replace_head

    my_model = copy.deepcopy(model)        # change a copy, never the loaded model
    replace_head(my_model, num_classes)    # timm: my_model.classifier = nn.Linear(1280, num_classes)
    return my_model


def _check_new_head(with_new_head, model: nn.Module, num_classes: int = 10) -> bool:
    before = {k: v.clone() for k, v in model.state_dict().items()}
    mine = with_new_head(model, num_classes)
    if not isinstance(mine, nn.Module):
        return report([f"with_new_head returned a {type(mine).__name__}; return the new model."],
                      "")
    after = model.state_dict()
    if after.keys() != before.keys() or any(not torch.equal(after[k], before[k]) for k in before):
        return report(["Your function changed the model it was given. Make a copy first "
                       "(copy.deepcopy(model)) and change only the copy."], "")
    return check_head(mine, reference=model, num_classes=num_classes)


def reference_grayscale(photo: np.ndarray) -> np.ndarray:
    """The photo in gray: H x W x 3 ``uint8``, each pixel's mean over the channels in all three."""
    gray = photo.mean(axis=2, keepdims=True)          # H x W x 1, float
    return gray.round().astype(np.uint8).repeat(3, axis=2)


def grayscale_problems(gray: object, photo: np.ndarray) -> list[str]:
    """What is wrong with ``gray`` as a grayscale version of the colour ``photo`` ([] = right).

    Right means: an H x W x 3 ``uint8`` array, the three channels equal, and every pixel's gray
    value between that pixel's darkest and brightest channel (so the mean, or a luminance
    weighting such as 0.299 R + 0.587 G + 0.114 B, both pass).

    >>> photo = np.array([[[10, 20, 60]]], dtype=np.uint8)
    >>> grayscale_problems(photo, photo)[0][:28]
    'The three channels differ in'
    """
    photo = np.asarray(photo)
    if isinstance(gray, torch.Tensor):
        gray = gray.detach().cpu().numpy()
    if not isinstance(gray, np.ndarray):
        return [f"Return a numpy array (H x W x 3), not a {type(gray).__name__}."]
    if gray.shape != photo.shape:
        fix = (" Repeat the gray channel three times: .repeat(3, axis=2) on an H x W x 1 array."
               if gray.shape[:2] == photo.shape[:2] else "")
        return [f"The shape is {gray.shape}; the model needs {photo.shape} (H x W x 3).{fix}"]
    problems = []
    if gray.dtype != np.uint8:
        scale = (" Its values are at most 1: keep the 0..255 scale." if gray.max() <= 1 else "")
        problems.append(f"The dtype is {gray.dtype}; make it uint8 (.round().astype(np.uint8)), "
                        f"as the photo is.{scale}")
    differ = float((gray.astype(np.int16) != gray[..., :1].astype(np.int16)).any(axis=2).mean())
    if differ > 0:
        same = " It is the colour photo itself." if np.array_equal(gray, photo) else ""
        problems.append(f"The three channels differ in {differ:.0%} of the pixels, so this is "
                        f"still a colour image.{same} Put the same gray value in all three.")
    else:
        g = gray[..., 0].astype(np.float64)
        lo, hi = photo.min(axis=2).astype(np.float64) - 1, photo.max(axis=2).astype(np.float64) + 1
        outside = float(((g < lo) | (g > hi)).mean())
        if outside > 0.01:
            problems.append(f"{outside:.0%} of the pixels have a gray value outside the range of "
                            "their own three channels: average the channels of each pixel (over "
                            "axis 2), not the whole image or one row.")
    return problems


def _check_grayscale(grayscale, photo: np.ndarray) -> bool:
    photo = np.asarray(photo)
    gray = grayscale(photo.copy())
    problems = grayscale_problems(gray, photo)
    return report(problems, f"A gray {photo.shape[0]} x {photo.shape[1]} x 3 uint8 image, the "
                  "same value in all three channels, each pixel between its darkest and "
                  "brightest channel.")


def _register() -> None:
    from .framework import Exercise, register

    register(Exercise(
        "01.head", "with_new_head(model, num_classes): a copy of model with a fresh head",
        _check_new_head, reference_with_new_head,
        ["Work on a copy: my_model = copy.deepcopy(model). The original must keep its 1000 classes.",
         "The head of a timm model is model.classifier, an nn.Linear; its in_features say how "
         "many features the backbone gives.",
         "Put a new nn.Linear(in_features, num_classes) in its place (or call "
         "replace_head(my_model, num_classes)) and return the copy."]))
    register(Exercise(
        "01.gray", "grayscale(photo): the photo as H x W x 3 uint8 with three equal channels",
        _check_grayscale, reference_grayscale,
        ["The photo is a numpy array of shape H x W x 3 (uint8). Gray means: the same value in "
         "the three channels of a pixel.",
         "photo.mean(axis=2, keepdims=True) gives each pixel's mean, shape H x W x 1 (float).",
         "Round, convert back with .astype(np.uint8), and repeat the channel: .repeat(3, axis=2)."]))


_register()
