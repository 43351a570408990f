"""Chapter 08 exercise checkers: count LoRA's trainable parameters; the Trainer's accuracy.

``08.lora_count``: LoRA leaves a pretrained weight ``W`` (shape ``out_features x in_features``)
frozen and learns a low-rank update ``B @ A`` beside it: ``A`` is ``r x in_features``, ``B`` is
``out_features x r``. So one adapted layer trains ``r * (in_features + out_features)`` numbers
instead of ``out_features * in_features``.

``08.accuracy``: the Hugging Face ``Trainer`` calls ``compute_metrics(eval_pred)`` with the
logits and the labels of the whole evaluation set as NumPy arrays; it must return a dict of
named numbers (``evaluate.load`` / the old ``load_metric`` are not needed for accuracy).

>>> from course_utils.exercises import check
>>> count = check("08.lora_count", reference_lora_param_count, record=False)
✅ Correct: your counts match r * (in_features + out_features) per layer on 4 cases.
>>> count([(384, 384)] * 12, r=8)
73728
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .framework import report

Shapes = Sequence[tuple[int, int]]


# ----- 08.lora_count -----

def reference_lora_param_count(shapes: Shapes, r: int) -> int:
    """Trainable numbers of rank-``r`` LoRA adapters on linear layers with weight ``shapes``.

    >>> reference_lora_param_count([(384, 384), (1536, 384)], r=8)
    21504
    """
    return sum(r * (out_features + in_features) for out_features, in_features in shapes)


def _wrong_counts(shapes: Shapes, r: int) -> list[tuple[int, str]]:
    """Counts that realistic mistakes give, with what to say about each."""
    full = sum(o * i for o, i in shapes)
    return [
        (full, "that is the size of the frozen weights W themselves (out x in per layer): LoRA "
               "does not train W, it trains the two thin matrices A and B beside it."),
        (r * full, "you multiplied out x in by r: A and B are thin (r x in and out x r), so "
                   "one layer trains r * (in + out) numbers, far fewer than out x in."),
        (sum(r * i for _, i in shapes), "that counts only A (r x in_features); B "
                                        "(out_features x r) is trained too."),
        (sum(r * o for o, _ in shapes), "that counts only B (out_features x r); A "
                                        "(r x in_features) is trained too."),
        (sum(2 * r * i for _, i in shapes), "that assumes every layer is square (2 * r * in): "
                                            "use in_features for A and out_features for B."),
        (sum(o + i for o, i in shapes), "the rank r is missing: A has r rows and B has r "
                                        "columns."),
        (r * sum(o + i for o, i in shapes[:1]), "that counts one layer only: add up every "
                                                "adapted layer in shapes."),
    ]


LORA_CASES = [([(384, 384)], 8), ([(384, 384)] * 12, 8), ([(1536, 384), (384, 1536)], 4),
              ([(2, 384), (768, 384), (384, 96)], 16)]


def lora_count_problems(fn: Callable[[Shapes, int], int]) -> list[str]:
    """What is wrong with ``fn``'s counts on :data:`LORA_CASES` (the first wrong case)."""
    for shapes, r in LORA_CASES:
        want = reference_lora_param_count(shapes, r)
        got = fn(list(shapes), r)
        try:
            value = float(got)
        except (TypeError, ValueError):
            return [f"return one number (a count), not a {type(got).__name__}: {got!r:.80}."]
        if value != want:
            shown = f"shapes={shapes}" if len(shapes) < 4 else f"{len(shapes)} layers"
            reason = next((why for count, why in _wrong_counts(shapes, r) if count == value),
                          f"expected {want:,}.")
            return [f"for {shown}, r={r} you returned {value:,.0f}; {reason}"]
    return []


def _check_lora_count(fn: Callable[[Shapes, int], int]) -> bool:
    return report(lora_count_problems(fn), "Correct: your counts match r * (in_features + "
                  f"out_features) per layer on {len(LORA_CASES)} cases.")


# ----- 08.accuracy -----

def reference_compute_metrics(eval_pred: Any) -> dict[str, float]:
    """Accuracy for the Hugging Face ``Trainer``: ``eval_pred`` is ``(logits, labels)``.

    >>> reference_compute_metrics((np.array([[2.0, -1.0], [0.1, 0.3]]), np.array([0, 0])))
    {'accuracy': 0.5}
    """
    logits, labels = eval_pred
    predictions = np.argmax(logits, axis=-1)     # the class with the largest logit
    return {"accuracy": float((predictions == labels).mean())}


def _metric_cases() -> list[tuple[np.ndarray, np.ndarray, float]]:
    """(logits, labels, accuracy): 3 sentences x 3 classes first (square, so that an argmax over
    the wrong axis gives a wrong answer rather than an error), then 4 sentences x 2 classes."""
    three = np.array([[0.1, 3.0, -1.0], [0.5, 2.0, 0.4], [0.0, 0.1, 0.9]], dtype=np.float32)
    two = np.array([[2.0, -1.0], [0.2, 0.9], [1.5, 0.5], [-0.3, 0.4]], dtype=np.float32)
    return [(three, np.array([1, 1, 1]), 2 / 3), (two, np.array([0, 1, 1, 1]), 0.75)]


def _accuracy_mistake(got: float, logits: np.ndarray, labels: np.ndarray) -> str:
    """What a wrong accuracy most likely came from."""
    right = np.argmax(logits, axis=-1) == labels
    if got == right.sum():
        return "that is the count of right answers: divide by the number of sentences (.mean())."
    if logits.shape[0] == logits.shape[1] and got == (np.argmax(logits, axis=0) == labels).mean():
        return ("you took the argmax over axis 0 (down the sentences): take it over the last "
                "axis, the classes: np.argmax(logits, axis=-1).")
    return ("expected {:.3f}. Predicted class = np.argmax(logits, axis=-1); accuracy = the mean "
            "of (predicted == labels).".format(right.mean()))


def accuracy_problems(fn: Callable[[Any], Any]) -> list[str]:
    """What is wrong with ``fn`` as a ``compute_metrics`` (the first wrong case)."""
    for logits, labels, want in _metric_cases():
        out = fn((logits.copy(), labels.copy()))
        if not isinstance(out, dict):
            return [f"the Trainer needs a dict of named numbers, e.g. {{'accuracy': 0.75}}, but "
                    f"you returned a {type(out).__name__} ({out!r:.60}). Wrap the number: "
                    "return {'accuracy': ...}."]
        if "accuracy" not in out:
            return [f"your dict has the keys {sorted(out)}; the chapter's Trainer picks the best "
                    "epoch by metric_for_best_model='accuracy', so name it 'accuracy'."]
        try:
            got = float(out["accuracy"])
        except (TypeError, ValueError):
            return [f"'accuracy' must be one number, got {out['accuracy']!r:.60}."]
        if abs(got - want) > 1e-6:
            return [f"on {len(labels)} sentences and {logits.shape[1]} classes you returned "
                    f"accuracy {got:.3f}; {_accuracy_mistake(got, logits, labels)}"]
    return []


def _check_accuracy(fn: Callable[[Any], Any]) -> bool:
    return report(accuracy_problems(fn),
                  "Correct: the accuracy matches on a 3-class and a 2-class case.")


def _register() -> None:
    from .framework import Exercise, register

    register(Exercise(
        "08.lora_count", "lora_param_count(shapes, r): how many numbers rank-r LoRA trains",
        _check_lora_count, reference_lora_param_count,
        ["LoRA does not train W: it trains A and B. What are their shapes for one layer?",
         "For a weight of shape (out_features, in_features), A is (r, in_features) and B is "
         "(out_features, r).",
         "Add A.numel() + B.numel() = r * in_features + out_features * r over every layer in "
         "shapes."]))
    register(Exercise(
        "08.accuracy", "compute_metrics(eval_pred): the accuracy, for the Trainer",
        _check_accuracy, reference_compute_metrics,
        ["eval_pred is a pair: logits, labels = eval_pred. The logits have one row per "
         "sentence and one column per class.",
         "The predicted class is the column with the largest logit: np.argmax(logits, axis=-1).",
         "return {'accuracy': float((predictions == labels).mean())}"]))


_register()
