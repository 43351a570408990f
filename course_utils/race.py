"""Racing two fine-tuning strategies to a validation accuracy: head-only against full.

Images per second says how fast a loop runs; what a student waits for is an ACCURACY. Head-only
training is cheap per step (no backward pass through the backbone) but can stop improving early;
full fine-tuning costs about 3x more per image and can go further. :func:`race` fine-tunes the
lab checkpoint with one strategy, validating after every epoch, and returns the (seconds,
validation accuracy) curve; ``python -m course_utils.time_to_accuracy`` runs the race.

>>> reached([(1.0, 0.5), (2.0, 0.8), (3.0, 0.9)], 0.8)
2.0
>>> reached([(1.0, 0.5)], 0.8) is None
True
>>> epochs_to([(1.0, 0.5), (2.0, 0.8)], 0.8)
2

Which strategy wins in SECONDS depends on the machine; what does not depend on the clock is
printed beside it: the FLOPs one training image costs in each strategy (:func:`training_flops`)
and the number of epochs each needed (:func:`epochs_to`).
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .bench import flops_per_training_image
from .callbacks import Callback
from .data import Task
from .loaders import TensorLoader
from .models import pretrained
from .plots import new_axes
from .seed import seed_everything
from .stages import stage_optimizer
from .training import fit

if TYPE_CHECKING:
    from .fit_state import FitState

STRATEGIES = ("head", "full")


class Stopwatch(Callback):
    """Record (seconds since fit started, validation accuracy) per epoch; stop at ``target`` or
    after ``budget`` seconds, but never before ``min_epochs`` (so a slow or busy machine still
    gives every strategy the same first epochs)."""

    def __init__(self, target: float, budget: float, min_epochs: int = 1) -> None:
        self.target, self.budget, self.min_epochs = target, budget, min_epochs
        self.curve: list[tuple[float, float]] = []

    def on_fit_start(self, state: FitState) -> None:
        self.start = time.perf_counter()

    def on_epoch_end(self, state: FitState) -> None:
        elapsed, acc = time.perf_counter() - self.start, state.history.val_acc[-1]
        self.curve.append((elapsed, acc))
        if acc >= self.target:
            state.stop, state.stop_reason = True, f"reached {acc:.3f} after {elapsed:.1f} s"
        elif elapsed > self.budget and len(self.curve) >= self.min_epochs:
            best = max(a for _, a in self.curve)
            state.stop, state.stop_reason = True, f"time budget spent (best so far {best:.3f})"


def reached(curve: list[tuple[float, float]], target: float) -> float | None:
    """The first time in ``curve`` (seconds, accuracy) at which accuracy >= target, else None."""
    return next((t for t, acc in curve if acc >= target), None)


def epochs_to(curve: list[tuple[float, float]], target: float) -> int | None:
    """How many epochs of ``curve`` it took to first reach ``target`` (None: never)."""
    return next((epoch for epoch, (_, acc) in enumerate(curve, 1) if acc >= target), None)


def _model(strategy: str, num_classes: int) -> tuple[Any, Any]:
    """The lab checkpoint with a fresh head, frozen for ``strategy``, and its optimizer."""
    model = pretrained("lab_resnet.fmnist_source", num_classes=num_classes)
    return model, stage_optimizer(model, strategy, 3e-3, 1e-4)


def training_flops(strategy: str, num_classes: int = 3) -> float:
    """FLOPs of one training image (forward + backward) for ``strategy``: a frozen backbone
    needs no backward pass, so head-only steps cost less. Counted, not timed.

    >>> training_flops("head") < training_flops("full")
    True
    """
    model, _ = _model(strategy, num_classes)
    return flops_per_training_image(model, model.course_cfg.input_size)


def race(task: Task, strategy: str, target: float, budget: float, batch_size: int = 128,
         seed: int = 0, min_epochs: int = 1) -> list[tuple[float, float]]:
    """Fine-tune the lab checkpoint with ``strategy`` ("head" or "full") until ``target`` or
    ``budget`` seconds (at least ``min_epochs``); returns the (seconds, validation accuracy)
    curve."""
    seed_everything(seed)
    model, optimizer = _model(strategy, len(task.classes))
    preprocess = model.course_cfg.preprocess
    train = TensorLoader(*task.train, batch_size=batch_size, shuffle=True, augment="flip",
                         transform=preprocess, seed=seed)
    val = TensorLoader(*task.val, batch_size=1024, transform=preprocess)
    watch = Stopwatch(target, budget, min_epochs)
    fit(model, train, epochs=10_000, optimizer=optimizer,
        val_loader=val, callbacks=[watch], live_plot=False, progress=False, restore_best=False)
    return watch.curve


def plot_curves(curves: dict[str, list[tuple[float, float]]], targets: list[float]) -> Any:
    """Validation accuracy against seconds, one line per strategy, the targets dashed."""
    ax = new_axes(figsize=(6, 3.5))
    for name, curve in curves.items():
        ax.plot(*zip(*curve), marker="o", label=f"{name} fine-tuning")
    for target in targets:
        ax.axhline(target, color="grey", linestyle="--", linewidth=0.8)
    ax.set(xlabel="seconds (training + validation)", ylabel="validation accuracy",
           title="Lab target task: time to accuracy")
    ax.legend()
    return ax.figure
