"""Unfreezing during training: add a parameter group to a running optimizer (and its
scheduler), and ``GradualUnfreeze``, the callback that does it on a schedule.

An optimizer only updates the tensors it was given. A layer unfrozen in epoch 3 must therefore
JOIN the optimizer as a new parameter group, with its own LR; and a scheduler built before it
must learn about the new group, or that group would keep a constant LR.

>>> import torch
>>> a, b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
>>> optimizer = torch.optim.AdamW(a.parameters(), lr=1e-3)
>>> add_param_group(optimizer, {"params": list(b.parameters()), "lr": 1e-4})
True
>>> len(optimizer.param_groups)
2
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import torch

from .callbacks import Callback
from .checks import check_int, check_number
from .layer_groups import group_parameters
from .param_groups import param_groups
from .surgery import unfreeze

if TYPE_CHECKING:
    from .fit_state import FitState


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


def add_param_group(optimizer: torch.optim.Optimizer, group: dict, scheduler: Any = None) -> bool:
    """Add a parameter group (its parameters not already in the optimizer) and schedule it too.

    With a scheduler, the new group follows the same schedule shape as the others with its
    ``lr`` as its peak/base LR (warmup_cosine, constant and one_cycle are handled).

    Returns:
        False when every parameter was already in the optimizer (nothing added).
    """
    if not isinstance(group, dict) or "params" not in group:
        raise TypeError(f"group={group!r:.60}: give a dict with 'params' (a list of tensors) and "
                        "'lr', e.g. {'params': list(model.layer4.parameters()), 'lr': 1e-4}.")
    group = {**group, "params": list(group["params"])}  # a generator is read once
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
        if not isinstance(schedule, dict):
            raise TypeError(f"schedule={schedule!r}: give {{epoch: (group_name, lr)}}, e.g. "
                            "{2: ('layer4', 1e-4)}.")
        self.schedule = {}
        for epoch, steps in schedule.items():
            check_int("schedule's epoch", epoch, min=0, example=2)
            steps = [steps] if isinstance(steps, tuple) else steps
            if not isinstance(steps, list) or not all(
                    isinstance(step, tuple) and len(step) == 2 and isinstance(step[0], str)
                    for step in steps):
                raise TypeError(f"schedule[{epoch}]={schedule[epoch]!r}: give (group_name, lr) "
                                "or a list of them, e.g. ('layer4', 1e-4).")
            self.schedule[epoch] = [(name, check_number("lr", lr, low=0.0, low_open=True))
                                    for name, lr in steps]
        self.weight_decay, self.verbose = weight_decay, verbose

    def on_fit_start(self, state: FitState) -> None:
        """Every name and epoch is checked before training, not when its epoch comes."""
        named = group_parameters(state.model)
        for epoch, steps in self.schedule.items():
            unknown = [name for name, _ in steps if name not in named]
            if unknown:
                raise KeyError(f"schedule[{epoch}]: {unknown} are not layer groups of this "
                               f"model. HINT: its groups are {list(named)}.")
            if epoch >= state.epochs:
                warnings.warn(f"schedule[{epoch}]: fit() trains epochs 0..{state.epochs - 1}, so "
                              "this never happens. HINT: more epochs, or an earlier epoch.",
                              stacklevel=2)

    def on_epoch_start(self, state: FitState) -> None:
        for name, lr in self.schedule.get(state.epoch, []):
            unfreeze(state.model, name)
            groups = [g for g in param_groups(state.model, lr=lr, weight_decay=self.weight_decay)
                      if g["layer_group"] == name]
            added = [add_param_group(state.optimizer, g, state.scheduler) for g in groups]
            if self.verbose:
                n = sum(p.numel() for _, p in group_parameters(state.model)[name])
                print(f"epoch {state.epoch}: unfroze {name} ({n:,} params, lr {lr:.1e})"
                      + ("" if any(added) else " - already in the optimizer"))
