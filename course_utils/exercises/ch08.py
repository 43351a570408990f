"""Checker for chapter 08 (transformers on text): count LoRA's trainable parameters.

LoRA leaves a pretrained weight ``W`` (shape ``out_features x in_features``) frozen and learns
a low-rank update ``B @ A`` beside it: ``A`` is ``r x in_features``, ``B`` is
``out_features x r``. So one adapted layer trains ``r * (in_features + out_features)``
numbers instead of ``out_features * in_features``.

The checker never raises: a stub that is not written yet, a function that fails or a wrong
count each get a message, and the checker hands back a function the notebook can use (yours
when it is right, else the reference) so the chapter runs on.

>>> from course_utils.exercises.ch08 import check_lora_param_count, reference_lora_param_count
>>> count = check_lora_param_count(reference_lora_param_count)
Correct: your counts match r * (in_features + out_features) per layer on 4 cases.
>>> count([(384, 384)] * 12, r=8)
73728
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = ["check_lora_param_count", "reference_lora_param_count"]

Shapes = Sequence[tuple[int, int]]
HINT = ("HINT: for one layer with weight shape (out_features, in_features), A has shape "
        "(r, in_features) and B has shape (out_features, r); add up A.numel() + B.numel() over "
        "the layers.")


def reference_lora_param_count(shapes: Shapes, r: int) -> int:
    """Trainable numbers of rank-``r`` LoRA adapters on linear layers with weight ``shapes``.

    >>> reference_lora_param_count([(384, 384), (1536, 384)], r=8)
    21504
    """
    return sum(r * (out_features + in_features) for out_features, in_features in shapes)


def _wrong_answers(shapes: Shapes, r: int) -> list[tuple[int, str]]:
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


def check_lora_param_count(fn: Callable[[Shapes, int], int]) -> Callable[[Shapes, int], int]:
    """Check ``fn(shapes, r)``: LoRA's trainable parameter count for linear layers of weight
    shapes ``[(out_features, in_features), ...]`` and rank ``r``.

    Prints what it found. Returns ``fn`` when it is right, otherwise the reference function, so
    the notebook can go on either way (it never raises).

    >>> count = check_lora_param_count(lambda shapes, r: sum(o * i for o, i in shapes))
    Not yet: for shapes=[(384, 384)], r=8 you returned 147,456; that is the size of the frozen weights W themselves (out x in per layer): LoRA does not train W, it trains the two thin matrices A and B beside it.
    The notebook goes on with the reference count.
    >>> count([(384, 384)], 8)
    6144
    """
    cases = [([(384, 384)], 8), ([(384, 384)] * 12, 8), ([(1536, 384), (384, 1536)], 4),
             ([(2, 384), (768, 384), (384, 96)], 16)]
    for shapes, r in cases:
        want = reference_lora_param_count(shapes, r)
        try:
            got = fn(list(shapes), r)
        except NotImplementedError:
            print("Not attempted yet: lora_param_count still raises NotImplementedError. "
                  f"Write its body, then run this cell again. {HINT}")
            print("The notebook goes on with the reference count.")
            return reference_lora_param_count
        except Exception as err:  # the student's code may fail in any way
            print(f"Not yet: fn({shapes if len(shapes) < 4 else '...'}, r={r}) raised "
                  f"{type(err).__name__}: {err}. {HINT}")
            print("The notebook goes on with the reference count.")
            return reference_lora_param_count
        try:
            value = float(got)
        except (TypeError, ValueError):
            print(f"Not yet: fn should return one number (a count), got a "
                  f"{type(got).__name__}: {got!r:.80}. {HINT}")
            print("The notebook goes on with the reference count.")
            return reference_lora_param_count
        if value == want:
            continue
        shown = f"shapes={shapes}" if len(shapes) < 4 else f"{len(shapes)} layers"
        reason = next((why for count, why in _wrong_answers(shapes, r) if count == value),
                      f"expected {want:,}. {HINT}")
        print(f"Not yet: for {shown}, r={r} you returned {value:,.0f}; {reason}")
        print("The notebook goes on with the reference count.")
        return reference_lora_param_count
    print(f"Correct: your counts match r * (in_features + out_features) per layer on "
          f"{len(cases)} cases.")
    return fn
