"""Several processes, one model: what ``fit()`` does when it runs under ``torchrun``.

``torchrun --nproc_per_node=N script.py`` starts N copies of a script and tells each one, in
environment variables, who it is (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``). The script does not
change: ``fit()`` sees ``WORLD_SIZE > 1`` and then

1. joins the process group (``nccl`` between GPUs, ``gloo`` on CPUs);
2. wraps the model in ``DistributedDataParallel`` (DDP): after every ``backward()`` the gradients
   are averaged across processes, so every copy takes the same optimizer step;
3. gives each process its own SHARD of every batch: a ``TensorLoader``'s ``batch_size`` stays the
   GLOBAL batch, each of N processes computes ``batch_size // N`` of its images, so N processes
   take the same steps as one process would, with the work of each step split N ways (a
   ``DataLoader`` with a ``DistributedSampler`` follows PyTorch's rule instead: its batch size is
   per process);
4. adds up loss, accuracy and image counts across processes once per epoch, so every process
   sees the same History; a stop wanted by any process (early stopping, a time budget) stops all;
5. lets only rank 0 draw plots, show progress, print and save checkpoints.

An error or Ctrl+C in ONE process leaves the others waiting in their next collective call until
torchrun's timeout ends the run; the checkpoint rank 0 saved last is what survives.

Outside torchrun (``WORLD_SIZE`` unset or 1) every function here is a no-op.

>>> from course_utils.distributed import world_size, is_main_process
>>> world_size(), is_main_process()
(1, True)
"""
from __future__ import annotations

import atexit
import contextlib
import io
import os
from collections.abc import Iterator

import torch
import torch.distributed as dist
from torch import nn


def world_size() -> int:
    """How many processes train together (1 without torchrun)."""
    if dist.is_initialized():
        return dist.get_world_size()
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    """This process's number, 0 to world_size() - 1 (0 without torchrun)."""
    return dist.get_rank() if dist.is_initialized() else int(os.environ.get("RANK", "0"))


def is_main_process() -> bool:
    """True on rank 0, the process that plots, prints and saves.

    >>> is_main_process()
    True
    """
    return rank() == 0


def process_device(device: torch.device) -> torch.device:
    """Under torchrun a bare ``cuda`` means this process's GPU, ``cuda:$LOCAL_RANK``.

    >>> process_device(torch.device("cpu"))
    device(type='cpu')
    """
    if device.type == "cuda" and device.index is None and world_size() > 1:
        return torch.device("cuda", _cuda_index(device))
    return device


def init_distributed(device: torch.device) -> bool:
    """Join the process group when started by torchrun; True if training is distributed.

    The backend follows the device: ``nccl`` for CUDA, ``gloo`` otherwise.
    """
    if world_size() <= 1:
        return False
    if not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(_cuda_index(device))
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        atexit.register(_destroy)
    return True


def _cuda_index(device: torch.device) -> int:
    """The GPU of this process: the device's index, else torchrun's LOCAL_RANK."""
    return device.index if device.index is not None else int(os.environ.get("LOCAL_RANK", "0"))


def _destroy() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def all_reduce_sum(values: torch.Tensor) -> torch.Tensor:
    """``values`` summed over all processes (one collective call); unchanged without torchrun.

    >>> all_reduce_sum(torch.tensor([1.0, 2.0])).tolist()
    [1.0, 2.0]
    """
    if dist.is_initialized() and world_size() > 1:
        values = values.clone()
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values


def any_process(flag: bool, device: torch.device) -> bool:
    """True on every process if ``flag`` is True on any (one collective call under torchrun)."""
    if not (dist.is_initialized() and world_size() > 1):
        return flag
    return all_reduce_sum(torch.tensor([float(flag)], device=device)).item() > 0


def barrier() -> None:
    """Wait until every process gets here (no-op without torchrun)."""
    if dist.is_initialized() and world_size() > 1:
        dist.barrier()


def shard_loader(loader, even: bool):
    """The loader this process should iterate: its share of every batch.

    A ``TensorLoader`` gives a sharded copy (see ``TensorLoader.sharded``; ``even=True`` for
    training, where DDP needs equal shares); all processes first take rank 0's shuffling state,
    so they agree on the order. A ``DataLoader`` is returned as it is and must already use a
    ``DistributedSampler``.
    """
    if not (dist.is_initialized() and world_size() > 1):
        return loader
    if hasattr(loader, "sharded"):
        state = [loader.state_dict()]
        dist.broadcast_object_list(state, src=0)  # one shuffling order for everyone
        loader.load_state_dict(state[0])
        return loader.sharded(rank(), world_size(), even=even)
    sampler = getattr(loader, "sampler", None)
    if not isinstance(sampler, torch.utils.data.DistributedSampler):
        raise TypeError(
            f"Under torchrun every process would train on ALL of this {type(loader).__name__}'s "
            "images. HINT: use a TensorLoader (fit() shards it), or build the DataLoader with "
            "sampler=torch.utils.data.DistributedSampler(dataset).")
    return loader


def set_epoch(loader, epoch: int) -> None:
    """Tell a ``DistributedSampler`` which epoch it is (its shuffling depends on it)."""
    sampler = getattr(loader, "sampler", None)
    if isinstance(sampler, torch.utils.data.DistributedSampler):
        sampler.set_epoch(epoch)


class DDPWrapper:
    """The model's DDP wrapper, rebuilt when the set of trainable parameters changes.

    DDP registers the parameters that need gradients when it is built; a parameter unfrozen later
    (``GradualUnfreeze``) would otherwise never have its gradient averaged, and the processes
    would drift apart silently.
    """

    def __init__(self, model: nn.Module, device: torch.device) -> None:
        self.model, self.device = model, device
        self.signature: tuple[bool, ...] | None = None
        self.ddp: nn.Module | None = None

    def __call__(self) -> nn.Module:
        signature = tuple(p.requires_grad for p in self.model.parameters())
        if signature != self.signature:
            ids = [_cuda_index(self.device)] if self.device.type == "cuda" else None
            self.ddp = nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
            self.signature = signature
        return self.ddp


@contextlib.contextmanager
def quiet_unless_main() -> Iterator[None]:
    """Silence ``print`` on every process but rank 0 (torchrun would show N copies)."""
    if is_main_process():
        yield
    else:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
