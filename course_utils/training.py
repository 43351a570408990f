"""``fit()``: one readable training loop with named events; ``evaluate()``.

Everything optional (live plot, progress bar, early stopping, best weights, gradual unfreezing,
checkpoints, L2-SP) is a callback, so the loop itself stays short: read it with
``show_training_loop()``.

Speed without changing what you read:

* Metrics are summed ON THE DEVICE and read once per epoch: ``loss.item()`` in every step would
  make the CPU wait for the GPU each batch (a "host sync").
* channels_last memory layout for convolutional models, on CUDA and the CPU (oneDNN's
  convolutions are faster in it), and bf16 autocast where it pays (see ``precision.py``).
* Under ``torchrun`` fit() trains one model on several processes (see ``distributed.py``).
* NaN/inf is checked once per epoch on the epoch's summed loss (any bad step makes the sum NaN
  or inf), so a bad epoch runs to its end; then training stops and the best weights come back.

>>> import torch
>>> from course_utils import TensorLoader, fit
>>> x, y = torch.randint(0, 255, (64, 8, 8), dtype=torch.uint8), torch.arange(64) % 2
>>> loader = TensorLoader(x, y, batch_size=16, device="cpu", seed=0)
>>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 2))
>>> history = fit(model, loader, epochs=2, lr=1e-2, live_plot=False, progress=False)
>>> len(history.train_loss)
2
"""
from __future__ import annotations

import inspect
import math
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

from .batches import forward, nonempty, to_device
from .batchnorm import apply_bn_policy
from .callbacks import EVENTS, BestWeights, Callback, check_callbacks
from .checks import check_bool, check_device
from .clipping import ClipGradNorm
from .device import get_device
from .distributed import (DDPWrapper, all_reduce_sum, any_process, init_distributed,
                          is_main_process, process_device, set_epoch, shard_loader)
from .fit_checks import (check_first_batch, check_head_fits_labels, check_scheduler_optimizer,
                         check_setup_options)
from .fit_state import FitState, finish, keep_work, resume, warn_non_finite
from .history import History
from .metrics import confusion_matrix, epoch_means, macro_f1
from .param_groups import audit_optimizer, param_groups
from .plots import LivePlot, ProgressBar
from .precision import amp_dtype


class NonFiniteLoss(RuntimeError):
    """The training loss became NaN or infinite."""


def fit(model: nn.Module, train_loader: Iterable, epochs: int, *, lr: float = 1e-3,
        weight_decay: float = 0.0, optimizer: torch.optim.Optimizer | None = None,
        scheduler: Any = None, val_loader: Iterable | None = None, loss_fn: Callable | None = None,
        callbacks: Iterable[Callback] = (), device: str | torch.device | None = None,
        amp: str | bool = "auto", channels_last: bool | str = "auto", monitor: str = "val_loss",
        restore_best: bool = True, live_plot: bool = True, progress: bool = True,
        resume_from: str | os.PathLike | None = None, compile_model: bool = False,
        clip_grad_norm: float | None = None) -> History:
    """Train ``model`` for ``epochs`` epochs; returns the :class:`History`.

    Args:
        model: the model (moved to ``device``).
        train_loader: yields ``(x, y)`` batches (a ``TensorLoader`` or a ``DataLoader``), or
            ``(inputs, y)`` with ``inputs`` a tokenizer's dict of tensors (see ``batches.py``).
        epochs: total epochs (when resuming, training continues up to this number).
        lr, weight_decay: for the default optimizer, AdamW over ``param_groups(model)``
            (trainable parameters only; no weight decay on 1-D tensors).
        optimizer: your own optimizer instead.
        scheduler: stepped after EVERY BATCH; an LR scheduler or a factory
            ``f(optimizer, total_steps)`` such as ``one_cycle`` or ``partial(warmup_cosine, ...)``.
        val_loader: evaluated after each epoch (loss, accuracy and macro-F1).
        loss_fn: ``loss_fn(logits, y)`` returning the batch mean; default cross-entropy.
        callbacks: e.g. ``EarlyStopping``, ``GradualUnfreeze``, ``WeightDrift``, ``L2SP``,
            ``SaveCheckpoint``.
        device: default: the train loader's device, else ``get_device()``.
        amp: autocast, see :func:`~course_utils.precision.amp_dtype` ("auto": bf16 where it pays).
        channels_last: "auto": for models with 2-D convolutions, on CUDA and CPU.
        monitor: the metric that picks the best epoch ("val_loss", "val_acc", "val_macro_f1"...).
        restore_best: put the best epoch's weights back at the end (always after an error).
        live_plot: a live loss/accuracy plot in a notebook, one line per epoch elsewhere.
        progress: a progress bar (see ``plots.progress_enabled`` for when it shows).
        resume_from: a checkpoint from ``SaveCheckpoint``: continue after its epoch, exactly.
        compile_model: the training forward pass through ``torch.compile`` (validation stays
            eager); ``python -m course_utils.bench --compile`` measures whether it pays.
        clip_grad_norm: clip the gradients' total norm to this value before every step (a
            ``ClipGradNorm`` callback; ``history.grad_norms`` keeps the norms before clipping).

    Under ``torchrun --nproc_per_node=N`` the same call trains on N processes: each computes
    its share of every batch (``batch_size`` is the global batch), gradients are averaged, the
    metrics are summed over processes, and only rank 0 plots, prints and saves.

    >>> history = fit(model, train_loader, epochs=5, val_loader=val_loader,  # doctest: +SKIP
    ...               scheduler=one_cycle, callbacks=[EarlyStopping(patience=2)])
    >>> history.plot()                                                       # doctest: +SKIP
    """
    state = _setup(model=model, train_loader=train_loader, epochs=epochs, lr=lr,
                   weight_decay=weight_decay, optimizer=optimizer, scheduler=scheduler,
                   val_loader=val_loader, loss_fn=loss_fn, device=device, amp=amp,
                   channels_last=channels_last, compile_model=compile_model,
                   callbacks=fit_callbacks(callbacks, monitor=monitor, restore_best=restore_best,
                                           clip_grad_norm=clip_grad_norm, live_plot=live_plot,
                                           progress=progress))
    if resume_from is not None:
        resume(state, resume_from)  # weights, optimizer, scheduler, freeze state, RNG, history
    state.emit("on_fit_start")
    try:
        for epoch in range(state.start_epoch, epochs):
            state.epoch = epoch
            state.emit("on_epoch_start")
            set_epoch(state.train_loader, epoch)  # a DistributedSampler reshuffles per epoch
            model.train()
            apply_bn_policy(model)  # model.train() woke frozen BatchNorm layers: back to eval
            start = time.perf_counter()
            loss_sum = torch.zeros((), device=state.device)  # summed on the device: no host sync
            correct = torch.zeros((), device=state.device)
            seen = 0
            for batch in state.train_loader:  # under torchrun: this process's share of a batch
                inputs, y = to_device(batch, state.device)  # a tensor, or a tokenizer's dict
                with state.autocast():
                    out = forward(state.net, inputs)  # logits of the model (or its DDP wrapper)
                    if not state.first_batch_checked:
                        check_first_batch(state, inputs, out, y)  # fail now, not after an epoch
                    loss = state.loss_fn(out, y)
                state.loss = loss  # what backward() uses: a callback may add a penalty (L2SP)
                state.emit("on_loss")
                state.optimizer.zero_grad(set_to_none=True)
                state.loss.backward()
                state.emit("on_before_step")  # the gradients are ready: clip them (ClipGradNorm)
                state.optimizer.step()
                state.history.record_lrs(state.optimizer)  # the LRs this step used
                if state.scheduler is not None:
                    state.scheduler.step()
                loss_sum += loss.detach().float() * len(y)  # train_loss: without the penalty
                correct += (out.argmax(dim=1) == y).sum()
                seen += len(y)
                state.step += 1
                state.emit("on_batch_end")
            train = epoch_means(loss_sum, correct, seen, state.device)  # one host sync
            if not math.isfinite(train["loss"]):
                raise NonFiniteLoss(f"the training loss became {train['loss']} in epoch {epoch}")
            val = {}
            if state.val_loader is not None:
                val = evaluate(model, state.val_loader, state.loss_fn, amp=state.dtype)
            state.history.add(epoch, train, val, time.perf_counter() - start)
            state.emit("on_epoch_end")  # best weights, early stopping, checkpoint, plot
            if any_process(state.stop, state.device):  # under torchrun: all stop together
                break
    except KeyboardInterrupt:
        state.failed = True
        state.stop_reason = f"interrupted (KeyboardInterrupt) in epoch {state.epoch}"
    except NonFiniteLoss as err:
        state.failed, state.stop_reason = True, str(err)
        warn_non_finite(err)
    except Exception as err:  # a callback, the model or the loss raised: keep the work, re-raise
        keep_work(state, err)
        raise
    return finish(state)


def fit_callbacks(callbacks: Iterable[Callback] = (), *, monitor: str = "val_loss",
                  restore_best: bool = True, clip_grad_norm: float | None = None,
                  live_plot: bool = True, progress: bool = True) -> list[Callback]:
    """The callbacks fit() runs, in the order it runs them: yours plus the ones its options add.

    >>> [type(cb).__name__ for cb in fit_callbacks(clip_grad_norm=1.0, live_plot=False)]
    ['BestWeights', 'ClipGradNorm', 'ProgressBar']
    """
    for name, value in [("restore_best", restore_best), ("live_plot", live_plot),
                        ("progress", progress)]:
        check_bool(name, value)
    all_callbacks = check_callbacks(callbacks, monitor)
    if not any(isinstance(cb, BestWeights) for cb in all_callbacks):  # yours, or fit's own
        all_callbacks.append(BestWeights(monitor, restore=restore_best))
    if clip_grad_norm is not None:
        if any(isinstance(cb, ClipGradNorm) for cb in all_callbacks):
            raise ValueError("clip_grad_norm= and a ClipGradNorm callback would clip twice. "
                             "HINT: give one of them.")
        all_callbacks.append(ClipGradNorm(clip_grad_norm))  # records history.grad_norms
    if live_plot and is_main_process():
        all_callbacks.append(LivePlot())
    if progress and is_main_process():
        all_callbacks.append(ProgressBar())
    return sorted(all_callbacks, key=lambda cb: cb.order)


def _setup(*, model: nn.Module, train_loader: Iterable, epochs: int, lr: float,
           weight_decay: float, optimizer: torch.optim.Optimizer | None, scheduler: Any,
           val_loader: Iterable | None, loss_fn: Callable | None, device: Any, amp: Any,
           channels_last: bool | str, compile_model: bool, callbacks: list[Callback]) -> FitState:
    """Resolve fit's defaults: device, memory layout, optimizer, scheduler, torchrun."""
    check_setup_options(epochs=epochs, device=device, scheduler=scheduler, loss_fn=loss_fn,
                        channels_last=channels_last, compile_model=compile_model)
    device = torch.device(device or getattr(train_loader, "device", None) or get_device(False))
    device = process_device(device)  # under torchrun: this process's own GPU
    distributed = init_distributed(device)  # True under torchrun with 2+ processes
    dtype = amp_dtype(amp, device)
    if channels_last == "auto":
        convolutional = any(isinstance(m, nn.Conv2d) for m in model.modules())
        channels_last = convolutional and device.type in ("cuda", "cpu")
    model.to(device, memory_format=torch.channels_last if channels_last else torch.preserve_format)
    if distributed:  # each process trains and validates on its own share of every batch
        train_loader = shard_loader(train_loader, even=True)
        val_loader = val_loader if val_loader is None else shard_loader(val_loader, even=False)
    if optimizer is None:
        groups = param_groups(model, lr=lr, weight_decay=weight_decay)
        if not groups:
            raise ValueError("Every parameter is frozen: nothing to train. "
                             "HINT: unfreeze(model, 'head') or freeze_to(model, -1).")
        optimizer = torch.optim.AdamW(groups, lr=lr)
    else:  # yours: it must hold every trainable tensor (warns about frozen ones it holds)
        audit_optimizer(model, optimizer)
    if scheduler is not None and not hasattr(scheduler, "step"):  # a factory
        scheduler = scheduler(optimizer, epochs * len(train_loader))
    check_scheduler_optimizer(scheduler, optimizer)
    net = torch.compile(model) if compile_model else model
    wrapped = DDPWrapper(net, device) if distributed else lambda: net
    state = FitState(model, optimizer, scheduler, train_loader, val_loader,
                     loss_fn or nn.CrossEntropyLoss(), device, epochs, dtype, callbacks, wrapped)
    state.history.monitor = next(cb.monitor for cb in callbacks if isinstance(cb, BestWeights))
    return state


@torch.no_grad()
def evaluate(model: nn.Module, loader: Iterable, loss_fn: Callable | None = None, *,
             device: str | torch.device | None = None,
             amp: str | bool | torch.dtype | None = "auto") -> dict[str, float]:
    """Mean loss, accuracy and macro-F1 of ``model`` on ``loader``, in eval mode, no gradients.

    The confusion matrix is summed on the device (see ``metrics.py``) and read once. Under
    torchrun the sums are added up over all processes, so EVERY process must call it (a call on
    rank 0 alone would wait for the others forever); the result is the same on each.

    >>> model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2))
    >>> batches = [(torch.zeros(3, 2, 2), torch.zeros(3, dtype=torch.long))]
    >>> sorted(evaluate(model, batches))
    ['acc', 'loss', 'macro_f1']
    """
    device = check_device("device", device) if device else next(model.parameters()).device
    dtype = amp if isinstance(amp, torch.dtype) or amp is None else amp_dtype(amp, device)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    model.eval()  # and it stays so (as timm's validate): call model.train() to train by hand
    loss_sum = torch.zeros((), device=device)
    cm = None  # the confusion matrix, once the first batch says how many classes
    for batch in nonempty(loader, "loader"):
        inputs, y = to_device(batch, device)  # a tensor, or a tokenizer's dict (batches.py)
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            out = forward(model, inputs)
            if cm is None:
                check_head_fits_labels(out, y)  # a clear message, not an index error
            loss_sum += loss_fn(out, y).float() * len(y)
        batch_cm = confusion_matrix(y, out.argmax(dim=1), num_classes=out.shape[1])
        cm = batch_cm if cm is None else cm + batch_cm
    totals = all_reduce_sum(torch.cat([loss_sum.reshape(1), cm.flatten().float()]))
    loss_total, *counts = totals.tolist()  # the one host sync
    num_classes = cm.shape[0]
    seen, correct = sum(counts), sum(counts[::num_classes + 1])  # all, and the diagonal
    return {"loss": loss_total / seen, "acc": correct / seen,
            "macro_f1": macro_f1(torch.tensor(counts).reshape(num_classes, num_classes))}


def show_training_loop(callbacks: Iterable[Callback] = (), **fit_options: Any) -> None:
    """Print the source of :func:`fit`, the course's whole training loop, then each event in
    the order it fires with the callbacks fit() would run there (as fastai's
    ``Learner.show_training_loop`` does). Give the callbacks and options you pass to fit().

    >>> show_training_loop(clip_grad_norm=1.0, live_plot=False,
    ...                    progress=False)  # doctest: +ELLIPSIS
    def fit(...
    Events, in order, and the callbacks fit() would run at each:
      on_fit_start     once, before the first epoch
                       BestWeights
    ...
      on_before_step   each batch, after backward(), before optimizer.step() (gradients)
                       ClipGradNorm
    ...
    """
    attached = fit_callbacks(callbacks, **fit_options)
    print(inspect.getsource(fit))
    print("Events, in order, and the callbacks fit() would run at each:")
    for event, when in EVENTS.items():
        print(f"  {event:<16} {when}")
        names = [type(cb).__name__ for cb in attached
                 if getattr(type(cb), event) is not getattr(Callback, event)]
        print(" " * 19 + (", ".join(names) if names else "(none)"))
