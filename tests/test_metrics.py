"""metrics.py agrees with scikit-learn on random predictions, including absent classes."""
from __future__ import annotations

import pytest
import torch
from sklearn.metrics import balanced_accuracy_score, f1_score
from sklearn.metrics import confusion_matrix as sk_confusion_matrix

from course_utils.metrics import balanced_accuracy, confusion_matrix, macro_f1


@pytest.mark.parametrize("seed", range(5))
def test_metrics_match_scikit_learn(seed):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (200,), generator=g)
    y[y == 3] = 2  # class 3 never true ...
    predicted = torch.randint(0, 5, (200,), generator=g)  # ... but predicted, as is class 4
    cm = confusion_matrix(y, predicted, num_classes=5)
    assert cm.tolist() == sk_confusion_matrix(y, predicted, labels=range(5)).tolist()
    assert macro_f1(cm) == pytest.approx(f1_score(y, predicted, average="macro"), abs=1e-6)
    assert balanced_accuracy(cm) == pytest.approx(
        balanced_accuracy_score(y, predicted), abs=1e-6)


def test_macro_f1_weighs_a_small_class_like_a_big_one():
    # 95 images of class 0, 5 of class 1; always predicting 0 is 95 % accurate
    y = torch.tensor([0] * 95 + [1] * 5)
    cm = confusion_matrix(y, torch.zeros(100, dtype=torch.long), num_classes=2)
    assert cm.diagonal().sum().item() / 100 == 0.95
    assert macro_f1(cm) < 0.5
    assert balanced_accuracy(cm) == 0.5
