"""Leakage between splits: several photos of one product, and near-duplicates across splits.

Real data sets often hold several images of the same thing: five photos of one product, many
frames of one video, several scans of one patient. Split such a set image by image and the
validation set holds close copies of training images: the model is graded on what it has
memorised, and the validation accuracy says more than the model can do on new products.
Split by the unit of independence (the product) instead; ``sklearn.model_selection``'s
``GroupShuffleSplit`` does it. :func:`find_near_duplicates` finds the copies that crossed.

>>> train = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
>>> val = torch.tensor([[0.99, 0.05], [0.7, 0.7]])
>>> print(find_near_duplicates(val, train, threshold=0.95))
1 of 2 query items (50.0%) have a near-duplicate among 2 reference items (cosine similarity >= 0.95)
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .loaders import random_flip_crop


def photo_views(images: torch.Tensor, views: int = 5, seed: int = 0,
                shift: int = 2, brightness: float = 0.2, flip: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """``views`` "photos" of every item: each a random shift and brightness change (and flip).

    Args:
        images: uint8 (N, H, W), one image per item (product).
        views: photos per item.
        seed: makes the photos reproducible.
        shift: largest shift in pixels, in each direction.
        brightness: pixel values are scaled by a factor in ``1 +/- brightness``.
        flip: also flip half of the photos left-right.

    Returns:
        ``(photos, groups)``: uint8 (N * views, H, W), and the item index of every photo, so
        that photo ``i`` shows item ``groups[i]``.

    >>> photos, groups = photo_views(torch.zeros(3, 8, 8, dtype=torch.uint8), views=2)
    >>> tuple(photos.shape), groups.tolist()
    ((6, 8, 8), [0, 0, 1, 1, 2, 2])
    """
    if isinstance(views, bool) or not isinstance(views, int) or views < 1:
        raise ValueError(f"views={views!r}: give the number of photos per item, 1 or more.")
    if images.dtype != torch.uint8:
        raise ValueError(f"images have dtype {images.dtype}; photo_views expects uint8 pixels.")
    generator = torch.Generator().manual_seed(seed)
    repeated = images.repeat_interleave(views, dim=0)
    moved = random_flip_crop(repeated, pad=shift, flip=flip, generator=generator)
    n = len(moved)
    factor = 1 + brightness * (2 * torch.rand(n, generator=generator) - 1)
    photos = (moved.float() * factor.view(n, *[1] * (moved.dim() - 1))).round().clamp(0, 255)
    groups = torch.arange(len(images)).repeat_interleave(views)
    return photos.to(torch.uint8), groups


def pixel_vectors(images: torch.Tensor) -> torch.Tensor:
    """Each image as one vector of pixels minus the image's mean: its cosine similarity to
    another ignores brightness (a cheap check for copies, in the spirit of a perceptual hash).

    >>> a = torch.tensor([[[10, 20], [30, 40]]], dtype=torch.uint8)
    >>> find_near_duplicates(pixel_vectors(a), pixel_vectors(a * 2)).best.tolist()
    [1.0]
    """
    flat = images.flatten(1).float()
    return flat - flat.mean(dim=1, keepdim=True)


@torch.no_grad()
def embed(model: nn.Module, images: torch.Tensor,
          preprocess: Callable[[torch.Tensor], torch.Tensor], batch_size: int = 256) -> torch.Tensor:
    """The model's features (the input of its head) for every image, on the CPU.

    Works with models that have ``forward_features`` returning one vector per image (the lab
    ResNet) and with timm models (``forward_head(..., pre_logits=True)``).

    >>> from course_utils.lab_net import LabResNet
    >>> embed(LabResNet(3), torch.zeros(5, 28, 28, dtype=torch.uint8), lambda x: x.float()[:, None]).shape
    torch.Size([5, 128])
    """
    if not hasattr(model, "forward_features"):
        raise TypeError(f"{type(model).__name__} has no forward_features method. HINT: pass a "
                        "model from pretrained(...), or features you computed yourself to "
                        "find_near_duplicates.")
    model.eval()
    device = next(model.parameters()).device
    out = []
    for start in range(0, len(images), batch_size):
        x = preprocess(images[start:start + batch_size].to(device))
        features = model.forward_features(x)
        if hasattr(model, "forward_head"):  # timm: pooled features before the classifier
            features = model.forward_head(features, pre_logits=True)
        out.append(features.float().flatten(1).cpu())
    return torch.cat(out)


@dataclass
class NearDuplicates:
    """Query items whose best match among the reference items is at least ``threshold`` similar.

    Attributes:
        query: indices (into the query set) of the items that have a near-duplicate.
        match: for each of them, the index of its closest reference item.
        similarity: their cosine similarity.
        best: for EVERY query item, the similarity of its closest reference item.
        n_reference: how many reference items were searched.
        threshold: the cosine similarity from which two items count as near-duplicates.
    """

    query: torch.Tensor
    match: torch.Tensor
    similarity: torch.Tensor
    best: torch.Tensor
    n_reference: int
    threshold: float

    @property
    def share(self) -> float:
        """The fraction of query items that have a near-duplicate."""
        return len(self.query) / max(len(self.best), 1)

    def __len__(self) -> int:
        return len(self.query)

    def __str__(self) -> str:
        return (f"{len(self.query)} of {len(self.best)} query items ({self.share:.1%}) have a "
                f"near-duplicate among {self.n_reference} reference items (cosine similarity "
                f">= {self.threshold:g})")


def find_near_duplicates(query: torch.Tensor, reference: torch.Tensor, threshold: float = 0.95,
                         chunk: int = 1024) -> NearDuplicates:
    """For each query item, its most similar reference item; report those above ``threshold``.

    Args:
        query: (N, D) features of the items to check (e.g. the validation set), from
            :func:`embed`, or flattened pixels ``images.flatten(1).float()``.
        reference: (M, D) features of the set they may have leaked from (the training set).
        threshold: cosine similarity from which two items count as near-duplicates (1.0 =
            the same direction). Look at the ``best`` similarities to choose it.
        chunk: query rows compared at a time (bounds the memory to chunk x M).

    Returns:
        A :class:`NearDuplicates` report; ``print`` it for one line.
    """
    if query.dim() != 2 or reference.dim() != 2 or query.shape[1] != reference.shape[1]:
        raise ValueError(f"query {tuple(query.shape)} and reference {tuple(reference.shape)} must "
                         "both be (items, features) with the same number of features. HINT: "
                         "flatten images with .flatten(1) or use embed(model, images, ...).")
    if not len(reference):
        raise ValueError("reference is empty: there is nothing to compare against.")
    if not -1 <= threshold <= 1:
        raise ValueError(f"threshold={threshold!r}: a cosine similarity lies in [-1, 1].")
    q = F.normalize(query.float(), dim=1)
    r = F.normalize(reference.float(), dim=1)
    best, match = [], []
    for start in range(0, len(q), chunk):
        values, indices = (q[start:start + chunk] @ r.T).max(dim=1)
        best.append(values)
        match.append(indices)
    best_t = torch.cat(best) if best else torch.zeros(0)
    match_t = torch.cat(match) if match else torch.zeros(0, dtype=torch.long)
    hit = (best_t >= threshold).nonzero().flatten()
    return NearDuplicates(hit, match_t[hit], best_t[hit], best_t, len(reference), threshold)
