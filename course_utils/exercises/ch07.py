"""Chapter 07 exercise checker: write the capstone's staged fine-tuning recipe.

The recipe is a list of stages run one after the other, each with its own optimizer and early
stopping. A stage says from which layer group on the network trains (``train_from``; earlier
groups stay frozen) and which learning rates it uses: ``param_groups(model, lrs=slice(lr_lo,
lr_hi))`` gives the first group (the stem) ``lr_lo`` and the head ``lr_hi``, spread geometrically
in between (frozen groups' LRs go unused). Any object with these attributes works (the
notebook's ``Stage`` dataclass, a ``SimpleNamespace``)::

    Stage(name="last blocks", train_from="blocks.5", lr_lo=1e-4, lr_hi=1e-3,
          max_epochs=8, patience=2)

:func:`check_recipe` is a pre-flight check: it refuses only what would stop a run or wreck the
pretrained weights (unknown group names, missing fields, ``lr_lo`` above ``lr_hi``, an LR above
``LR_MAX`` or below ``LR_MIN``, a patience that never lets early stopping fire), so one stage at a
single learning rate passes too. Whether the recipe is GOOD is measured, not judged by its form:
:func:`check_recipe_run` compares the validation accuracy the run reached with the linear probe's.

>>> from types import SimpleNamespace as Stage
>>> groups = ["stem", "blocks.0", "blocks.1", "head"]
>>> recipe = [Stage(name="top", train_from="blocks.1", lr_lo=1e-4, lr_hi=1e-3,
...                 max_epochs=5, patience=2),
...           Stage(name="all", train_from="stem", lr_lo=1e-5, lr_hi=3e-4,
...                 max_epochs=5, patience=2)]
>>> recipe_problems(recipe, groups)
[]
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from torch import nn

FIELDS = ("name", "train_from", "lr_lo", "lr_hi", "max_epochs", "patience")
LR_MAX = 1e-2   # above this, AdamW steps overwrite pretrained features (chapter 04)
LR_MIN = 1e-7   # below this, nothing moves in a few epochs


def _group_names(model_or_groups: nn.Module | Sequence[str]) -> list[str]:
    if isinstance(model_or_groups, nn.Module):
        from ..layer_groups import layer_groups

        return list(layer_groups(model_or_groups))
    return list(model_or_groups)


def _stage_problems(i: int, stage: Any, names: list[str]) -> list[str]:
    """Problems of one stage on its own (fields, group name, LRs, epochs)."""
    label = f"Stage {i + 1} ({getattr(stage, 'name', '?')!r})"
    missing = [f for f in FIELDS if not hasattr(stage, f)]
    if missing:
        return [f"{label} has no {', '.join(missing)}. Each stage needs {', '.join(FIELDS)}: "
                "build it with Stage(name=..., train_from=..., lr_lo=..., lr_hi=..., "
                "max_epochs=..., patience=...)."]
    problems = []
    if stage.train_from not in names:
        problems.append(f"{label}: train_from={stage.train_from!r} is not a layer group of this "
                        f"model. Choose one of {names}.")
    for field in ("lr_lo", "lr_hi"):
        lr = getattr(stage, field)
        if not isinstance(lr, (int, float)) or not LR_MIN <= lr <= LR_MAX:
            problems.append(f"{label}: {field}={lr!r} is outside [{LR_MIN:g}, {LR_MAX:g}]. Above "
                            f"{LR_MAX:g}, AdamW's steps overwrite what pretraining learned "
                            "(chapter 04's forgetting); below, nothing moves. Fine-tuning LRs "
                            "are usually 1e-5 to 1e-3.")
    lo, hi = stage.lr_lo, stage.lr_hi
    several = stage.train_from in names and names.index(stage.train_from) < len(names) - 1
    if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and several:
        if lo > hi:
            problems.append(f"{label}: lr_lo={lo:g} is larger than lr_hi={hi:g}, so the EARLY "
                            "layers would take the biggest steps. It is the other way round: early "
                            "layers hold general features and move least; swap them.")
    epochs, patience = stage.max_epochs, stage.patience
    if not isinstance(epochs, int) or epochs < 1:
        problems.append(f"{label}: max_epochs={epochs!r} must be a whole number >= 1.")
    elif not isinstance(patience, int) or not 1 <= patience < epochs:
        problems.append(f"{label}: patience={patience!r} with max_epochs={epochs}: early stopping "
                        "waits `patience` epochs without improvement, so it must be at least 1 "
                        "and smaller than max_epochs, or it can never stop the stage.")
    return problems


def recipe_problems(recipe: Sequence[Any], model_or_groups: nn.Module | Sequence[str]) -> list[str]:
    """What stops a recipe from running safely, one message per problem ([] = it can run).

    Only what would make a run fail or wreck the pretrained weights is a problem: missing fields,
    unknown group names, LRs outside [1e-7, 1e-2], early layers faster than the head, a
    patience that can never fire. Whether the recipe is GOOD is measured by running it
    (:func:`check_recipe_run`): a single stage that trains everything at one LR (chapter 06's
    baseline) is as welcome as a staged one.

    Args:
        recipe: the stages, in the order they run.
        model_or_groups: the model (its ``layer_groups`` are used) or the group names, input to
            output (the last one is the head).

    Returns:
        A list of messages, each saying what is wrong and how to fix it.

    >>> from types import SimpleNamespace as Stage
    >>> one = [Stage(name="all", train_from="stem", lr_lo=1e-4, lr_hi=1e-4,
    ...              max_epochs=5, patience=2)]
    >>> recipe_problems(one, ["stem", "blocks.0", "head"])
    []
    """
    names = _group_names(model_or_groups)
    if isinstance(recipe, (str, bytes)) or not isinstance(recipe, Sequence):
        return [f"The recipe must be a list of stages, not a {type(recipe).__name__}."]
    if len(recipe) < 1:
        return ["The recipe has no stage: give at least one Stage(...)."]
    return [p for i, stage in enumerate(recipe) for p in _stage_problems(i, stage, names)]


def check_recipe(recipe: Sequence[Any], model_or_groups: nn.Module | Sequence[str]) -> bool:
    """Check the chapter 07 exercise (a staged recipe) and print what is right or wrong.

    Args:
        recipe: the stages, in the order they run (objects with the attributes in ``FIELDS``).
        model_or_groups: the model or its layer group names (input to output).

    Returns:
        True when the recipe can run (its quality is measured by :func:`check_recipe_run`).

    >>> from types import SimpleNamespace as Stage
    >>> bad = [Stage(name="a", train_from="stem", lr_lo=1e-3, lr_hi=1e-4,
    ...              max_epochs=5, patience=2)] * 2
    >>> check_recipe(bad, ["stem", "blocks.0", "head"])  # doctest: +ELLIPSIS
    ❌ Not yet:
      - Stage 1 ('a'): lr_lo=0.001 is larger than lr_hi=0.0001, ...
    False
    """
    from .framework import report

    problems = recipe_problems(recipe, model_or_groups)
    if problems:
        return report(problems, "")
    head = _group_names(model_or_groups)[-1]
    lines = [f"  {i + 1}. {s.name}: {s.train_from} .. {head} train, "
             f"lrs=slice({s.lr_lo:g}, {s.lr_hi:g}), up to {s.max_epochs} epochs (patience "
             f"{s.patience})" for i, s in enumerate(recipe)]
    return report([], f"The recipe can run ({len(recipe)} stage{'s' * (len(recipe) > 1)}):\n"
                      + "\n".join(lines) + "\nWhether it meets the bar is measured when it has "
                      "run (check_recipe_run, below the stages).")


# ----- the bar, measured by running the recipe; the reference recipe; registration -----

BAR_MARGIN = 0.02  # the recipe's best validation accuracy may trail the probe's by at most this


@dataclass
class Stage:
    """One stage of a recipe (the notebook defines the same dataclass)."""

    name: str
    train_from: str
    lr_lo: float
    lr_hi: float
    max_epochs: int
    patience: int


def reference_recipe() -> list[Stage]:
    """The capstone's reference: the last blocks and the head first, then everything."""
    return [
        Stage("last blocks", train_from="blocks.5", lr_lo=3e-5, lr_hi=3e-4, max_epochs=5,
              patience=2),
        Stage("everything", train_from="stem", lr_lo=1e-5, lr_hi=2e-4, max_epochs=8, patience=3),
    ]


def check_recipe_run(best_val_acc: float, probe_val_acc: float, margin: float = BAR_MARGIN,
                     record: bool = True) -> bool:
    """The bar, on numbers measured by running the recipe: does it hold its own against the probe?

    The bar: the best checkpoint's validation accuracy is at least the linear probe's minus
    ``margin`` (both measured on the same validation images). Any recipe that meets it passes,
    staged or not.

    >>> check_recipe_run(0.75, 0.735, record=False)
    ✅ The bar is met: best checkpoint 0.750 vs the probe's 0.735 (the bar: at least 0.715).
    True
    """
    from .framework import get, record_attempt, report

    exercise = get("07.recipe")
    if exercise.used_reference:
        print("This is the REFERENCE recipe's run (yours is not written yet, or did not pass the "
              "check above), so it is not recorded as your attempt.")
    bar = probe_val_acc - margin
    problems = [] if best_val_acc >= bar else [
        f"the best checkpoint reaches {best_val_acc:.3f} on validation, below the bar {bar:.3f} "
        f"(the probe's {probe_val_acc:.3f} minus {margin:g}). Fine-tuning lost what the probe "
        "had. Usual causes: LRs too large for the early layers (lower lr_lo), too few epochs, or "
        "a patience so short that a stage stops in its warm-up dip."]
    ok = report(problems, f"The bar is met: best checkpoint {best_val_acc:.3f} vs the probe's "
                          f"{probe_val_acc:.3f} (the bar: at least {bar:.3f}).")
    if record and not exercise.used_reference:
        record_attempt(exercise, ok)
    return ok


def _register() -> None:
    from .framework import Exercise, register

    register(Exercise(
        "07.recipe", "RECIPE: a list of Stage(...) that runs safely and meets the bar",
        check_recipe, reference_recipe,
        ["A recipe is a list of Stage(name, train_from, lr_lo, lr_hi, max_epochs, patience); "
         "one stage is allowed.",
         "Chapter 06's baseline is one stage: Stage('all', train_from='stem', lr_lo=1e-4, "
         "lr_hi=1e-4, max_epochs=8, patience=3).",
         "A staged recipe: first train_from='blocks.5' with slice(3e-5, 3e-4), then "
         "train_from='stem' with smaller LRs; keep patience below max_epochs."],
        value=True, record=False))


_register()
