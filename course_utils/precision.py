"""Which number format training computes in: full fp32, or bf16 autocast where it is faster.

bf16 ("brain float") keeps fp32's range with fewer digits, so matmuls and convolutions can run in
it without a loss scaler. On a CUDA GPU it is the standard choice. On a CPU it depends on the chip:
units built for it (Intel's AMX, AMD's AVX-512 BF16) can make it faster, elsewhere it is emulated
and slower, and even with those units a small network may not gain. So ``amp="auto"`` on a CPU
MEASURES: a short probe (well under a second) times a few training steps of a small convolutional
network in each format, once per process, and picks bf16 only when it is clearly faster. The
choice is printed once, like the device. ``COURSE_AMP=bf16`` or ``COURSE_AMP=off`` skips the probe.

>>> amp_dtype("off", torch.device("cpu")) is None
True
>>> amp_dtype("bf16", torch.device("cpu"))
torch.bfloat16
"""
from __future__ import annotations

import os
import time

import torch
from torch import nn

from .seed import seeded

BF16_MIN_SPEEDUP = 1.1  # bf16 rounds more coarsely: take it only for a clear gain
_ON = (True, "bf16", "bfloat16", "1")
_OFF = (False, None, "off", "fp32", "0")
_cpu_choice: torch.dtype | None | str = "unset"  # the probe's answer, once per process


def amp_dtype(amp: str | bool | None, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for ``amp`` on ``device`` (None: full fp32).

    ``"auto"``: ``$COURSE_AMP`` if set; else bf16 on a CUDA GPU that supports it; on a CPU the
    faster format by :func:`probe_cpu_bf16` (fp32 under torchrun, so all processes agree);
    else off. ``"bf16"``/True: bf16 everywhere. ``"off"``/False: fp32.
    """
    device = torch.device(device)  # "cpu" works as well as torch.device("cpu")
    if amp == "auto" and os.environ.get("COURSE_AMP"):
        value = os.environ["COURSE_AMP"].strip().lower()
        if value not in ("auto", *_ON[1:], *_OFF[2:]):
            raise ValueError(f"COURSE_AMP={os.environ['COURSE_AMP']!r} is not a precision: set it "
                             "to bf16, off or auto, or unset it (`del os.environ['COURSE_AMP']`).")
        amp = value
    if amp == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
        if device.type == "cpu" and int(os.environ.get("WORLD_SIZE", "1")) == 1:
            return _probed_cpu_choice()
        return None
    if amp in _ON:
        return torch.bfloat16
    if amp in _OFF:
        return None
    raise ValueError(f"amp={amp!r}: use 'auto', 'bf16' or 'off'.")


def probe_cpu_bf16(steps: int = 5, batch: int = 32) -> dict[str, float]:
    """Training steps per second of a small convolutional network on the CPU, in fp32 and in
    bf16 autocast (channels_last, as fit() trains convolutional models). The two formats take
    turns, step by step, so a busy machine slows both alike; each keeps its fastest step.
    Takes well under a second.

    >>> sorted(probe_cpu_bf16(steps=1, batch=2))
    ['bf16', 'fp32']
    """
    # seeded: the probe's own draws; your random state is as it was (same seed, same run)
    with torch.inference_mode(False), torch.enable_grad(), seeded(0):
        x = torch.randn(batch, 16, 28, 28).contiguous(memory_format=torch.channels_last)
        y = torch.randint(0, 10, (batch,))
        model = nn.Sequential(nn.Conv2d(16, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
                              nn.Conv2d(64, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
                              nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
        model.to(memory_format=torch.channels_last)
        fastest = {"fp32": float("inf"), "bf16": float("inf")}
        _time_steps(model, x, y, steps, fastest)
    return {name: 1 / seconds for name, seconds in fastest.items()}


def _time_steps(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int,
                fastest: dict[str, float]) -> None:
    """Alternate fp32 and bf16 training steps; keep each format's fastest time in ``fastest``."""
    for step in range(steps + 1):  # step 0 is warm-up (kernel selection), not timed
        for name in fastest:
            start = time.perf_counter()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=name == "bf16"):
                loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            if step:
                fastest[name] = min(fastest[name], time.perf_counter() - start)


def _probed_cpu_choice() -> torch.dtype | None:
    """Run the probe the first time only; print what it chose and how to override it."""
    global _cpu_choice
    if _cpu_choice == "unset":
        rates = probe_cpu_bf16()
        speedup = rates["bf16"] / rates["fp32"]
        _cpu_choice = torch.bfloat16 if speedup >= BF16_MIN_SPEEDUP else None
        verdict = "bf16 autocast" if _cpu_choice else "fp32"
        print(f"course_utils: this CPU trains {speedup:.2f}x as fast in bf16 as in fp32 (a short "
              f"probe), so amp='auto' uses {verdict}. COURSE_AMP=bf16 or off forces a choice.")
    return _cpu_choice
