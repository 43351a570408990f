"""Checkers for chapter 09 (your own data): split by the unit of independence, and choose the
checkpoint metric for imbalanced classes.

The checker RUNS your split on photo sets it knows (several photos per product) and checks what
matters for an honest validation score: every photo is used exactly once, no product has photos
on both sides, about ``val_fraction`` of the products are held out, and the same seed gives the
same split.

>>> import torch
>>> from course_utils.exercises.ch09 import check_split, reference_split_by_product
>>> check_split(reference_split_by_product)
✅ Correct: on 3 photo sets no product is on both sides, every photo is used once, and the same seed gives the same split.
True
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

__all__ = ["check_monitor", "check_split", "reference_monitor", "reference_split_by_product"]

Split = Callable[[torch.Tensor, float, int], tuple]


def reference_split_by_product(groups: torch.Tensor, val_fraction: float,
                               seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(train_idx, val_idx)``: photo indices, split so that no product is on both sides."""
    from sklearn.model_selection import GroupShuffleSplit

    splitter = GroupShuffleSplit(n_splits=1, test_size=val_fraction, random_state=seed)
    train_idx, val_idx = next(splitter.split(np.zeros(len(groups)), groups=groups.numpy()))
    return train_idx, val_idx


def _fail(message: str) -> bool:
    from .framework import report

    return report([message], "")


def _as_indices(part: object, n: int, side: str) -> np.ndarray:
    array = np.asarray(part.cpu() if isinstance(part, torch.Tensor) else part)
    if array.dtype == bool:
        raise ValueError(f"the {side} part is a boolean mask; return the photo INDICES "
                         "(np.flatnonzero(mask) turns a mask into indices).")
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"the {side} part should be a 1-D array or list of photo indices, "
                         f"got {array.dtype} of shape {array.shape}.")
    if len(array) and (array.min() < 0 or array.max() >= n):
        raise ValueError(f"the {side} part holds indices outside 0..{n - 1}: index photos, "
                         "not products.")
    return array


def check_split(fn: Split) -> bool:
    """Check ``fn(groups, val_fraction, seed) -> (train_idx, val_idx)``.

    ``groups[i]`` is the product shown on photo ``i``. Returns True when, on every case, the
    two parts use each photo exactly once, share no product, hold out ``val_fraction`` of the
    products (within 0.1), and the split does not change when called again with the same seed.

    >>> def by_photo(groups, val_fraction, seed):
    ...     order = np.random.default_rng(seed).permutation(len(groups))
    ...     n_val = int(len(groups) * val_fraction)
    ...     return order[n_val:], order[:n_val]
    >>> check_split(by_photo)  # doctest: +ELLIPSIS
    ❌ Not yet:
      - ... products have photos on both sides ...
    False
    """
    cases = [(torch.arange(40).repeat_interleave(5), 0.2, 0),
             (torch.arange(30).repeat_interleave(3)[torch.randperm(90, generator=torch.Generator().manual_seed(1))], 0.25, 1),
             (torch.tensor([7, 7, 3, 3, 3, 9, 1, 1, 5, 5, 5, 5, 2, 8, 8, 4, 4, 6, 6, 0] * 2), 0.3, 2)]
    for groups, val_fraction, seed in cases:
        n = len(groups)
        out = fn(groups.clone(), val_fraction, seed)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            return _fail(f"return two things, (train_idx, val_idx); got {type(out).__name__}.")
        try:
            train, val = (_as_indices(part, n, side) for part, side in zip(out, ("train", "val")))
        except ValueError as err:
            return _fail(str(err))
        used = np.concatenate([train, val])
        if len(used) != n or len(np.unique(used)) != n:
            return _fail(f"with {n} photos, the two parts hold {len(used)} indices, "
                         f"{len(np.unique(used))} different ones: every photo must be in exactly "
                         "one part.")
        g = groups.numpy()
        both = set(g[train]) & set(g[val])
        if both:
            return _fail(f"{len(both)} of {len(set(g))} products have photos on both sides "
                         f"(e.g. product {sorted(both)[0]}). Their validation photos are near "
                         "copies of training photos, so the validation score is inflated. Split "
                         "the PRODUCTS, then take all photos of each.")
        share = len(set(g[val])) / len(set(g))
        if abs(share - val_fraction) > 0.1:
            return _fail(f"val_fraction={val_fraction} but {share:.0%} of the products are in "
                         "the validation part: hold out about that share of the products.")
        again = fn(groups.clone(), val_fraction, seed)
        if not np.array_equal(np.sort(_as_indices(again[1], n, "val")), np.sort(val)):
            return _fail("called twice with the same seed, the split changed: seed your random "
                         "generator (e.g. random_state=seed) so the experiment can be repeated.")
    from .framework import report

    return report([], f"Correct: on {len(cases)} photo sets no product is on both sides, every "
                      "photo is used once, and the same seed gives the same split.")


def reference_monitor() -> str:
    """The metric that picks the checkpoint when the classes are imbalanced."""
    return "val_macro_f1"   # every class counts the same; val_acc is ruled by the big classes


WHY_NOT = {
    "val_acc": "val_acc counts images, so the big classes decide it: it rewards the epoch that "
               "serves them best even when the rare class is missed (section 3).",
    "val_loss": "val_loss is an average over images too, ruled by the big classes; it is also "
                "a smooth proxy, not the decision you care about.",
    "train_loss": "a training metric says how well the model fits the images it learns from, "
                  "not how it does on new ones: it keeps improving while the model overfits.",
    "train_acc": "a training metric says how well the model fits the images it learns from, "
                 "not how it does on new ones.",
}


def check_monitor(choice: object, history=None) -> bool:
    """Check ``choice``, the ``monitor`` for ``fit()`` on imbalanced classes; with ``history``
    (a ``History`` with every validation metric), also show which epoch each choice keeps.

    >>> check_monitor("val_acc")  # doctest: +ELLIPSIS
    ❌ Not yet:
      - val_acc counts images, ...
    False
    """
    from ..history import METRICS, History
    from .framework import report

    if history is not None:
        for metric in ("val_acc", "val_macro_f1"):
            picked = History(**{**history.to_dict(), "monitor": metric}).best_epoch
            if picked is not None:
                at = history.epoch.index(picked)
                print(f"  monitor={metric!r} keeps epoch {picked}: val_acc "
                      f"{history.val_acc[at]:.3f}, val_macro_f1 {history.val_macro_f1[at]:.3f}")
    if not isinstance(choice, str) or choice not in METRICS:
        shown = choice if not isinstance(choice, str) else repr(choice)
        if isinstance(choice, str) and choice.startswith("test"):
            return report([f"{choice!r}: never choose anything on the test set; it must stay "
                           "unseen until the one final measurement."], "")
        return report([f"monitor={shown}: give one of the names fit() records: "
                       f"{', '.join(METRICS)}."], "")
    if choice in WHY_NOT:
        return report([WHY_NOT[choice]], "")
    return report([], f"{choice!r}: the checkpoint with the best mean F1 over classes, so the "
                      "rare class counts as much as the common ones.")


def _register() -> None:
    from .framework import Exercise, register

    register(Exercise(
        "09.split", "split_by_product(groups, val_fraction, seed): no product on both sides",
        check_split, reference_split_by_product,
        ["groups[i] is the product on photo i. Choose which PRODUCTS go to validation, then "
         "take every photo of those products.",
         "scikit-learn does exactly this: sklearn.model_selection.GroupShuffleSplit(n_splits=1, "
         "test_size=val_fraction, random_state=seed).",
         "train_idx, val_idx = next(splitter.split(np.zeros(len(groups)), "
         "groups=groups.numpy()))"]))
    register(Exercise(
        "09.monitor", "CHECKPOINT_METRIC: the metric fit() keeps the best epoch by",
        check_monitor, reference_monitor,
        ["Which of the three numbers of section 3 stayed high while the rare class was missed, "
         "and which dropped?",
         "fit() records val_loss, val_acc and val_macro_f1 after every epoch; it can keep the "
         "best epoch by any of them.",
         "CHECKPOINT_METRIC = \"val_macro_f1\""],
        value=True))


_register()
