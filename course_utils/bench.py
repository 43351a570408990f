"""``python -m course_utils.bench``: how fast does the course train, against a tutorial's loop?

It times, on the same model (the lab ResNet, full fine-tuning) and the same Fashion-MNIST images:

(a) a typical tutorial loop (the one in the course's seed documents): a torchvision-style
    dataset with PIL transforms, a DataLoader at batch 32 with ``num_workers=0``, and
    ``loss.item()`` every step;
(b) course_utils' :func:`~course_utils.fit` with a :class:`~course_utils.TensorLoader` (data on the
    device, batch 128, channels_last, bf16 autocast where it pays, no per-step host syncs).

It prints images/s for each, the arithmetic (GFLOP/s) that (b) does given the model's FLOPs per
training image, what each loop does per epoch that does not depend on the clock (optimizer steps,
host syncs), and ends with ``speedup: <ratio>x``. ``--compile`` also times
``fit(..., compile_model=True)``, counting the compilation.

It states no "ceiling": a measured ``torch.matmul`` rate is not a CPU's peak (on an AMD Zen 5
machine fit()'s convolutions ran 30 % faster than its matmul), and the ratio between the loops
changes from CPU to CPU (bf16 helps on some, hurts on others). Compare the numbers on your machine.
"""
from __future__ import annotations

import argparse
import math
import time

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from .data import FASHION_MEAN, FASHION_STD, fashion_mnist, normalise_fashion
from .device import get_device
from .lab_net import LabResNet
from .loaders import TensorLoader
from .precision import amp_dtype
from .training import fit

TUTORIAL_BATCH = 32   # the seed documents' DataLoader batch size
FIT_BATCH = 128       # the course's TensorLoader batch size in the comparison


def flops_per_training_image(model: torch.nn.Module, input_size: tuple[int, ...]) -> float:
    """FLOPs of one forward + backward pass per image, counted by torch.utils.flop_counter."""
    x = torch.zeros(8, *input_size)
    with FlopCounterMode(display=False) as counter:
        model(x).sum().backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops() / 8


def per_epoch_work(n_images: int, tutorial_batch: int = TUTORIAL_BATCH,
                   fit_batch: int = FIT_BATCH) -> dict[str, int]:
    """What each loop does per epoch, independent of the clock: optimizer steps and host syncs
    (``loss.item()`` every step in the tutorial loop; one read per epoch in fit()).

    >>> per_epoch_work(4000)
    {'tutorial_steps': 125, 'tutorial_syncs': 125, 'fit_steps': 32, 'fit_syncs': 1}
    """
    tutorial_steps = math.ceil(n_images / tutorial_batch)
    return {"tutorial_steps": tutorial_steps, "tutorial_syncs": tutorial_steps,
            "fit_steps": math.ceil(n_images / fit_batch), "fit_syncs": 1}


def tutorial_loop(images: torch.Tensor, labels: torch.Tensor, seconds: float,
              device: torch.device | None = None) -> float:
    """A typical tutorial's training loop on ``device`` (default: ``get_device()``); images/s.

    As in the tutorials, the model lives on the device and each batch is copied there from the
    DataLoader's CPU tensors. Timed after a first, warm-up step.
    """
    from PIL import Image
    from torch.utils.data import DataLoader, Dataset
    from torchvision import transforms

    device = device or get_device(verbose=False)

    class FashionDataset(Dataset):  # what torchvision.datasets.FashionMNIST does per item
        transform = transforms.Compose([transforms.ToTensor(),
                                        transforms.Normalize(FASHION_MEAN, FASHION_STD)])

        def __len__(self) -> int:
            return len(labels)

        def __getitem__(self, i: int):
            return self.transform(Image.fromarray(images[i].numpy(), mode="L")), int(labels[i])

    model = LabResNet(num_classes=10).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(FashionDataset(), batch_size=TUTORIAL_BATCH, shuffle=True, num_workers=0)
    model.train()
    seen, start = 0, None
    while True:
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            running_loss = loss.item()  # noqa: F841 -- the tutorial's per-step sync
            if start is None:
                start = time.perf_counter()  # first step was warm-up
                continue
            seen += len(y)
            if time.perf_counter() - start > seconds:
                return seen / (time.perf_counter() - start)


def _loader(images: torch.Tensor, labels: torch.Tensor) -> TensorLoader:
    return TensorLoader(images, labels, batch_size=FIT_BATCH, shuffle=True, device=get_device(False),
                        seed=0, transform=normalise_fashion)


def course_fit(images: torch.Tensor, labels: torch.Tensor, seconds: float, amp: str) -> float:
    """course_utils' fit() on the same data; returns images/s over whole epochs."""
    quiet = {"amp": amp, "live_plot": False, "progress": False}
    model, loader = LabResNet(num_classes=10), _loader(images, labels)
    fit(model, _loader(images[:256], labels[:256]), epochs=1, **quiet)  # warm-up: kernels
    start = time.perf_counter()
    fit(model, loader, epochs=1, **quiet)
    elapsed, epochs = time.perf_counter() - start, 1
    if elapsed < seconds / 2:  # too short to trust: run more epochs
        epochs = max(1, int(seconds / elapsed))
        start = time.perf_counter()
        fit(model, loader, epochs=epochs, **quiet)
        elapsed = time.perf_counter() - start
    return len(labels) * epochs / elapsed


def compiled_fit(images: torch.Tensor, labels: torch.Tensor, amp: str,
                 epochs: int = 3) -> tuple[float, float]:
    """fit(compile_model=True) for a few epochs; returns (images/s after the first epoch, first
    epoch's extra seconds: the compilation)."""
    history = fit(LabResNet(num_classes=10), _loader(images, labels), epochs=epochs, amp=amp,
                  compile_model=True, live_plot=False, progress=False)
    later = sum(history.time[1:]) / max(1, epochs - 1)
    return len(labels) / later, history.time[0] - later


def layout_speeds(seconds: float = 5.0) -> dict[str, float]:
    """Training images/s (fp32, random inputs) of the lab ResNet (28 px, batch 128) and
    EfficientNet-Lite0 (64 px, batch 64), in PyTorch's default memory layout and channels_last."""
    from .models import pretrained

    device, rates = get_device(verbose=False), {}
    cases = (("lab_resnet", (1, 28, 28), 128), ("efficientnet_lite0", (3, 64, 64), 64))
    for name, shape, batch in cases:
        for layout in (torch.contiguous_format, torch.channels_last):
            model = (LabResNet(num_classes=10) if name == "lab_resnet"
                     else pretrained("efficientnet_lite0.imagenet", num_classes=10))
            model.to(device, memory_format=layout)
            optimizer = torch.optim.AdamW(model.parameters())
            x = torch.randn(batch, *shape, device=device).contiguous(memory_format=layout)
            y = torch.randint(0, 10, (batch,), device=device)
            steps, start = -2, 0.0  # two warm-up steps
            while steps <= 0 or time.perf_counter() - start < seconds:
                optimizer.zero_grad()
                F.cross_entropy(model(x), y).backward()
                optimizer.step()
                steps += 1
                if steps == 0:
                    start = time.perf_counter()
            if device.type == "cuda":
                torch.cuda.synchronize()  # the GPU may still be working through its queue
            rates[f"{name} {str(layout)[6:]}"] = steps * batch / (time.perf_counter() - start)
    return rates


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20000, help="training images used")
    parser.add_argument("--seconds", type=float, default=15.0, help="time per measurement")
    parser.add_argument("--amp", default="auto", help="fit()'s autocast: auto, bf16 or off")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile")
    parser.add_argument("--layouts", action="store_true",
                        help="also time the default memory layout against channels_last")
    args = parser.parse_args(argv)

    device = get_device()
    fm = fashion_mnist()
    images, labels = fm.train_images[:args.images], fm.train_labels[:args.images]
    print(f"model: LabResNet (0.7 M params), {len(labels)} Fashion-MNIST images, device {device}, "
          f"{torch.get_num_threads()} CPU threads")
    tutorial_rate = tutorial_loop(images, labels, args.seconds)
    print(f"(a) tutorial loop (DataLoader, PIL transforms, batch 32, .item() per step): "
          f"{tutorial_rate:,.0f} img/s")
    fit_rate = course_fit(images, labels, args.seconds, args.amp)
    print(f"(b) course_utils fit() (TensorLoader, batch 128, amp={args.amp}): "
          f"{fit_rate:,.0f} img/s")
    result = {}
    if args.compile:
        rate, compile_seconds = compiled_fit(images, labels, args.amp)
        gain = 1 / fit_rate - 1 / rate  # seconds saved per image once compiled
        pays = (f"pays for itself after {compile_seconds / gain / rate:,.0f} s of training"
                if gain > 0 else "never pays for itself here")
        print(f"(b') fit(compile_model=True): {rate:,.0f} img/s after {compile_seconds:.0f} s of "
              f"compilation in the first epoch; {pays}")
        result.update(compiled_img_s=rate, compile_seconds=compile_seconds)
    if args.layouts:
        result["layouts_img_s"] = layout_speeds(seconds=args.seconds / 3)
        for key, rate in result["layouts_img_s"].items():
            print(f"(c) layout: {key:40s} {rate:7,.0f} img/s")
    flops = flops_per_training_image(LabResNet(num_classes=10), (1, 28, 28))
    dtype = amp_dtype(args.amp, device) or torch.float32  # the precision fit() computed in
    work = per_epoch_work(len(labels))
    print(f"{flops / 1e9:.3f} GFLOP per training image: fit() did {fit_rate * flops / 1e9:,.0f} "
          f"GFLOP/s of useful arithmetic in {str(dtype)[6:]}")
    print(f"per epoch: tutorial {work['tutorial_steps']} steps and {work['tutorial_syncs']} host "
          f"syncs; fit() {work['fit_steps']} steps and {work['fit_syncs']} host sync")
    ratio = fit_rate / tutorial_rate
    print(f"speedup: {ratio:.1f}x")
    return {"tutorial_img_s": tutorial_rate, "fit_img_s": fit_rate, "flops_per_image": flops,
            "fit_gflop_s": fit_rate * flops / 1e9, "speedup": ratio, **work, **result}


if __name__ == "__main__":
    main()
