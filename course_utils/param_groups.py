"""Optimizer parameter groups as plain dicts, and an audit of what the optimizer really holds.

``param_groups`` returns a list of dicts that any ``torch.optim`` optimizer accepts (timm and
nanoGPT do the same). It gives each layer group of ``layer_groups(model)`` its own learning rate
and skips weight decay on 1-D tensors (biases and norm weights).

>>> import torch, torchvision
>>> from course_utils.surgery import freeze_to
>>> model = torchvision.models.resnet18(weights=None, num_classes=3)
>>> freeze_to(model, -2, train_bn=False)
>>> groups = param_groups(model, lr=1e-3, backbone_lr=1e-4)
>>> [(g["name"], g["lr"]) for g in groups]
[('layer4', 0.0001), ('head', 0.001)]
>>> optimizer = torch.optim.AdamW(groups)
>>> audit_optimizer(model, optimizer)
optimizer OK: 2 groups hold all 17 trainable tensors (8,395,267 parameters)
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from .layer_groups import GroupRules, group_parameters
from .surgery import text_table


def group_lrs(names: Sequence[str], lr: float, backbone_lr: float | None = None,
              lrs: slice | Sequence[float] | None = None,
              layer_decay: float | None = None) -> list[float]:
    """One learning rate per layer group (input to output); ``param_groups`` explains the options.

    >>> group_lrs(["stem", "layer1", "head"], lr=1e-3, lrs=slice(1e-5, 1e-3))
    [1e-05, 0.0001, 0.001]
    >>> group_lrs(["stem", "layer1", "head"], lr=1e-3, layer_decay=0.5)
    [0.00025, 0.0005, 0.001]
    """
    n = len(names)
    if sum(opt is not None for opt in (backbone_lr, lrs, layer_decay)) > 1:
        raise ValueError("Give at most one of backbone_lr, lrs and layer_decay.")
    given = {"lr": lr, "backbone_lr": backbone_lr}
    if isinstance(lrs, slice):
        given |= {"lrs.start": lrs.start, "lrs.stop": lrs.stop}
    elif lrs is not None:
        given |= {f"lrs[{i}]": x for i, x in enumerate(lrs)}
    for name, value in given.items():
        if value is not None and not (isinstance(value, (int, float)) and value >= 0):
            raise ValueError(f"{name}={value!r}: a learning rate must be a number >= 0.")
    if isinstance(lrs, slice) and (lrs.stop is None or lrs.start == 0):
        raise ValueError(f"lrs={lrs!r}: use slice(lowest, highest) with both above 0, e.g. "
                         "slice(1e-5, 1e-3), or slice(highest).")
    if layer_decay is not None and not (isinstance(layer_decay, (int, float))
                                        and 0 < layer_decay <= 1):
        raise ValueError(f"layer_decay={layer_decay!r}: use a factor in (0, 1], e.g. 0.75 (each "
                         "group gets this fraction of the next group's LR).")
    if backbone_lr is not None:
        return [backbone_lr] * (n - 1) + [lr]
    if layer_decay is not None:
        return [lr * layer_decay ** (n - 1 - i) for i in range(n)]
    if isinstance(lrs, slice):
        hi = lrs.stop
        if lrs.start is None:  # fastai: slice(hi) -> hi/10 for the body, hi for the head
            return [hi / 10] * (n - 1) + [hi]
        lo = lrs.start
        return [hi] if n == 1 else [lo * (hi / lo) ** (i / (n - 1)) for i in range(n)]
    if lrs is not None:
        if len(lrs) != n:
            raise ValueError(f"lrs has {len(lrs)} values but the model has {n} layer groups "
                             f"{list(names)}; give one per group or a slice(lo, hi).")
        return [float(x) for x in lrs]
    return [lr] * n


def param_groups(model: nn.Module, lr: float = 1e-3, *, backbone_lr: float | None = None,
                 lrs: slice | Sequence[float] | None = None, layer_decay: float | None = None,
                 weight_decay: float = 0.0, verbose: bool = False,
                 rules: GroupRules | None = None) -> list[dict]:
    """Parameter groups for ``torch.optim``: trainable parameters only, one LR per layer group.

    Args:
        model: the model; its groups come from ``layer_groups(model)``.
        lr: the head's learning rate (and everyone's, when no other option is given).
        backbone_lr: every group but the last (the head) gets this LR.
        lrs: ``slice(lo, hi)`` spreads LRs geometrically from the first group (lo) to the
            last (hi), as in fastai; ``slice(hi)`` gives hi/10 to all but the head; or a list
            with one LR per group.
        layer_decay: timm's layer-wise decay: group i of n gets ``lr * layer_decay**(n-1-i)``.
        weight_decay: for weights with 2 or more dimensions; 1-D tensors (biases, norm
            weights) get 0 in a separate group named ``"<group>.no_decay"``.
        verbose: print each group's name, LR, weight decay and parameter count.
        rules: custom ``[(group_name, regex), ...]`` for ``layer_groups``.

    Returns:
        A list of dicts with keys ``params``, ``lr``, ``weight_decay``, ``name`` and
        ``layer_group``. LRs are spread over all layer groups, frozen ones included, so a group
        keeps its LR when it is unfrozen later; groups with no trainable parameter are left out.

    >>> import torchvision
    >>> model = torchvision.models.resnet18(weights=None)
    >>> [g["name"] for g in param_groups(model, weight_decay=0.05)][:3]
    ['stem', 'stem.no_decay', 'layer1']
    """
    named = group_parameters(model, rules)
    out: list[dict] = []
    for (name, params), group_lr in zip(named.items(), group_lrs(list(named), lr, backbone_lr,
                                                                 lrs, layer_decay)):
        trainable = [p for _, p in params if p.requires_grad]
        if weight_decay:
            parts = [(name, weight_decay, [p for p in trainable if p.ndim > 1]),
                     (f"{name}.no_decay", 0.0, [p for p in trainable if p.ndim <= 1])]
        else:
            parts = [(name, 0.0, trainable)]
        out += [{"params": ps, "lr": group_lr, "weight_decay": wd, "name": part,
                 "layer_group": name} for part, wd, ps in parts if ps]
    if not out:
        warnings.warn("No parameter is trainable, so the parameter groups are empty. "
                      "HINT: unfreeze(model, 'head') before building the optimizer.", stacklevel=2)
    if verbose:
        print(text_table([{"group": g["name"], "lr": f"{g['lr']:.2e}",
                       "weight_decay": g["weight_decay"], "tensors": len(g["params"]),
                       "params": f"{sum(p.numel() for p in g['params']):,}"} for g in out]))
    return out


@dataclass
class OptimizerAudit:
    """What ``audit_optimizer`` found; prints as one line."""

    groups: int
    trainable_tensors: int
    trainable_params: int
    frozen_in_optimizer: list[str]
    foreign_tensors: int

    def __repr__(self) -> str:
        text = (f"optimizer OK: {self.groups} groups hold all {self.trainable_tensors} trainable "
                f"tensors ({self.trainable_params:,} parameters)")
        if self.frozen_in_optimizer:
            text += f"; also {len(self.frozen_in_optimizer)} frozen tensors"
        if self.foreign_tensors:
            text += f"; also {self.foreign_tensors} tensors not in the model"
        return text


def _compare(model: nn.Module, optimizer: torch.optim.Optimizer
             ) -> tuple[list[tuple[str, nn.Parameter]], list[str], list[str], int]:
    """The one comparison of an optimizer with a model: (trainable (name, parameter) pairs,
    names of trainable parameters missing from the optimizer, names of frozen parameters in it,
    how many of its tensors are not in the model)."""
    in_opt = {id(p) for g in optimizer.param_groups for p in g["params"]}
    named = list(model.named_parameters())
    trainable = [(n, p) for n, p in named if p.requires_grad]
    missing = [n for n, p in trainable if id(p) not in in_opt]
    frozen = [n for n, p in named if not p.requires_grad and id(p) in in_opt]
    foreign = len(in_opt - {id(p) for _, p in named})
    return trainable, missing, frozen, foreign


def optimizer_problems(model: nn.Module, optimizer: torch.optim.Optimizer) -> list[str]:
    """What stops ``optimizer`` from training exactly ``model``'s trainable parameters, as
    sentences (an empty list: nothing). ``audit_optimizer`` and the exercise checkers use it.

    >>> model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    >>> _ = model[0].requires_grad_(False)
    >>> optimizer_problems(model, torch.optim.SGD(model[0].parameters(), lr=0.1))
    ['trainable tensors missing from the optimizer (never updated): 1.weight, 1.bias', 'frozen tensors in the optimizer (they do not move): 0.weight, 0.bias']
    """
    trainable, missing, frozen, foreign = _compare(model, optimizer)
    problems = [] if trainable else ["every parameter of the model is frozen"]
    if missing:
        problems.append("trainable tensors missing from the optimizer (never updated): "
                        + ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else ""))
    if frozen:
        problems.append("frozen tensors in the optimizer (they do not move): "
                        + ", ".join(frozen[:5]) + (" ..." if len(frozen) > 5 else ""))
    if foreign:
        problems.append(f"{foreign} tensors in the optimizer that are not in the model (an old "
                        "head after replace_head?)")
    return problems


def audit_optimizer(model: nn.Module, optimizer: torch.optim.Optimizer) -> OptimizerAudit:
    """Check that the optimizer holds exactly the model's trainable parameters.

    Raises:
        ValueError: when every parameter is frozen, or a trainable parameter is missing from
            the optimizer (it would never be updated: the classic bug of building the optimizer
            before ``replace_head`` or ``unfreeze``).

    Warns (HINT) when the optimizer holds frozen parameters or tensors that are not in the model.
    """
    trainable, missing, frozen, foreign = _compare(model, optimizer)
    if not trainable:
        raise ValueError("Every parameter of the model is frozen, so there is nothing to train. "
                         "HINT: unfreeze(model, 'head') or freeze_to(model, -1).")
    if missing:
        more = f" (and {len(missing) - 5} more)" if len(missing) > 5 else ""
        raise ValueError(f"{len(missing)} trainable tensors are not in the optimizer, so they "
                         f"would never be updated: {missing[:5]}{more}. {foreign} of the "
                         "optimizer's tensors are not in the model. HINT: build the optimizer "
                         "after replace_head/freeze/unfreeze: "
                         "torch.optim.AdamW(param_groups(model, lr)).")
    if frozen:
        warnings.warn(f"The optimizer holds {len(frozen)} frozen tensors (e.g. {frozen[0]!r}); "
                      "they get no gradient and do not move. HINT: rebuild the optimizer with "
                      "param_groups(model, ...), which keeps only trainable parameters.",
                      stacklevel=2)
    if foreign:
        warnings.warn(f"The optimizer holds {foreign} tensors that are not in the model (an old "
                      "head after replace_head?). HINT: rebuild the optimizer.", stacklevel=2)
    return OptimizerAudit(len(optimizer.param_groups), len(trainable),
                          sum(p.numel() for _, p in trainable), frozen, foreign)
