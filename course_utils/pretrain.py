"""Make the lab checkpoint: ``python -m course_utils.pretrain`` (about 3 minutes on a quiet 2-core CPU).

It trains :class:`~course_utils.lab_net.LabResNet` on the Fashion-MNIST *source* classes and writes
``data/lab_resnet_fmnist_source.pt`` with the weights and metadata (classes, test accuracy, seed,
settings, torch version). The chapters fine-tune it on the *target* classes (Pullover, Coat, Shirt),
which it has never seen, and can measure forgetting because the source data is at hand.

This script is deliberately plain PyTorch (no course_utils training loop), so it is also a compact
reference for a full training run.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from .data import (CLASSES, LAB_SOURCE_CLASSES, LAB_TARGET_CLASSES, fashion_mnist,
                   normalise_fashion, select_classes)
from .files import atomic_file
from .lab_net import LabResNet
from .models import LAB_CHECKPOINT



def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random horizontal flip per image and one random shift of up to 2 pixels per batch."""
    flip = torch.rand(len(x), generator=generator) < 0.5
    x = torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x)
    dx, dy = torch.randint(-2, 3, (2,), generator=generator).tolist()
    return torch.roll(x, shifts=(dy, dx), dims=(-2, -1))


@torch.no_grad()
def accuracy(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Top-1 accuracy (fp32, eval mode), in batches of 1,000."""
    model.eval()
    correct = sum((model(normalise_fashion(images[i:i + 1000])).argmax(1) == labels[i:i + 1000]).sum().item()
                  for i in range(0, len(labels), 1000))
    return correct / len(labels)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--max-lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bf16", choices=["auto", "on", "off"], default="auto",
                        help="bf16 autocast on the CPU: pays only on CPUs with AMX/AVX512-bf16")
    parser.add_argument("--out", type=Path, default=LAB_CHECKPOINT)
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    fm = fashion_mnist()
    train_x, train_y = select_classes(fm.train_images, fm.train_labels, LAB_SOURCE_CLASSES)
    test_x, test_y = select_classes(fm.test_images, fm.test_labels, LAB_SOURCE_CLASSES)
    model = LabResNet(num_classes=len(LAB_SOURCE_CLASSES)).to(memory_format=torch.channels_last)
    steps_per_epoch = len(train_y) // args.batch_size
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.max_lr, weight_decay=0.05)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, args.max_lr,
                                                    total_steps=args.epochs * steps_per_epoch)
    use_bf16 = args.bf16 == "on" or (args.bf16 == "auto" and torch.backends.cpu.get_cpu_capability()
                                     in ("AVX512", "AVX512_BF16", "AMX"))
    generator = torch.Generator().manual_seed(args.seed)
    start = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(train_y), generator=generator)
        for step in range(steps_per_epoch):
            idx = order[step * args.batch_size:(step + 1) * args.batch_size]
            x = augment(normalise_fashion(train_x[idx]), generator).contiguous(memory_format=torch.channels_last)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=use_bf16):
                loss = F.cross_entropy(model(x), train_y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
        print(f"epoch {epoch + 1}/{args.epochs}: last loss {loss.item():.3f}, "
              f"{time.time() - start:.0f} s", flush=True)
    model = model.to(memory_format=torch.contiguous_format)
    test_acc = accuracy(model, test_x, test_y)
    meta = {
        "source_classes": LAB_SOURCE_CLASSES, "target_classes": LAB_TARGET_CLASSES,
        "class_names": [CLASSES[c] for c in LAB_SOURCE_CLASSES],
        "source_test_accuracy": round(test_acc, 4), "seed": args.seed,
        "settings": {"epochs": args.epochs, "batch_size": args.batch_size, "max_lr": args.max_lr,
                     "optimizer": "AdamW(weight_decay=0.05)", "schedule": "OneCycleLR",
                     "augmentation": "flip + shift <= 2 px", "bf16_autocast": use_bf16},
        "train_seconds": round(time.time() - start, 1), "torch_version": str(torch.__version__),
    }
    state = {k: v.clone() for k, v in model.state_dict().items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(args.out, binary=True) as f:  # an interrupted run leaves no half file
        torch.save({"state_dict": state, "meta": meta}, f)
    print(f"source test accuracy {test_acc:.2%}; wrote {args.out}")


if __name__ == "__main__":
    main()
