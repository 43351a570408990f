"""Cheap checks that ``fit()`` runs on the first batch, so that a mistake fails in a second,
not after a whole epoch: the labels fit the head, the validation batches fit the model, the
number of epochs makes sense.

>>> check_head_fits_labels(torch.zeros(2, 3), torch.tensor([0, 2]))
True
"""
from __future__ import annotations

import inspect
import warnings
from typing import TYPE_CHECKING, Any

import torch

from .batches import forward, nonempty, to_device
from .batchnorm import apply_bn_policy
from .checks import check_bool, check_callable, check_device, check_int

if TYPE_CHECKING:
    from .fit_state import FitState


def check_head_fits_labels(out: torch.Tensor, y: torch.Tensor) -> bool:
    """Raise a clear error when a class label ``y`` is too large for the head's outputs ``out``.
    """
    if y.dtype == torch.long and out.ndim == 2 and len(y):
        top = int(y.max())
        if top >= out.shape[1]:
            raise ValueError(
                f"The model's head has {out.shape[1]} outputs, but the labels go up to {top} "
                f"({top + 1} classes). HINT: replace_head(model, {top + 1}), or relabel the data "
                "with select_classes(...) so labels run from 0 to num_classes - 1.")
    return True


def check_setup_options(*, epochs: Any, device: Any, scheduler: Any, compile_model: Any,
                        loss_fn: Any = None, channels_last: Any = "auto") -> None:
    """fit()'s options, checked before anything is built (the rules are in ``checks.py``)."""
    check_int("epochs", epochs, min=1, example=5)
    if device is not None:
        check_device("device", device)
    if inspect.isclass(scheduler):
        raise TypeError(f"scheduler={scheduler.__name__}: give a scheduler object built on fit's "
                        "optimizer, or a factory f(optimizer, total_steps). HINT: "
                        "scheduler=one_cycle, or partial(warmup_cosine, warmup_steps=100).")
    if scheduler is not None and not hasattr(scheduler, "step"):
        check_callable("scheduler", scheduler, "scheduler=one_cycle, or "
                       "partial(warmup_cosine, warmup_steps=100), or an LR scheduler")
    if loss_fn is not None:
        check_callable("loss_fn", loss_fn, "loss_fn=nn.CrossEntropyLoss(label_smoothing=0.1)")
    if channels_last != "auto":
        check_bool("channels_last", channels_last)
    check_bool("compile_model", compile_model)


def check_scheduler_optimizer(scheduler: Any, optimizer: torch.optim.Optimizer) -> None:
    """A scheduler object must drive the optimizer that trains (else it changes nothing)."""
    if getattr(scheduler, "optimizer", optimizer) is not optimizer:
        raise ValueError("scheduler was built on another optimizer than the one fit() trains "
                         "with, so it would change nothing. HINT: pass that optimizer too "
                         "(fit(..., optimizer=opt, scheduler=sched)), or give a factory: "
                         "scheduler=one_cycle.")


def check_loss(loss: Any) -> None:
    """The loss of the first batch must be one number (the batch mean) that backward() takes."""
    if not isinstance(loss, torch.Tensor) or loss.ndim != 0:
        shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(f"loss_fn returned {shape}, not one number per batch. HINT: the batch "
                         "mean, e.g. nn.CrossEntropyLoss() (reduction='mean', the default).")


def check_label_dtype(y: torch.Tensor, loss_fn: Any) -> None:
    """Cross-entropy takes int64 class indices: say so instead of torch's dtype error."""
    if isinstance(loss_fn, torch.nn.CrossEntropyLoss) and y.dtype != torch.long:
        raise TypeError(f"labels are {y.dtype}, but cross-entropy needs class indices as "
                        "torch.int64. HINT: y.long() where you build the labels (TensorLoader "
                        "converts whole-number labels for you).")


def check_first_batch(state: FitState, inputs: Any, out: torch.Tensor, y: torch.Tensor) -> None:
    """Cheap checks on the first batch that would otherwise fail only after a whole epoch: the
    labels (of the whole training set, when the loader knows them) fit the head, and a batch
    of the validation set fits the model and the head too."""
    check_label_dtype(y, state.loss_fn)
    check_head_fits_labels(out, getattr(state.train_loader, "labels", y))
    check_loss(state.loss_fn(out, y))
    if state.val_loader is not None:
        val_inputs, val_y = to_device(next(nonempty(state.val_loader, "val_loader")), state.device)
        check_head_fits_labels(out, val_y)
        if isinstance(inputs, torch.Tensor) and inputs.shape[1:] != val_inputs.shape[1:]:
            check_val_inputs(state, inputs, val_inputs)
    state.first_batch_checked = True


def check_val_inputs(state: FitState, inputs: torch.Tensor, val_inputs: torch.Tensor) -> None:
    """The validation images have another shape than the training images: an error when the
    model cannot take them, a warning when it can (it may be on purpose, e.g. FixRes)."""
    shapes = (f"val_loader gives inputs of shape {tuple(val_inputs.shape[1:])}, train_loader "
              f"{tuple(inputs.shape[1:])}")
    state.model.eval()
    try:
        with torch.no_grad(), state.autocast():
            forward(state.model, val_inputs[:2])
    except Exception as err:
        raise ValueError(f"{shapes}, and the model cannot take the validation inputs "
                         f"({type(err).__name__}: {err}). HINT: give the validation set the same "
                         "preprocessing (transform=...) as the training set.") from err
    finally:
        state.model.train()
        apply_bn_policy(state.model)
    warnings.warn(f"{shapes}: the model accepts both, but validation measures it on other "
                  "inputs than it trains on. HINT: use the same preprocessing unless that is "
                  "what you want.", stacklevel=4)
