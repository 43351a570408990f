"""BatchNorm policy: how each BatchNorm layer behaves while the rest of the model trains.

A BatchNorm layer normalises with running statistics that every forward pass in train mode
updates, whatever ``requires_grad`` says. The policy, recorded on the layer, decides: ``"train"``
(PyTorch's default), ``"frozen"`` (affine parameters frozen, statistics kept) or ``"eval"``
(statistics kept, affine parameters untouched). ``fit()`` re-applies it after ``model.train()``.

>>> import torchvision
>>> model = torchvision.models.resnet18(weights=None)
>>> set_bn_policy(model, "eval")
>>> sorted(set(bn_policies(model).values()))
['eval']
"""
from __future__ import annotations

from torch import nn

from .checks import check_choice
from .layer_groups import Groups, select

BN_POLICIES = ("train", "frozen", "eval")
_POLICY_ATTR = "course_bn_policy"  # where set_bn_policy records a BatchNorm layer's policy


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
    check_choice("policy", policy, BN_POLICIES)
    for bn in select(model, groups)[1]:
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




def bn_policy(module: nn.Module) -> str:
    """The recorded policy of one BatchNorm layer (``"train"``, PyTorch's default, if none)."""
    return getattr(module, _POLICY_ATTR, "train")


def forget_bn_policy(module: nn.Module, training: bool) -> None:
    """Remove a layer's recorded policy: it behaves as PyTorch's default again (``training``)."""
    if hasattr(module, _POLICY_ATTR):
        delattr(module, _POLICY_ATTR)
        module.train(training)

