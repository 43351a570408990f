"""Run by tests/test_distributed.py under torchrun (2 CPU processes); not a test file itself.

Each process trains the same tiny network on its share of the batches, with a layer group
unfrozen in epoch 1 (GradualUnfreeze) and a stop that only rank 1 asks for, after epoch 1.
Rank 0 writes what the test checks: epochs run, and how far the processes' weights differ.
"""
import json
import sys

import torch
import torch.distributed as dist

from course_utils import Callback, GradualUnfreeze, TensorLoader, fit, freeze_to, seed_everything
from course_utils.distributed import rank
from tiny_models import QUIET, TinyNet


class StopOnRankOne(Callback):
    def on_epoch_end(self, state):
        if rank() == 1 and state.epoch == 1:
            state.stop = True  # the other process does not ask: fit() must still stop both


def main(report: str) -> None:
    seed_everything(0)
    images, labels = torch.randint(0, 255, (256, 8, 8), dtype=torch.uint8), torch.arange(256) % 2
    model = TinyNet()
    freeze_to(model, -1)  # only the head trains at first
    stem_before = model.stem[0].weight.detach().clone()
    loader = TensorLoader(images, labels, batch_size=32, shuffle=True, augment="flip", seed=0,
                          device="cpu")
    history = fit(model, loader, epochs=5, lr=1e-2, val_loader=loader,
                  callbacks=[GradualUnfreeze({1: ("stem", 1e-2)}, verbose=False), StopOnRankOne()],
                  **QUIET)
    flat = torch.cat([p.detach().flatten() for p in model.parameters()])
    everyone = [torch.zeros_like(flat) for _ in range(2)]
    dist.all_gather(everyone, flat)
    if rank() == 0:
        with open(report, "w") as f:
            json.dump({"epochs": len(history),
                       "weight_gap": (everyone[0] - everyone[1]).abs().max().item(),
                       "stem_moved": (model.stem[0].weight - stem_before).abs().max().item(),
                       "val_acc": history.val_acc}, f)


if __name__ == "__main__":  # pytest --doctest-modules imports this file: run only by torchrun
    main(sys.argv[1])
