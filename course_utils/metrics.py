"""Classification metrics from a confusion matrix that stays on the device until it is read.

Accuracy counts every image once, so on a long-tailed data set it mostly measures the big
classes. Macro-F1 averages the per-class F1 scores, so a class with 10 images weighs as much as
one with 1,000: it is the metric to pick checkpoints by when the classes are imbalanced
(``fit(..., monitor="val_macro_f1")``). ``evaluate()`` reports both.

>>> import torch
>>> cm = confusion_matrix(torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 1, 1]), num_classes=2)
>>> cm.tolist()                              # rows: true class, columns: predicted class
[[1, 1], [0, 2]]
>>> round(macro_f1(cm), 3)                   # class 0: F1 0.667, class 1: F1 0.8
0.733
"""
from __future__ import annotations

import torch

from .distributed import all_reduce_sum


def confusion_matrix(y: torch.Tensor, predicted: torch.Tensor, num_classes: int) -> torch.Tensor:
    """``num_classes x num_classes`` counts: row = true class, column = predicted class.

    Computed with one ``bincount`` on the tensors' device (no host sync), so ``evaluate()`` can
    add it up batch by batch and read it once.
    """
    index = y.long() * num_classes + predicted.long()
    return torch.bincount(index, minlength=num_classes * num_classes).reshape(num_classes,
                                                                             num_classes)


def per_class_f1(cm: torch.Tensor) -> torch.Tensor:
    """F1 of each class from a confusion matrix (0 for a class never true and never predicted).

    >>> per_class_f1(torch.tensor([[2, 0], [1, 1]])).tolist()
    [0.800000011920929, 0.6666666865348816]
    """
    cm = cm.float()
    true_positives = cm.diagonal()
    predicted, actual = cm.sum(dim=0), cm.sum(dim=1)
    return 2 * true_positives / (predicted + actual).clamp_min(1)


def macro_f1(cm: torch.Tensor) -> float:
    """The mean of the per-class F1 scores over the classes that occur (as true or predicted)."""
    present = (cm.sum(dim=0) + cm.sum(dim=1)) > 0
    return per_class_f1(cm)[present].mean().item() if present.any() else float("nan")


def balanced_accuracy(cm: torch.Tensor) -> float:
    """The mean of the per-class recalls (accuracy with every true class weighted equally).

    >>> round(balanced_accuracy(torch.tensor([[9, 1], [1, 1]])), 3)  # (0.9 + 0.5) / 2
    0.7
    """
    actual = cm.sum(dim=1)
    recall = cm.diagonal().float()[actual > 0] / actual[actual > 0]
    return recall.mean().item()


def epoch_means(loss_sum: torch.Tensor, correct: torch.Tensor, seen: int,
                 device: torch.device) -> dict[str, float]:
    """Mean loss and accuracy of an epoch from its on-device sums, added up over the processes
    under torchrun: the epoch's one host sync."""
    totals = all_reduce_sum(torch.stack(
        [loss_sum, correct.float(), torch.tensor(float(seen), device=device)]))
    loss_total, n_correct, n_seen = totals.tolist()
    if n_seen == 0:
        raise ValueError("train_loader yielded no batch in this epoch: it is empty. HINT: check "
                         "the data you built it from, or drop_last with fewer images than a batch.")
    return {"loss": loss_total / n_seen, "acc": n_correct / n_seen}
