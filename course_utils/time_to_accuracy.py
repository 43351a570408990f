"""``python -m course_utils.time_to_accuracy``: seconds until the lab target task reaches a stated
validation accuracy, head-only against full fine-tuning (the race itself is in ``race.py``).

    python -m course_utils.time_to_accuracy --targets 0.65 0.75 0.85 --budget 60 --plot tta.png
"""
from __future__ import annotations

import argparse

from .data import LAB_TARGET_CLASSES, load_task
from .race import STRATEGIES, epochs_to, plot_curves, race, reached, training_flops


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=float, nargs="+", default=[0.65, 0.75, 0.85])
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per strategy")
    parser.add_argument("--k", type=int, default=1000, help="training images per class (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default="", help="save the figure to this file")
    args = parser.parse_args(argv)

    task = load_task(LAB_TARGET_CLASSES, k=args.k, val_per_class=500, seed=args.seed)
    print(f"lab target task: classes {LAB_TARGET_CLASSES}, {len(task.train[1])} training and "
          f"{len(task.val[1])} validation images; budget {args.budget:.0f} s per strategy")
    curves = {s: race(task, s, max(args.targets), args.budget, seed=args.seed) for s in STRATEGIES}
    flops = {s: training_flops(s, len(task.classes)) for s in STRATEGIES}
    print("FLOPs per training image (counted, not timed): " + ", ".join(
        f"{s} {f / 1e6:.0f} M" for s, f in flops.items()))
    results = {}
    for target in args.targets:
        for strategy, curve in curves.items():
            seconds = reached(curve, target)
            best = max(acc for _, acc in curve)
            results[(strategy, target)] = seconds
            when = f"{seconds:6.1f} s" if seconds is not None else \
                f"not reached in {curve[-1][0]:.0f} s (best {best:.3f})"
            epochs = epochs_to(curve, target)
            print(f"{strategy:>4} fine-tuning to {target:.0%} validation accuracy: {when}"
                  + (f" ({epochs} epochs)" if epochs else ""))
    if args.plot:
        plot_curves(curves, args.targets).savefig(args.plot, dpi=120)
        print(f"figure: {args.plot}")
    return {"curves": curves, "seconds": results, "flops": flops}


if __name__ == "__main__":
    main()
