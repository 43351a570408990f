"""``python -m course_utils.finetune``: a two-stage fine-tuning recipe, for 1 or N processes.

Stage 1 trains a new head on the frozen backbone; stage 2 trains everything, earlier layers with
smaller learning rates (``lrs=slice``). In both stages the BatchNorm statistics are kept (policy
``"eval"``, the capstone's finding), which also makes 1 and N processes compute the same thing.
It is a simplified version of chapter 07's recipe: a fresh head instead of the linear probe,
"head" instead of "last blocks" for stage 1, a fixed number of epochs instead of early stopping,
and the last weights are kept. The same command runs on one process or, unchanged, under
``torchrun``::

    python -m course_utils.finetune --model lab_resnet.fmnist_source --classes 2 4 6
    torchrun --nproc_per_node=4 -m course_utils.finetune --model resnet50.imagenet \\
        --classes 0 2 4 6 --k 1000 --image-size 160 --batch-size 256 --out runs/four_gpus

``--batch-size`` is the GLOBAL batch: N processes share every batch, so the run takes the same
steps on 1 or N processes, with each step's work split N ways. Rank 0 writes ``summary.json``
and ``model.pt`` to ``--out``.

"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from .checkpoint import save_checkpoint
from .data import LAB_TARGET_CLASSES, load_task
from .distributed import is_main_process, shard_loader, world_size
from .files import write_json_atomic
from .layer_groups import layer_groups
from .loaders import TensorLoader
from .models import pretrained
from .schedules import warmup_cosine
from .seed import seed_everything
from .stages import stage_optimizer
from .training import evaluate, fit


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="lab_resnet.fmnist_source")
    parser.add_argument("--classes", type=int, nargs="+", default=LAB_TARGET_CLASSES)
    parser.add_argument("--k", type=int, default=0, help="training images per class (0: all)")
    parser.add_argument("--val-per-class", type=int, default=500)
    parser.add_argument("--image-size", type=int, default=0, help="0: the model's own size")
    parser.add_argument("--batch-size", type=int, default=128, help="global batch")
    parser.add_argument("--head-epochs", type=int, default=2)
    parser.add_argument("--full-epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=3e-3, help="the head's LR")
    parser.add_argument("--lr-lo", type=float, default=1e-4, help="stage 2: the first group's LR")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/finetune")
    args = parser.parse_args(argv)

    seed_everything(args.seed)
    task = load_task(args.classes, args.k, args.val_per_class, args.seed)
    model = pretrained(args.model, num_classes=len(args.classes))
    cfg = model.course_cfg.resized(args.image_size) if args.image_size else model.course_cfg
    train = TensorLoader(*task.train, batch_size=args.batch_size, shuffle=True, augment="flip",
                         transform=cfg.preprocess, seed=args.seed)
    val = TensorLoader(*task.val, batch_size=512, transform=cfg.preprocess)
    if is_main_process():
        print(f"{args.model} on classes {args.classes}: {len(task.train[1])} training images, "
              f"{world_size()} process(es), global batch {args.batch_size}, groups "
              f"{list(layer_groups(model))}")
    stages = []
    for stage, epochs in (("head", args.head_epochs), ("full", args.full_epochs)):
        if epochs == 0:
            continue
        optimizer = stage_optimizer(model, stage, args.lr, args.lr_lo)
        start = time.perf_counter()
        history = fit(model, train, epochs, optimizer=optimizer, val_loader=val,
                      scheduler=lambda opt, steps: warmup_cosine(opt, steps, steps // 10, 0.05),
                      restore_best=False, progress=False)  # one printed line per epoch
        stages.append({"stage": stage, "epochs": epochs, "seconds": time.perf_counter() - start,
                       "val_acc": history.val_acc, "val_loss": history.val_loss,
                       "train_loss": history.train_loss})
    test_loader = TensorLoader(*task.test, batch_size=512, transform=cfg.preprocess)
    test = evaluate(model, shard_loader(test_loader, even=False))  # each process: its share
    summary = {"model": args.model, "classes": args.classes, "world_size": world_size(),
               "global_batch": args.batch_size, "stages": stages, "test_acc": test["acc"],
               "test_loss": test["loss"], "train_images": len(task.train[1])}
    if is_main_process():  # one process writes; the others have the same weights
        Path(args.out).mkdir(parents=True, exist_ok=True)
        save_checkpoint(Path(args.out) / "model.pt", model, extra={"summary": summary})
        write_json_atomic(Path(args.out) / "summary.json", summary)
        print(f"test accuracy {test['acc']:.4f}; wrote {args.out}/summary.json and model.pt")
    return summary


if __name__ == "__main__":
    main()
