"""Chapter 07 exercise checker: write the capstone's staged fine-tuning recipe.

The recipe is a list of stages run one after the other, each with its own optimizer and early
stopping. A stage says from which layer group on the network trains (``train_from``; earlier
groups stay frozen) and which learning rates it uses: ``param_groups(model, lrs=slice(lr_lo,
lr_hi))`` gives the first group (the stem) ``lr_lo`` and the head ``lr_hi``, spread geometrically
in between (frozen groups' LRs go unused). Any object with these attributes works (the
notebook's ``Stage`` dataclass, a ``SimpleNamespace``)::

    Stage(name="last blocks", train_from="blocks.5", lr_lo=1e-4, lr_hi=1e-3,
          max_epochs=8, patience=2)

:func:`check_recipe` says whether the recipe follows the chapter's rules and, if not, what to fix:
unfreeze from the head towards the input, end with the whole network, early layers slower than
the head (discriminative LRs), no LR that would wreck the pretrained weights, later stages no
faster than earlier ones, and a patience that lets early stopping fire.

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
        elif lo == hi:
            problems.append(f"{label}: lr_lo == lr_hi == {hi:g} is one LR for every group, not "
                            "discriminative LRs. Give the earliest trainable group a smaller LR, "
                            "for example lr_lo = lr_hi / 10 (chapter 06).")
    epochs, patience = stage.max_epochs, stage.patience
    if not isinstance(epochs, int) or epochs < 1:
        problems.append(f"{label}: max_epochs={epochs!r} must be a whole number >= 1.")
    elif not isinstance(patience, int) or not 1 <= patience < epochs:
        problems.append(f"{label}: patience={patience!r} with max_epochs={epochs}: early stopping "
                        "waits `patience` epochs without improvement, so it must be at least 1 "
                        "and smaller than max_epochs, or it can never stop the stage.")
    return problems


def recipe_problems(recipe: Sequence[Any], model_or_groups: nn.Module | Sequence[str]) -> list[str]:
    """Everything that is wrong with a staged recipe, one message per problem ([] = right).

    Args:
        recipe: the stages, in the order they run.
        model_or_groups: the model (its ``layer_groups`` are used) or the group names, input to
            output (the last one is the head).

    Returns:
        A list of messages, each saying what is wrong and how to fix it.

    >>> from types import SimpleNamespace as Stage
    >>> one = [Stage(name="all", train_from="stem", lr_lo=1e-5, lr_hi=1e-3,
    ...              max_epochs=5, patience=2)]
    >>> recipe_problems(one, ["stem", "blocks.0", "head"])[0][:38]
    'A staged recipe needs at least 2 stage'
    """
    names = _group_names(model_or_groups)
    if isinstance(recipe, (str, bytes)) or not isinstance(recipe, Sequence):
        return [f"The recipe must be a list of stages, not a {type(recipe).__name__}."]
    if len(recipe) < 2:
        return [f"A staged recipe needs at least 2 stages (got {len(recipe)}): first the last "
                "blocks and the head, then the whole network. One stage that trains everything "
                "at once is the naive full fine-tune this chapter tries to beat."]
    problems = [p for i, stage in enumerate(recipe) for p in _stage_problems(i, stage, names)]
    if problems:
        return problems
    starts = [names.index(stage.train_from) for stage in recipe]
    if starts[0] == 0:
        problems.append(f"Stage 1 ({recipe[0].name!r}) already trains the whole network. Start "
                        f"with the last blocks and the head (for example train_from="
                        f"{names[-3]!r}) so the new head settles before the early layers move.")
    if starts[-1] != 0:
        problems.append(f"The last stage ({recipe[-1].name!r}) starts at {recipe[-1].train_from!r}"
                        f", so {names[:starts[-1]]} never train. End with the whole network: "
                        f"train_from={names[0]!r}.")
    for i in range(1, len(recipe)):
        prev, stage = recipe[i - 1], recipe[i]
        if starts[i] >= starts[i - 1]:
            problems.append(f"Stage {i + 1} ({stage.name!r}) starts at {stage.train_from!r}, "
                            f"which is not earlier than stage {i}'s {prev.train_from!r}. Each "
                            "stage should unfreeze MORE of the network, from the head towards "
                            "the input.")
        if stage.lr_hi > prev.lr_hi:
            problems.append(f"Stage {i + 1} ({stage.name!r}) raises the head's LR from "
                            f"{prev.lr_hi:g} to {stage.lr_hi:g}. The head is already trained and "
                            "more weights move in a later stage: keep the LRs the same or lower.")
    return problems


def check_recipe(recipe: Sequence[Any], model_or_groups: nn.Module | Sequence[str]) -> bool:
    """Check the chapter 07 exercise (a staged recipe) and print what is right or wrong.

    Args:
        recipe: the stages, in the order they run (objects with the attributes in ``FIELDS``).
        model_or_groups: the model or its layer group names (input to output).

    Returns:
        True when the recipe follows every rule.

    >>> from types import SimpleNamespace as Stage
    >>> bad = [Stage(name="a", train_from="stem", lr_lo=1e-3, lr_hi=1e-4,
    ...              max_epochs=5, patience=2)] * 2
    >>> check_recipe(bad, ["stem", "blocks.0", "head"])  # doctest: +ELLIPSIS
    Not yet:
      - Stage 1 ('a'): lr_lo=0.001 is larger than lr_hi=0.0001, ...
    False
    """
    problems = recipe_problems(recipe, model_or_groups)
    if problems:
        print("Not yet:\n" + "\n".join(f"  - {p}" for p in problems))
        return False
    head = _group_names(model_or_groups)[-1]
    lines = [f"  {i + 1}. {s.name}: {s.train_from} .. {head} train, "
             f"lrs=slice({s.lr_lo:g}, {s.lr_hi:g}), up to {s.max_epochs} epochs (patience "
             f"{s.patience})" for i, s in enumerate(recipe)]
    print(f"Correct! {len(recipe)} stages unfreeze from the head towards the input, with "
          "discriminative LRs that never rise:\n" + "\n".join(lines))
    return True
