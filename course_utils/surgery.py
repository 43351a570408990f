"""Model surgery: freezing layer groups and putting a new head on a pretrained model.

``freeze``, ``unfreeze`` and ``freeze_to`` work on the names of ``layer_groups`` (see
``layer_groups.py``); the BatchNorm layers inside frozen groups get a policy (``batchnorm.py``).

>>> import torchvision
>>> model = torchvision.models.resnet18(weights=None, num_classes=3)
>>> freeze_to(model, -1, train_bn=False)          # only the head trains
>>> [n for n, p in model.named_parameters() if p.requires_grad]
['fc.weight', 'fc.bias']
"""
from __future__ import annotations

import warnings

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from .checks import check_bool, check_instance, check_int
from .batchnorm import bn_policies, bn_policy, forget_bn_policy, set_bn_policy
from .layer_groups import Groups, classify, group_parameters, group_rules, layer_groups, select


def _warn_if_all_frozen(model: nn.Module) -> None:
    if not any(p.requires_grad for p in model.parameters()):
        warnings.warn("Every parameter is frozen, so training cannot change the model. "
                      "HINT: unfreeze(model, 'head') or freeze_to(model, -1).", stacklevel=3)


def freeze(model: nn.Module, groups: Groups = None, train_bn: bool = True) -> None:
    """Stop gradients for the chosen layer groups (all of them when ``groups`` is None).

    Args:
        model: the model to change in place.
        groups: group names from ``layer_groups(model)`` (``"layer4"``), modules
            (``model.layer4``), a list of either, or None for the whole model.
        train_bn: as in fastai and Lightning, True keeps the BatchNorm layers inside the frozen
            groups fully trainable (policy ``"train"``: affine parameters learn and running
            statistics follow the new data). False gives them the ``"frozen"`` policy: affine
            parameters frozen and running statistics kept, which protects the source task.

    >>> import torchvision
    >>> model = torchvision.models.resnet18(weights=None)
    >>> freeze(model, ["stem", "layer1"], train_bn=False)
    >>> [model.get_parameter(n).requires_grad for n in ["conv1.weight", "bn1.weight", "fc.weight"]]
    [False, False, True]
    """
    train_bn = check_bool("train_bn", train_bn)
    if isinstance(groups, (list, tuple)) and not groups:
        raise ValueError("groups=[]: nothing to freeze. HINT: give names from "
                         "layer_groups(model), or leave groups out to freeze the whole model.")
    params, bns = select(model, groups)
    for p in params:
        p.requires_grad_(False)
    set_bn_policy(model, "train" if train_bn else "frozen", groups=bns)
    _warn_if_all_frozen(model)


def unfreeze(model: nn.Module, groups: Groups = None) -> None:
    """Make the chosen groups trainable again, BatchNorm included (policy ``"train"``)."""
    params, bns = select(model, groups)
    for p in params:
        p.requires_grad_(True)
    set_bn_policy(model, "train", groups=bns)


def freeze_to(model: nn.Module, n: int, train_bn: bool = True) -> None:
    """Freeze the groups before index ``n`` and unfreeze the rest (fastai's meaning).

    ``freeze_to(model, -1)`` unfreezes only the last group (the head); ``freeze_to(model, -2)``
    the head and the last stage; ``freeze_to(model, 0)`` everything. With the default
    ``train_bn=True`` the BatchNorm layers inside the frozen groups still train (fastai's
    choice); "head only" in the strict sense is ``freeze_to(model, -1, train_bn=False)``.

    >>> import torchvision
    >>> model = torchvision.models.resnet18(weights=None)
    >>> freeze_to(model, -2, train_bn=False)
    >>> [g for g, ps in group_parameters(model).items() if ps[0][1].requires_grad]
    ['layer4', 'head']
    """
    train_bn = check_bool("train_bn", train_bn)
    names = list(layer_groups(model))
    if isinstance(n, str):
        raise TypeError(f"n={n!r}: freeze_to takes a group's index (freeze_to(model, -2) trains "
                        "the last two groups). HINT: to freeze groups by name use freeze(model, "
                        f"[...]); this model's groups are {names}.")
    n = check_int("n", n, example=-1)
    if not -len(names) <= n <= len(names):
        raise ValueError(f"n={n}: this model has {len(names)} layer groups {names}, so n goes "
                         f"from {-len(names)} to {len(names)}. HINT: freeze_to(model, -1) trains "
                         "the head only, freeze_to(model, 0) everything.")
    unfreeze(model, names[n:])
    if names[:n]:
        freeze(model, names[:n], train_bn=train_bn)
    else:
        _warn_if_all_frozen(model)


def freeze_state(model: nn.Module) -> dict[str, dict[str, object]]:
    """What is frozen: ``requires_grad`` per parameter and the BatchNorm policies (to save)."""
    return {"requires_grad": {n: p.requires_grad for n, p in model.named_parameters()},
            "bn_policy": bn_policies(model)}


def load_freeze_state(model: nn.Module, state: dict[str, dict[str, object]]) -> None:
    """Restore what ``freeze_state`` saved (for example when resuming from a checkpoint)."""
    check_instance("model", model, nn.Module, "pass the model itself.")
    if not (isinstance(state, dict) and {"requires_grad", "bn_policy"} <= state.keys()):
        raise ValueError(f"state={state!r:.60}: not what freeze_state(model) returns. HINT: pass "
                         "freeze_state(model) or a checkpoint's 'freeze' entry.")
    unknown = sorted(set(state["requires_grad"]) - {n for n, _ in model.named_parameters()})
    if unknown:
        raise ValueError(f"state names parameters this model lacks ({unknown[:3]}). HINT: "
                         "use the freeze_state of the same architecture.")
    modules = dict(model.named_modules())
    for name, module in modules.items():  # exactly what was saved: no policy stays from now
        if name not in state["bn_policy"]:
            forget_bn_policy(module, model.training)
    for name, policy in state["bn_policy"].items():
        set_bn_policy(model, str(policy), groups=modules[name])
    for name, p in model.named_parameters():
        p.requires_grad_(bool(state["requires_grad"][name]))


HEAD_PATHS = ("fc", "heads.head", "classifier", "head")  # where models keep their classifier


def head_path(model: nn.Module) -> str:
    """The name of the model's final Linear classifier (timm calls it ``get_classifier``).

    >>> import torchvision
    >>> head_path(torchvision.models.resnet18(weights=None)), head_path(torchvision.models.vgg11())
    ('fc', 'classifier.6')
    """
    for path in HEAD_PATHS:
        try:
            module = model.get_submodule(path)
        except AttributeError:
            continue
        if isinstance(module, nn.Sequential) and len(module) and isinstance(module[-1], nn.Linear):
            return f"{path}.{len(module) - 1}"
        if isinstance(module, nn.Linear):
            return path
    raise ValueError(f"Cannot find {type(model).__name__}'s classifier (looked for a Linear at "
                     f"{', '.join(HEAD_PATHS)}). HINT: Replace it yourself, e.g. "
                     "model.my_head = nn.Linear(in_features, num_classes).")


def get_head(model: nn.Module) -> nn.Module:
    """The model's classifier module (timm's ``get_classifier`` for timm models)."""
    if hasattr(model, "get_classifier"):
        return model.get_classifier()
    return model.get_submodule(head_path(model))


def replace_head(model: nn.Module, num_classes: int) -> nn.Module:
    """Put a new, freshly initialised classifier for ``num_classes`` on the model (in place).

    Works like timm's ``reset_classifier``: timm models (``classifier``), torchvision ResNet and
    the course's LabResNet (``fc``), torchvision ViT (``heads.head``), Hugging Face sequence
    classifiers (``classifier``; ``num_labels`` and the config follow), and models whose
    ``classifier`` is a Linear or a Sequential ending in one (see :func:`head_path`).

    Returns:
        The new head module (trainable, on the old head's device and dtype).

    >>> import torchvision
    >>> model = torchvision.models.resnet18(weights=None)
    >>> replace_head(model, 5)
    Linear(in_features=512, out_features=5, bias=True)
    """
    check_instance("model", model, nn.Module, "replace_head(model, num_classes) with the model "
                   "itself, e.g. model = pretrained('resnet18.imagenet').")
    num_classes = check_int("num_classes", num_classes, min=1, example=3)
    if hasattr(model, "reset_classifier") and hasattr(model, "get_classifier"):  # timm
        old = next(model.get_classifier().parameters(), None)
        model.reset_classifier(num_classes)
        head = model.get_classifier()
        return head.to(old.device, old.dtype) if old is not None else head
    path = head_path(model)
    old = model.get_submodule(path)
    head = nn.Linear(old.in_features, num_classes, bias=old.bias is not None)
    head = head.to(old.weight.device, old.weight.dtype)
    model.set_submodule(path, head)
    if isinstance(getattr(model, "num_classes", None), int):
        model.num_classes = num_classes
    if isinstance(getattr(model, "num_labels", None), int):  # Hugging Face
        model.num_labels = model.config.num_labels = num_classes
    return head


def text_table(rows: list[dict[str, object]]) -> str:
    """A plain-text table: one line per row, columns padded to width."""
    cols = list(rows[0])
    cells = [cols] + [[str(r[c]) for c in cols] for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(cols))]
    return "\n".join("  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in
                               enumerate(zip(line, widths))) for line in cells)


class TrainableSummary:
    """Rows of ``trainable_summary``; prints as text and displays as an HTML table in Jupyter."""

    def __init__(self, rows: list[dict[str, object]]) -> None:
        self.rows = rows

    def __repr__(self) -> str:
        return text_table(self.rows)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{c}</th>" for c in self.rows[0])
        body = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in r.values()) + "</tr>"
                       for r in self.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def trainable_summary(model: nn.Module, optimizer: object | None = None) -> TrainableSummary:
    """One row per layer group: parameters, trainable parameters, BatchNorm policy, and the
    learning rate(s) the optimizer gives the group (when an optimizer is passed). Last row: total.

    >>> import torchvision
    >>> model = torchvision.models.resnet18(weights=None, num_classes=3)
    >>> freeze_to(model, -1, train_bn=False)
    >>> trainable_summary(model).rows[-2]
    {'group': 'head', 'params': '1,539', 'trainable': '1,539', 'bn': '-'}
    """
    lr_of = {}
    if optimizer is not None:
        check_instance("optimizer", optimizer, torch.optim.Optimizer,
                       "pass the optimizer you train with, or nothing.")
        lr_of = {id(p): g["lr"] for g in optimizer.param_groups for p in g["params"]}
    rules = group_rules(model)
    rows: list[dict[str, object]] = []
    for group, named in group_parameters(model, rules).items():
        total = sum(p.numel() for _, p in named)
        trainable = sum(p.numel() for _, p in named if p.requires_grad)
        policies = {bn_policy(m) for n, m in model.named_modules()
                    if isinstance(m, _BatchNorm) and classify(n, rules) == group}
        row = {"group": group, "params": f"{total:,}", "trainable": f"{trainable:,}",
               "bn": "/".join(sorted(policies)) or "-"}
        if optimizer is not None:
            lrs = sorted({lr_of[id(p)] for _, p in named if id(p) in lr_of})
            row["lr"] = ", ".join(f"{lr:.1e}" for lr in lrs) or "-"
        rows.append(row)
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    rows.append({"group": "total", "params": f"{total:,}", "trainable": f"{trainable:,}", "bn": ""}
                | ({"lr": ""} if optimizer is not None else {}))
    return TrainableSummary(rows)
