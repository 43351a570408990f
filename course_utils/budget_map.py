"""The adaptation budget map: how much of the lab net to train, for how many labelled images.

One run = the pretrained lab net, a new head, ``freeze_to`` one of three strategies (head only,
layer4 + head, everything), AdamW with a one-cycle schedule for a fixed *step budget*, then
accuracy on a fixed test sample. The map repeats it for every strategy x images per class x
task x seed. Two tasks:

* ``"target"``: classes the lab net never saw (Pullover, Coat, Shirt), photographed as usual;
* ``"camera_b"``: the lab net's own source classes, photographed by camera B (``domain.py``).

The full map (3 seeds) takes tens of minutes on a 2-core CPU (about 39 on the one that wrote
the stored map), so it is a command whose result is stored
and read by chapter 10, which runs a smaller map live::

    python -m course_utils.budget_map            # writes data/budget_map.json

>>> cfg = BudgetConfig(ks=(10,), seeds=(0,))
>>> steps_for(cfg, n_images=30), steps_for(cfg, n_images=7000)
(30, 110)
"""
from __future__ import annotations

import argparse
import copy
import functools
import json
import math
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import mean

import torch
from matplotlib.figure import Figure
from torch import nn

from .data import LAB_TARGET_CLASSES, k_per_class, select_classes, train_val_split
from .domain import camera_b
from .loaders import TensorLoader
from .models import pretrained
from .paths import BUNDLED_DIR, checkout_root
from .plots import displayable

STRATEGIES = {"head": -1, "layer4": -2, "full": 0}  # name -> freeze_to index
LABELS = {"head": "head only", "layer4": "layer4 + head", "full": "full",
          "target": "new classes (Pullover/Coat/Shirt)", "camera_b": "source classes, camera B"}


@dataclass(frozen=True)
class BudgetConfig:
    """The map's grid and the training budget of one run."""

    ks: tuple[int, ...] = (10, 50, 200, 1000)   # labelled training images per class
    seeds: tuple[int, ...] = (0, 1, 2)          # each: other images, head, batch order, noise
    strategies: tuple[str, ...] = ("head", "layer4", "full")
    tasks: tuple[str, ...] = ("target", "camera_b")
    batch_size: int = 64
    epochs: int = 8             # passes over the training set, within the step budget:
    min_steps: int = 30         # small sets get more passes, at least this many steps ...
    max_steps: int = 80         # ... large sets fewer, but at least one whole pass
    head_lr: float = 3e-3       # peak LR of the new head (one-cycle)
    backbone_lr: float = 1e-3   # peak LR of every trained backbone layer
    weight_decay: float = 0.01
    test_per_class: int = 150   # fixed test sample per class (the same for every run)


def steps_for(cfg: BudgetConfig, n_images: int) -> int:
    """Optimizer steps of one run on ``n_images`` training images (whole epochs)."""
    per_epoch = math.ceil(n_images / cfg.batch_size)
    epochs = min(max(cfg.epochs, math.ceil(cfg.min_steps / per_epoch)),
                 max(1, cfg.max_steps // per_epoch))
    return epochs * per_epoch


@functools.lru_cache(maxsize=1)
def _fashion():
    from .data import fashion_mnist
    return fashion_mnist()


@functools.lru_cache(maxsize=4)
def _pools(task: str, test_per_class: int):
    """(train pool, fixed test sample) of a task, as uint8 images and labels 0..C-1."""
    if task not in ("target", "camera_b"):
        raise ValueError(f"task={task!r}: use 'target' or 'camera_b'.")
    fm = _fashion()
    classes = LAB_TARGET_CLASSES if task == "target" else pretrained(
        "lab_resnet.fmnist_source", weights="default").course_cfg.meta["source_classes"]
    x, y = select_classes(fm.train_images, fm.train_labels, classes)
    (pool_x, pool_y), _ = train_val_split(x, y, val_fraction=0.1, seed=0)
    test_x, test_y = k_per_class(*select_classes(fm.test_images, fm.test_labels, classes),
                                 test_per_class, seed=0)
    if task == "camera_b":
        test_x = camera_b(test_x, seed=10_000)  # the test photos' noise: fixed
    return (pool_x, pool_y), (test_x, test_y)


def task_data(task: str, k: int, seed: int, test_per_class: int = 150):
    """``(train_x, train_y), (test_x, test_y)``: ``k`` labelled images per class (drawn with
    ``seed``; through camera B for ``"camera_b"``) and the task's fixed test sample."""
    (pool_x, pool_y), test = _pools(task, test_per_class)
    x, y = k_per_class(pool_x, pool_y, k, seed=seed)
    return ((camera_b(x, seed=seed) if task == "camera_b" else x), y), test


def unlabelled_camera_b(n: int = 1000) -> torch.Tensor:
    """``n`` camera-B photos of the source classes, without labels (for AdaBN)."""
    (pool_x, _), _ = _pools("camera_b", BudgetConfig.test_per_class)
    return camera_b(pool_x[-n:], seed=20_000)  # the pool's end: k_per_class draws at random


def adapt(task: str, strategy: str, k: int, seed: int, cfg: BudgetConfig = BudgetConfig(),
          backbone: nn.Module | None = None, device: str | torch.device = "cpu",
          show: bool = False) -> dict:
    """One run of the map; returns ``test_acc``, ``steps``, ``seconds`` and the ``model``.

    Args:
        task, strategy, k, seed: the cell of the map (see the module docstring).
        cfg: the training budget.
        backbone: start from a copy of this network (e.g. after ``adapt_batchnorm``) instead
            of the pretrained lab net.
        device: where to train.
        show: live plot and progress bar.
    """
    from .param_groups import param_groups
    from .schedules import one_cycle
    from .seed import seed_everything
    from .surgery import freeze_to, replace_head
    from .training import evaluate, fit

    if strategy not in STRATEGIES:
        raise ValueError(f"strategy={strategy!r}: use one of {list(STRATEGIES)}.")
    (x, y), (test_x, test_y) = task_data(task, k, seed, cfg.test_per_class)
    seed_everything(seed)
    model = copy.deepcopy(backbone) if backbone is not None else pretrained("lab_resnet.fmnist_source")
    replace_head(model, int(y.max()) + 1)
    freeze_to(model, STRATEGIES[strategy], train_bn=False)
    preprocess = model.course_cfg.preprocess
    loader = TensorLoader(x, y, batch_size=cfg.batch_size, shuffle=True, augment="flip_crop",
                          transform=preprocess, device=device, seed=seed)
    steps = steps_for(cfg, len(y))
    optimizer = torch.optim.AdamW(param_groups(model, lr=cfg.head_lr, backbone_lr=cfg.backbone_lr,
                                               weight_decay=cfg.weight_decay))
    start = time.perf_counter()
    fit(model, loader, steps // len(loader), optimizer=optimizer, scheduler=one_cycle,
        restore_best=False, live_plot=show, progress=show)
    seconds = time.perf_counter() - start
    test = TensorLoader(test_x, test_y, batch_size=1000, transform=preprocess, device=device)
    return {"task": task, "strategy": strategy, "k": k, "seed": seed, "steps": steps,
            "test_acc": evaluate(model, test)["acc"], "seconds": seconds, "model": model}


def budget_map(cfg: BudgetConfig = BudgetConfig(), device: str | torch.device = "cpu",
               verbose: bool = True) -> dict:
    """Every run of the grid; returns ``{"config": ..., "runs": [...]}`` (JSON-ready)."""
    runs = []
    for task in cfg.tasks:
        for k in cfg.ks:
            for strategy in cfg.strategies:
                for seed in cfg.seeds:
                    run = adapt(task, strategy, k, seed, cfg, device=device)
                    run.pop("model")
                    runs.append(run)
                    if verbose:
                        print(f"{task:9s} k={k:5d} {strategy:7s} seed {seed}: test "
                              f"{run['test_acc']:.3f} ({run['steps']} steps, "
                              f"{run['seconds']:.1f} s)", flush=True)
    return {"config": asdict(cfg), "runs": runs}


def summarise(result: dict) -> dict[tuple[str, str, int], dict[str, float]]:
    """Mean, min and max test accuracy over seeds per (task, strategy, k).

    >>> runs = [{"task": "t", "strategy": "s", "k": 1, "test_acc": a} for a in (0.5, 0.7)]
    >>> summarise({"runs": runs})[("t", "s", 1)]["mean"]
    0.6
    """
    cells: dict[tuple[str, str, int], list[float]] = {}
    for r in result["runs"]:
        cells.setdefault((r["task"], r["strategy"], r["k"]), []).append(r["test_acc"])
    return {key: {"mean": round(mean(v), 6), "min": min(v), "max": max(v), "n": len(v)}
            for key, v in cells.items()}


def best_strategy(result: dict, task: str, k: int) -> str:
    """The strategy with the highest mean test accuracy in one column of the map."""
    table = summarise(result)
    return max((s for (t, s, kk) in table if t == task and kk == k),
               key=lambda s: table[task, s, k]["mean"])


def plot_budget_map(result: dict, title: str = "") -> Figure:
    """One heat map per task: strategies x images per class, mean test accuracy over seeds
    (the spread, max - min, below it); the best strategy of each column is framed."""
    table = summarise(result)
    tasks = list(dict.fromkeys(t for t, _, _ in table))
    strategies = [s for s in STRATEGIES if any(s == ss for _, ss, _ in table)]
    ks = sorted({k for _, _, k in table})
    fig = Figure(figsize=(4.2 * len(tasks) + 0.8, 0.8 * len(strategies) + 1.6),
                 layout="constrained")
    axes = fig.subplots(1, len(tasks), squeeze=False)[0]
    for ax, task in zip(axes, tasks):
        grid = [[table.get((task, s, k), {"mean": math.nan})["mean"] for k in ks]
                for s in strategies]
        image = ax.imshow(grid, cmap="viridis", vmin=0.3, vmax=1.0, aspect="auto")
        for j, k in enumerate(ks):
            column = [row[j] for row in grid]
            for i, s in enumerate(strategies):
                cell = table.get((task, s, k))
                if cell is None:
                    continue
                text = f"{cell['mean']:.3f}\n±{(cell['max'] - cell['min']) / 2:.3f}"
                ax.text(j, i, text, ha="center", va="center", fontsize="small",
                        color="black" if cell["mean"] > 0.75 else "white")
            if not all(math.isnan(v) for v in column):  # frame the best measured cell
                best = max(range(len(strategies)), key=lambda i: -1 if math.isnan(column[i])
                           else column[i])
                ax.add_patch(_frame(j, best))
        ax.set_xticks(range(len(ks)), [str(k) for k in ks])
        ax.set_yticks(range(len(strategies)), [LABELS[s] for s in strategies])
        n = next(iter(table.values()))["n"]
        ax.set(xlabel="labelled images per class", title=f"{LABELS[task]}\n(mean of {n} seeds)")
    fig.colorbar(image, ax=axes, label="test accuracy", shrink=0.9)
    if title:
        fig.suptitle(title)
    return displayable(fig)


def _frame(x: int, y: int):
    from matplotlib.patches import Rectangle
    return Rectangle((x - 0.48, y - 0.48), 0.96, 0.96, fill=False, edgecolor="red", linewidth=2)


def stored_map_path() -> Path:
    """Where the stored full map lives: the checkout's ``data/`` or the installed package."""
    root = checkout_root()
    return (root / "data" if root is not None else BUNDLED_DIR) / "budget_map.json"


def load_budget_map(path: str | Path | None = None) -> dict:
    """Read a map written by ``python -m course_utils.budget_map``."""
    path = Path(path) if path is not None else stored_map_path()
    if not path.is_file():
        raise FileNotFoundError(f"No stored budget map at {path}. HINT: run "
                                "`python -m course_utils.budget_map` (tens of minutes on a CPU).")
    return json.loads(path.read_text())


def main(argv: list[str] | None = None) -> dict:
    """``python -m course_utils.budget_map [--seeds 0 1 2] [--ks 10 50 200 1000] [--out F]``"""
    from .device import get_device
    from .files import write_json_atomic

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(BudgetConfig.seeds))
    parser.add_argument("--ks", type=int, nargs="+", default=list(BudgetConfig.ks))
    parser.add_argument("--out", type=Path, default=stored_map_path())
    parser.add_argument("--device", default=None, help="default: a GPU if there is one")
    args = parser.parse_args(argv)
    cfg = BudgetConfig(ks=tuple(args.ks), seeds=tuple(args.seeds))
    device = args.device or get_device(verbose=False)
    start = time.perf_counter()
    result = budget_map(cfg, device=device)
    result["machine"] = {"device": str(device), "cpu": platform.processor() or platform.machine(),
                         "torch": torch.__version__, "threads": torch.get_num_threads(),
                         "amp": os.environ.get("COURSE_AMP", "auto"),
                         "seconds": round(time.perf_counter() - start, 1)}
    write_json_atomic(args.out, result)
    print(f"wrote {args.out} ({len(result['runs'])} runs, {result['machine']['seconds']} s)")
    return result


if __name__ == "__main__":
    main()
