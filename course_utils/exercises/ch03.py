"""Chapter 03 exercise checker: freeze everything except ``layer4`` and the head.

The exercise: take a ResNet-style model (``model.layer4``, ``model.fc``), leave only
``layer4`` and ``fc`` trainable, and build an optimizer that holds exactly those parameters.
:func:`check_layer4_and_head` says whether that worked and, if not, what exactly is wrong.

>>> from course_utils import LabResNet
>>> model = LabResNet(num_classes=3)
>>> layer4_and_head_problems(model)[0][:25]
'Nothing is frozen: all 62'
"""
from __future__ import annotations


import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ..batchnorm import bn_policies
from ..param_groups import optimizer_problems
from .framework import report

_TRAINED = ("layer4", "fc")  # the top-level modules that must stay trainable


def _in_trained(name: str) -> bool:
    return name.split(".", 1)[0] in _TRAINED


def _examples(names: list[str], n: int = 3) -> str:
    more = f" and {len(names) - n} more" if len(names) > n else ""
    return ", ".join(repr(x) for x in names[:n]) + more


def layer4_and_head_problems(model: nn.Module,
                             optimizer: torch.optim.Optimizer | None = None) -> list[str]:
    """Everything that is wrong with the exercise's answer, one message per problem ([] = right).

    Args:
        model: a ResNet-style model with ``layer4`` and ``fc`` (torchvision's or the lab net).
        optimizer: if given, it must hold exactly the trainable parameters.

    Returns:
        A list of messages, each saying what is wrong and how to fix it.

    >>> from course_utils import LabResNet
    >>> layer4_and_head_problems(LabResNet(num_classes=3).requires_grad_(False))[0][:22]
    'Every parameter is fro'
    """
    if not all(hasattr(model, name) for name in _TRAINED):
        return ["This checker expects a ResNet-style model with `model.layer4` and `model.fc` "
                f"(got a {type(model).__name__}). Use the chapter's lab model."]
    named = list(model.named_parameters())
    trainable = [n for n, p in named if p.requires_grad]
    problems: list[str] = []
    if not trainable:
        return ["Every parameter is frozen, so nothing can learn (and `loss.backward()` would "
                "raise 'element 0 of tensors does not require grad'). After freezing everything, "
                "switch `model.layer4` and `model.fc` back on: "
                "`for p in model.layer4.parameters(): p.requires_grad = True` (same for fc)."]
    if len(trainable) == len(named):
        return [f"Nothing is frozen: all {len(named)} parameter tensors still have "
                "requires_grad=True. First set `p.requires_grad = False` for every "
                "`p in model.parameters()`, then switch layer4 and fc back on."]
    head_frozen = [n for n, p in named if n.startswith("fc.") and not p.requires_grad]
    if head_frozen:
        problems.append(f"The head is frozen ({_examples(head_frozen)} has requires_grad=False), "
                        "but the new head is the one part that MUST learn. Did you unfreeze fc "
                        "first and then freeze everything? Freeze everything first, then unfreeze.")
    l4_frozen = [n for n, p in named if n.startswith("layer4.") and not p.requires_grad]
    if l4_frozen:
        l4_total = sum(n.startswith("layer4.") for n, _ in named)
        problems.append(f"{len(l4_frozen)} of layer4's {l4_total} tensors are frozen "
                        f"({_examples(l4_frozen)}). Unfreeze all of it: "
                        "`for p in model.layer4.parameters(): p.requires_grad = True`.")
    extra = [n for n in trainable if not _in_trained(n)]
    if extra:
        bn_params = {f"{m}.{p}" for m, mod in model.named_modules() if isinstance(mod, _BatchNorm)
                     for p, _ in mod.named_parameters(recurse=False)}
        why = ""
        if all(n in bn_params for n in extra):
            why = (" They are all BatchNorm weights and biases: `freeze(...)` and `freeze_to(...)` "
                   "keep those trainable by default (train_bn=True, as in fastai). Pass "
                   "train_bn=False, or set requires_grad=False on them too.")
        problems.append(f"{len(extra)} tensors outside layer4 and the head are still trainable "
                        f"({_examples(extra)}).{why}")
    if optimizer is not None:
        problems += _optimizer_problems(model, optimizer)
    return problems


def _optimizer_problems(model: nn.Module, optimizer: torch.optim.Optimizer) -> list[str]:
    """The optimizer rule (``param_groups.optimizer_problems``), each with the plain-PyTorch fix."""
    fix = ("Build it AFTER replacing the head and freezing, over the trainable parameters only: "
           "`torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)`.")
    return [f"The optimizer is wrong: {problem}. {fix}"
            for problem in optimizer_problems(model, optimizer)]


def _bn_note(model: nn.Module) -> str:
    """A reminder when BatchNorm layers outside layer4 will still update their statistics."""
    policies = bn_policies(model)
    moving = [n for n, m in model.named_modules() if isinstance(m, _BatchNorm)
              and not _in_trained(n) and policies.get(n, "train") == "train"
              and m.track_running_stats]
    if not moving:
        return ""
    return (f"\nNote: {len(moving)} BatchNorm layers outside layer4 (e.g. {moving[0]!r}) will "
            "still update their running statistics under model.train(), although their weights "
            "are frozen. To keep them exactly as pretrained: "
            "set_bn_policy(model, 'frozen', groups=['stem', 'layer1', 'layer2', 'layer3']).")


def check_layer4_and_head(model: nn.Module,
                          optimizer: torch.optim.Optimizer | None = None) -> bool:
    """Check the chapter 03 exercise and print what is right or wrong.

    Right means: every tensor of ``model.layer4`` and ``model.fc`` is trainable, every other
    tensor is frozen, and (when ``optimizer`` is given) the optimizer holds exactly the
    trainable tensors. A note reminds you when frozen BatchNorm layers still update their
    running statistics (not an error: ``requires_grad`` does not control them).

    Args:
        model: your model (``model.layer4`` and ``model.fc`` must exist).
        optimizer: your optimizer, or None to check the freezing only.

    Returns:
        True when the answer is right.

    >>> from course_utils import LabResNet
    >>> check_layer4_and_head(LabResNet(num_classes=3))  # doctest: +ELLIPSIS
    ❌ Not yet:
      - Nothing is frozen: ...
    False
    """
    problems = layer4_and_head_problems(model, optimizer)
    if problems:
        return report(problems, "")
    params = list(model.parameters())
    n_train = sum(p.numel() for p in params if p.requires_grad)
    n_all = sum(p.numel() for p in params)
    tensors = sum(p.requires_grad for p in params)
    opt = " The optimizer holds exactly those tensors." if optimizer is not None else ""
    return report([], f"Correct: layer4 and the head train: {tensors} tensors, {n_train:,} of "
                      f"{n_all:,} parameters ({100 * n_train / n_all:.1f}%); everything else is "
                      f"frozen.{opt}" + _bn_note(model))


# ----- the exercise as check() runs it: your function on a fresh lab network -----

def reference_freeze_layer4_and_head(model: nn.Module, lr: float) -> torch.optim.Optimizer:
    """Freeze all but ``model.layer4`` and ``model.fc``; return an AdamW over what trains."""
    for p in model.parameters():            # 1. freeze everything, BatchNorm weights included
        p.requires_grad = False
    for p in model.layer4.parameters():     # 2. then switch the last block back on ...
        p.requires_grad = True
    for p in model.fc.parameters():         # ... and the head
        p.requires_grad = True
    # 3. the optimizer AFTER freezing, from the trainable parameters only
    return torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)


def _check_freeze(freeze_layer4_and_head, model: nn.Module | None = None, lr: float = 1e-3) -> bool:
    import copy

    from ..lab_net import LabResNet

    fresh = copy.deepcopy(model) if model is not None else LabResNet(num_classes=3)
    optimizer = freeze_layer4_and_head(fresh, lr)
    if not isinstance(optimizer, torch.optim.Optimizer):
        problems = layer4_and_head_problems(fresh)
        problems.append(f"The function returned a {type(optimizer).__name__}; return the "
                        "optimizer you built (torch.optim.AdamW(...)).")
        return report(problems, "")
    return check_layer4_and_head(fresh, optimizer)


def _register() -> None:
    from .framework import Exercise, register

    register(Exercise(
        "03.freeze", "freeze_layer4_and_head(model, lr): freeze all but layer4 and fc; "
        "return the optimizer", _check_freeze, reference_freeze_layer4_and_head,
        ["Two steps: first switch requires_grad off for EVERY parameter, then back on for "
         "model.layer4 and model.fc.",
         "for p in model.parameters(): p.requires_grad = False  (then the same loop with True over "
         "model.layer4.parameters() and model.fc.parameters()).",
         "Build the optimizer last, from [p for p in model.parameters() if p.requires_grad], "
         "and return it."]))


_register()


# ----- a judgement exercise: choose how much to unfreeze; the checker RUNS the choice -----

# The reference (layer4 + head at the chapter's LR) measured on CPU, seeds 0-4: validation
# accuracy of the kept epoch 0.69-0.75, source accuracy 0.845-0.90; full fine-tuning kept
# 0.51-0.79 of the source (seed-dependent), head only at 1x-10x LR reached 0.48-0.60.
CHOICE_VAL_BAR = 0.62      # validation accuracy of the kept (lowest validation loss) epoch, at least
CHOICE_SOURCE_BAR = 0.77   # source accuracy with the source head put back, at least


def reference_choice() -> tuple[int, float]:
    """``(freeze_to index, LR multiplier)``: layer4 + head at the chapter's learning rate."""
    return (-2, 1.0)   # head only stays below the target bar; full fine-tuning may forget the source


def _check_choice(choice: object, run=None, seed: int = 2) -> bool:
    if (not isinstance(choice, tuple) or len(choice) != 2 or not isinstance(choice[0], int)
            or not isinstance(choice[1], (int, float))):
        return report(["give a pair (n, lr_scale): n for freeze_to(model, n) (-1 = head only, "
                       "-2 = layer4 + head, ..., 0 = everything) and the LR multiplier; got "
                       f"{choice!r}."], "")
    n, lr_scale = choice
    if not -6 <= n <= 5 or not 0 < lr_scale <= 10:
        return report([f"freeze_to takes -6 .. 5 (the lab net has 6 layer groups) and lr_scale "
                       f"must be in (0, 10]; got n={n}, lr_scale={lr_scale}."], "")
    if run is None:
        raise ValueError("The notebook passes run=fine_tune, the function that trains one strategy.")
    print(f"Running freeze_to({n}) at {lr_scale:g}x the LR on seed {seed}, a draw of the "
          "training images you have not seen ...")
    r = run(n, lr_scale, seed, show=False)
    history = r["history"]
    val = history.val_acc[history.best_epoch]
    source = r["source_acc"]
    problems = []
    if val < CHOICE_VAL_BAR:
        problems.append(f"validation accuracy {val:.3f} < {CHOICE_VAL_BAR}: too little of the "
                        "network adapts to the target (training accuracy in the kept epoch: "
                        f"{history.train_acc[history.best_epoch]:.3f}). Unfreeze more, or raise "
                        "the LR.")
    if source < CHOICE_SOURCE_BAR:
        problems.append(f"source accuracy {source:.3f} < {CHOICE_SOURCE_BAR}: the backbone forgot "
                        "its source task. Unfreeze fewer groups, or lower the LR.")
    return report(problems, f"Bar met on a new seed: validation accuracy {val:.3f} (>= "
                            f"{CHOICE_VAL_BAR}) and source accuracy {source:.3f} (>= "
                            f"{CHOICE_SOURCE_BAR}).")


def _register_choice() -> None:
    from .framework import Exercise, register

    register(Exercise(
        "03.choose", "MY_CHOICE = (n, lr_scale): reach the target without forgetting the source",
        _check_choice, reference_choice,
        ["Read the table of section 4: which strategies reached the validation bar, and what did "
         "each keep of the source accuracy?",
         "In the table, head only kept the source task exactly but stayed far below the target "
         "bar; full fine-tuning fitted the target, but how much of the source it kept varied "
         "widely from seed to seed: a gamble on a new seed.",
         "Something in between: freeze_to(model, -2) trains layer4 and the head."],
        value=True))


_register_choice()
