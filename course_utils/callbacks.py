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

import math
import warnings
from typing import Any

import torch
from torch import nn

from .layer_groups import group_parameters
from .param_groups import param_groups
from .surgery import unfreeze

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
        for name in vars(cls):
            if name.startswith("on_") and name not in EVENTS:
                close = difflib.get_close_matches(name, EVENTS, n=1)
                guess = f" Did you mean {close[0]}?" if close else ""
                raise TypeError(f"{cls.__name__}.{name} is not a fit() event, so fit() would "
                                f"never call it.{guess} The events: {', '.join(EVENTS)}.")

    def on_fit_start(self, state: Any) -> None: ...
    def on_epoch_start(self, state: Any) -> None: ...
    def on_loss(self, state: Any) -> None: ...
    def on_before_step(self, state: Any) -> None: ...
    def on_batch_end(self, state: Any) -> None: ...
    def on_epoch_end(self, state: Any) -> None: ...
    def on_fit_end(self, state: Any) -> None: ...

    def state_dict(self) -> dict:
        """What a checkpoint must save for an exact resume (default: nothing)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned."""


def _mode(monitor: str, mode: str) -> str:
    return ("max" if "acc" in monitor else "min") if mode == "auto" else mode


def _improved(value: float, best: float | None, mode: str, min_delta: float = 0.0) -> bool:
    if not math.isfinite(value):
        return False
    if best is None:
        return True
    return value < best - min_delta if mode == "min" else value > best + min_delta


def _monitored(history: Any, monitor: str) -> tuple[str, float]:
    """The latest value of ``monitor``, falling back to train_loss when there is no validation."""
    value = history.last(monitor)
    if math.isnan(value) and monitor.startswith("val_"):
        monitor = "train_" + monitor[4:]
        value = history.last(monitor)
    return monitor, value


class BestWeights(Callback):
    """Keep an in-memory copy of the best weights; put them back at the end (``fit`` adds it).

    The weights at the start count as "epoch -1", so a run that fails in its first epoch (NaN,
    Ctrl+C) gives back the model it started from. After a NaN or an interrupt the best weights
    are always restored; after a normal end only when ``restore=True``.
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", restore: bool = True) -> None:
        self.monitor, self.mode, self.restore = monitor, _mode(monitor, mode), restore
        self.best: float | None = None
        self.best_epoch = -1
        self.monitored = monitor  # train_loss when there is no validation set
        self.weights: dict[str, torch.Tensor] | None = None

    def _snapshot(self, model: nn.Module) -> None:
        self.weights = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def on_fit_start(self, state: Any) -> None:
        if self.weights is None:
            self._snapshot(state.model)

    def on_epoch_end(self, state: Any) -> None:
        name, value = _monitored(state.history, self.monitor)
        if _improved(value, self.best, _mode(name, self.mode if name == self.monitor else "auto")):
            self.best, self.best_epoch, self.monitored = value, state.epoch, name
            self._snapshot(state.model)

    def on_fit_end(self, state: Any) -> None:
        last = state.history.epoch[-1] if len(state.history) else None
        wanted = state.failed or (self.restore and self.best_epoch != last)
        if wanted and self.weights is not None:
            state.model.load_state_dict(self.weights)
            where = "the start" if self.best_epoch < 0 else f"epoch {self.best_epoch}"
            score = "" if self.best is None else f" ({self.monitored} {self.best:.4f})"
            print(f"Restored the best weights: {where}{score}.")

    def state_dict(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch, "monitored": self.monitored,
                "weights": self.weights}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.best_epoch = state["best"], state["best_epoch"]
        self.weights, self.monitored = state["weights"], state["monitored"]


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    >>> stopper = EarlyStopping(patience=3)          # fit(..., callbacks=[stopper])
    """

    def __init__(self, patience: int = 3, monitor: str = "val_loss", min_delta: float = 0.0,
                 mode: str = "auto") -> None:
        self.patience, self.monitor, self.min_delta = patience, monitor, min_delta
        self.mode = _mode(monitor, mode)
        self.best: float | None = None
        self.wait = 0

    def on_epoch_end(self, state: Any) -> None:
        _, value = _monitored(state.history, self.monitor)
        if _improved(value, self.best, self.mode, self.min_delta):
            self.best, self.wait = value, 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            state.stop = True
            state.stop_reason = (f"early stopping: {self.monitor} did not improve for "
                                 f"{self.patience} epochs")

    def state_dict(self) -> dict:
        return {"best": self.best, "wait": self.wait}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.wait = state["best"], state["wait"]


def _extend_scheduler(scheduler: Any, group: dict) -> None:
    """Teach a per-group scheduler about a group added after it was built."""
    lr = group["lr"]
    scheduler.base_lrs.append(lr)
    if hasattr(scheduler, "lr_lambdas"):  # LambdaLR (warmup_cosine, constant): same shape
        scheduler.lr_lambdas.append(scheduler.lr_lambdas[-1])
        group["lr"] = lr * scheduler.lr_lambdas[-1](max(scheduler.last_epoch, 0))
    elif "max_lr" in scheduler.optimizer.param_groups[0]:  # OneCycleLR: copy group 0's ratios
        first = scheduler.optimizer.param_groups[0]
        for key in ("initial_lr", "min_lr"):
            group[key] = lr * first[key] / first["max_lr"]
        group["max_lr"] = lr
        group.update({k: first[k] for k in ("max_momentum", "base_momentum") if k in first})
    else:
        warnings.warn(f"{type(scheduler).__name__} does not schedule groups added later: the new "
                      f"group keeps lr={lr}. HINT: use a LambdaLR-based schedule (warmup_cosine) "
                      "or one_cycle.", stacklevel=3)
    group["initial_lr"] = group.get("initial_lr", lr)
    if hasattr(scheduler, "_last_lr"):
        scheduler._last_lr.append(group["lr"])


def add_param_group(optimizer: torch.optim.Optimizer, group: dict, scheduler: Any = None) -> bool:
    """Add a parameter group (its parameters not already in the optimizer) and schedule it too.

    With a scheduler, the new group follows the same schedule shape as the others with its
    ``lr`` as its peak/base LR (warmup_cosine, constant and one_cycle are handled).

    Returns:
        False when every parameter was already in the optimizer (nothing added).
    """
    known = {id(p) for g in optimizer.param_groups for p in g["params"]}
    params = [p for p in group["params"] if id(p) not in known]
    if not params:
        return False
    optimizer.add_param_group({**group, "params": params})
    if scheduler is not None:
        _extend_scheduler(scheduler, optimizer.param_groups[-1])
    return True


class GradualUnfreeze(Callback):
    """Unfreeze layer groups on a schedule, each with its own LR (Lightning's finetune_function).

    At the start of each epoch in ``schedule``, the named layer groups (see ``layer_groups``) are
    unfrozen (BatchNorm included) and their parameters join the optimizer as new groups with the
    given LR; with a scheduler, that LR is the group's peak and follows the same schedule.

    Args:
        schedule: ``{epoch: (group_name, lr)}`` or ``{epoch: [(group_name, lr), ...]}``; epochs
            count from 0, as in ``History``.
        weight_decay: for the new groups' weights (1-D tensors get 0, as in ``param_groups``).
        verbose: print what was unfrozen.

    >>> unfreezer = GradualUnfreeze({2: ("layer4", 1e-4), 4: [("layer3", 3e-5)]})
    """

    def __init__(self, schedule: dict[int, Any], weight_decay: float = 0.0,
                 verbose: bool = True) -> None:
        self.schedule = {e: [v] if isinstance(v, tuple) else list(v) for e, v in schedule.items()}
        self.weight_decay, self.verbose = weight_decay, verbose

    def on_epoch_start(self, state: Any) -> None:
        for name, lr in self.schedule.get(state.epoch, []):
            unfreeze(state.model, name)
            groups = [g for g in param_groups(state.model, lr=lr, weight_decay=self.weight_decay)
                      if g["layer_group"] == name]
            added = [add_param_group(state.optimizer, g, state.scheduler) for g in groups]
            if self.verbose:
                n = sum(p.numel() for _, p in group_parameters(state.model)[name])
                print(f"epoch {state.epoch}: unfroze {name} ({n:,} params, lr {lr:.1e})"
                      + ("" if any(added) else " - already in the optimizer"))


class _Anchored(Callback):
    """Shared by WeightDrift and L2SP: a copy w0 of the weights when training starts."""

    def __init__(self, groups: list[str] | None = None) -> None:
        self.groups = groups
        self.anchors: dict[str, torch.Tensor] = {}
        self.group_of: dict[str, str] = {}

    def on_fit_start(self, state: Any) -> None:
        if self.anchors:  # resumed from a checkpoint, or a second fit: keep the first w0
            params = dict(state.model.named_parameters())
            self.anchors = {n: w0.to(params[n].device) for n, w0 in self.anchors.items()}
            return
        named = group_parameters(state.model)
        for group in self.groups or list(named):
            for pname, p in named[group]:
                self.anchors[pname] = p.detach().clone()
                self.group_of[pname] = group

    def pairs(self, model: nn.Module) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
        params = dict(model.named_parameters())
        return [(self.group_of[n], params[n], w0) for n, w0 in self.anchors.items()]

    def state_dict(self) -> dict:
        return {"anchors": self.anchors, "group_of": self.group_of}

    def load_state_dict(self, state: dict) -> None:
        self.anchors, self.group_of = state["anchors"], state["group_of"]


class WeightDrift(_Anchored):
    """Record, per layer group and epoch, how far the weights moved: ||w - w0|| / ||w0||.

    ``drift`` maps group name -> one value per epoch. ``table()`` and ``plot()`` show it.

    >>> drift = WeightDrift()                        # fit(..., callbacks=[drift]); drift.plot()
    """

    def __init__(self, groups: list[str] | None = None) -> None:
        super().__init__(groups)
        self.drift: dict[str, list[float]] = {}

    def on_epoch_end(self, state: Any) -> None:
        with torch.no_grad():
            sq_diff: dict[str, torch.Tensor] = {}
            sq_w0: dict[str, torch.Tensor] = {}
            for group, w, w0 in self.pairs(state.model):
                sq_diff[group] = sq_diff.get(group, 0) + (w.float() - w0.float()).pow(2).sum()
                sq_w0[group] = sq_w0.get(group, 0) + w0.float().pow(2).sum()
            ratios = torch.stack([(sq_diff[g] / sq_w0[g].clamp_min(1e-30)).sqrt() for g in sq_diff])
        for group, value in zip(sq_diff, ratios.tolist()):  # one host sync per epoch
            self.drift.setdefault(group, []).append(value)

    def table(self) -> str:
        """Relative drift per group (rows) after each epoch (columns)."""
        epochs = max((len(v) for v in self.drift.values()), default=0)
        lines = ["group".ljust(12) + "".join(f"{'ep ' + str(e):>9}" for e in range(epochs))]
        lines += [g.ljust(12) + "".join(f"{v:9.4f}" for v in values)
                  for g, values in self.drift.items()]
        return "\n".join(lines)

    def plot(self) -> Any:
        """A matplotlib Figure: drift per group against epoch."""
        from .plots import plot_series

        return plot_series(self.drift, ylabel="||w - w0|| / ||w0||", title="weight drift")

    def state_dict(self) -> dict:
        return {**super().state_dict(), "drift": self.drift}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.drift = state["drift"]


class L2SP(_Anchored):
    """L2-SP (Li et al., 2018): add ``alpha / 2 * ||w - w0||^2`` to the loss, w0 = starting weights.

    Plain weight decay pulls weights toward 0, forgetting what pretraining learned; L2-SP pulls
    them back toward the pretrained values instead. By default every layer group except the
    last one (the new ``head``, which has no pretrained values) is anchored; only trainable
    parameters contribute. The penalty is added in ``on_loss`` (not counted in ``train_loss``).

    >>> l2sp = L2SP(alpha=0.01)                      # fit(..., callbacks=[l2sp])
    """

    def __init__(self, alpha: float = 0.01, groups: list[str] | None = None) -> None:
        super().__init__(groups)
        self.alpha = alpha

    def on_fit_start(self, state: Any) -> None:
        if self.groups is None:
            self.groups = list(group_parameters(state.model))[:-1]
        super().on_fit_start(state)

    def penalty(self, model: nn.Module) -> torch.Tensor:
        """``alpha / 2 * sum ||w - w0||^2`` over the anchored, trainable parameters."""
        terms = [(w - w0).pow(2).sum() for _, w, w0 in self.pairs(model) if w.requires_grad]
        return self.alpha / 2 * torch.stack(terms).sum() if terms else torch.zeros(())

    def on_loss(self, state: Any) -> None:
        state.loss = state.loss + self.penalty(state.model).to(state.loss.device)
