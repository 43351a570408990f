"""LR range test (Smith 2017, fastai's ``lr_find``) that leaves no trace on the model.

Train for a few batches while the learning rate grows exponentially from ``start_lr`` to
``end_lr``; watch the smoothed loss; stop when it explodes. Afterwards the model's weights and
BatchNorm statistics, the optimizer's state, the ``requires_grad`` flags, each module's train/eval
mode, the random-number generators and a loader's own generator (anything with ``state_dict``,
such as ``TensorLoader``) are put back exactly as they were.

>>> import torch
>>> model = torch.nn.Linear(4, 2)
>>> data = [(torch.randn(16, 4), torch.randint(0, 2, (16,))) for _ in range(4)]
>>> result = lr_find(model, data, num_steps=30)
>>> len(result.lrs) <= 30 and result.suggestion > 0
True
"""
from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .batches import forward, nonempty, to_device
from .batchnorm import apply_bn_policy
from .checks import check_callable, check_choice, check_instance, check_int, check_number
from .plots import new_axes
from .seed import rng_state, set_rng_state

RULES = {
    "steepest": "steepest descent of the smoothed loss (most negative slope vs log LR, "
                "before the minimum)",
    "min/10": "LR at the minimum of the smoothed loss, divided by 10",
}


@dataclass
class LRFindResult:
    """What ``lr_find`` measured: the LRs tried, the smoothed (and raw) losses, a suggestion."""

    lrs: list[float]
    losses: list[float]
    raw_losses: list[float]
    suggestion: float
    rule: str
    stopped_early: bool = False

    def __repr__(self) -> str:
        end = "stopped when the loss diverged" if self.stopped_early else "ran all steps"
        return (f"LRFindResult(suggestion={self.suggestion:.2e}, rule={self.rule!r}, "
                f"steps={len(self.lrs)}, {end})")

    def plot(self, ax: object | None = None) -> object:
        """Loss against LR (log scale) with the suggestion marked; returns the Axes."""
        ax = new_axes(ax, figsize=(6, 3.5))
        ax.plot(self.lrs, self.raw_losses, color="C0", alpha=0.25, label="loss per batch")
        ax.plot(self.lrs, self.losses, color="C0", label="smoothed loss")
        ax.axvline(self.suggestion, color="C3", linestyle="--",
                   label=f"suggestion {self.suggestion:.1e}")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate (log scale)")
        ax.set_ylabel("loss")
        best = int(np.argmin(self.losses))
        top = max(self.losses[: best + 1])
        low = min(self.losses)
        ax.set_ylim(low - 0.1 * (top - low) - 1e-8, top + 0.25 * (top - low) + 1e-8)
        ax.set_title(self.rule, fontsize="small")
        ax.legend(fontsize="small")
        return ax


def suggest_lr(lrs: list[float], losses: list[float], rule: str = "steepest") -> tuple[float, str]:
    """Pick an LR from a range test's curve; returns ``(lr, rule text)``.

    ``"steepest"``: where the smoothed loss falls fastest per decade of LR, before its minimum
    (the first 10% of points are skipped as noise). Falls back to ``"min/10"`` on short curves.

    >>> lrs = [10 ** (i / 10 - 5) for i in range(50)]
    >>> losses = [2 - math.tanh((i - 25) / 5) if i < 45 else 9 for i in range(50)]
    >>> lr, text = suggest_lr(lrs, losses)
    >>> round(math.log10(lr), 1)
    -2.5
    """
    check_choice("rule", rule, RULES)
    if len(lrs) != len(losses) or not len(lrs):
        raise ValueError(f"lrs and losses: give one loss per LR, at least one ({len(lrs)} LRs, "
                         f"{len(losses)} losses). HINT: pass lr_find's own lrs and losses.")
    best = int(np.argmin(losses))
    skip = len(losses) // 10
    if rule == "steepest" and best - skip >= 3:
        slopes = np.gradient(np.asarray(losses[: best + 1]), np.log10(lrs[: best + 1]))
        return float(lrs[skip + int(np.argmin(slopes[skip:]))]), RULES["steepest"]
    return float(lrs[best] / 10), RULES["min/10"]


def _batches(loader: Iterable) -> Iterator:
    """Batches from the loader, starting over when it runs out."""
    while True:
        yield from nonempty(loader, "loader")


def _snapshot(model: nn.Module, optimizer: torch.optim.Optimizer | None, loader: object) -> dict:
    stateful = hasattr(loader, "state_dict") and hasattr(loader, "load_state_dict")
    return {
        "loader": copy.deepcopy(loader.state_dict()) if stateful else None,  # TensorLoader
        "model": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "optimizer": copy.deepcopy(optimizer.state_dict()) if optimizer is not None else None,
        "requires_grad": [p.requires_grad for p in model.parameters()],
        "grads": [None if p.grad is None else p.grad.detach().clone() for p in model.parameters()],
        "training": [m.training for m in model.modules()],
        "rng": rng_state(),  # dropout and shuffling draw from it: lr_find must not move it
    }


def _restore(model: nn.Module, optimizer: torch.optim.Optimizer | None, loader: object,
             snap: dict) -> None:
    if snap["loader"] is not None:
        loader.load_state_dict(snap["loader"])
    model.load_state_dict(snap["model"])
    for p, flag, grad in zip(model.parameters(), snap["requires_grad"], snap["grads"]):
        p.requires_grad_(flag)
        p.grad = grad
    for m, training in zip(model.modules(), snap["training"]):
        m.training = training
    if optimizer is not None:
        optimizer.load_state_dict(snap["optimizer"])
    set_rng_state(snap["rng"])


def check_lr_find_args(model: object, loader: object, loss_fn: object, optimizer: object,
                       start_lr: object, end_lr: object, num_steps: object, beta: object,
                       diverge: object, rule: object) -> None:
    """Check every option of :func:`lr_find` before the model is touched."""
    check_instance("model", model, nn.Module, "lr_find(model, train_loader).")
    if optimizer is None and not any(p.requires_grad for p in model.parameters()):
        raise ValueError("model has no trainable parameter, so there is no LR to find. HINT: "
                         "unfreeze(model, 'head') or freeze_to(model, -1) first.")
    if not hasattr(loader, "__iter__"):
        raise TypeError(f"loader={loader!r:.60}: give an iterable of (x, y) batches, e.g. a "
                        "TensorLoader. HINT: TensorLoader(images, labels, batch_size=64).")
    if loss_fn is not None:
        check_callable("loss_fn", loss_fn, "nn.CrossEntropyLoss()")
    if optimizer is not None:
        check_instance("optimizer", optimizer, torch.optim.Optimizer,
                       "torch.optim.AdamW(param_groups(model, lr)), or None.")
    start = check_number("start_lr", start_lr, low=0, low_open=True, example=1e-7)
    end = check_number("end_lr", end_lr, low=0, low_open=True, example=10.0)
    if start >= end:
        raise ValueError(f"start_lr={start_lr!r} and end_lr={end_lr!r}: the test sweeps from "
                         "a small LR up to a large one. HINT: use start_lr < end_lr, e.g. "
                         "start_lr=1e-7, end_lr=10.")
    check_int("num_steps", num_steps, min=2, example=100)
    check_number("beta", beta, low=0, high=1, high_open=True, example=0.9)
    check_number("diverge", diverge, low=1, low_open=True, example=4.0)
    check_choice("rule", rule, RULES)


def lr_find(model: nn.Module, loader: Iterable, loss_fn: Callable | None = None,
            optimizer: torch.optim.Optimizer | None = None, start_lr: float = 1e-7,
            end_lr: float = 10.0, num_steps: int = 100, beta: float = 0.9, diverge: float = 4.0,
            rule: str = "steepest") -> LRFindResult:
    """Run an LR range test and restore everything afterwards.

    Only the trainable parameters learn during the test, so it works on a partly frozen model;
    recorded BatchNorm policies (``set_bn_policy``) are respected.

    Args:
        model: the model, on the device it will train on (batches are moved there).
        loader: any iterable of ``(x, y)`` batches (a DataLoader, a TensorLoader, a list), ``x``
            a tensor or a tokenizer's dict of tensors (see ``batches.py``); it is restarted if it
            runs out before ``num_steps``.
        loss_fn: defaults to ``nn.CrossEntropyLoss()``.
        optimizer: the optimizer you will train with; its state is restored afterwards. With
            several groups the groups keep their LR ratios and the LR reported is the largest
            group's. Default: AdamW over the trainable parameters, no weight decay.
        start_lr: first LR tried.
        end_lr: last LR tried.
        num_steps: most batches to run (one LR each).
        beta: smoothing of the loss (exponential moving average, bias-corrected). An average
            lags about ``1 / (1 - beta)`` steps behind: 10 steps for 0.9. fastai's 0.98 lags
            50 steps, half of a 100-step sweep, which pushes its suggestions to larger LRs.
        diverge: stop when the smoothed loss exceeds ``diverge`` times its best value.
        rule: ``"steepest"`` or ``"min/10"`` (see ``suggest_lr``).

    Returns:
        An ``LRFindResult`` with ``.lrs``, ``.losses``, ``.suggestion``, ``.rule`` and ``.plot()``.
    """
    check_lr_find_args(model, loader, loss_fn, optimizer, start_lr, end_lr, num_steps, beta,
                       diverge, rule)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    device = next(model.parameters()).device
    snap = _snapshot(model, optimizer, loader)
    opt = optimizer or torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                         lr=start_lr, weight_decay=0.0)
    top = max(g["lr"] for g in opt.param_groups) or 1.0
    ratios = [(g["lr"] / top) or 1.0 for g in opt.param_groups]
    gamma = (end_lr / start_lr) ** (1 / (num_steps - 1))
    lrs: list[float] = []
    losses: list[float] = []
    raw: list[float] = []
    avg, best, stopped = 0.0, math.inf, False
    try:
        model.train()
        apply_bn_policy(model)
        for step, batch in zip(range(num_steps), _batches(loader)):
            lr = start_lr * gamma**step
            for group, ratio in zip(opt.param_groups, ratios):
                group["lr"] = lr * ratio
            inputs, y = to_device(batch, device)  # a tensor, or a tokenizer's dict (batches.py)
            loss = loss_fn(forward(model, inputs), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            value = loss.item()
            if not math.isfinite(value):
                stopped = True
                break
            avg = beta * avg + (1 - beta) * value
            smooth = avg / (1 - beta ** (step + 1))
            lrs.append(lr)
            losses.append(smooth)
            raw.append(value)
            best = min(best, smooth)
            if step > 0 and smooth > diverge * best:
                stopped = True
                break
    finally:
        _restore(model, optimizer, loader, snap)
    if len(lrs) < 2:
        raise RuntimeError("The loss diverged at once. HINT: lower start_lr.")
    suggestion, text = suggest_lr(lrs, losses, rule)
    return LRFindResult(lrs, losses, raw, suggestion, text, stopped)
