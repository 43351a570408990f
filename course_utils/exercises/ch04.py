"""Checker for chapter 04's exercise: parameter groups that give the head 10x the backbone's LR.

The checker reads what an optimizer would receive (a list of group dicts, or the optimizer
itself) and says, in words, what is right or wrong: a parameter missing or listed twice, a frozen
parameter included, a group without ``"lr"``, a generator that is used up, a wrong ratio.

>>> import torch
>>> from course_utils import LabResNet, freeze_to, param_groups
>>> model = LabResNet(num_classes=3)
>>> freeze_to(model, -2, train_bn=False)          # layer4 + head train
>>> check_head_lr_groups(model, param_groups(model, lr=1e-3, backbone_lr=1e-4), backbone_lr=1e-4)
✅ Correct: the head (2 tensors) learns at 1.0e-03 = 10x the backbone's 1.0e-04 (15 tensors).
True
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import torch
from torch import nn

from ..layer_groups import group_parameters
from ..param_groups import optimizer_problems
from .framework import report

__all__ = ["check_head_lr_groups", "lr_group_problems"]


def _is_list_like(params: object) -> bool:
    return isinstance(params, (list, tuple))


def _groups_of(groups: object) -> tuple[list[dict] | None, str | None, float | None]:
    """(list of group dicts, problem text, the optimizer's default lr if any)."""
    if isinstance(groups, torch.optim.Optimizer):
        return list(groups.param_groups), None, groups.defaults.get("lr")
    if isinstance(groups, dict):
        return [groups], None, None
    if not isinstance(groups, (list, tuple)):
        if isinstance(groups, Iterable):
            return None, ("you passed an iterator (for example model.parameters()), not a list of "
                          "group dicts. One list of parameters means ONE learning rate for all of "
                          "them. Build a list like [{'params': [...], 'lr': ...}, ...]."), None
        return None, (f"expected a list of dicts or an optimizer, got {type(groups).__name__}."), None
    if groups and all(isinstance(g, torch.Tensor) for g in groups):
        return None, ("you passed a list of tensors, not a list of group dicts. A plain list gives "
                      "every parameter the same learning rate. Wrap them: "
                      "[{'params': backbone_params, 'lr': ...}, {'params': head_params, 'lr': ...}]."), None
    if not all(isinstance(g, dict) for g in groups):
        bad = next(type(g).__name__ for g in groups if not isinstance(g, dict))
        return None, f"every group must be a dict with 'params' and 'lr'; found a {bad}.", None
    return list(groups), None, None


def _audit_problems(model: nn.Module, lr_of: dict[int, float], params: dict[int, torch.Tensor]) -> list[str]:
    """The optimizer rule (``param_groups.optimizer_problems``) on an optimizer built from the groups."""
    stand_in = torch.optim.SGD([{"params": [params[pid] for pid in lr_of], "lr": 0.0}], lr=0.0)
    return [f"as an optimizer these groups would be wrong: {problem}. Build the groups from this "
            "model after changing its head, from its trainable parameters only "
            "([p for p in ... if p.requires_grad])."
            for problem in optimizer_problems(model, stand_in)]


def lr_group_problems(model: nn.Module, groups: Sequence[dict] | torch.optim.Optimizer,
                      backbone_lr: float, ratio: float = 10.0) -> list[str]:
    """What is wrong with ``groups`` (see :func:`check_head_lr_groups`); ``[]`` when nothing is.

    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
    >>> lr_group_problems(model, [], 1e-3)
    ['the list of groups is empty: the optimizer would have nothing to train.']
    """
    group_list, problem, default_lr = _groups_of(groups)
    if problem:
        return [problem]
    if not group_list:
        return ["the list of groups is empty: the optimizer would have nothing to train."]
    lr_of: dict[int, float] = {}
    params_by_id: dict[int, torch.Tensor] = {}
    names = {id(p): n for n, p in model.named_parameters()}
    for i, group in enumerate(group_list):
        if "params" not in group:
            return [f"group {i} has no 'params' key; each group needs {{'params': [...], 'lr': ...}}."]
        params = group["params"]
        if isinstance(params, torch.Tensor):
            params = [params]
        if not _is_list_like(params):
            return [f"group {i}'s 'params' is a generator (like model.fc.parameters()). An optimizer "
                    "built once from it works (torch.optim turns it into a list), but a generator "
                    "can be read only once: this checker, an audit, a print or a second optimizer "
                    "given the same groups would find it empty. Wrap it in list(...)."]
        if "lr" not in group and default_lr is None:
            return [f"group {i} has no 'lr', so it would take the optimizer's default LR (the same "
                    "for every group without one). Give every group its own 'lr'."]
        lr = float(group.get("lr", default_lr))
        for p in params:
            if id(p) in lr_of:
                return [f"{names.get(id(p), 'a tensor')!r} is in two groups; torch.optim refuses that "
                        "('some parameters appear in more than one parameter group'). Put each "
                        "parameter in exactly one group."]
            lr_of[id(p)], params_by_id[id(p)] = lr, p
    problems = _audit_problems(model, lr_of, params_by_id)
    if problems:
        return problems
    named = group_parameters(model)
    head_name = list(named)[-1]
    head = named[head_name]
    backbone = [(n, p) for g, ps in named.items() if g != head_name for n, p in ps]
    if not any(p.requires_grad for _, p in head):
        return [f"the head ({head_name!r}) is frozen; unfreeze it: it is the part that must learn "
                "the new classes."]
    head_lrs = {lr_of[id(p)] for _, p in head}
    if len(head_lrs) > 1:
        return [f"the head's tensors have different LRs {sorted(head_lrs)}; give the whole head one LR."]
    head_lr = head_lrs.pop()
    for n, p in backbone:
        if p.requires_grad and not math.isclose(lr_of[id(p)], backbone_lr, rel_tol=1e-6):
            if math.isclose(lr_of[id(p)], head_lr, rel_tol=1e-6):
                return [f"{n!r} (backbone) has the head's LR {head_lr:.1e}; the backbone should use "
                        f"backbone_lr={backbone_lr:.1e}. Are backbone and head in one group?"]
            return [f"{n!r} (backbone) has lr {lr_of[id(p)]:.1e}; expected "
                    f"backbone_lr={backbone_lr:.1e}."]
    got = head_lr / backbone_lr
    if math.isclose(head_lr, backbone_lr, rel_tol=1e-6):
        return [f"the head ({head_name!r}, {len(head)} tensors) has lr {head_lr:.1e}, the same as the "
                f"backbone: put the head in its own group with lr {ratio:g} * backbone_lr = "
                f"{ratio * backbone_lr:.1e}."]
    if not math.isclose(got, ratio, rel_tol=1e-6):
        upside = " (upside down: the head is slower than the backbone)" if got < 1 else ""
        return [f"the head's lr {head_lr:.1e} is {got:.3g}x the backbone's {backbone_lr:.1e}"
                f"{upside}; expected {ratio:g}x, i.e. {ratio * backbone_lr:.1e}."]
    return []


def check_head_lr_groups(model: nn.Module, groups: Sequence[dict] | torch.optim.Optimizer,
                         backbone_lr: float, ratio: float = 10.0) -> bool:
    """Check parameter groups in which the head learns ``ratio`` times faster than the backbone.

    What must hold: every trainable parameter of ``model`` is in exactly one group; no frozen
    parameter and no foreign tensor is included (the rule of ``audit_optimizer``); every
    trainable backbone parameter has ``lr == backbone_lr``; every head parameter (the last layer
    group, ``layer_groups(model)``) has ``lr == ratio * backbone_lr``.

    Args:
        model: the model, with the parts you want to train unfrozen.
        groups: what you would give ``torch.optim.AdamW(...)``: a list of group dicts
            (``{"params": [...], "lr": ...}``), or the optimizer you built.
        backbone_lr: the learning rate the backbone should get.
        ratio: how many times larger the head's learning rate should be.

    Returns:
        True when everything holds. Prints what is right or, if not, the first problem found
        and how to fix it.

    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
    >>> check_head_lr_groups(model, [{"params": list(model.parameters()), "lr": 1e-3}], 1e-3)  # doctest: +ELLIPSIS
    ❌ Not yet:
      - the head ('1', 2 tensors) has lr 1.0e-03, the same as the backbone: ...
    False
    """
    problems = lr_group_problems(model, groups, backbone_lr, ratio)
    if problems:
        return report(problems, "")
    named = group_parameters(model)
    head = named[list(named)[-1]]
    trainable_backbone = sum(p.requires_grad for g, ps in list(named.items())[:-1] for _, p in ps)
    return report([], f"Correct: the head ({len(head)} tensors) learns at {ratio * backbone_lr:.1e} "
                      f"= {ratio:g}x the backbone's {backbone_lr:.1e} ({trainable_backbone} tensors).")


# ----- the exercise as check() runs it: your function on a lab network with layer3+ trainable -----

def reference_head_10x_groups(model: nn.Module, backbone_lr: float) -> list[dict]:
    """Parameter groups: trainable backbone tensors at ``backbone_lr``, the head at 10x that."""
    head = {id(p) for p in model.fc.parameters()}
    trainable = [p for p in model.parameters() if p.requires_grad]
    return [{"params": [p for p in trainable if id(p) not in head], "lr": backbone_lr},
            {"params": [p for p in trainable if id(p) in head], "lr": 10 * backbone_lr}]
    # the library's one line for the same groups:
    # param_groups(model, lr=10 * backbone_lr, backbone_lr=backbone_lr)


def _check_groups(head_10x_groups, model: nn.Module | None = None,
                  backbone_lr: float = 1e-4) -> bool:
    import copy

    from ..lab_net import LabResNet
    from ..surgery import freeze_to

    if model is None:
        model = LabResNet(num_classes=3)
        freeze_to(model, -3, train_bn=False)      # layer3 + layer4 + head train
    model = copy.deepcopy(model)
    return check_head_lr_groups(model, head_10x_groups(model, backbone_lr), backbone_lr)


def _register() -> None:
    from .framework import Exercise, register

    register(Exercise(
        "04.lr_groups", "head_10x_groups(model, backbone_lr): parameter groups, the head at 10x",
        _check_groups, reference_head_10x_groups,
        ["An optimizer takes a list of dicts, one per group: {'params': [...], 'lr': ...}.",
         "Two groups: the trainable tensors outside model.fc at backbone_lr, and model.fc's "
         "tensors at 10 * backbone_lr. Skip the frozen ones (p.requires_grad is False).",
         "Use lists, not generators (a generator is empty after its first reader), or the library: "
         "param_groups(model, lr=10 * backbone_lr, backbone_lr=backbone_lr)."]))


_register()


# ----- a judgement exercise: choose the head and backbone LRs; the checker RUNS the choice -----

# Bars for full fine-tuning with warm-up + cosine (chapter 04, section 4 protocol, last epoch).
# The reference (3e-3 head, 3e-4 backbone) measured on CPU, seeds 0-3: target validation accuracy
# 0.72-0.75, source retention 0.79-0.87 (margins >= 0.07 and >= 0.14); 1e-2 for every layer kept
# 0.19-0.27 of the source.
LRS_TARGET_BAR = 0.65      # target validation accuracy after the last epoch, at least
LRS_RETENTION_BAR = 0.65   # source accuracy with the source head put back, at least


def reference_lrs() -> tuple[float, float]:
    """``(head_lr, backbone_lr)``: the range test's region for the head, the backbone 10x lower."""
    return (3e-3, 3e-4)   # head fast enough to learn in 100 steps; backbone gentle enough to keep its features


def _check_lrs(choice: object, run=None, seed: int = 2) -> bool:
    if (not isinstance(choice, tuple) or len(choice) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in choice)):
        return report(["give a pair of numbers (head_lr, backbone_lr), for example (1e-3, 1e-4); "
                       f"got {choice!r}."], "")
    head_lr, backbone_lr = (float(v) for v in choice)
    if not (0 < head_lr <= 1 and 0 < backbone_lr <= 1):
        return report([f"both learning rates must be in (0, 1]; got head_lr={head_lr:g}, "
                       f"backbone_lr={backbone_lr:g}."], "")
    if run is None:
        raise ValueError("The notebook passes run=..., the function that trains with two LRs.")
    print(f"Training with head LR {head_lr:.1e} and backbone LR {backbone_lr:.1e} (warm-up + "
          f"cosine) on seed {seed}, a draw of the training images you have not seen ...")
    result = run(head_lr, backbone_lr, seed)
    target, retention = result["target"], result["retention"]
    problems = []
    if target < LRS_TARGET_BAR:
        why = ("the backbone's LR is above the head's: the new, random head should get the larger "
               "one" if backbone_lr > head_lr else "too small a step for 100 steps of training: "
               "raise the head's LR toward the steep part of the range test")
        problems.append(f"target validation accuracy {target:.3f} < {LRS_TARGET_BAR}: {why}.")
    if retention < LRS_RETENTION_BAR:
        problems.append(f"source retention {retention:.3f} < {LRS_RETENTION_BAR}: the backbone moved "
                        f"far from its pretrained weights (backbone LR {backbone_lr:.1e}). Lower the "
                        "backbone's LR, about 10x below the head's.")
    return report(problems, f"Bar met on a new seed: target validation accuracy {target:.3f} (>= "
                            f"{LRS_TARGET_BAR}) and source retention {retention:.3f} (>= "
                            f"{LRS_RETENTION_BAR}).")


def _register_lrs() -> None:
    from .framework import Exercise, register

    register(Exercise(
        "04.choose_lrs", "MY_LRS = (head_lr, backbone_lr): reach the target, keep the source",
        _check_lrs, reference_lrs,
        ["Start from the range test on the grouped optimizer (section 5): its suggestion is for "
         "the head, the group with the largest LR.",
         "The head is new and random: it needs the larger LR. The backbone already knows useful "
         "features: about 10x smaller keeps them.",
         "Section 4's table: every layer at 1e-2 forgot the source task; 3e-3 for the head and "
         "3e-4 for the backbone kept most of it."],
        value=True))


_register_lrs()
