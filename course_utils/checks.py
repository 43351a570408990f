"""Argument checks at the boundary: one helper per rule, one clear message per mistake.

Every public function of the course checks what it is given before it does anything, so a
mistake fails at once with a message that names the argument, the value and what to do,
instead of a raw error from deep inside torch (or, worse, a silently wrong result).

* a value of the wrong *kind* raises ``TypeError`` (``batch_size=32.0``, ``k="5"``);
* a value of the right kind but out of range raises ``ValueError`` (``batch_size=0``).

Where PyTorch accepts a value, so do these checks: NumPy integers and floats, 0-dim tensors.

>>> check_int("batch_size", 64, min=1)
64
>>> check_int("batch_size", 0, min=1, example=64)
Traceback (most recent call last):
ValueError: batch_size=0: must be 1 or more. HINT: for example batch_size=64.
"""
from __future__ import annotations

import difflib
import math
import os
import numbers
import operator
from collections.abc import Callable, Iterable
from typing import Any

import torch


def _fail(error: type[Exception], name: str, value: Any, problem: str, hint: str = "") -> None:
    """Raise ``error("<name>=<value>: <problem>. HINT: <hint>")``."""
    shown = describe(value)
    raise error(f"{name}={shown}: {problem}." + (f" HINT: {hint}" if hint else ""))


def describe(value: Any) -> str:
    """``repr(value)``, short: a tensor or an array is shown by its type, shape and dtype.

    >>> describe(torch.zeros(2, 3, dtype=torch.uint8)), describe("abc")
    ('<Tensor of shape (2, 3), torch.uint8>', "'abc'")
    """
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"<{type(value).__name__} of shape {tuple(value.shape)}, {value.dtype}>"
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _example(name: str, example: Any) -> str:
    return f"for example {name}={example!r}." if example is not None else ""


def check_int(name: str, value: Any, *, min: int | None = None, max: int | None = None,
              example: Any = None) -> int:
    """A whole number (``int``, a NumPy integer, a 0-dim integer tensor) in ``[min, max]``.

    >>> check_int("k", 2.5, min=1)
    Traceback (most recent call last):
    TypeError: k=2.5: must be a whole number, not float. HINT: for example k=1.
    """
    example = example if example is not None else (min if min is not None else 0)
    if isinstance(value, (bool, torch.Tensor)) and (not isinstance(value, torch.Tensor)
                                                    or value.dtype == torch.bool):
        _fail(TypeError, name, value, f"must be a whole number, not {type(value).__name__}",
              _example(name, example))
    try:
        number = operator.index(value)
    except TypeError:
        _fail(TypeError, name, value, f"must be a whole number, not {type(value).__name__}",
              _example(name, example))
    if min is not None and number < min:
        _fail(ValueError, name, value, f"must be {min} or more" if max is None else
              f"must be between {min} and {max}", _example(name, example))
    if max is not None and number > max:
        _fail(ValueError, name, value, f"must be {max} or less" if min is None else
              f"must be between {min} and {max}", _example(name, example))
    return number


def check_number(name: str, value: Any, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False, example: Any = None) -> float:
    """A finite real number (int, float, NumPy scalar, 1-element tensor) in a range.

    ``low``/``high`` bound it; ``*_open=True`` excludes the bound itself.

    >>> check_number("val_fraction", 1.0, low=0, high=1, low_open=True, high_open=True)
    Traceback (most recent call last):
    ValueError: val_fraction=1.0: must be between 0 and 1 (both excluded).
    """
    if isinstance(value, torch.Tensor) and value.numel() == 1 and value.dtype != torch.bool:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        _fail(TypeError, name, value, f"must be a number, not {type(value).__name__}",
              _example(name, example))
    number = float(value)
    if not math.isfinite(number):
        _fail(ValueError, name, value, "must be a finite number", _example(name, example))
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        if low is not None and high is not None:
            ends = {(False, False): "both included", (True, True): "both excluded",
                    (True, False): f"{low} excluded", (False, True): f"{high} excluded"}
            problem = f"must be between {low} and {high} ({ends[low_open, high_open]})"
        elif low is not None:
            problem = f"must be {'above' if low_open else 'at least'} {low}"
        else:
            problem = f"must be {'below' if high_open else 'at most'} {high}"
        _fail(ValueError, name, value, problem, _example(name, example))
    return number


def check_bool(name: str, value: Any) -> bool:
    """True or False (NumPy bools and the ints 0 and 1 too); a string such as ``"False"``
    is refused, because it is truthy.

    >>> check_bool("shuffle", "False")
    Traceback (most recent call last):
    TypeError: shuffle='False': must be True or False, not str. HINT: write shuffle=False (no quotes).
    """
    if isinstance(value, (bool, numbers.Integral)) and value in (0, 1):
        return bool(value)
    if type(value).__name__ == "bool_":  # numpy.bool_
        return bool(value)
    hint = f"write {name}={value.strip().capitalize()} (no quotes)." if isinstance(value, str) \
        and value.strip().lower() in ("true", "false") else f"for example {name}=True."
    _fail(TypeError, name, value, f"must be True or False, not {type(value).__name__}", hint)
    return False  # unreachable


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """One of ``choices``; the message suggests the closest one.

    >>> check_choice("policy", "freeze", ("train", "frozen", "eval"))
    Traceback (most recent call last):
    ValueError: policy='freeze': must be one of 'train', 'frozen', 'eval'. HINT: Did you mean 'frozen'?
    """
    choices = list(choices)
    try:
        if value in choices:
            return value
    except TypeError:  # an unhashable or incomparable value
        pass
    close = difflib.get_close_matches(value, [c for c in choices if isinstance(c, str)], n=1) \
        if isinstance(value, str) else []
    hint = f"Did you mean {close[0]!r}?" if close else \
        f"Valid values: {', '.join(map(repr, choices))}."
    _fail(ValueError, name, value, f"must be one of {', '.join(map(repr, choices))}", hint)


def check_callable(name: str, value: Any, example: str) -> Callable:
    """A function or another callable (``example`` shows one)."""
    if not callable(value):
        _fail(TypeError, name, value, f"must be a function, not {type(value).__name__}",
              f"for example {name}={example}.")
    return value


def check_instance(name: str, value: Any, kind: type | tuple[type, ...], hint: str) -> Any:
    """An instance of ``kind`` (a class given instead of an instance is named as such)."""
    if not isinstance(value, kind):
        what = f"the class {value.__name__}, not an instance" if isinstance(value, type) \
            else type(value).__name__
        kinds = kind if isinstance(kind, tuple) else (kind,)
        wanted = " or ".join(k.__name__ for k in kinds)
        _fail(TypeError, name, value, f"must be a {wanted}, not {what}", hint)
    return value


def check_tensor(name: str, value: Any, *, min_dims: int = 1, max_dims: int | None = None,
                 dtype: str | None = None, nonempty: bool = True) -> torch.Tensor:
    """A tensor with ``min_dims``..``max_dims`` dimensions; ``dtype="integer"`` or ``"float"``
    restricts its kind.

    >>> check_tensor("labels", torch.zeros(3), dtype="integer")
    Traceback (most recent call last):
    TypeError: labels=<Tensor of shape (3,), torch.float32>: must hold integers, not torch.float32. HINT: class indices are integers: labels.long().
    """
    if not isinstance(value, torch.Tensor):
        _fail(TypeError, name, value, f"must be a torch.Tensor, not {type(value).__name__}",
              f"convert it first: {name} = torch.as_tensor({name}).")
    if value.dim() < min_dims or (max_dims is not None and value.dim() > max_dims):
        dims = f"{min_dims} dimension{'s' if min_dims > 1 else ''}" if max_dims == min_dims \
            else f"{min_dims} or more dimensions" if max_dims is None else \
            f"{min_dims} to {max_dims} dimensions"
        _fail(ValueError, name, value, f"must have {dims}, not shape "
              f"{tuple(value.shape)}", "images are (N, H, W) or (N, C, H, W), labels (N,).")
    if dtype == "integer" and (value.is_floating_point() or value.is_complex()
                               or value.dtype == torch.bool):
        _fail(TypeError, name, value, f"must hold integers, not {value.dtype}",
              f"class indices are integers: {name}.long().")
    if nonempty and value.numel() == 0:
        _fail(ValueError, name, value, f"is empty (shape {tuple(value.shape)})",
              "check the filter or the split that produced it.")
    return value


def check_images_labels(images: Any, labels: Any,
                        min_dims: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Examples (a tensor, ``min_dims`` or more dims, first dim N) and integer class labels
    (N,) of the same length. Float labels holding whole numbers (``torch.zeros(4)``) are
    accepted as ``long``; fractions such as 0.5 are refused.

    >>> check_images_labels(torch.zeros(2, 3), torch.tensor([0.0, 1.0]))[1]
    tensor([0, 1])
    """
    images = check_tensor("images", images, min_dims=min_dims)
    if isinstance(labels, torch.Tensor) and labels.is_floating_point() and labels.numel() \
            and bool(torch.isfinite(labels).all()) and bool((labels == labels.round()).all()):
        labels = labels.long()
    labels = check_tensor("labels", labels, min_dims=1, max_dims=1, dtype="integer")
    if len(images) != len(labels):
        raise ValueError(f"images has {len(images)} examples but labels has {len(labels)}: "
                         "they must match. HINT: index both with the same mask or indices.")
    return images, labels


def check_device(name: str, value: Any) -> torch.device:
    """A device as ``torch.device`` accepts it (``"cpu"``, ``"cuda:0"``, a ``torch.device``)."""
    try:
        device = torch.device(value)
    except (RuntimeError, TypeError):
        _fail(ValueError, name, value, "is not a device",
              f"use {name}='cpu', 'cuda', 'cuda:0' or 'mps', or get_device().")
    available = {"cpu": True, "cuda": torch.cuda.is_available(),
                 "mps": torch.backends.mps.is_available()}
    if not available.get(device.type, True):
        _fail(RuntimeError, name, value, f"this machine has no {device.type.upper()} device",
              f"use get_device() (it picks what this machine has) or {name}='cpu'.")
    return device


def env_flag(variable: str) -> bool | None:
    """An on/off environment variable: ``1/true/yes/on`` or ``0/false/no/off`` (any case); None
    when unset or empty. Anything else is an error that names the variable.

    >>> os.environ["COURSE_PROGRESS"] = "No"; env_flag("COURSE_PROGRESS")
    False
    """
    value = os.environ.get(variable, "").strip().lower()
    if not value:
        return None
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{variable}={os.environ[variable]!r}: use 1 (on) or 0 (off), or unset it.")


def check_seed(value: Any) -> int:
    """A random seed: a whole number that fits the 64 bits ``torch.Generator.manual_seed`` takes.

    >>> check_seed(2**70)
    Traceback (most recent call last):
    ValueError: seed=1180591620717411303424: must be 9223372036854775807 or less. HINT: for example seed=0.
    """
    return check_int("seed", value, max=2**63 - 1, example=0)
