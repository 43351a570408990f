"""Checkpoints that resume exactly: weights, optimizer, scheduler, freeze state and random state.

A resumed run must continue as if it had never stopped. That needs more than the weights: the
optimizer's moments, the scheduler's step, WHAT WAS FROZEN (``requires_grad`` per parameter and
the BatchNorm policies: a classic bug is a resumed run that trains layers that were frozen), the
optimizer's parameter groups (gradual unfreezing adds some), the random generators (Python,
NumPy, PyTorch, CUDA, and the loader's own), the history and the callbacks' state.

Files are written atomically (a temporary file in the same folder, then ``os.replace``), so a
crash never leaves half a checkpoint, and read with ``torch.load(weights_only=True)``, which
refuses to run code hidden in a file.

>>> import torch, tempfile, os
>>> from course_utils import save_checkpoint, load_checkpoint
>>> model = torch.nn.Linear(2, 3)
>>> path = os.path.join(tempfile.mkdtemp(), "demo.pt")
>>> save_checkpoint(path, model, epoch=4)
>>> load_checkpoint(path, torch.nn.Linear(2, 3))["epoch"]
4
"""
from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import torch
from torch import nn

from .callbacks import Callback
from .checkpoint_checks import CheckpointError, check_resumable, to_plain, total_steps
from .checks import check_instance, check_int
from .distributed import is_main_process
from .files import atomic_file, refuse_to_replace
from .seed import rng_state, set_rng_state
from .surgery import freeze_state, load_freeze_state
from .unfreezing import add_param_group

if TYPE_CHECKING:  # only for type hints: training.py imports this module
    from .fit_state import FitState

FORMAT = "course_utils.checkpoint/1"




def _keyed(callbacks: Iterable[Callback]) -> dict[str, Callback]:
    """Callbacks by class name (``Name#2`` for a second one of the same class)."""
    out: dict[str, Callback] = {}
    for cb in callbacks:
        key, n = type(cb).__name__, 1
        while key in out:
            n += 1
            key = f"{type(cb).__name__}#{n}"
        out[key] = cb
    return out


def save_checkpoint(path: str | os.PathLike, model: nn.Module,
                    optimizer: torch.optim.Optimizer | None = None, scheduler: Any = None,
                    epoch: int = -1, history: Any = None, extra: dict | None = None, *,
                    loader: Any = None, callbacks: Iterable[Callback] = (),
                    epochs: int | None = None) -> None:
    """Write everything needed to resume training to ``path``, atomically.

    Args:
        path: the file to write (its folder is created).
        model: its ``state_dict`` and freeze state (``requires_grad`` + BatchNorm policies).
        optimizer: its state and which parameter (by name) is in which group.
        scheduler: its ``state_dict``.
        epoch: the last finished epoch (``fit`` resumes at ``epoch + 1``).
        history: a ``History`` (or its ``to_dict()``).
        extra: anything else made of tensors, numbers, strings, lists and dicts.
        loader: a loader with ``state_dict()`` (``TensorLoader``: its random generator).
        callbacks: callbacks whose ``state_dict()`` to save (best weights, early stopping...).
        epochs: the epochs the run was planned for (a resume with other epochs is explained).

    Raises:
        IsADirectoryError: ``path`` is a folder. TypeError: ``extra`` holds something a safe
        load (``weights_only=True``) could not read back, such as a function.
    """
    path = Path(path).expanduser()
    refuse_to_replace(path, FORMAT, "a course checkpoint")  # never your own files
    check_instance("model", model, nn.Module, "save_checkpoint(path, model, ...).")
    epoch = check_int("epoch", epoch, min=-1, example=0)
    name_of = {id(p): n for n, p in model.named_parameters()}
    if optimizer is not None:
        check_instance("optimizer", optimizer, torch.optim.Optimizer,
                       "pass the optimizer object that trains this model, or leave it out.")
        foreign = sum(id(p) not in name_of for g in optimizer.param_groups for p in g["params"])
        if foreign:
            raise ValueError(f"optimizer holds {foreign} tensors that are not parameters of this "
                             "model: it was built for another model (or an old head). HINT: "
                             "save the optimizer that trains this model.")
    checkpoint = {
        "format": FORMAT, "epoch": epoch, "arch": type(model).__name__,
        "model": model.state_dict(), "freeze": freeze_state(model),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "optimizer_class": type(optimizer).__name__ if optimizer is not None else None,
        "scheduler_class": type(scheduler).__name__ if scheduler is not None else None,
        "scheduler_total_steps": total_steps(scheduler), "epochs": epochs,
        "optimizer_groups": None if optimizer is None else
        [[name_of[id(p)] for p in g["params"]] for g in optimizer.param_groups],
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "history": to_plain("history", history.to_dict() if hasattr(history, "to_dict")
                            else history),
        "rng": rng_state(),
        "loader": loader.state_dict() if hasattr(loader, "state_dict") else None,
        "steps_per_epoch": len(loader) if hasattr(loader, "__len__") else None,
        "callbacks": {key: to_plain(f"{type(cb).__name__}.state_dict()", cb.state_dict())
                      for key, cb in _keyed(callbacks).items()},
        "extra": to_plain("extra", extra or {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, binary=True) as f:  # readers see the old file or the new one
        torch.save(checkpoint, f)


def read_checkpoint(path: str | os.PathLike) -> dict:
    """Load a checkpoint file safely (``weights_only=True``, on the CPU) and check its format."""
    check_instance("path", path, (str, os.PathLike), "give the checkpoint's file name.")
    if Path(path).is_dir():
        raise CheckpointError(f"path={str(path)!r} is a folder, not a checkpoint file. HINT: "
                              "give the .pt file inside it.")
    if not Path(path).exists():
        raise FileNotFoundError(f"path={str(path)!r}: no such checkpoint. HINT: check the name; "
                                "SaveCheckpoint(path) writes one after each epoch of fit().")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except pickle.UnpicklingError as err:
        if "Unsupported global" not in str(err):  # text, an image, a truncated file...
            raise CheckpointError(f"{path} is not a PyTorch checkpoint, or it is damaged or "
                                  f"truncated ({str(err).splitlines()[-1][:120]}).") from None
        detail = next((line.strip() for line in str(err).splitlines() if "Unsupported" in line), "")
        raise CheckpointError(
            f"{path} holds Python objects or code, not just tensors and numbers ({detail}), so "
            "torch.load(weights_only=True) refused to run it. HINT: only if you trust where the "
            "file comes from, load it with torch.load(path, weights_only=False).") from None
    except Exception as err:  # a zip error, a truncated file, text...
        raise CheckpointError(f"{path} is not a PyTorch checkpoint, or it is damaged or "
                              f"truncated ({type(err).__name__}: {str(err)[:120]}).") from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        bare = isinstance(checkpoint, dict) and checkpoint and all(
            isinstance(v, torch.Tensor) for v in checkpoint.values())
        hint = ("It looks like a bare state_dict: model.load_state_dict(torch.load(path, "
                "weights_only=True))." if bare else "Write one with save_checkpoint().")
        raise CheckpointError(f"{path} is not a course_utils checkpoint. HINT: {hint}")
    return checkpoint


def check_architecture(model: nn.Module, state: dict[str, torch.Tensor], arch: str = "?") -> None:
    """Raise a CheckpointError naming the first differing keys or shapes, if any."""
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(v.shape)}"
              for k, v in own.items() if k in state and state[k].shape != v.shape]
    if missing or unexpected or shapes:
        problems = [f"{label} {items[:3]}" for label, items in
                    (("missing in the checkpoint:", missing), ("not in the model:", unexpected),
                     ("different shapes:", shapes)) if items]
        raise CheckpointError(
            f"The checkpoint was saved from a {arch}, which does not match this "
            f"{type(model).__name__}: " + "; ".join(problems) + ". HINT: build the same model "
            "(same head size: replace_head(model, num_classes)) before loading.")


def _restore_optimizer(optimizer: torch.optim.Optimizer, checkpoint: dict, model: nn.Module,
                       scheduler: Any) -> None:
    saved_groups, saved = checkpoint["optimizer_groups"], checkpoint["optimizer"]
    params = dict(model.named_parameters())
    for names, group in zip(saved_groups[len(optimizer.param_groups):],
                            saved["param_groups"][len(optimizer.param_groups):]):
        # a group added during training (GradualUnfreeze): add it again, before loading
        settings = {k: v for k, v in group.items() if k != "params"}
        add_param_group(optimizer, {**settings, "params": [params[n] for n in names]}, scheduler)
    name_of = {id(p): n for n, p in params.items()}
    now = [[name_of.get(id(p), "?") for p in g["params"]] for g in optimizer.param_groups]
    if now != saved_groups:
        raise CheckpointError("The optimizer's parameter groups differ from the checkpoint's. "
                              "HINT: freeze the same layers and build the optimizer the same way "
                              "as in the saved run, or pass optimizer=None to load weights only.")
    optimizer.load_state_dict(saved)


def load_checkpoint(path: str | os.PathLike, model: nn.Module,
                    optimizer: torch.optim.Optimizer | None = None, scheduler: Any = None, *,
                    loader: Any = None, callbacks: Iterable[Callback] = (),
                    restore_rng: bool = False, epochs: int | None = None) -> dict:
    """Load a checkpoint into ``model`` (and optimizer, scheduler, loader, callbacks if given).

    The model gets its weights and its freeze state back. Random generators are restored only
    with ``restore_rng=True`` (``fit(resume_from=...)`` does that). ``epochs``: the resumed
    run's total; refused (before anything changes) when the checkpoint has already done them.

    Returns:
        The checkpoint dict: ``epoch``, ``history`` (a dict), ``extra`` and the rest.

    Raises:
        CheckpointError: not a checkpoint, another architecture, or a file carrying code.
    """
    check_instance("model", model, nn.Module, "load_checkpoint(path, model, ...).")
    checkpoint = read_checkpoint(path)
    check_architecture(model, checkpoint["model"], checkpoint.get("arch", "?"))
    check_resumable(checkpoint, model, optimizer, scheduler)  # all checks before any change
    done = checkpoint["epoch"] + 1
    if epochs is not None and epochs <= done:
        raise ValueError(f"epochs={epochs}: the checkpoint {path} has already finished {done} "
                         "epochs, so resuming would train nothing. HINT: epochs counts ALL "
                         f"epochs, the finished ones included: e.g. epochs={done + 2}.")
    _check_same_run(checkpoint, loader, callbacks)
    before = ({k: v.clone() for k, v in model.state_dict().items()}, freeze_state(model),
              len(optimizer.param_groups) if optimizer is not None else 0,
              list(getattr(scheduler, "base_lrs", [])))
    try:  # all or nothing: a refused optimizer must not leave the model half loaded
        model.load_state_dict(checkpoint["model"])
        load_freeze_state(model, checkpoint["freeze"])
        if optimizer is not None and checkpoint["optimizer"] is not None:
            _restore_optimizer(optimizer, checkpoint, model, scheduler)
    except BaseException:
        weights, frozen, n_groups, base_lrs = before
        model.load_state_dict(weights)
        load_freeze_state(model, frozen)
        if optimizer is not None:
            del optimizer.param_groups[n_groups:]
        if hasattr(scheduler, "base_lrs"):
            scheduler.base_lrs = base_lrs
        raise
    if scheduler is not None and checkpoint["scheduler"] is not None:
        scheduler.load_state_dict(checkpoint["scheduler"])
    if loader is not None and checkpoint["loader"] is not None:
        loader.load_state_dict(checkpoint["loader"])
    for key, cb in _keyed(callbacks).items():
        if checkpoint["callbacks"].get(key):
            cb.load_state_dict(checkpoint["callbacks"][key])
    if restore_rng:
        set_rng_state(checkpoint["rng"])
    return checkpoint


def _check_same_run(checkpoint: dict, loader: Any, callbacks: Iterable[Callback]) -> None:
    """Refuse a resume whose batches per epoch or best-epoch metric differ from the saved run's:
    it would continue another run than the one saved (before anything is loaded)."""
    saved_steps = checkpoint.get("steps_per_epoch")
    if saved_steps and hasattr(loader, "__len__") and len(loader) != saved_steps:
        raise CheckpointError(f"train_loader: the checkpoint's run took {saved_steps} batches per "
                              f"epoch, this one {len(loader)} (another batch_size or data set). "
                              "HINT: resume with the same data and batch_size, or start a new "
                              "run from its weights: load_checkpoint(path, model).")
    for key, cb in _keyed(callbacks).items():
        saved = checkpoint["callbacks"].get(key) or {}
        if "monitor" in saved and saved["monitor"] != getattr(cb, "monitor", saved["monitor"]):
            raise CheckpointError(f"monitor: the checkpoint's run picked its best epoch by "
                                  f"{saved['monitor']!r}, this run by {cb.monitor!r}. HINT: resume "
                                  f"with monitor={saved['monitor']!r}.")


class SaveCheckpoint(Callback):
    """Save a checkpoint after every ``every`` epochs, for ``fit(..., resume_from=path)``.

    Args:
        path: the file; ``"{epoch}"`` in it is replaced by the epoch (``"ckpt-{epoch}.pt"``).
        every: save after epochs every-1, 2*every-1, ... (and always after the last one).

    >>> saver = SaveCheckpoint("data/run.pt")        # fit(..., callbacks=[saver])
    """

    order = 50  # after BestWeights and EarlyStopping have updated their state

    def __init__(self, path: str | os.PathLike, every: int = 1) -> None:
        self.path, self.every = str(path), check_int("every", every, min=1, example=1)
        try:
            self.path.format(epoch=0)
        except (KeyError, IndexError, ValueError) as err:
            raise ValueError(f"path={self.path!r}: the only placeholder a checkpoint name may "
                             f"hold is {{epoch}} (not {err}). HINT: e.g. 'run-{{epoch}}.pt'; "
                             "write {{ and }} for literal braces.") from None

    def on_fit_start(self, state: FitState) -> None:
        first = Path(self.path.format(epoch=state.start_epoch)).expanduser()
        refuse_to_replace(first, FORMAT, "a course checkpoint")  # before training, not after

    def on_epoch_end(self, state: FitState) -> None:
        if not is_main_process():  # under torchrun one process writes the file
            return
        if (state.epoch + 1) % self.every == 0 or state.epoch + 1 == state.epochs:
            save_checkpoint(self.path.format(epoch=state.epoch), state.model, state.optimizer,
                            state.scheduler, epoch=state.epoch, history=state.history,
                            loader=state.train_loader, callbacks=state.callbacks,
                            epochs=state.epochs)
