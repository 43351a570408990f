"""Checkers for chapter 05 (overfitting): each one says whether your answer is right, and if not, why.

:func:`check_diagnose` tests your ``diagnose(history)`` on made-up histories;
:func:`check_best_restored` tests that a finished run stopped early and holds the best epoch's
weights; ``"05.levers"`` RUNS your choice of levers on a seed the chapter did not use.

>>> from course_utils.exercises.ch05 import check_diagnose
>>> def diagnose(history):
...     train, val = history.train_acc[-1], history.val_acc[-1]
...     return "underfitting" if train < 0.7 else "overfitting" if train - val > 0.1 else "ok"
>>> check_diagnose(diagnose)
✅ diagnose() gave the right verdict on all 6 histories.
True
"""
from __future__ import annotations

import contextlib
import difflib
import io
import math
from typing import Callable, Iterable

import torch
from torch import nn

from ..history import History, higher_is_better
from ..loaders import TensorLoader
from ..seed import seeded
from ..training import evaluate
from .framework import report

VERDICTS = ("overfitting", "underfitting", "ok")
UNDERFIT_BELOW = 0.70  # final training accuracy under this: the model has not even learned its data
GAP_ABOVE = 0.10  # train_acc - val_acc over this (with a good train_acc): overfitting


def reference_diagnose(history: History) -> str:
    """The rule of the exercise, read from the LAST epoch (the checker grades yours with it)."""
    train, val = history.train_acc[-1], history.val_acc[-1]
    if train < 0.70:                  # UNDERFIT_BELOW: it has not even learned its own data
        return "underfitting"
    return "overfitting" if train - val > 0.10 else "ok"   # GAP_ABOVE, no abs()


def _history(train_acc: list[float], val_acc: list[float]) -> History:
    """A made-up History; the losses follow the accuracies (lower when accuracy is higher)."""
    h = History()
    for epoch, (t, v) in enumerate(zip(train_acc, val_acc)):
        h.add(epoch, {"loss": 1.1 * (1 - t) + 0.01, "acc": t},
              {"loss": 1.1 * (1 - v) + 0.01, "acc": v}, 0.1)
    return h


# (what the case teaches, train_acc per epoch, val_acc per epoch)
CASES: list[tuple[str, list[float], list[float]]] = [
    ("a classic few-shot run: train 0.98, validation 0.70", [0.60, 0.90, 0.98],
     [0.58, 0.72, 0.70]),
    ("a healthy run: train 0.82, validation 0.78", [0.50, 0.75, 0.82], [0.49, 0.72, 0.78]),
    ("a model that cannot fit its training data: train 0.45, validation 0.44",
     [0.34, 0.40, 0.45], [0.33, 0.41, 0.44]),
    ("a run that overfits only at the END (first epoch: train 0.75, validation 0.74; "
     "last: train 1.00, validation 0.70)", [0.75, 0.95, 1.00], [0.74, 0.72, 0.70]),
    ("validation ABOVE training (augmented training batches are harder): train 0.80, "
     "validation 0.93", [0.60, 0.75, 0.80], [0.70, 0.88, 0.93]),
    ("a gap of exactly 0.08, under the 0.10 limit: train 0.88, validation 0.80",
     [0.70, 0.85, 0.88], [0.68, 0.80, 0.80]),
]


def _explain(case: str, train: list[float], val: list[float], got: object, want: str) -> str:
    """Why ``got`` is wrong for this case, as specifically as we can tell."""
    text = f"For {case}, your diagnose() returned {got!r}; the answer is {want!r}."
    if not isinstance(got, str) or got not in VERDICTS:
        return text + f" Return exactly one of the strings {VERDICTS}."
    first = reference_diagnose(_history(train[:1], val[:1]))
    if got == first and got != want:
        return text + (" It looks like you read the FIRST epoch: use the last one, "
                       "history.train_acc[-1] (or history.last('train_acc')).")
    if want == "underfitting":
        return text + (f" Check underfitting first: a final train_acc below {UNDERFIT_BELOW} means "
                       "the model has not even learned its own training data, whatever the gap.")
    if want != "underfitting" and got == "underfitting":
        return text + (f" The final train_acc is {train[-1]:.2f}, not below {UNDERFIT_BELOW}: "
                       "the model does fit its training data.")
    if want == "ok" and val[-1] > train[-1]:
        return text + (" The gap is train_acc - val_acc, NEGATIVE here: do not take abs(); a "
                       "validation score above the training score is not overfitting.")
    if want == "ok":
        return text + (f" The gap {train[-1] - val[-1]:.2f} is not above {GAP_ABOVE}: use "
                       f"train_acc - val_acc > {GAP_ABOVE} (accuracies are fractions, not %).")
    return text + (f" train_acc - val_acc = {train[-1] - val[-1]:.2f} is above {GAP_ABOVE}: "
                   "compare accuracies (not losses), as fractions between 0 and 1.")


def check_diagnose(diagnose: Callable[[History], str], verbose: bool = True) -> bool:
    """Run your ``diagnose(history)`` on six made-up histories and say what, if anything, is wrong.

    ``diagnose`` gets a ``History`` and returns ``"overfitting"``, ``"underfitting"`` or ``"ok"``
    (the rule: :func:`reference_diagnose`). Returns True when every case is right.
    """
    problems: list[str] = []
    for case, train, val in CASES:
        want = reference_diagnose(_history(train, val))
        try:
            got = diagnose(_history(train, val))
        except Exception as err:  # show the student's error, with the case that caused it
            problems.append(f"diagnose() raised {type(err).__name__}: {err} on {case}. It gets a "
                            "History: read history.train_acc and history.val_acc (lists, one "
                            "value per epoch).")
            break
        if got != want:
            problems.append(_explain(case, train, val, got, want))
            break
    success = f"diagnose() gave the right verdict on all {len(CASES)} histories."
    return report(problems, success) if verbose else not problems


def check_best_restored(model: nn.Module, history: History, val_loader: Iterable,
                        monitor: str = "val_loss", verbose: bool = True) -> bool:
    """Check a finished ``fit``: it stopped early, and ``model`` holds the best epoch's weights.

    The model is evaluated on ``val_loader`` (the one given to ``fit``) again: its score must
    equal the best epoch's ``monitor`` value in ``history`` (the epoch ``fit`` kept), not the
    last epoch's. ``monitor`` is ``fit``'s. Returns True when both hold.
    """
    values = getattr(history, monitor, None)
    problems: list[str] = []
    success = ""
    if not isinstance(history, History) or not values:
        problems.append("Pass the History that fit() returned (history = fit(...)), after at "
                        "least one epoch with a val_loader.")
    elif not history.stop_reason.startswith("early stopping"):
        problems.append(f"Training ran all {len(history)} epochs (stop reason: "
                        f"{history.stop_reason!r}). Add EarlyStopping(patience=...) to fit's "
                        "callbacks, and give fit enough epochs that it can stop early.")
    else:
        finite = [v for v in values if math.isfinite(v)]
        best = (max if higher_is_better(monitor) else min)(finite)
        key = monitor.removeprefix("val_")
        now = evaluate(model, val_loader)[key]
        last = values[-1]
        if math.isclose(now, best, rel_tol=1e-4, abs_tol=1e-5):
            success = (f"stopped early after {len(history)} epochs, and the model holds the best "
                       f"epoch's weights ({monitor} {now:.4f}, last epoch {last:.4f}).")
        elif math.isclose(now, last, rel_tol=1e-4, abs_tol=1e-5):
            problems.append(f"The model holds the LAST epoch's weights ({monitor} {now:.4f}), not "
                            f"the best epoch's ({best:.4f}). Keep fit(..., restore_best=True), the "
                            f"default, and use the same monitor={monitor!r} in fit and in "
                            "EarlyStopping.")
        else:
            problems.append(f"The model's {monitor} is {now:.4f}: neither the best epoch's "
                            f"({best:.4f}) nor the last one's ({last:.4f}). Did it train again "
                            "after fit returned, or is this another val_loader or model?")
    return report(problems, success) if verbose else not problems


# ----- exercise 2 as check() runs it: your function on a tiny problem that overfits fast -----

def reference_train_with_early_stopping(model: nn.Module, train_loader: Iterable,
                                        val_loader: Iterable, epochs: int, lr: float) -> History:
    """Train with ``fit``: stop after 3 epochs without a lower val_loss, keep the best epoch."""
    from course_utils.callbacks import EarlyStopping
    from course_utils.training import fit

    return fit(model, train_loader, epochs, lr=lr, val_loader=val_loader,
               callbacks=[EarlyStopping(patience=3)], restore_best=True,
               live_plot=False, progress=False)


def _overfitting_problem(seed: int = 0) -> tuple[nn.Module, Iterable, Iterable]:
    """A small MLP and 64 training points with random labels: it memorises them, so the
    validation loss rises after a few epochs (early stopping has something to do)."""
    g = torch.Generator().manual_seed(seed)
    x_train, x_val = torch.randn(64, 8, generator=g), torch.randn(64, 8, generator=g)
    y_train, y_val = torch.randint(0, 2, (64,), generator=g), torch.randint(0, 2, (64,), generator=g)
    torch.manual_seed(seed)  # inside the checker's seeded block
    model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 2))
    return model, TensorLoader(x_train, y_train, 16, shuffle=True, seed=seed), \
        TensorLoader(x_val, y_val, 64)


def _check_early_stopping(train_with_early_stopping: Callable, epochs: int = 40,
                          lr: float = 1e-2) -> bool:
    with seeded(0):  # the same check every time; your random state is left as it was
        model, train_loader, val_loader = _overfitting_problem()
        history = train_with_early_stopping(model, train_loader, val_loader, epochs, lr)
    print(f"(on a small problem that overfits quickly: up to {epochs} epochs at lr {lr:g})")
    return check_best_restored(model, history, val_loader)


def _register() -> None:
    from .framework import Exercise, register

    register(Exercise(
        "05.diagnose", 'diagnose(history): "underfitting", "overfitting" or "ok"',
        check_diagnose, reference_diagnose,
        ["Read the LAST epoch only: history.train_acc[-1] and history.val_acc[-1] (fractions).",
         "Check underfitting first: a final train_acc below 0.70.",
         "Otherwise the gap train_acc - val_acc (no abs()) above 0.10 means overfitting; "
         'anything else is "ok".']))
    register(Exercise(
        "05.early_stopping", "train_with_early_stopping(model, train_loader, val_loader, "
        "epochs, lr): stop early, keep the best epoch", _check_early_stopping,
        reference_train_with_early_stopping,
        ["fit() does the work; it takes callbacks=[...] and val_loader=....",
         "EarlyStopping(patience=3) in fit's callbacks stops after 3 epochs without a lower "
         "validation loss.",
         "fit(..., restore_best=True) (the default) puts the best epoch's weights back; "
         "return the History that fit returns."]))


_register()


# ----- a judgement exercise: choose the levers; the checker RUNS your choice on a new seed -----

LEVERS = ("gentle_lr", "freeze", "weight_decay", "augment", "dropout", "early_stopping",
          "label_smoothing")
BASELINE = frozenset({"gentle_lr"})   # the chapter's baseline: every layer, gentle LR, no regulariser
LEVERS_TOLERANCE = 0.03  # validation accuracy may be this much below the baseline's (9 of the 300 validation images)
HURT_BELOW = -0.01       # a lever whose mean test-accuracy change is below this "cost accuracy"


def reference_levers() -> set[str]:
    """The levers to switch on: the gentle LR, the one lever that moved accuracy far beyond the
    spread between seeds; add others only where every seed agreed they helped."""
    return {"gentle_lr"}


def _lever_problems(choice: object) -> list[str]:
    """What is wrong with the FORM of the answer (before anything is trained)."""
    if isinstance(choice, str) or not isinstance(choice, (set, frozenset, list, tuple)):
        return [f"Give a set of lever names, e.g. {{'gentle_lr', 'dropout'}}; got {choice!r}. "
                "(A single string is not a set: write {'gentle_lr'}, not 'gentle_lr'.)"]
    problems = []
    for lever in choice:
        if lever not in LEVERS:
            close = difflib.get_close_matches(str(lever), LEVERS, n=1)
            guess = f" Did you mean {close[0]!r}?" if close else ""
            problems.append(f"{lever!r} is not a lever of this chapter.{guess} The levers: "
                            f"{', '.join(LEVERS)}.")
    return problems


def _check_levers(choice: object, run: Callable | None = None,
                  table: dict[str, tuple[list[float], list[float]]] | None = None,
                  seed: int = 3) -> bool:
    """Run the chosen levers and the baseline on ``seed``; compare their kept models.

    The bar is measured: the baseline (the gentle LR alone) on the same new seed, minus
    :data:`LEVERS_TOLERANCE`. ``run(levers, seed)`` is the notebook's function (it returns model,
    history, measurements); ``table`` maps "+ lever" to its per-seed test-accuracy and test-loss
    changes over the baseline, to name the levers of a failing choice that cost accuracy.
    """
    problems = _lever_problems(choice)
    if problems:
        return report(problems, "")
    if run is None:
        raise ValueError("The notebook passes run=run, the function that trains one configuration.")
    levers = set(choice)
    print(f"Running {sorted(levers) or 'no lever'} and the baseline {sorted(BASELINE)} on seed "
          f"{seed}, a draw of the training images the chapter did not use ...")
    with contextlib.redirect_stdout(io.StringIO()):   # fit's own messages
        _, history, row = run(levers, seed)
        base = row if levers == BASELINE else run(set(BASELINE), seed)[2]
    val, bar = row["val_acc"], base["val_acc"] - LEVERS_TOLERANCE
    print(f"yours:    kept epoch {history.best_epoch}, train_acc {row['train_acc']:.3f}, "
          f"val_acc {val:.3f}, test_acc {row['test_acc']:.3f}\n"
          f"baseline: val_acc {base['val_acc']:.3f}, test_acc {base['test_acc']:.3f}")
    if val >= bar:
        return report([], f"validation accuracy {val:.3f} >= the bar {bar:.3f} (the baseline on "
                          f"this seed minus {LEVERS_TOLERANCE}).")
    if "gentle_lr" not in levers:
        problems.append(f"validation accuracy {val:.3f} < the bar {bar:.3f}: without 'gentle_lr' "
                        "the run trains at a constant LR of 1e-2, which wrecks the pretrained "
                        "network in its first epoch; no regulariser repairs that. Switch the "
                        "gentle LR on (the first experiment's finding).")
    else:
        costly = sorted(lever for lever in levers if table and f"+ {lever}" in table
                        and sum(table[f"+ {lever}"][0]) / len(table[f"+ {lever}"][0]) < HURT_BELOW)
        which = (f" In the chapter's table, {', '.join(costly)} lowered the test accuracy on "
                 "average: leave them off." if costly else
                 " Read the table's test-accuracy changes again: keep only levers whose gain "
                 "was positive on every seed.")
        problems.append(f"validation accuracy {val:.3f} < the bar {bar:.3f}: your levers made "
                        f"the model worse than the gentle LR alone on this seed.{which}")
    return report(problems, "")


def _register_levers() -> None:
    from .framework import Exercise, register

    register(Exercise(
        "05.levers", "MY_LEVERS = {...}: the levers to switch on, judged by a run on a new seed",
        _check_levers, reference_levers,
        ["Start from the first experiment: which change turned the naive run into a good one?",
         "Then read the per-seed test-accuracy changes: a lever whose changes have both signs "
         "did nothing you can rely on; one whose mean is negative cost accuracy.",
         "The gentle LR is the one lever you cannot leave off; add another only if its "
         "changes were positive on every seed."],
        value=True))


_register_levers()
