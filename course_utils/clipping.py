"""Gradient clipping as a callback: ``fit(..., clip_grad_norm=1.0)`` or ``ClipGradNorm(1.0)``.

Before every optimizer step the gradients of all trainable parameters are rescaled together so
that their total (L2) norm is at most ``max_norm``; a step can then never be larger than the LR
times that norm, whatever one bad batch does. Transformers are usually fine-tuned with
``max_norm=1.0`` (the Hugging Face Trainer's default).

The norm BEFORE clipping is recorded for every step in ``history.grad_norms``: plot it to see how
often clipping acts (every step whose norm is above ``max_norm``). The norms stay on the device
during an epoch and are read once at its end, so clipping adds no host sync per step.

>>> import torch
>>> from course_utils import TensorLoader, fit
>>> x, y = torch.randint(0, 255, (32, 4, 4), dtype=torch.uint8), torch.arange(32) % 2
>>> loader = TensorLoader(x, y, batch_size=8, device="cpu", seed=0)
>>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 2))
>>> history = fit(model, loader, epochs=2, clip_grad_norm=1.0, amp="off", live_plot=False,
...               progress=False)
>>> len(history.grad_norms)  # one per step: 2 epochs x 4 batches
8
"""
from __future__ import annotations

import math
from numbers import Real
from typing import TYPE_CHECKING

import torch

from .callbacks import Callback
from .history import History

if TYPE_CHECKING:  # only for type hints: training.py imports this module
    from .fit_state import FitState


class ClipGradNorm(Callback):
    """Clip the gradients' total norm to ``max_norm`` in ``on_before_step``; record the norm.

    With mixed precision through a ``torch.amp.GradScaler`` (fp16) the gradients are still
    multiplied by the loss scale after ``backward()``: they are unscaled first (the scaler is
    read from ``state.scaler`` when the run has one), as PyTorch's AMP recipe prescribes.
    fit()'s bf16 autocast needs no scaler.

    Args:
        max_norm: the largest total gradient norm allowed (a positive number; 1.0 is usual).
        norm_type: which p-norm (2.0: the Euclidean norm; ``math.inf``: the largest entry).

    >>> clip = ClipGradNorm(1.0)                     # fit(..., callbacks=[clip])
    """

    order = 10  # after callbacks that change the gradients, so the clip is the last word

    def __init__(self, max_norm: float, norm_type: float = 2.0) -> None:
        if isinstance(max_norm, bool) or not isinstance(max_norm, Real):
            raise TypeError(f"max_norm={max_norm!r} (fit's clip_grad_norm): give a number such "
                            "as 1.0, the largest total gradient norm a step may use.")
        if not (math.isfinite(max_norm) and max_norm > 0):
            raise ValueError(f"max_norm={max_norm!r} (fit's clip_grad_norm): give a positive "
                             "number such as 1.0, the largest total gradient norm a step may use.")
        if isinstance(norm_type, bool) or not isinstance(norm_type, Real) or norm_type <= 0:
            raise TypeError(f"norm_type={norm_type!r}: give p of the p-norm, e.g. 2.0 (the "
                            "Euclidean norm) or math.inf (the largest entry).")
        self.max_norm, self.norm_type = float(max_norm), float(norm_type)
        self.pending: list[torch.Tensor] = []  # this epoch's norms, still on the device

    def on_before_step(self, state: FitState) -> None:
        scaler = getattr(state, "scaler", None)
        if scaler is not None and scaler.is_enabled():
            scaler.unscale_(state.optimizer)  # clip the true gradients, not the scaled ones
        params = [p for group in state.optimizer.param_groups for p in group["params"]
                  if p.grad is not None]
        norm = torch.nn.utils.clip_grad_norm_(params, self.max_norm, self.norm_type)
        self.pending.append(norm.detach())

    def on_epoch_end(self, state: FitState) -> None:
        self._flush(state.history)

    def on_fit_end(self, state: FitState) -> None:
        self._flush(state.history)  # the steps of an interrupted epoch count too

    def _flush(self, history: History) -> None:
        if self.pending:
            norms = torch.stack(self.pending).float().tolist()  # one host sync per epoch
            history.grad_norms.extend(norms)
            self.pending = []
