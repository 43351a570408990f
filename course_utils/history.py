"""``History``: what happened in each epoch of ``fit()``, as plain lists.

>>> h = History()
>>> h.add(0, {"loss": 0.9, "acc": 0.6}, {"loss": 1.0, "acc": 0.55}, seconds=2.0)
>>> h.line()
'epoch   0  train_loss 0.9000  train_acc 0.600  val_loss 1.0000  val_acc 0.550  2.0s'
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from .plots import plot_history

METRICS = ("train_loss", "train_acc", "val_loss", "val_acc", "val_macro_f1")


def higher_is_better(metric: str) -> bool:
    """The one rule for which way a metric improves: losses go down, everything else up.

    >>> higher_is_better("val_acc"), higher_is_better("val_loss"), higher_is_better("val_macro_f1")
    (True, False, True)
    """
    return not metric.endswith("loss")


def record_lrs(lrs: dict[str, list[float]], optimizer: torch.optim.Optimizer) -> None:
    """Append every parameter group's current LR to ``lrs`` (group name -> one LR per step).

    A group is named by its ``"name"`` key (``param_groups`` sets it) or ``group<i>``; a group
    added later gets NaN for the steps before it existed; two groups with one name get ``name'``.
    Used by ``History.record_lrs`` (inside fit) and ``schedules.LRRecorder`` (your own loop).
    """
    steps = max((len(v) for v in lrs.values()), default=0)
    for i, group in enumerate(optimizer.param_groups):
        name = group.get("name", f"group{i}")
        while name in lrs and len(lrs[name]) > steps:  # two groups, one name
            name += "'"
        lrs.setdefault(name, [math.nan] * steps).append(float(group["lr"]))


@dataclass
class History:
    """What happened per epoch (epochs count from 0), and the LR of every group at every step."""

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    val_macro_f1: list[float] = field(default_factory=list)  # see metrics.py
    time: list[float] = field(default_factory=list)  # seconds per epoch, validation included
    lrs: dict[str, list[float]] = field(default_factory=dict)  # group name -> LR per step
    grad_norms: list[float] = field(default_factory=list)  # per step, before ClipGradNorm clips
    stop_reason: str = "completed"
    monitor: str = "val_loss"  # the metric fit() picked the best epoch by

    def add(self, epoch: int, train: dict, val: dict, seconds: float) -> None:
        """Append one epoch's metrics (``val`` may be empty: NaN is stored)."""
        self.epoch.append(epoch)
        self.train_loss.append(train["loss"])
        self.train_acc.append(train["acc"])
        self.val_loss.append(val.get("loss", math.nan))
        self.val_acc.append(val.get("acc", math.nan))
        self.val_macro_f1.append(val.get("macro_f1", math.nan))
        self.time.append(seconds)

    def record_lrs(self, optimizer: torch.optim.Optimizer) -> None:
        """Append every group's current LR (see :func:`record_lrs`)."""
        record_lrs(self.lrs, optimizer)

    def last(self, key: str) -> float:
        """The latest value of a metric (NaN when there is none)."""
        if key not in METRICS:
            raise KeyError(f"key={key!r} is not a metric History records. HINT: one of "
                           f"{', '.join(METRICS)}.")
        values = getattr(self, key)
        return values[-1] if values else math.nan

    def monitored(self, monitor: str) -> str:
        """The metric that stands in for ``monitor``: itself, or without any validation the
        training metric of the same kind (``val_loss`` -> ``train_loss``)."""
        if monitor.startswith("val_") and not any(math.isfinite(v) for v in getattr(self, monitor)):
            fallback = "train_" + monitor[4:]
            return fallback if fallback in METRICS else "train_loss"
        return monitor

    @property
    def best_epoch(self) -> int | None:
        """Epoch with the best ``monitor`` value (lowest loss, highest accuracy), as fit() chose it.

        Without validation it looks at the training metric instead; None if there is nothing.
        """
        key = self.monitored(self.monitor)
        finite = [(v, e) for v, e in zip(getattr(self, key), self.epoch) if math.isfinite(v)]
        if not finite:
            return None
        sign = -1 if higher_is_better(key) else 1  # the first epoch that reached the best value
        return min(finite, key=lambda ve: (sign * ve[0], ve[1]))[1]

    def __len__(self) -> int:
        return len(self.epoch)

    def line(self, i: int = -1) -> str:
        """One epoch as text: ``epoch 3  train_loss 0.4123  train_acc 0.853 ...``."""
        if not -len(self) <= i < len(self):
            raise IndexError(f"i={i}: the history has {len(self)} epochs. HINT: train first, or "
                             "use an index from -len(history) to len(history) - 1.")
        parts = [f"epoch {self.epoch[i]:>3}"]
        for key in METRICS:
            if key == "val_macro_f1" and self.monitor != key:
                continue  # shown when fit() picks epochs by it (or print history.val_macro_f1)
            value = getattr(self, key)[i]
            if math.isfinite(value):
                parts.append(f"{key} {value:.4f}" if "loss" in key else f"{key} {value:.3f}")
        return "  ".join(parts + [f"{self.time[i]:.1f}s"])

    def table(self) -> str:
        """All epochs as text, the best one marked with ``*``."""
        best = self.best_epoch
        lines = [self.line(i) + ("  *" if e == best else "") for i, e in enumerate(self.epoch)]
        if self.stop_reason != "completed":
            lines.append(f"stopped: {self.stop_reason}")
        return "\n".join(lines) or "History (no epoch finished)"

    def __repr__(self) -> str:
        return self.table()

    def to_dict(self) -> dict:
        """Plain lists and numbers (for checkpoints, JSON, or ``pandas.DataFrame``)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> History:
        """Rebuild a History from :meth:`to_dict`'s output (older checkpoints have no
        ``val_macro_f1``: NaN per epoch)."""
        data = {"val_macro_f1": [math.nan] * len(data.get("epoch", [])), **data}
        return cls(**data)

    def plot(self) -> Any:
        """Loss and accuracy per epoch as a matplotlib Figure (see ``plots.plot_history``)."""
        return plot_history(self)
