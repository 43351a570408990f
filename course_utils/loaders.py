"""In-memory batches on the device, with augmentation done by tensor ops on the whole batch.

Fashion-MNIST fits in memory many times over, so the course skips ``Dataset``/``DataLoader``
(and their worker processes, a classic source of crashes on Windows and macOS): the images move
to the device ONCE, stay ``uint8`` (4x smaller than float), and each batch is indexed, augmented
and converted to float there. On a GPU nothing crosses the PCIe bus during training.

>>> import torch
>>> from course_utils import TensorLoader
>>> images, labels = torch.zeros(10, 28, 28, dtype=torch.uint8), torch.arange(10)
>>> loader = TensorLoader(images, labels, batch_size=4, device="cpu")
>>> len(loader), [tuple(x.shape) for x, y in loader]
(3, [(4, 1, 28, 28), (4, 1, 28, 28), (2, 1, 28, 28)])
"""
from __future__ import annotations

import copy
from typing import Callable, Iterator

import torch
import torch.nn.functional as F

from .checks import (check_bool, check_callable, check_device, check_images_labels, check_int,
                     check_seed, check_tensor)
from .device import get_device

AUGMENTS = ("flip", "crop", "flip_crop")


def check_pixel_range(images: torch.Tensor) -> None:
    """Float images must already be in [0, 1]; 0..255 floats would silently train on pixels
    255 times too bright. (uint8 images are scaled for you.)

    >>> check_pixel_range(torch.full((1, 2, 2), 200.0))
    Traceback (most recent call last):
    ValueError: These float images have values up to 200: they look like 0..255 pixels. HINT: pass them as uint8 (images.to(torch.uint8)) or divide them by 255 first.
    """
    if images.is_floating_point() and images.numel() and float(images.max()) > 1.5:
        raise ValueError(f"These float images have values up to {float(images.max()):.0f}: they "
                         "look like 0..255 pixels. HINT: pass them as uint8 (images.to(torch.uint8)) "
                         "or divide them by 255 first.")


def to_float(images: torch.Tensor) -> torch.Tensor:
    """Default model input: add a channel dim to (N, H, W) and scale uint8 pixels to [0, 1].
    Float tensors (already scaled images, or features) pass through as they are.

    >>> to_float(torch.full((1, 2, 2), 255, dtype=torch.uint8)).flatten().tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    check_tensor("images", images, min_dims=2, nonempty=False)
    if not (images.dtype == torch.uint8 or images.is_floating_point()):
        raise TypeError(f"images have dtype {images.dtype}: pixels must be torch.uint8 (0..255) "
                        "or floats in [0, 1]. HINT: images.to(torch.uint8) for 0..255 values.")
    x = images.unsqueeze(1) if images.dim() == 3 else images
    return x.float().div_(255) if x.dtype == torch.uint8 else x.float()


def random_flip_crop(images: torch.Tensor, pad: int = 2, flip: bool = True,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """Random horizontal flip and random crop after zero-padding, per image, as batch tensor ops.

    Works on (N, H, W) or (N, C, H, W), any dtype, on any device. A crop after padding ``pad``
    pixels shifts each image by -pad..pad pixels in each direction.

    Args:
        images: a batch of images.
        pad: pixels of zero padding before the random crop (0: no crop).
        flip: flip each image left-right with probability 1/2.
        generator: a ``torch.Generator`` on the images' device, for reproducible draws.

    Returns:
        A new batch of the same shape and dtype.

    >>> x = torch.arange(16, dtype=torch.uint8).view(1, 4, 4)
    >>> random_flip_crop(x, pad=0, flip=False).equal(x)
    True
    """
    check_tensor("images", images, min_dims=3, max_dims=4, nonempty=False)
    pad = check_int("pad", pad, min=0, example=2)
    flip = check_bool("flip", flip)
    n, h, w = images.shape[0], images.shape[-2], images.shape[-1]
    device = images.device
    if flip:
        mask = torch.rand(n, generator=generator, device=device) < 0.5
        images = torch.where(mask.view(n, *[1] * (images.dim() - 1)), images.flip(-1), images)
    if pad > 0:
        padded = F.pad(images.reshape(n, -1, h, w), (pad, pad, pad, pad))  # (N, C, H+2p, W+2p)
        dy, dx = torch.randint(0, 2 * pad + 1, (2, n), generator=generator, device=device)
        rows = dy[:, None] + torch.arange(h, device=device)  # (N, H): which padded rows to keep
        cols = dx[:, None] + torch.arange(w, device=device)  # (N, W)
        batch = torch.arange(n, device=device)[:, None, None]
        crops = padded[batch, :, rows[:, :, None], cols[:, None, :]]  # (N, H, W, C)
        images = crops.permute(0, 3, 1, 2).reshape(images.shape)
    return images


class SeededShuffle:
    """What a course loader saves in a checkpoint: its shuffling generator and seed, so a
    resumed run (and ``lr_find``'s restore) draws the same batches. Needs ``self.generator``
    and ``self.seed``."""

    generator: torch.Generator
    seed: int

    def state_dict(self) -> dict:
        """The generator's state: saving it makes a resumed run draw the same batches."""
        return {"generator": self.generator.get_state(), "seed": self.seed}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned."""
        self.generator.set_state(state["generator"])
        self.seed = state["seed"]


class TensorLoader(SeededShuffle):
    """Batches of (x, y) from tensors kept on the device; shuffling and augmentation reproducible.

    Per batch: index the uint8 images, ``augment`` them (on the device), then ``transform`` them
    to the float model input. Shuffling and the built-in augmentations draw from the loader's own
    ``torch.Generator``, so a run does not depend on what else consumed random numbers, and
    :func:`~course_utils.save_checkpoint` can save and restore it (``state_dict``).

    Args:
        images: uint8 (N, H, W) or (N, C, H, W) (float works too).
        labels: class indices (N,).
        batch_size: images per batch.
        shuffle: a new random order every epoch.
        augment: ``None``, ``"flip"``, ``"crop"``, ``"flip_crop"`` (random horizontal flip and
            a random crop after ``pad`` pixels of zero padding), or a callable ``batch -> batch``
            (a callable uses the global RNG: call :func:`~course_utils.seed_everything` first).
        transform: ``uint8 batch -> float model input``, for example a pretrained model's
            ``course_cfg.preprocess``; default :func:`to_float` (channel dim, /255).
        device: where the data lives; default :func:`~course_utils.get_device`.
        drop_last: skip a last, smaller batch.
        seed: seed of the loader's generator; default: drawn from PyTorch's global generator.
        pad: padding for the ``"crop"`` augmentations.

    >>> loader = TensorLoader(torch.zeros(6, 8, 8, dtype=torch.uint8), torch.zeros(6).long(),
    ...                       batch_size=4, shuffle=True, augment="flip_crop", device="cpu", seed=0)
    >>> x, y = next(iter(loader)); x.dtype, tuple(x.shape)
    (torch.float32, (4, 1, 8, 8))
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 128,
                 shuffle: bool = False, augment: str | Callable | None = None,
                 transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
                 device: str | torch.device | None = None, drop_last: bool = False,
                 seed: int | None = None, pad: int = 2) -> None:
        images, labels = check_images_labels(images, labels, min_dims=2)
        batch_size = check_int("batch_size", batch_size, min=1, example=128)
        shuffle, drop_last = check_bool("shuffle", shuffle), check_bool("drop_last", drop_last)
        if isinstance(augment, str) and augment not in AUGMENTS:
            raise ValueError(f"augment={augment!r}: use one of {AUGMENTS}, a callable or None.")
        if augment is not None and not isinstance(augment, str):
            check_callable("augment", augment, "'flip_crop' or a function batch -> batch")
        if transform is not None:
            check_callable("transform", transform, "model.course_cfg.preprocess")
        pad = check_int("pad", pad, min=0, example=2)
        seed = None if seed is None else check_seed(seed)
        self.device = check_device("device", device) if device is not None else \
            get_device(verbose=False)
        self.images = images.to(self.device)  # the one and only copy to the device
        self.labels = labels.to(self.device, torch.long)
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.augment, self.pad = augment, pad
        self.transform = transform if transform is not None else to_float
        self.generator = torch.Generator(device=self.device)
        self.seed = int(torch.randint(2**62, ())) if seed is None else seed
        self.generator.manual_seed(self.seed)
        self.rank, self.world_size, self.even = 0, 1, True  # see sharded()

    def sharded(self, rank: int, world_size: int, even: bool = True) -> TensorLoader:
        """A copy that yields only process ``rank``'s share of each batch (``fit()`` makes it under
        torchrun). It shares the images and the random generator with this loader.

        ``batch_size`` stays the global batch: process ``rank`` takes images ``rank``,
        ``rank + world_size``, ... of each batch, so the processes together see exactly the
        batches one process would (augmented the same way: every process draws the random
        flips and crops for the whole batch, then keeps its share; cheap uint8 tensor ops).
        ``even=True`` (training: DDP needs equal shares) needs a ``batch_size`` that divides by
        ``world_size`` and skips a last batch too small to give every process an image; with
        ``even=False`` (evaluation) the shares of the last batch may differ by one.

        >>> loader = TensorLoader(torch.zeros(8, 2, 2), torch.arange(8), batch_size=4, device="cpu")
        >>> [y.tolist() for x, y in loader.sharded(rank=1, world_size=2)]
        [[1, 3], [5, 7]]
        """
        world_size = check_int("world_size", world_size, min=1, example=2)
        rank = check_int("rank", rank, min=0, max=world_size - 1, example=0)
        if even and self.batch_size % world_size:
            raise ValueError(f"batch_size={self.batch_size} cannot be split evenly over "
                             f"{world_size} processes. HINT: use a multiple of {world_size}.")
        shard = copy.copy(self)
        shard.rank, shard.world_size, shard.even = rank, world_size, even
        return shard

    def __len__(self) -> int:
        n, b = len(self.labels), self.batch_size
        if self.world_size > 1 and self.even and not self.drop_last and n % b < self.world_size:
            return n // b  # a last batch too small to give every process an image is dropped
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.labels)
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator, device=self.device)
        else:
            order = torch.arange(n, device=self.device)
        for i in range(len(self)):
            idx = order[i * self.batch_size:(i + 1) * self.batch_size]
            x, y = self._augment(self.images[idx]), self.labels[idx]
            if self.world_size > 1:  # this process's share, augmented as the whole batch was
                keep = len(y) - len(y) % self.world_size if self.even else len(y)
                x, y = x[self.rank:keep:self.world_size], y[self.rank:keep:self.world_size]
                if not len(y):
                    continue
            yield self.transform(x), y

    def _augment(self, x: torch.Tensor) -> torch.Tensor:
        if self.augment is None:
            return x
        if callable(self.augment):
            return self.augment(x)
        pad = self.pad if "crop" in self.augment else 0
        return random_flip_crop(x, pad=pad, flip="flip" in self.augment, generator=self.generator)

    def __repr__(self) -> str:
        return (f"TensorLoader({len(self.labels)} images {tuple(self.images.shape[1:])} "
                f"{self.images.dtype}, batch_size={self.batch_size}, batches={len(self)}, "
                f"shuffle={self.shuffle}, augment={self.augment!r}, device={self.device})")
