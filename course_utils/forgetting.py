"""What fine-tuning forgets: measure the source task after training on the target task.

A pretrained backbone with a NEW head learns the target classes; how much of the source task
it still knows is measured by putting the OLD (source) head back on a copy of the fine-tuned
backbone and scoring the source classes. Chapters 03, 04 and 06 report it beside target
accuracy: someone who only needs the new task still cares, because a backbone that kept its
features usually also generalises better from few target images.

>>> model, source_head = fresh_model(num_classes=3, seed=0)          # doctest: +SKIP
>>> fit(model, train_loader, epochs=3)                                # doctest: +SKIP
>>> source_retention(model, source_head, source_loader)              # doctest: +SKIP
0.93
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from .models import pretrained
from .seed import seed_everything
from .surgery import get_head, head_path, replace_head
from .training import evaluate

LAB_MODEL = "lab_resnet.fmnist_source"


def fresh_model(num_classes: int, seed: int, *, name: str = LAB_MODEL,
                device: str | torch.device | None = None) -> tuple[nn.Module, nn.Module]:
    """A pretrained model with a new ``num_classes`` head, and a copy of its source head.

    ``seed`` seeds everything first, so the new head's initial weights are the same for the
    same seed (a paired comparison of two strategies starts from the same model).
    """
    seed_everything(seed)
    model = pretrained(name)
    source_head = copy.deepcopy(get_head(model))
    replace_head(model, num_classes)
    if device is not None:
        model.to(device)
    return model, source_head


def source_retention(model: nn.Module, source_head: nn.Module, source_loader: object) -> float:
    """Accuracy on the source task of ``model``'s backbone with ``source_head`` put back.

    ``model`` itself is not changed: the score is taken on a copy.
    """
    probe = copy.deepcopy(model)
    device = next(model.parameters()).device
    probe.set_submodule(head_path(probe), copy.deepcopy(source_head).to(device))
    return evaluate(probe, source_loader)["acc"]
