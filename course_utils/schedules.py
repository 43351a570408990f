"""Learning-rate schedules stepped once per batch, and a record of every group's LR to plot.

The schedules are ``torch.optim.lr_scheduler`` objects, so they respect each parameter group's
own learning rate (discriminative LRs survive). Each factory takes ``(optimizer, total_steps)``
first, so ``functools.partial(warmup_cosine, warmup_steps=50)`` is a scheduler factory.

>>> import torch
>>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
>>> sched = warmup_cosine(opt, total_steps=10, warmup_steps=2)
>>> recorder = LRRecorder(opt)
>>> for _ in range(10):
...     recorder.record(); opt.step(); sched.step()
>>> [round(lr, 4) for lr in recorder.lrs["group0"][:4]]
[0.05, 0.1, 0.0962, 0.0854]
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import torch
from torch.optim.lr_scheduler import LambdaLR, LRScheduler, OneCycleLR

from .checks import check_callable, check_instance, check_int, check_number
from .history import record_lrs
from .plots import new_axes

SchedulerFactory = Callable[[torch.optim.Optimizer, int], LRScheduler]
OPTIMIZER_HINT = "build it first, e.g. torch.optim.AdamW(param_groups(model, lr))."


def check_total_steps(total_steps: object) -> int:
    """The number of batches a schedule covers: a whole number, 1 or more."""
    return check_int("total_steps", total_steps, min=1, example=1000)


def planned(scheduler: LRScheduler, total_steps: int) -> LRScheduler:
    """Record on ``scheduler`` how many steps it was built for (checkpoints compare it on
    resume: a run resumed with other epochs would jump to another schedule)."""
    scheduler.course_total_steps = total_steps
    return scheduler


def warmup_cosine(optimizer: torch.optim.Optimizer, total_steps: int, warmup_steps: int = 0,
                  min_lr_ratio: float = 0.0) -> LambdaLR:
    """Linear warm-up to each group's LR, then cosine decay to ``min_lr_ratio`` times it.

    The last warm-up step uses the full LR; the last step (``total_steps - 1``) the minimum.

    Args:
        optimizer: its groups' current ``lr`` are the peak LRs.
        total_steps: number of batches the schedule covers (epochs * batches per epoch).
        warmup_steps: batches of linear warm-up (step i uses (i+1)/warmup_steps of the LR).
        min_lr_ratio: the LR at the end, as a fraction of the peak.

    Returns:
        A ``LambdaLR``; call ``.step()`` after every ``optimizer.step()``.
    """
    check_instance("optimizer", optimizer, torch.optim.Optimizer, OPTIMIZER_HINT)
    total_steps = check_total_steps(total_steps)
    warmup_steps = check_int("warmup_steps", warmup_steps, min=0, example=100)
    if warmup_steps >= total_steps:
        raise ValueError(f"warmup_steps={warmup_steps} with total_steps={total_steps}: the "
                         "warm-up must end before the schedule does. HINT: use fewer warm-up "
                         "steps (a few percent of the total is usual).")
    min_lr_ratio = check_number("min_lr_ratio", min_lr_ratio, low=0, high=1, example=0.01)

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = min(1.0, (step + 1 - warmup_steps) / (total_steps - warmup_steps))
        return min_lr_ratio + (1 - min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))

    return planned(LambdaLR(optimizer, factor), total_steps)


def one_cycle(optimizer: torch.optim.Optimizer, total_steps: int,
              max_lr: float | Sequence[float] | None = None, pct_start: float = 0.25,
              div_factor: float = 25.0, final_div_factor: float = 1e4) -> OneCycleLR:
    """Smith's one-cycle policy (``torch.optim.lr_scheduler.OneCycleLR``), per group.

    Args:
        optimizer: the optimizer to schedule.
        total_steps: number of batches; stepping more than this raises an error.
        max_lr: None (default) uses each group's own ``lr`` as its peak, so discriminative LRs
            keep their ratios; a float gives every group the same peak; a list, one per group.
        pct_start: fraction of the steps spent rising from ``max_lr / div_factor``.
        div_factor: start LR = max_lr / div_factor.
        final_div_factor: final LR = start LR / final_div_factor.

    Momentum (SGD) or beta1 (Adam/AdamW) cycles the other way, as in the paper; it is left
    alone for an optimizer that has neither.

    >>> opt = torch.optim.AdamW([{"params": [torch.zeros(1)], "lr": 1e-4},
    ...                          {"params": [torch.zeros(1)], "lr": 1e-3}])
    >>> sched = one_cycle(opt, total_steps=100)
    >>> [g["max_lr"] for g in opt.param_groups]
    [0.0001, 0.001]
    """
    check_instance("optimizer", optimizer, torch.optim.Optimizer, OPTIMIZER_HINT)
    total_steps = check_total_steps(total_steps)
    pct_start = check_number("pct_start", pct_start, low=0, high=1, low_open=True,
                             high_open=True, example=0.25)
    div_factor = check_number("div_factor", div_factor, low=0, low_open=True, example=25.0)
    final_div_factor = check_number("final_div_factor", final_div_factor, low=0, low_open=True,
                                    example=1e4)
    own = [g["lr"] for g in optimizer.param_groups]
    if isinstance(max_lr, (list, tuple)):
        if len(max_lr) != len(own):
            raise ValueError(f"max_lr={max_lr!r}: give one peak LR per parameter group (the "
                             f"optimizer has {len(own)} parameter group"
                             f"{'s' if len(own) != 1 else ''}). HINT: or max_lr=None to use "
                             "each group's own lr.")
        max_lr = [check_number(f"max_lr[{i}]", v, low=0, low_open=True, example=1e-3)
                  for i, v in enumerate(max_lr)]
    elif max_lr is not None:
        max_lr = check_number("max_lr", max_lr, low=0, low_open=True, example=1e-3)
    if max_lr is None:
        max_lr = own
    elif isinstance(max_lr, (int, float)) and len(set(own)) > 1:
        warnings.warn(f"max_lr={max_lr} replaces the different LRs of the groups {own}. "
                      "HINT: pass max_lr=None to keep each group's own lr as its peak.",
                      stacklevel=2)
    defaults = optimizer.defaults
    cycle_momentum = "betas" in defaults or defaults.get("momentum", 0) > 0
    return planned(OneCycleLR(optimizer, max_lr=max_lr, total_steps=total_steps,
                              pct_start=pct_start, div_factor=div_factor,
                              final_div_factor=final_div_factor, cycle_momentum=cycle_momentum),
                   total_steps)


def constant_lr(optimizer: torch.optim.Optimizer, total_steps: int = 0) -> LambdaLR:
    """No schedule: every group keeps its LR (the same factory shape, for comparisons)."""
    check_instance("optimizer", optimizer, torch.optim.Optimizer,
                   "scheduler=constant_lr in fit(), or constant_lr(your_optimizer).")
    return LambdaLR(optimizer, lambda step: 1.0)


class LRRecorder:
    """Records every parameter group's LR; call ``record()`` once per batch, before stepping.

    Groups are named by their ``"name"`` key (as ``param_groups`` sets it) or ``group<i>``.
    ``lrs`` maps group name -> list of LRs, one per recorded step.
    """

    def __init__(self, optimizer: torch.optim.Optimizer) -> None:
        self.optimizer = check_instance("optimizer", optimizer, torch.optim.Optimizer,
                                        "LRRecorder(the optimizer you step).")
        self.lrs: dict[str, list[float]] = {}

    def record(self) -> None:
        """Append each group's current LR (the same rule as ``History.record_lrs``)."""
        record_lrs(self.lrs, self.optimizer)

    def plot(self, ax: object | None = None, log: bool = True) -> object:
        """Plot the recorded LRs (see ``plot_lrs``)."""
        return plot_lrs(self.lrs, ax=ax, log=log)


def plot_lrs(lrs: dict[str, list[float]] | LRRecorder, ax: object | None = None,
             log: bool = True) -> object:
    """Plot LR against step, one line per group; returns the matplotlib Axes.

    >>> import torch
    >>> ax = plot_lrs({"head": [0.1, 0.05, 0.01]})
    >>> ax.get_ylabel()
    'learning rate'
    """
    if isinstance(lrs, LRRecorder):
        lrs = lrs.lrs
    if not isinstance(lrs, dict):
        raise TypeError(f"lrs={lrs!r:.60}: give {{group name: [lr per step]}} or an LRRecorder. "
                        "HINT: plot_lrs({'head': lrs}).")
    ax = new_axes(ax, figsize=(6, 3))
    for name, values in lrs.items():
        ax.plot(values, label=name)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step (batch)")
    ax.set_ylabel("learning rate")
    if len(lrs) > 1:
        ax.legend(fontsize="small", ncol=2)
    return ax


def preview_schedule(groups: list[dict] | torch.optim.Optimizer, factory: SchedulerFactory,
                     total_steps: int) -> LRRecorder:
    """Run a schedule on a stand-in optimizer (no model, no training) and record its LRs.

    Args:
        groups: parameter groups (``param_groups(model, ...)``) or an optimizer; only each
            group's ``lr`` and ``name`` are read, nothing is changed.
        factory: ``f(optimizer, total_steps) -> scheduler``, e.g. ``one_cycle``.
        total_steps: steps to simulate.

    >>> rec = preview_schedule([{"name": "head", "lr": 1e-3}], one_cycle, total_steps=100)
    >>> max(rec.lrs["head"]) == 1e-3
    True
    """
    if isinstance(groups, torch.optim.Optimizer):
        groups = groups.param_groups
    if not isinstance(groups, (list, tuple)) or not groups or not all(
            isinstance(g, dict) and "lr" in g for g in groups):
        raise ValueError(f"groups={groups!r:.60}: give param_groups(model, ...) (a non-empty "
                         "list of dicts with an 'lr') or an optimizer. HINT: is every parameter "
                         "frozen? unfreeze(model, 'head') first.")
    check_callable("factory", factory, "one_cycle or partial(warmup_cosine, warmup_steps=50)")
    total_steps = check_total_steps(total_steps)
    stand_in = [{"params": [torch.zeros(1, requires_grad=True)], "lr": g["lr"],
                 "name": g.get("name", f"group{i}")} for i, g in enumerate(groups)]
    optimizer = torch.optim.SGD(stand_in, lr=stand_in[0]["lr"], momentum=0.9)
    scheduler = factory(optimizer, total_steps)
    recorder = LRRecorder(optimizer)
    for _ in range(total_steps):
        recorder.record()
        optimizer.step()  # no gradients: changes nothing, keeps the scheduler's order check happy
        scheduler.step()
    return recorder
