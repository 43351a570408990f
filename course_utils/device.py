"""Where the course trains: one place that picks the device and says so once.

>>> from course_utils import get_device
>>> get_device(verbose=False).type in {"cuda", "mps", "cpu"}
True
"""
from __future__ import annotations

import os

import torch

_reported = False


def get_device(verbose: bool = True) -> torch.device:
    """Return the best available device: CUDA, then Apple MPS, then CPU.

    Under ``torchrun`` each process gets its own GPU, ``cuda:$LOCAL_RANK``.
    Set the environment variable ``COURSE_DEVICE`` (for example ``cpu``) to override it.
    The choice is printed the first time only, so notebooks do not repeat it.

    Args:
        verbose: print the choice (once per session).

    Returns:
        The ``torch.device`` every course function uses by default.

    >>> get_device(verbose=False)  # doctest: +SKIP
    device(type='cpu')
    """
    global _reported
    forced = os.environ.get("COURSE_DEVICE")
    if forced:
        device = _forced_device(forced)
    elif torch.cuda.is_available():  # under torchrun: this process's own GPU
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    elif getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        device = torch.device("mps")
    else:
        device = torch.device("cpu")
    if verbose and not _reported:
        name = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
        print(f"course_utils: training on {name}")
        _reported = True
    return device


def _forced_device(value: str) -> torch.device:
    """``$COURSE_DEVICE`` as a device, or an error that names the variable and what exists."""
    unset = "Set COURSE_DEVICE to cpu, cuda, cuda:N or mps, or unset it (del os.environ[...])."
    try:
        device = torch.device(value)
    except RuntimeError:
        raise ValueError(f"COURSE_DEVICE={value!r} is not a device. {unset}") from None
    missing = {"cuda": not torch.cuda.is_available(),
               "mps": not (getattr(torch.backends, "mps", None)
                           and torch.backends.mps.is_available())}.get(device.type, False)
    if missing:
        raise RuntimeError(f"COURSE_DEVICE={value!r} but this machine has no {device.type} "
                           f"device. {unset}")
    if device.type == "cuda" and device.index is not None and \
            device.index >= torch.cuda.device_count():
        raise RuntimeError(f"COURSE_DEVICE={value!r} but this machine has "
                           f"{torch.cuda.device_count()} CUDA device(s). {unset}")
    return device

