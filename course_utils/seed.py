"""Reproducible runs: one call seeds every random number generator the course uses.

Two runs with the same seed on the same machine (same device, same library versions) give the
same history. Different machines may differ in the last digits: floating-point sums run in
different orders on different hardware.

>>> from course_utils import seed_everything
>>> seed_everything(0)
0
"""
from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from .checks import check_bool, check_int


def seed_everything(seed: int = 0, deterministic: bool = False) -> int:
    """Seed Python's ``random``, NumPy and PyTorch (CPU and every GPU) with one number.

    It also sets the cheap cuDNN switches (``deterministic=True``, ``benchmark=False``) so that
    convolutions on a GPU pick the same algorithm every run. With ``deterministic=True`` it asks
    PyTorch for deterministic algorithms everywhere (``warn_only``: ops without one warn instead
    of failing); that can be slower on a GPU and is rarely needed for the course.

    Note: DataLoader workers and a :class:`~course_utils.TensorLoader` built with ``seed=None``
    draw their seed from PyTorch's global generator, so seed *before* building loaders.

    Args:
        seed: any integer.
        deterministic: also call ``torch.use_deterministic_algorithms(True, warn_only=True)``.

    Returns:
        The seed, so a notebook can print or record it.

    >>> seed_everything(1); a = torch.rand(2)
    1
    >>> seed_everything(1); torch.equal(a, torch.rand(2))
    1
    True
    """
    seed = check_int("seed", seed, min=-(2**63), max=2**64 - 1, example=0)
    deterministic = check_bool("deterministic", deterministic)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # seeds the CPU and every CUDA device
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    if deterministic:
        # cuBLAS needs this set before its first use to be deterministic on CUDA >= 10.2.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
    return seed


def rng_state() -> dict[str, Any]:
    """Every global random generator's state: Python, NumPy, PyTorch CPU and CUDA."""
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    state = {"python": random.getstate(), "torch": torch.get_rng_state(),
             "numpy": (name, keys.tolist(), pos, has_gauss, gauss)}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` returned."""
    random.setstate(state["python"])
    name, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((name, np.array(keys, dtype=np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(state["torch"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Inside the block, the global generators start from ``seed``; after it they are as they
    were, so code that needs its own fixed draws (a checker's test model) leaves yours alone.

    >>> with seeded(0):
    ...     a = torch.rand(1)
    >>> with seeded(0):
    ...     b = torch.rand(1)
    >>> bool(a == b)
    True
    """
    saved = rng_state()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        set_rng_state(saved)
