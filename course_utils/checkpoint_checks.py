"""Checks a checkpoint must pass before anything is loaded, and before anything is saved.

A refused resume must leave the model, its freeze state and the optimizer exactly as they were,
so every check runs before ``load_checkpoint`` changes anything: the optimizer (same class, same
parameter groups, same ``lr`` and ``weight_decay``) and the schedule (same scheduler, planned
for the same number of steps). Loading would otherwise silently keep the saved run's settings
(or, for ``one_cycle``, stop with an error epochs later).

>>> to_plain("extra", {"step": 3, "best": np.float64(0.91), "ema": [0.1, 0.2]})
{'step': 3, 'best': 0.91, 'ema': [0.1, 0.2]}
"""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import torch
from torch import nn

from .checks import check_instance


class CheckpointError(RuntimeError):
    """The file cannot be used as asked; the message says why and what to do."""


def to_plain(name: str, value: Any) -> Any:
    """``value`` made of what ``torch.load(weights_only=True)`` reads back: tensors, numbers,
    strings, None, and lists, tuples and dicts of them. NumPy numbers become Python numbers and
    NumPy arrays tensors (a NumPy object in a checkpoint makes the file unloadable); anything
    else (a function, an object) is refused, naming where it is.

    >>> to_plain("extra", {"f": print})
    Traceback (most recent call last):
    TypeError: extra['f'] is a builtin_function_or_method: a checkpoint can only hold tensors, numbers, strings, lists and dicts (weights_only=True cannot load the rest). HINT: store its name or its numbers instead.
    """
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if value is None or isinstance(value, (torch.Tensor, numbers.Number, str, bytes,
                                           torch.dtype, torch.device)):
        return value
    if isinstance(value, dict):
        return {key: to_plain(f"{name}[{key!r}]", item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_plain(f"{name}[{i}]", item) for i, item in enumerate(value))
    raise TypeError(f"{name} is a {type(value).__name__}: a checkpoint can only hold "
                    "tensors, numbers, strings, lists and dicts (weights_only=True cannot "
                    "load the rest). HINT: store its name or its numbers instead.")


def total_steps(scheduler: Any) -> int | None:
    """The steps a course schedule (or a OneCycleLR) was built for; None if unknown."""
    steps = getattr(scheduler, "course_total_steps", getattr(scheduler, "total_steps", None))
    return steps if isinstance(steps, int) else None


NEW_RUN = ("load the weights only, load_checkpoint(path, model), and start a new fit() "
           "without resume_from.")


def check_resumable(checkpoint: dict, model: nn.Module, optimizer: torch.optim.Optimizer | None,
                    scheduler: Any) -> None:
    """Refuse, before anything is loaded, an optimizer or schedule other than the saved run's:
    loading would silently replace the new settings (or fail in the middle of training)."""
    if optimizer is None or checkpoint["optimizer"] is None:
        return
    check_instance("optimizer", optimizer, torch.optim.Optimizer, "pass the run's optimizer.")
    saved_class = checkpoint.get("optimizer_class")
    if saved_class and saved_class != type(optimizer).__name__:
        raise CheckpointError(f"optimizer: the checkpoint was saved with {saved_class}, this run "
                              f"uses {type(optimizer).__name__}; its state cannot carry over. "
                              f"HINT: resume with {saved_class}, or {NEW_RUN}")
    saved_groups = checkpoint["optimizer_groups"]
    name_of = {id(p): n for n, p in model.named_parameters()}
    now = [[name_of.get(id(p), "?") for p in g["params"]] for g in optimizer.param_groups]
    extra = [n for names in saved_groups[len(now):] for n in names]
    if now != saved_groups[:len(now)] or any(n not in name_of.values() for n in extra):
        raise CheckpointError("The optimizer's parameter groups differ from the checkpoint's. "
                              "HINT: freeze the same layers and build the optimizer the same way "
                              "as in the saved run, or pass optimizer=None to load weights only.")
    for i, (group, saved) in enumerate(zip(optimizer.param_groups,
                                           checkpoint["optimizer"]["param_groups"])):
        for key in ("lr", "weight_decay"):
            mine = float(group.get(f"initial_{key}", group.get(key, 0.0)))
            theirs = float(saved.get(f"initial_{key}", saved.get(key, 0.0)))
            if not math.isclose(mine, theirs, rel_tol=1e-6, abs_tol=1e-12):
                raise CheckpointError(
                    f"{key}: the checkpoint's run used {key}={theirs:g} (parameter group {i}), "
                    f"this run {key}={mine:g}. Resuming would silently keep {theirs:g}. "
                    f"HINT: resume with {key}={theirs:g}, or {NEW_RUN}")
    saved_class, now_class = checkpoint.get("scheduler_class"), type(scheduler).__name__
    if "scheduler_class" in checkpoint and (saved_class is None) != (scheduler is None):
        had = f"a {saved_class} schedule" if saved_class else "no schedule"
        has = f"a {now_class}" if scheduler is not None else "none"
        raise CheckpointError(f"scheduler: the checkpoint's run had {had}, this run has {has}; "
                              f"the learning rate would jump. HINT: resume with the same "
                              f"scheduler, or {NEW_RUN}")
    saved_steps, steps = checkpoint.get("scheduler_total_steps"), total_steps(scheduler)
    if saved_steps is not None and steps is not None and saved_steps != steps:
        epochs = checkpoint.get("epochs")
        same = f"epochs={epochs}" if epochs else "the same epochs"
        raise CheckpointError(
            f"epochs: the checkpoint's schedule was planned for {saved_steps} steps"
            f"{f' (epochs={epochs})' if epochs else ''}, this run's for {steps} (total_steps "
            f"{saved_steps} vs {steps}). Resuming would jump to another point of the learning-"
            f"rate schedule (one_cycle would stop with an error). HINT: resume with {same}, or "
            f"{NEW_RUN}")
