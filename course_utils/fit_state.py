"""``FitState``: what one ``fit()`` run knows, handed to every callback at every event.

A callback reads it (``state.history``, ``state.epoch``, ``state.model``) and may change it:
``state.loss`` in ``on_loss`` (a penalty), ``state.stop`` to end training after this epoch.
"""
from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from .checkpoint import CheckpointError, load_checkpoint
from .distributed import barrier, is_main_process, quiet_unless_main
from .history import History

if TYPE_CHECKING:
    from .callbacks import Callback


@dataclass
class FitState:
    """Everything a callback may read or change during ``fit``."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any
    train_loader: Iterable
    val_loader: Iterable | None
    loss_fn: Callable
    device: torch.device
    epochs: int
    dtype: torch.dtype | None  # autocast dtype, None = fp32
    callbacks: list[Callback]
    wrapped: Callable[[], nn.Module] | None = None  # DDP and/or torch.compile around the model
    history: History = field(default_factory=History)
    start_epoch: int = 0
    epoch: int = 0
    step: int = 0
    loss: torch.Tensor | None = None
    stop: bool = False  # a callback sets it to end training after this epoch
    stop_reason: str = "completed"
    failed: bool = False  # an exception, NaN/inf loss or KeyboardInterrupt ended the run
    first_batch_checked: bool = False  # labels vs head, validation batch vs training batch

    def emit(self, event: str) -> None:
        """Call ``event`` (for example ``"on_epoch_end"``) on every callback, in order."""
        with quiet_unless_main():  # under torchrun only rank 0 prints
            for callback in self.callbacks:
                getattr(callback, event)(self)

    @property
    def net(self) -> nn.Module:
        """What the forward pass calls: the model itself, or its DDP / torch.compile wrapper."""
        return self.wrapped() if self.wrapped else self.model

    def autocast(self) -> torch.autocast:
        return torch.autocast(self.device.type, dtype=self.dtype, enabled=self.dtype is not None)


def warn_non_finite(err: Exception) -> None:
    """The loss became NaN or inf: say what to try."""
    warnings.warn(f"Training stopped: {err}. HINT: lower the learning rate, add warm-up or "
                  "gradient clipping (fit(..., clip_grad_norm=1.0)). The best weights are "
                  "restored; the optimizer's state may hold NaN: build a new optimizer before "
                  "training on.", RuntimeWarning, stacklevel=3)


def keep_work(state: FitState, err: Exception) -> None:
    """An exception ends the run: restore the best weights, attach the History to the error."""
    state.failed, state.stop_reason = True, f"{type(err).__name__} in epoch {state.epoch}"
    state.history.stop_reason = state.stop_reason
    state.emit("on_fit_end")  # best weights back, figure and progress bar closed
    err.history = state.history
    if hasattr(err, "add_note"):  # Python 3.11+
        err.add_note(f"fit() kept your work: the best weights are back in the model and the "
                     f"History of the {len(state.history)} finished epochs is attached to this "
                     "error (in Jupyter: `import sys; history = sys.last_value.history`).")


def finish(state: FitState) -> History:
    """A run ended normally or by a handled stop: say why, restore the best weights."""
    state.history.stop_reason = state.stop_reason
    if state.stop_reason != "completed" and is_main_process():
        print(f"Stopped: {state.stop_reason}. "
              f"The history keeps {len(state.history)} finished epochs.")
    state.emit("on_fit_end")  # best weights back, final figure, progress bar closed
    return state.history


def resume(state: FitState, path: str | os.PathLike) -> None:
    """Load a SaveCheckpoint file into the run and continue after its epoch."""
    barrier()  # under torchrun: nobody reads while rank 0 may still be writing
    checkpoint = load_checkpoint(path, state.model, state.optimizer, state.scheduler,
                                 loader=state.train_loader, callbacks=state.callbacks,
                                 restore_rng=True, epochs=state.epochs)
    if checkpoint["history"] is None:
        raise CheckpointError(f"{path} holds weights only (saved without a History), so "
                              "there is no run to continue. HINT: load_checkpoint(path, model) "
                              "and start a new fit() without resume_from.")
    monitor = state.history.monitor
    state.history = History.from_dict(checkpoint["history"])
    state.history.monitor = monitor
    state.start_epoch = state.epoch = checkpoint["epoch"] + 1
    state.step = len(next(iter(state.history.lrs.values()), []))
    if is_main_process():
        print(f"Resumed from {path}: epoch {checkpoint['epoch']} done, "
              f"continuing at {state.start_epoch}.")
