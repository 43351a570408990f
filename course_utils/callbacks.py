"""Callbacks: small objects that ``fit()`` calls at named moments of training.

``fit()`` calls, in order: ``on_fit_start``, then per epoch ``on_epoch_start``, per batch
``on_loss`` (after the forward pass; a callback may add a penalty to ``state.loss``),
``on_before_step`` (after ``backward()``, before ``optimizer.step()``: the gradients are there to
clip or inspect) and ``on_batch_end``, then ``on_epoch_end`` (after validation), and finally
``on_fit_end`` (always, also after an interrupt or a NaN). Each method receives the run's
``state`` (see ``training.FitState``: ``model``, ``optimizer``, ``scheduler``, ``history``,
``epoch``, ``loss``, ``stop``...). Callbacks run sorted by their ``order`` (lower first).

>>> from course_utils import Callback
>>> class PrintEpoch(Callback):
...     def on_epoch_end(self, state):
...         print("finished epoch", state.epoch)
"""
from __future__ import annotations

import difflib
import inspect
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from .checks import check_bool, check_int, check_number

if TYPE_CHECKING:  # only for the type hints: training.py imports this module
    from .fit_state import FitState

EVENTS = {  # event -> when fit() calls it
    "on_fit_start": "once, before the first epoch",
    "on_epoch_start": "each epoch, before its first batch",
    "on_loss": "each batch, after the forward pass (may change state.loss)",
    "on_before_step": "each batch, after backward(), before optimizer.step() (gradients)",
    "on_batch_end": "each batch, after the step and the scheduler",
    "on_epoch_end": "each epoch, after validation and history.add",
    "on_fit_end": "once, at the end (also after Ctrl+C or a NaN)",
}


class Callback:
    """Base class: override the events you need; the others do nothing.

    A method whose name starts with ``on_`` but is not an event is almost always a typo that
    would silently never run, so it is an error when the class is defined:

    >>> class Typo(Callback):
    ...     def on_epoch_ends(self, state): ...
    Traceback (most recent call last):
    TypeError: Typo.on_epoch_ends is not a fit() event, so fit() would never call it. Did you mean on_epoch_end? The events: on_fit_start, on_epoch_start, on_loss, on_before_step, on_batch_end, on_epoch_end, on_fit_end.
    """

    order = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, hook in vars(cls).items():
            if name.startswith("on_") and name not in EVENTS:
                close = difflib.get_close_matches(name, EVENTS, n=1)
                guess = f" Did you mean {close[0]}?" if close else ""
                raise TypeError(f"{cls.__name__}.{name} is not a fit() event, so fit() would "
                                f"never call it.{guess} The events: {', '.join(EVENTS)}.")
            if name in EVENTS and callable(hook) and not _takes_state(hook):
                raise TypeError(f"{cls.__name__}.{name} must take the run's state (fit() calls "
                                f"it with one). HINT: write def {name}(self, state): ...")

    def on_fit_start(self, state: FitState) -> None: ...
    def on_epoch_start(self, state: FitState) -> None: ...
    def on_loss(self, state: FitState) -> None: ...
    def on_before_step(self, state: FitState) -> None: ...
    def on_batch_end(self, state: FitState) -> None: ...
    def on_epoch_end(self, state: FitState) -> None: ...
    def on_fit_end(self, state: FitState) -> None: ...

    def state_dict(self) -> dict:
        """What a checkpoint must save for an exact resume (default: nothing)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned."""


def _takes_state(hook: Any) -> bool:
    """Whether ``hook(self, state)`` can be called (one argument after self, or ``*args``)."""
    try:
        inspect.signature(hook).bind(None, None)
    except TypeError:
        return False
    except ValueError:  # no signature (a builtin): trust it
        pass
    return True


def check_callbacks(callbacks: Any, monitor: str = "val_loss") -> list[Callback]:
    """fit's ``callbacks``: a list of Callback objects (not classes, not functions), and no
    BestWeights that picks by another metric than fit's ``monitor``."""
    if isinstance(callbacks, Callback) or not isinstance(callbacks, Iterable):
        raise TypeError(f"callbacks={callbacks!r}: give a list, e.g. callbacks=[EarlyStopping()].")
    callbacks = list(callbacks)
    for cb in callbacks:
        if isinstance(cb, type) and issubclass(cb, Callback):
            raise TypeError(f"callbacks holds the class {cb.__name__}, not an object. HINT: "
                            f"{cb.__name__}(...) with its arguments, e.g. [EarlyStopping(3)].")
        if not isinstance(cb, Callback):
            raise TypeError(f"callbacks holds a {type(cb).__name__}: each callback is a Callback "
                            "object. HINT: subclass Callback and define on_epoch_end(self, "
                            "state) (see callbacks.py).")
        if isinstance(cb, BestWeights) and monitor not in ("val_loss", cb.monitor):
            raise ValueError(f"monitor={monitor!r}, but your BestWeights picks by "
                             f"{cb.monitor!r}. HINT: give one: BestWeights({monitor!r}).")
    return callbacks


def _mode(monitor: str, mode: str) -> str:
    """"min" or "max" for ``monitor`` ("auto": by ``history.higher_is_better``); a typo in either
    is an error now, not after a whole epoch of training."""
    from .history import METRICS, higher_is_better  # history -> plots -> callbacks: import here

    if monitor not in METRICS:
        close = difflib.get_close_matches(str(monitor), METRICS, n=1)
        guess = f"Did you mean {close[0]!r}? " if close else ""
        raise ValueError(f"monitor={monitor!r} is not a metric fit() records. {guess}"
                         f"Use one of {', '.join(METRICS)}.")
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode={mode!r}: use 'auto', 'min' or 'max'.")
    if mode != "auto":
        return mode
    return "max" if higher_is_better(monitor) else "min"


def _improved(value: float, best: float | None, mode: str, min_delta: float = 0.0) -> bool:
    if not math.isfinite(value):
        return False
    if best is None:
        return True
    return value < best - min_delta if mode == "min" else value > best + min_delta


class BestWeights(Callback):
    """Keep an in-memory copy of the best weights; put them back at the end (``fit`` adds it).

    The weights the run starts from are kept too ("the start"): a run that fails in its first
    epoch (NaN, Ctrl+C, an error) gives back the model it started from. After a failure the best
    weights are always restored; after a normal end only when ``restore=True``.

    The start is NOT scored by default (a fresh head's start is never the best). In a second
    stage that starts from a good model, give the first stage's best score as ``start_score``:
    then the start competes, and a stage that made the model worse gives the start back.

    >>> stage2_best = BestWeights("val_acc", start_score=0.81)   # fit(..., callbacks=[stage2_best])
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", restore: bool = True,
                 start_score: float | None = None) -> None:
        self.monitor, self.mode = monitor, _mode(monitor, mode)
        self.restore = check_bool("restore", restore)
        self.start_score = None if start_score is None else check_number("start_score",
                                                                         start_score)
        self._reset()

    def _reset(self) -> None:
        self.best: float | None = self.start_score
        self.best_epoch = -1  # -1: the start
        self.monitored = self.monitor  # train_loss when there is no validation set
        self.weights: dict[str, torch.Tensor] | None = None

    def _snapshot(self, model: nn.Module) -> None:
        self.weights = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def on_fit_start(self, state: FitState) -> None:
        if state.start_epoch == 0:  # a new run (also when this callback served an earlier one)
            self._reset()
        if self.weights is None:
            self._snapshot(state.model)

    def on_epoch_end(self, state: FitState) -> None:
        name = state.history.monitored(self.monitor)  # train_loss when there is no validation
        value = state.history.last(name)
        if _improved(value, self.best, _mode(name, self.mode if name == self.monitor else "auto")):
            self.best, self.best_epoch, self.monitored = value, state.epoch, name
            self._snapshot(state.model)

    def on_fit_end(self, state: FitState) -> None:
        last = state.history.epoch[-1] if len(state.history) else None
        wanted = state.failed or (self.restore and self.best_epoch != last)
        if wanted and self.weights is not None:
            state.model.load_state_dict(self.weights)
            where = "the start" if self.best_epoch < 0 else f"epoch {self.best_epoch}"
            score = "" if self.best is None else f" ({self.monitored} {self.best:.4f})"
            print(f"Restored the best weights: {where}{score}.")

    def state_dict(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch, "monitored": self.monitored,
                "monitor": self.monitor, "weights": self.weights}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.best_epoch = state["best"], state["best_epoch"]
        self.weights, self.monitored = state["weights"], state["monitored"]


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    >>> stopper = EarlyStopping(patience=3)          # fit(..., callbacks=[stopper])
    """

    def __init__(self, patience: int = 3, monitor: str = "val_loss", min_delta: float = 0.0,
                 mode: str = "auto") -> None:
        check_int("patience", patience, min=1, example=3)
        check_number("min_delta", min_delta, low=0.0)
        self.patience, self.monitor, self.min_delta = patience, monitor, min_delta
        self.mode = _mode(monitor, mode)
        self.best: float | None = None
        self.wait = 0

    def on_fit_start(self, state: FitState) -> None:
        if state.start_epoch == 0:  # a new run (also when this callback served an earlier one)
            self.best, self.wait = None, 0

    def on_epoch_end(self, state: FitState) -> None:
        value = state.history.last(state.history.monitored(self.monitor))
        if _improved(value, self.best, self.mode, self.min_delta):
            self.best, self.wait = value, 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            state.stop = True
            state.stop_reason = (f"early stopping: {self.monitor} did not improve for "
                                 f"{self.patience} epochs")

    def state_dict(self) -> dict:
        return {"best": self.best, "wait": self.wait, "monitor": self.monitor}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.wait = state["best"], state["wait"]
