"""Checkers for chapter 06 (layer-wise strategies): layer-decay LRs, "is it beyond the noise?",
and a judgement exercise that RUNS your fine-tuning strategy (learn the target, keep the source).

Each checker runs your function on cases it knows the answer to, prints what it found
(``framework.report``), and returns True when everything is right.

>>> from course_utils.exercises.ch06 import check_mean_std
>>> import statistics
>>> check_mean_std(lambda xs: (statistics.mean(xs), statistics.stdev(xs)))
✅ Correct: mean and sample standard deviation (ddof=1) match on 3 cases.
True
"""
from __future__ import annotations

import math
import statistics
from typing import Any, Callable, Sequence

from ..param_groups import group_lrs
from .framework import report

__all__ = ["check_layer_decay_lrs", "check_mean_std", "check_beyond_noise", "check_protect"]


def _fail(message: str) -> bool:
    return report([message], "")


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)


def check_layer_decay_lrs(fn: Callable[[int, float, float], Sequence[float]]) -> bool:
    """Check ``fn(n_groups, head_lr, decay)``: one LR per layer group, input to output.

    The rule (timm's layer-wise LR decay): the last group (the head) gets ``head_lr``, the one
    before it ``head_lr * decay``, then ``head_lr * decay**2``, ... down to the first group.

    Args:
        fn: your function.

    Returns:
        True when ``fn`` agrees with ``param_groups(..., layer_decay=decay)`` on every case.

    >>> check_layer_decay_lrs(lambda n, lr, d: [lr * d ** (n - 1 - i) for i in range(n)])
    ✅ Correct: your LRs match param_groups(model, lr, layer_decay=...) on 3 cases.
    True
    """
    cases = [(6, 1e-3, 0.7), (3, 1e-2, 0.5), (1, 3e-4, 0.8)]
    for n, lr, decay in cases:
        want = group_lrs([f"g{i}" for i in range(n)], lr, layer_decay=decay)
        try:
            got = [float(v) for v in fn(n, lr, decay)]
        except Exception as err:  # the student's code may fail in any way
            return _fail(f"fn({n}, {lr}, {decay}) raised {type(err).__name__}: {err}")
        if len(got) != n:
            return _fail(f"fn({n}, {lr}, {decay}) returned {len(got)} LRs; give exactly one per "
                         f"layer group ({n}).")
        if all(_close(g, w) for g, w in zip(got, want)):
            continue
        if all(_close(g, w) for g, w in zip(got, want[::-1])):
            return _fail("the order is reversed: the list runs from the input (stem, smallest LR) "
                         "to the output (head, largest LR = head_lr).")
        if not _close(got[-1], lr):
            return _fail(f"the last group (the head) should get head_lr itself ({lr:g}), "
                         f"not {got[-1]:g}: its exponent is decay**0.")
        if n > 1 and _close(got[-2], lr * decay * decay):
            return _fail("each group should be ONE factor of decay below the next one: "
                         "group i of n gets head_lr * decay**(n - 1 - i).")
        return _fail(f"for n={n}, head_lr={lr:g}, decay={decay} expected "
                     f"{[f'{w:.3g}' for w in want]}, got {[f'{g:.3g}' for g in got]}.")
    return report([], "Correct: your LRs match param_groups(model, lr, layer_decay=...) on "
                      "3 cases.")


def check_mean_std(fn: Callable[[Sequence[float]], tuple[float, float]]) -> bool:
    """Check ``fn(values) -> (mean, std)`` with the SAMPLE standard deviation (ddof=1).

    With 3 seeds, the sample standard deviation divides by n - 1 = 2 (``statistics.stdev``,
    ``torch.std``, ``np.std(values, ddof=1)``); NumPy's default ``np.std`` divides by n and
    underestimates the spread of a few runs.

    Args:
        fn: your function; it may return Python floats, NumPy or 0-d torch values.

    Returns:
        True when the mean and the sample std are right on every case.

    >>> import numpy as np
    >>> check_mean_std(lambda xs: (np.mean(xs), np.var(xs, ddof=1)))
    ❌ Not yet:
      - that is the variance; the standard deviation is its square root.
    False
    """
    cases = [[0.70, 0.72, 0.74], [0.61, 0.66, 0.70, 0.75], [0.5, 0.9, 0.7]]
    for values in cases:
        try:
            out = fn(list(values))
            mean, std = (float(v) for v in out)
        except (TypeError, ValueError) as err:
            return _fail(f"fn({values}) should return two numbers (mean, std); that failed "
                         f"with {type(err).__name__}: {err}")
        except Exception as err:
            return _fail(f"fn({values}) raised {type(err).__name__}: {err}")
        want_mean, want_std = statistics.mean(values), statistics.stdev(values)
        if not _close(mean, want_mean):
            if _close(std, want_mean):
                return _fail("mean and std are swapped: return (mean, std) in that order.")
            return _fail(f"the mean of {values} should be {want_mean:.4g}, got {mean:.4g}.")
        if _close(std, want_std):
            continue
        if _close(std, statistics.pstdev(values)):
            return _fail(f"you computed the population std (divides by n, np.std's default): "
                         f"{std:.4g}. With a few seeds use the sample std (divides by n - 1): "
                         f"statistics.stdev, torch.std or np.std(values, ddof=1) gives "
                         f"{want_std:.4g}.")
        if _close(std, statistics.variance(values)) or _close(std, statistics.pvariance(values)):
            return _fail("that is the variance; the standard deviation is its square root.")
        return _fail(f"the mean is right but the std of {values} should be {want_std:.4g} "
                     f"(sample std, ddof=1), got {std:.4g}.")
    return report([], "Correct: mean and sample standard deviation (ddof=1) match on "
                      f"{len(cases)} cases.")


def check_beyond_noise(fn: Callable[[Sequence[float], Sequence[float]], bool]) -> bool:
    """Check ``fn(a, b) -> bool``: do two strategies' per-seed scores differ beyond the noise?

    The course's rule of thumb: the ranges mean +/- std (sample std) of ``a`` and ``b`` do not
    overlap, that is ``|mean(a) - mean(b)| > std(a) + std(b)``. With 3 seeds this is a coarse
    screen, not a significance test, but it stops you from ranking strategies by noise.

    Args:
        fn: your function of two lists of scores (one per seed).

    Returns:
        True when ``fn`` gives the right verdict on every case, in both argument orders.

    >>> import statistics as st
    >>> def differ(a, b):
    ...     return abs(st.mean(a) - st.mean(b)) > st.stdev(a) + st.stdev(b)
    >>> check_beyond_noise(differ)
    ✅ Correct: your verdicts are right on 4 pairs, in both orders.
    True
    """
    cases = [  # (a, b, verdict, what the case tests)
        ([0.70, 0.71, 0.72], [0.60, 0.61, 0.62], True, "a clear gap"),
        ([0.60, 0.70, 0.80], [0.66, 0.67, 0.68], False, "overlap: a is noisy"),
        ([0.72, 0.66, 0.75], [0.69, 0.64, 0.70], False, "means differ by 0.033, spread 0.08"),
        ([0.80, 0.81, 0.79], [0.70, 0.74, 0.72], True, "small spreads, gap 0.08"),
    ]
    for a, b, want, what in cases:
        for x, y in ((a, b), (b, a)):
            try:
                got = fn(list(x), list(y))
            except Exception as err:
                return _fail(f"fn({x}, {y}) raised {type(err).__name__}: {err}")
            got = got.item() if hasattr(got, "item") else got  # NumPy / 0-d torch booleans
            if not isinstance(got, bool):
                return _fail(f"fn({x}, {y}) returned {got!r}; return True or False.")
            if bool(got) == want:
                continue
            gap = abs(statistics.mean(x) - statistics.mean(y))
            spread = statistics.stdev(x) + statistics.stdev(y)
            if bool(fn(list(y), list(x))) != bool(got):
                return _fail(f"swapping the two strategies changed your verdict on {x} vs {y}: "
                             "use the absolute difference of the means.")
            if got and not want:
                return _fail(f"{x} vs {y} ({what}): the means differ by {gap:.3f}, but the two "
                             f"spreads add up to {spread:.3f}, so the ranges mean +/- std overlap: "
                             "that is within the noise. Did you compare only the means?")
            return _fail(f"{x} vs {y} ({what}): the means differ by {gap:.3f}, more than the "
                         f"spreads' sum {spread:.3f}: the ranges do not overlap, so the verdict "
                         "is True. Check your std (sample std, ddof=1) and the comparison.")
    return report([], f"Correct: your verdicts are right on {len(cases)} pairs, in both orders.")


TARGET_BAR = 0.64      # mean validation accuracy on the target classes, over PROTECT_SEEDS
RETENTION_BAR = 0.70   # mean source retention (the source head put back), over PROTECT_SEEDS
PROTECT_SEEDS = (0, 1)


def check_protect(strategy: Callable[..., Any], run: Callable[..., dict], cfg: Any,
                  seeds: Sequence[int] = PROTECT_SEEDS) -> bool:
    """Judge a fine-tuning strategy by RUNNING it: does it learn the target and keep the source?

    ``strategy(model, loader, cfg, **kw)`` trains ``model`` like the chapter's strategies.
    ``run(name, seed, cfg, train=strategy)`` is the chapter's harness: it trains a fresh model
    with ``seed`` and returns a dict with ``val_acc`` (target validation accuracy) and
    ``retention`` (source accuracy with the source head put back). The bar, on the mean over
    ``seeds``: ``val_acc >= TARGET_BAR`` and ``retention >= RETENTION_BAR``. Any strategy that
    meets it passes, whatever it does.

    >>> fake = lambda name, seed, cfg, train: {"val_acc": 0.70, "retention": 0.75}
    >>> check_protect(lambda model, loader, cfg, **kw: None, fake, cfg=None)  # doctest: +ELLIPSIS
    ✅ the bar is met on seeds (0, 1): target validation accuracy 0.700 >= 0.64 and ...
    True
    """
    rows = [run("your strategy", seed, cfg, train=strategy) for seed in seeds]
    acc = statistics.mean(r["val_acc"] for r in rows)
    ret = statistics.mean(r["retention"] for r in rows)
    per_seed = ", ".join(f"seed {s}: {r['val_acc']:.3f} / {r['retention']:.3f}"
                         for s, r in zip(seeds, rows))
    problems = []
    if ret < RETENTION_BAR:
        problems.append(
            f"source retention {ret:.3f} is below the bar {RETENTION_BAR:g} (target accuracy / "
            f"retention per seed: {per_seed}). The backbone forgot the source task: move it less. "
            "A penalty that pulls the weights back to w0 (L2SP, EWC), smaller LRs for the early "
            "groups, or keeping them frozen longer all do that.")
    if acc < TARGET_BAR:
        problems.append(
            f"target validation accuracy {acc:.3f} is below the bar {TARGET_BAR:g} ({per_seed}). "
            "The new classes were not learned well enough: the backbone was held too still (a "
            "penalty too strong, LRs too small, too much frozen). Loosen it step by step and "
            "watch both numbers.")
    return report(problems, f"the bar is met on seeds {tuple(seeds)}: target validation accuracy "
                            f"{acc:.3f} >= {TARGET_BAR:g} and source retention {ret:.3f} >= "
                            f"{RETENTION_BAR:g}.")


# ----- reference solutions (solution() shows them) and the exercises' registration -----

def reference_layer_decay_lrs(n_groups: int, head_lr: float, decay: float) -> list[float]:
    """One LR per group, input to output: the head ``head_lr``, each group before it x ``decay``."""
    return [head_lr * decay ** (n_groups - 1 - i) for i in range(n_groups)]


def reference_mean_std(values: Sequence[float]) -> tuple[float, float]:
    """``(mean, sample standard deviation)`` (n - 1 in the denominator)."""
    return statistics.mean(values), statistics.stdev(values)


def reference_beyond_noise(a: Sequence[float], b: Sequence[float]) -> bool:
    """True when the ranges mean ± std of ``a`` and ``b`` do not overlap."""
    mean_a, std_a = statistics.mean(a), statistics.stdev(a)   # or: your mean_std(a)
    mean_b, std_b = statistics.mean(b), statistics.stdev(b)
    return abs(mean_a - mean_b) > std_a + std_b


def reference_protect(model: Any, loader: Any, cfg: Any, callbacks: Sequence[Any] = (),
                      **kw) -> list[Any]:  # noqa: ANN003  (**kw unannotated: pasted as is)
    """Fine-tune everything at the single LR, with L2-SP pulling the backbone back to w0."""
    from course_utils.anchors import L2SP      # absolute: solution() shows this code
    from course_utils.training import fit

    l2sp = L2SP(alpha=1.0)   # the strength measured in the chapter's defences section
    return [fit(model, loader, cfg.epochs, lr=cfg.head_lr, callbacks=[*callbacks, l2sp], **kw)]


def _register() -> None:
    from .framework import Exercise, register

    register(Exercise(
        "06.layer_decay", "layer_decay_lrs(n_groups, head_lr, decay): one LR per group",
        check_layer_decay_lrs, reference_layer_decay_lrs,
        ["The list goes from the input (first) to the head (last); the head gets head_lr.",
         "A group that is j groups before the head gets head_lr * decay ** j.",
         "Group i of n is n - 1 - i groups before the head."]))
    register(Exercise(
        "06.mean_std", "mean_std(values): (mean, sample standard deviation)",
        check_mean_std, reference_mean_std,
        ["The module statistics has both functions.",
         "statistics.stdev divides by n - 1 (sample); statistics.pstdev by n (population).",
         "return statistics.mean(values), statistics.stdev(values)"]))
    register(Exercise(
        "06.beyond_noise", "beyond_noise(a, b): do the ranges mean ± std not overlap?",
        check_beyond_noise, reference_beyond_noise,
        ["Use your mean_std on each list of scores.",
         "The ranges overlap when the distance between the means is at most the sum of the stds.",
         "return abs(mean_a - mean_b) > std_a + std_b"]))
    register(Exercise(
        "06.protect", "protect(model, loader, cfg, **kw): learn the target, keep the source",
        check_protect, reference_protect,
        [f"The bar: target validation accuracy >= {TARGET_BAR} and source retention >= "
         f"{RETENTION_BAR}, both the mean of seeds {PROTECT_SEEDS}. Start from a strategy in the "
         "comparison tables that clears both.",
         "Write it like the chapter's strategies: train with fit(model, loader, cfg.epochs, ..., "
         "**kw) and return the list of histories. Keep the callbacks the harness passes: "
         "callbacks=[*callbacks, yours].",
         "A penalty that pulls the weights back to the pretrained ones keeps the source: "
         "fit(..., lr=cfg.head_lr, callbacks=[*callbacks, L2SP(alpha=1.0)], **kw)."]))


_register()
