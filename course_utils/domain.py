"""Domain shift: a "camera B" that photographs the same classes differently, and AdaBN.

``camera_b`` turns uint8 images into what a second, worse camera would deliver: inverted contrast,
a gamma curve, blur and sensor noise. The classes stay the same; only the pixels' statistics
change (a domain shift, as when a warehouse installs a new camera).

``adapt_batchnorm`` is AdaBN (Li et al., 2016): re-estimate every BatchNorm layer's running mean
and variance on *unlabelled* target images, leaving every weight as it is. It uses PyTorch's own
cumulative average (``momentum=None``) and puts each layer's momentum and mode back afterwards.

>>> import torch
>>> x = torch.zeros(2, 28, 28, dtype=torch.uint8)
>>> camera_b(x, seed=0).dtype, camera_b(x, seed=0).shape
(torch.uint8, torch.Size([2, 28, 28]))
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


@dataclass(frozen=True)
class Camera:
    """How camera B distorts an image; every step is applied in this order.

    Attributes:
        invert: flip the contrast (dark becomes bright), as an inverted sensor or a negative.
        gamma: pixel ** gamma on [0, 1] (< 1 brightens the dark tones).
        blur_sigma: standard deviation of the Gaussian blur, in pixels (0: no blur).
        noise_std: standard deviation of the Gaussian sensor noise, on the [0, 1] scale.
    """

    invert: bool = True
    gamma: float = 0.6
    blur_sigma: float = 0.8
    noise_std: float = 0.08


CAMERA_B = Camera()


def camera_b(images: torch.Tensor, seed: int = 0, camera: Camera = CAMERA_B) -> torch.Tensor:
    """The same images as camera B would take them: uint8 in, uint8 out, same shape.

    Args:
        images: uint8 images (N, H, W) or (N, C, H, W), on any device.
        seed: seed of the noise (the same seed gives the same photos).
        camera: the distortion; :data:`CAMERA_B` by default.

    Returns:
        The distorted images, uint8, on the input's device.

    >>> white = torch.full((1, 8, 8), 255, dtype=torch.uint8)
    >>> int(camera_b(white, camera=Camera(gamma=1.0, blur_sigma=0, noise_std=0)).max())
    0
    """
    if images.dtype != torch.uint8:
        raise ValueError(f"camera_b needs uint8 images (0..255), got dtype {images.dtype}. "
                         "HINT: pass the raw images (fm.test_images), before preprocessing.")
    if images.dim() not in (3, 4):
        raise ValueError(f"images has shape {tuple(images.shape)}: use (N, H, W) or (N, C, H, W).")
    if camera.gamma <= 0 or camera.blur_sigma < 0 or camera.noise_std < 0:
        raise ValueError(f"camera={camera}: gamma must be > 0, blur_sigma and noise_std >= 0.")
    from torchvision.transforms.v2 import functional as F

    x = images.float().div(255)
    x = x.unsqueeze(1) if x.dim() == 3 else x
    if camera.invert:
        x = 1 - x
    x = x.pow(camera.gamma)
    if camera.blur_sigma > 0:
        size = 2 * round(2 * camera.blur_sigma) + 1  # covers +-2 sigma
        x = F.gaussian_blur(x, [size, size], [camera.blur_sigma, camera.blur_sigma])
    if camera.noise_std > 0:
        generator = torch.Generator(device=x.device).manual_seed(seed)
        x = x + camera.noise_std * torch.randn(x.shape, generator=generator, device=x.device)
    out = x.clamp(0, 1).mul(255).round().to(torch.uint8)
    return out.squeeze(1) if images.dim() == 3 else out


def batchnorm_layers(model: nn.Module) -> list[_BatchNorm]:
    """Every BatchNorm layer of ``model`` that keeps running statistics.

    >>> len(batchnorm_layers(nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))))
    1
    """
    return [m for m in model.modules() if isinstance(m, _BatchNorm) and m.track_running_stats]


def _batches(data: torch.Tensor | Iterable, batch_size: int,
             transform: Callable[[torch.Tensor], torch.Tensor] | None) -> Iterable[torch.Tensor]:
    """Input batches from a tensor of images or from a loader of ``x`` or ``(x, y)`` batches."""
    if isinstance(data, torch.Tensor):
        data = data.split(batch_size)
    for batch in data:
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        yield transform(x) if transform is not None else x


@torch.no_grad()
def adapt_batchnorm(model: nn.Module, data: torch.Tensor | Iterable, batch_size: int = 256,
                    transform: Callable[[torch.Tensor], torch.Tensor] | None = None) -> int:
    """AdaBN: re-estimate every BatchNorm layer's statistics on unlabelled target images.

    Each layer's running mean and variance are reset and then set to the exact average over
    ``data`` (``momentum=None``: PyTorch's cumulative average). Only the BatchNorm layers run in
    train mode; dropout and the rest stay in eval mode. Weights, ``requires_grad``, momenta and
    every module's train/eval mode are as before when it returns. Labels, if any, are ignored.

    Args:
        model: the model to adapt, in place.
        data: model inputs, either a tensor of images (split into ``batch_size`` batches) or an
            iterable of batches (``x`` or ``(x, y)``, e.g. a ``TensorLoader``).
        batch_size: batch size when ``data`` is a tensor.
        transform: applied to each batch first (e.g. ``model.course_cfg.preprocess`` for uint8).

    Returns:
        The number of images the statistics were computed from.

    >>> net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    >>> adapt_batchnorm(net, torch.randn(10, 1, 8, 8), batch_size=4)
    10
    >>> int(net[1].num_batches_tracked)
    3
    """
    layers = batchnorm_layers(model)
    if not layers:
        raise ValueError(f"The {type(model).__name__} has no BatchNorm layer with running "
                         "statistics, so there is nothing for AdaBN to re-estimate.")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r}: use a whole number >= 1, e.g. 256.")
    modes = {m: m.training for m in model.modules()}
    saved = {bn: (bn.momentum, [b.clone() for b in _stats(bn)]) for bn in layers}
    device = next(model.parameters()).device
    seen, finished = 0, False
    try:
        model.eval()
        for bn in layers:
            bn.reset_running_stats()
            bn.momentum = None  # cumulative average: every batch weighs the same
            bn.train()
        for n, x in enumerate(_batches(data, batch_size, transform)):
            try:
                model(x.to(device))
            except Exception as err:
                raise ValueError(f"data: the model failed on batch {n} ({type(err).__name__}: "
                                 f"{err}). The BatchNorm statistics are unchanged. HINT: give "
                                 "every batch the model's input shape and preprocessing "
                                 "(transform=model.course_cfg.preprocess).") from err
            seen += len(x)
        finished = True
    finally:
        for bn, (momentum, stats) in saved.items():
            bn.momentum = momentum
            if not finished or seen == 0:  # failed or empty: the old statistics go back
                for buffer, old in zip(_stats(bn), stats):
                    buffer.copy_(old)
        for module, training in modes.items():
            module.train(training)
    if seen == 0:
        raise ValueError("data held no images: AdaBN needs unlabelled target images. The "
                         "model's statistics are unchanged.")
    return seen


def _stats(bn: _BatchNorm) -> list[torch.Tensor]:
    return [bn.running_mean, bn.running_var, bn.num_batches_tracked]
