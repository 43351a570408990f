"""The two stages of the course's fine-tuning recipe as one call: freeze, then build AdamW.

Stage "head" trains only the last layer group (the new head) on the frozen backbone; stage
"full" trains everything, earlier layers with smaller learning rates (``lrs=slice``). In both
the BatchNorm statistics are kept (policy ``"eval"``, chapter 07's finding).

>>> import torchvision
>>> model = torchvision.models.resnet18(weights=None, num_classes=3)
>>> optimizer = stage_optimizer(model, "head", lr=3e-3, lr_lo=1e-4)
>>> [g["name"] for g in optimizer.param_groups]
['head', 'head.no_decay']
"""
from __future__ import annotations

import torch

from .batchnorm import set_bn_policy
from .param_groups import param_groups
from .surgery import freeze_to


def stage_optimizer(model: torch.nn.Module, stage: str, lr: float, lr_lo: float,
                    weight_decay: float = 0.01) -> torch.optim.Optimizer:
    """Freeze for ``stage`` ("head": only the last layer group; "full": everything trains, LRs
    from ``lr_lo`` for the first group up to ``lr`` for the head) and return AdamW."""
    freeze_to(model, -1 if stage == "head" else 0, train_bn=False)  # frozen means frozen
    set_bn_policy(model, "eval")  # BatchNorm statistics stay as they are (its weights may train)
    if stage == "head":
        groups = param_groups(model, lr=lr, weight_decay=weight_decay)
    else:
        groups = param_groups(model, lrs=slice(lr_lo, lr), weight_decay=weight_decay)
    return torch.optim.AdamW(groups)
