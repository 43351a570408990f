"""``python -m course_utils.time_to_accuracy``: seconds until the lab target task reaches a stated
validation accuracy, head-only against full fine-tuning.

Images per second says how fast a loop runs; what a student waits for is an ACCURACY. Head-only
training is cheap per step (no backward pass through the backbone) but can stop improving early;
full fine-tuning costs about 3x more per image and can go further. Which one arrives first depends
on the target. This module races them on the lab target task (the lab checkpoint's unseen classes:
pullover, coat, shirt), validating after every epoch, and prints, for each target, the wall-clock
seconds (training + validation) until each strategy first reached it.

    python -m course_utils.time_to_accuracy --targets 0.65 0.75 0.85 --budget 60 --plot tta.png

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

import argparse
import time
from typing import Any

from .bench import flops_per_training_image
from .callbacks import Callback
from .data import LAB_TARGET_CLASSES, Task, load_task
from .finetune import stage_optimizer
from .loaders import TensorLoader
from .models import pretrained
from .seed import seed_everything
from .training import fit

STRATEGIES = ("head", "full")


class Stopwatch(Callback):
    """Record (seconds since fit started, validation accuracy) per epoch; stop at ``target`` or
    after ``budget`` seconds, but never before ``min_epochs`` (so a slow or busy machine still
    gives every strategy the same first epochs)."""

    def __init__(self, target: float, budget: float, min_epochs: int = 1) -> None:
        self.target, self.budget, self.min_epochs = target, budget, min_epochs
        self.curve: list[tuple[float, float]] = []

    def on_fit_start(self, state: Any) -> None:
        self.start = time.perf_counter()

    def on_epoch_end(self, state: Any) -> None:
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
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, curve in curves.items():
        ax.plot(*zip(*curve), marker="o", label=f"{name} fine-tuning")
    for target in targets:
        ax.axhline(target, color="grey", linestyle="--", linewidth=0.8)
    ax.set(xlabel="seconds (training + validation)", ylabel="validation accuracy",
           title="Lab target task: time to accuracy")
    ax.legend()
    fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=float, nargs="+", default=[0.65, 0.75, 0.85])
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per strategy")
    parser.add_argument("--k", type=int, default=1000, help="training images per class (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default="", help="save the figure to this file")
    args = parser.parse_args(argv)

    task = load_task(LAB_TARGET_CLASSES, k=args.k, val_per_class=500, seed=args.seed)
    print(f"lab target task: classes {LAB_TARGET_CLASSES}, {len(task.train[1])} training and "
          f"{len(task.val[1])} validation images; budget {args.budget:.0f} s per strategy")
    curves = {s: race(task, s, max(args.targets), args.budget, seed=args.seed) for s in STRATEGIES}
    flops = {s: training_flops(s, len(task.classes)) for s in STRATEGIES}
    print("FLOPs per training image (counted, not timed): " + ", ".join(
        f"{s} {f / 1e6:.0f} M" for s, f in flops.items()))
    results = {}
    for target in args.targets:
        for strategy, curve in curves.items():
            seconds = reached(curve, target)
            best = max(acc for _, acc in curve)
            results[(strategy, target)] = seconds
            when = f"{seconds:6.1f} s" if seconds is not None else \
                f"not reached in {curve[-1][0]:.0f} s (best {best:.3f})"
            epochs = epochs_to(curve, target)
            print(f"{strategy:>4} fine-tuning to {target:.0%} validation accuracy: {when}"
                  + (f" ({epochs} epochs)" if epochs else ""))
    if args.plot:
        plot_curves(curves, args.targets).savefig(args.plot, dpi=120)
        print(f"figure: {args.plot}")
    return {"curves": curves, "seconds": results, "flops": flops}


if __name__ == "__main__":
    main()
