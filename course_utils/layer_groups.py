"""Layer groups: a backbone's parts named from input to output (``stem``, the stages, ``head``).

The names come from regular expressions over parameter names, in the style of timm's
``group_matcher``, never from substrings like ``'fc' in name``. Freezing (``surgery.py``),
parameter groups (``param_groups.py``) and the BatchNorm policy (``batchnorm.py``) all work on
these names.

>>> import torchvision
>>> model = torchvision.models.resnet18(weights=None, num_classes=3)
>>> list(layer_groups(model))
['stem', 'layer1', 'layer2', 'layer3', 'layer4', 'head']
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from .checks import check_instance

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


def classify(name: str, rules: GroupRules) -> str | None:
    """The layer group of a parameter or module ``name`` under ``rules`` (None: no rule matches).

    >>> classify("layer4.0.conv1.weight", GROUP_RULES["resnet"])
    'layer4'
    """
    for template, pattern in rules:
        match = re.match(pattern, name)
        if match:
            return template.format(*match.groups())
    return None


def check_rules(rules: object) -> GroupRules:
    """``rules`` as ``[(group_name, regex), ...]`` with regexes that compile.

    >>> check_rules([("stem", "(stem")])
    Traceback (most recent call last):
    ValueError: rules: the regex '(stem' of group 'stem' does not compile (missing ), unterminated subpattern at position 0). HINT: test it with re.match(regex, 'stem.0.weight').
    """
    ok = isinstance(rules, (list, tuple)) and all(
        isinstance(r, (list, tuple)) and len(r) == 2 and all(isinstance(t, str) for t in r)
        for r in rules)
    if not ok:
        raise TypeError(f"rules={rules!r:.60}: give a list of (group_name, regex) pairs, e.g. "
                        "[('stem', r'^conv1'), ('head', r'^fc')], or None for the defaults.")
    for name, pattern in rules:
        try:
            re.compile(pattern)
        except re.error as err:
            raise ValueError(f"rules: the regex {pattern!r} of group {name!r} does not compile "
                             f"({err}). HINT: test it with re.match(regex, "
                             f"'{name}.0.weight').") from None
    return list(rules)


def group_parameters(model: nn.Module, rules: GroupRules | None = None,
                     ) -> dict[str, list[tuple[str, nn.Parameter]]]:
    """Every named parameter, sorted into layer groups ordered from input to output.

    >>> import torchvision
    >>> groups = group_parameters(torchvision.models.resnet18(weights=None))
    >>> [name for name, _ in groups["head"]]
    ['fc.weight', 'fc.bias']
    """
    check_instance("model", model, nn.Module, "pass the model itself, e.g. "
                   "pretrained('resnet18.imagenet').")
    rules = check_rules(rules) if rules is not None else group_rules(model)
    groups: dict[str, list[tuple[str, nn.Parameter]]] = {}
    for name, param in model.named_parameters():
        group = classify(name, rules)
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


def select(model: nn.Module, groups: Groups) -> tuple[list[nn.Parameter], list[_BatchNorm]]:
    """Parameters and BatchNorm layers of the chosen groups (names or modules; None = all).

    >>> import torchvision
    >>> params, bns = select(torchvision.models.resnet18(weights=None), "stem")
    >>> len(params), len(bns)
    (3, 1)
    """
    check_instance("model", model, nn.Module, "pass the model itself, then the groups.")
    if groups is None:
        groups = [model]
    elif isinstance(groups, (str, nn.Module)):
        groups = [groups]
    elif not isinstance(groups, Iterable):
        raise TypeError(f"groups={groups!r}: give layer group names (see layer_groups(model)), "
                        "modules, or a list of them. HINT: to freeze by position use "
                        f"freeze_to(model, {groups!r}).")
    groups = list(groups)
    rules = group_rules(model)
    named = group_parameters(model, rules)
    params: list[nn.Parameter] = []
    bns: list[_BatchNorm] = []
    for g in groups:
        if isinstance(g, nn.Module):
            if g is not model and all(g is not m for m in model.modules()):
                raise ValueError(f"groups: the {type(g).__name__} given is not part of this "
                                 "model (another model's layer?). HINT: pass this model's own "
                                 "layers, or group names from layer_groups(model).")
            params += list(g.parameters())
            bns += [m for m in g.modules() if isinstance(m, _BatchNorm)]
        elif g in named:
            params += [p for _, p in named[g]]
            bns += [m for n, m in model.named_modules()
                    if isinstance(m, _BatchNorm) and classify(n, rules) == g]
        elif isinstance(g, str):
            close = difflib.get_close_matches(g, named, n=1)
            hint = f"Did you mean {close[0]!r}? " if close else ""
            raise KeyError(f"groups: no layer group {g!r}. {hint}HINT: this model's groups are "
                           f"{list(named)}.")
        else:
            raise TypeError(f"groups: {g!r} is not a layer group name or a module. HINT: use "
                            f"names from {list(named)}.")
    return params, bns
