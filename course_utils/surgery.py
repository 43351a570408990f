"""Model surgery: a new head, named layer groups, freezing, and a BatchNorm policy that sticks.

``layer_groups`` names a backbone's parts from input to output (``stem``, the stages, ``head``)
with regular expressions over parameter names, in the style of timm's ``group_matcher``, never with
substrings like ``'fc' in name``. ``freeze``, ``unfreeze`` and ``freeze_to`` work on those names.

>>> import torchvision
>>> model = torchvision.models.resnet18(weights=None, num_classes=3)
>>> list(layer_groups(model))
['stem', 'layer1', 'layer2', 'layer3', 'layer4', 'head']
>>> freeze_to(model, -1, train_bn=False)          # only the head trains
>>> [n for n, p in model.named_parameters() if p.requires_grad]
['fc.weight', 'fc.bias']
"""
from __future__ import annotations

import re
import warnings
from collections.abc import Iterable

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

# (group name, regex over parameter/module names); "{}" in a name takes the regex's capture.
GroupRules = list[tuple[str, str]]

GROUP_RULES: dict[str, GroupRules] = {
    # torchvision ResNet and the course's LabResNet (same module names)
    "resnet": [("stem", r"^(?:conv1|bn1)\b"), ("layer{}", r"^layer(\d+)\b"), ("head", r"^fc\b")],
    # timm EfficientNet (tf_efficientnet_lite0): conv_stem, blocks.0..6, conv_head, classifier
    "efficientnet": [("stem", r"^(?:conv_stem|bn1)\b"), ("blocks.{}", r"^blocks\.(\d+)\b"),
                     ("head", r"^(?:conv_head|bn2|classifier)\b")],
    # torchvision VisionTransformer: patch embedding + tokens, encoder layers, final norm + heads
    "vit": [("stem", r"^(?:class_token|conv_proj|encoder\.pos_embedding)\b"),
            ("encoder_layer_{}", r"^encoder\.layers\.encoder_layer_(\d+)\b"),
            ("head", r"^(?:encoder\.ln|heads)\b")],
    # Hugging Face BertForSequenceClassification (BERT, MiniLM): embeddings, encoder layers,
    # then the pooler and the new classifier together as the head
    "bert": [("embeddings", r"^bert\.embeddings\b"),
             ("layer.{}", r"^bert\.encoder\.layer\.(\d+)\b"),
             ("head", r"^(?:bert\.pooler|classifier)\b")],
    # anything else: one group per top-level child, in the model's own order
    "fallback": [("{}", r"^([^.]+)")],
}
_SIGNATURES = {"resnet": {"conv1", "bn1", "layer1", "layer4", "fc"},
               "efficientnet": {"conv_stem", "bn1", "blocks", "conv_head", "classifier"},
               "vit": {"conv_proj", "encoder", "heads"}, "bert": {"bert", "classifier"}}
BN_POLICIES = ("train", "frozen", "eval")
_POLICY_ATTR = "course_bn_policy"  # where set_bn_policy records a BatchNorm layer's policy

Groups = str | nn.Module | Iterable[str | nn.Module] | None


def group_rules(model: nn.Module) -> GroupRules:
    """The regex rules ``layer_groups`` uses for this model (see ``GROUP_RULES``).

    >>> import torchvision
    >>> group_rules(torchvision.models.resnet18(weights=None))[0]
    ('stem', '^(?:conv1|bn1)\\\\b')
    """
    top = {name for name, _ in model.named_children()}
    for arch, needed in _SIGNATURES.items():
        if needed <= top:
            return GROUP_RULES[arch]
    return GROUP_RULES["fallback"]


def _classify(name: str, rules: GroupRules) -> str | None:
    for template, pattern in rules:
        match = re.match(pattern, name)
        if match:
            return template.format(*match.groups())
    return None


def group_parameters(model: nn.Module, rules: GroupRules | None = None,
                     ) -> dict[str, list[tuple[str, nn.Parameter]]]:
    """Every named parameter, sorted into layer groups ordered from input to output.

    >>> import torchvision
    >>> groups = group_parameters(torchvision.models.resnet18(weights=None))
    >>> [name for name, _ in groups["head"]]
    ['fc.weight', 'fc.bias']
    """
    rules = rules or group_rules(model)
    groups: dict[str, list[tuple[str, nn.Parameter]]] = {}
    for name, param in model.named_parameters():
        group = _classify(name, rules)
        if group is None:
            raise ValueError(f"Parameter {name!r} matches none of the group rules {rules}. "
                             "Pass rules=[(group_name, regex), ...] that cover every parameter.")
        groups.setdefault(group, []).append((name, param))
    return groups


def layer_groups(model: nn.Module, rules: GroupRules | None = None) -> dict[str, list[str]]:
    """Named layer groups, input to output: group name -> the shortest module/parameter names in it.

    Args:
        model: a torchvision ResNet, the course's LabResNet, timm's EfficientNet, a torchvision
            ViT, a Hugging Face ``BertForSequenceClassification`` (``embeddings``, ``layer.0``
            ... ``layer.N``, ``head``), or any model (then each top-level child is a group).
        rules: your own ``[(group_name, regex), ...]``; by default ``group_rules(model)``.

    Returns:
        An ordered dict, for example ``{"stem": ["conv1", "bn1"], "layer1": ["layer1"], ...}``.

    >>> import torchvision
    >>> layer_groups(torchvision.models.resnet18(weights=None))["stem"]
    ['conv1', 'bn1']
    """
    groups = group_parameters(model, rules)
    group_of = {name: g for g, named in groups.items() for name, _ in named}
    spans: dict[str, set[str]] = {}  # module name -> the groups its parameters fall into
    for name, g in group_of.items():
        parts = name.split(".")
        for i in range(1, len(parts)):
            spans.setdefault(".".join(parts[:i]), set()).add(g)
    out: dict[str, list[str]] = {g: [] for g in groups}
    for name, g in group_of.items():
        parts = name.split(".")
        prefixes = (".".join(parts[:i]) for i in range(1, len(parts)))
        short = next((p for p in prefixes if spans[p] == {g}), name)
        if short not in out[g]:
            out[g].append(short)
    return out


def _targets(model: nn.Module, groups: Groups) -> tuple[list[nn.Parameter], list[_BatchNorm]]:
    """Parameters and BatchNorm layers of the chosen groups (names or modules; None = all)."""
    if groups is None:
        groups = [model]
    elif isinstance(groups, (str, nn.Module)):
        groups = [groups]
    rules = group_rules(model)
    named = group_parameters(model, rules)
    params: list[nn.Parameter] = []
    bns: list[_BatchNorm] = []
    for g in groups:
        if isinstance(g, nn.Module):
            params += list(g.parameters())
            bns += [m for m in g.modules() if isinstance(m, _BatchNorm)]
        elif g in named:
            params += [p for _, p in named[g]]
            bns += [m for n, m in model.named_modules()
                    if isinstance(m, _BatchNorm) and _classify(n, rules) == g]
        else:
            raise KeyError(f"No layer group {g!r}; this model's groups are {list(named)}.")
    return params, bns


def _warn_if_all_frozen(model: nn.Module) -> None:
    if not any(p.requires_grad for p in model.parameters()):
        warnings.warn("Every parameter is frozen, so training cannot change the model. "
                      "HINT: unfreeze(model, 'head') or freeze_to(model, -1).", stacklevel=3)


def set_bn_policy(model: nn.Module, policy: str, groups: Groups = None) -> None:
    """Choose how BatchNorm layers behave in training, and record it on each layer.

    * ``"train"``: affine weight/bias trainable, running statistics updated (PyTorch's default).
    * ``"frozen"``: affine weight/bias frozen (``requires_grad=False``) and the layer kept in
      eval mode, so its running statistics stay exactly as they are.
    * ``"eval"``: the layer kept in eval mode (statistics fixed); affine parameters untouched.

    ``model.train()`` puts every layer back in train mode; ``apply_bn_policy(model)`` (which
    ``fit()`` calls after ``model.train()``) restores the recorded policy.

    >>> import torchvision
    >>> model = torchvision.models.resnet18(weights=None)
    >>> set_bn_policy(model, "frozen", groups="layer1")
    >>> model.train().layer1[0].bn1.training, apply_bn_policy(model), model.layer1[0].bn1.training
    (True, None, False)
    """
    if policy not in BN_POLICIES:
        raise ValueError(f"Unknown BatchNorm policy {policy!r}; choose one of {BN_POLICIES}.")
    for bn in _targets(model, groups)[1]:
        setattr(bn, _POLICY_ATTR, policy)
        if policy != "eval":
            for p in bn.parameters(recurse=False):
                p.requires_grad_(policy == "train")
        bn.train(model.training and policy == "train")


def apply_bn_policy(model: nn.Module) -> None:
    """Put each BatchNorm layer back in the mode its recorded policy asks for (no-op if none).

    Call it right after ``model.train()``: ``model.train(); apply_bn_policy(model)``.
    """
    for m in model.modules():
        policy = getattr(m, _POLICY_ATTR, None)
        if policy is not None:
            m.train(model.training and policy == "train")


def bn_policies(model: nn.Module) -> dict[str, str]:
    """Recorded BatchNorm policy per layer name (layers without one are left out)."""
    return {n: getattr(m, _POLICY_ATTR) for n, m in model.named_modules()
            if hasattr(m, _POLICY_ATTR)}


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
    params, bns = _targets(model, groups)
    for p in params:
        p.requires_grad_(False)
    set_bn_policy(model, "train" if train_bn else "frozen", groups=bns)
    _warn_if_all_frozen(model)


def unfreeze(model: nn.Module, groups: Groups = None) -> None:
    """Make the chosen groups trainable again, BatchNorm included (policy ``"train"``)."""
    params, bns = _targets(model, groups)
    for p in params:
        p.requires_grad_(True)
    set_bn_policy(model, "train", groups=bns)


def freeze_to(model: nn.Module, n: int, train_bn: bool = True) -> None:
    """Freeze the groups before index ``n`` and unfreeze the rest (fastai's meaning).

    ``freeze_to(model, -1)`` trains only the last group (the head); ``freeze_to(model, -2)`` the
    head and the last stage; ``freeze_to(model, 0)`` everything.

    >>> import torchvision
    >>> model = torchvision.models.resnet18(weights=None)
    >>> freeze_to(model, -2, train_bn=False)
    >>> [g for g, ps in group_parameters(model).items() if ps[0][1].requires_grad]
    ['layer4', 'head']
    """
    names = list(layer_groups(model))
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
    modules = dict(model.named_modules())
    for name, policy in state["bn_policy"].items():
        set_bn_policy(model, str(policy), groups=modules[name])
    for name, p in model.named_parameters():
        p.requires_grad_(bool(state["requires_grad"][name]))


def replace_head(model: nn.Module, num_classes: int) -> nn.Module:
    """Put a new, freshly initialised classifier for ``num_classes`` on the model (in place).

    Works like timm's ``reset_classifier``: timm models (``classifier``), torchvision ResNet and
    the course's LabResNet (``fc``), torchvision ViT (``heads.head``), Hugging Face sequence
    classifiers (``classifier``; ``num_labels`` and the config follow), and models whose
    ``classifier`` is a Linear or a Sequential ending in one.

    Returns:
        The new head module (trainable, on the old head's device and dtype).

    >>> import torchvision
    >>> model = torchvision.models.resnet18(weights=None)
    >>> replace_head(model, 5)
    Linear(in_features=512, out_features=5, bias=True)
    """
    if hasattr(model, "reset_classifier") and hasattr(model, "get_classifier"):  # timm
        old = next(model.get_classifier().parameters(), None)
        model.reset_classifier(num_classes)
        head = model.get_classifier()
        return head.to(old.device, old.dtype) if old is not None else head
    for path in ("fc", "heads.head", "classifier", "head"):
        try:
            old = model.get_submodule(path)
        except AttributeError:
            continue
        if isinstance(old, nn.Sequential) and len(old) and isinstance(old[-1], nn.Linear):
            path, old = f"{path}.{len(old) - 1}", old[-1]
        if isinstance(old, nn.Linear):
            head = nn.Linear(old.in_features, num_classes, bias=old.bias is not None)
            head = head.to(old.weight.device, old.weight.dtype)
            model.set_submodule(path, head)
            if isinstance(getattr(model, "num_classes", None), int):
                model.num_classes = num_classes
            if isinstance(getattr(model, "num_labels", None), int):  # Hugging Face
                model.num_labels = model.config.num_labels = num_classes
            return head
    raise ValueError(f"replace_head does not know where {type(model).__name__}'s classifier is "
                     "(looked for fc, heads.head, classifier, head). Replace it yourself, e.g. "
                     "model.my_head = nn.Linear(in_features, num_classes).")


def _table(rows: list[dict[str, object]]) -> str:
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
        return _table(self.rows)

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
        lr_of = {id(p): g["lr"] for g in optimizer.param_groups for p in g["params"]}
    rules = group_rules(model)
    rows: list[dict[str, object]] = []
    for group, named in group_parameters(model, rules).items():
        total = sum(p.numel() for _, p in named)
        trainable = sum(p.numel() for _, p in named if p.requires_grad)
        policies = {getattr(m, _POLICY_ATTR, "train") for n, m in model.named_modules()
                    if isinstance(m, _BatchNorm) and _classify(n, rules) == group}
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
