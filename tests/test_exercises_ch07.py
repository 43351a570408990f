"""course_utils.exercises.ch07: the staged-recipe checker."""
from dataclasses import dataclass, replace

import pytest
import timm

from course_utils.exercises.ch07 import check_recipe, recipe_problems

GROUPS = ["stem", "blocks.0", "blocks.1", "blocks.2", "head"]


@dataclass
class Stage:
    name: str
    train_from: str
    lr_lo: float
    lr_hi: float
    max_epochs: int
    patience: int


TOP = Stage("last blocks", "blocks.2", 1e-4, 1e-3, 8, 2)
ALL = Stage("everything", "stem", 1e-5, 3e-4, 10, 3)


def test_right_recipe_passes(capsys):
    assert check_recipe([TOP, ALL], GROUPS) is True
    assert capsys.readouterr().out.startswith("Correct!")


def test_takes_the_group_names_from_a_model():
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=10)
    recipe = [replace(TOP, train_from="blocks.5"), ALL]
    assert recipe_problems(recipe, model) == []


def test_wrong_recipe_fails_and_says_not_yet(capsys):
    assert check_recipe([ALL, TOP], GROUPS) is False
    assert capsys.readouterr().out.startswith("Not yet:")


def test_a_single_stage_is_not_a_staged_recipe():
    problems = recipe_problems([ALL], GROUPS)
    assert len(problems) == 1 and "at least 2 stages" in problems[0]


def test_unknown_group_is_named_with_the_valid_ones():
    problems = recipe_problems([replace(TOP, train_from="layer4"), ALL], GROUPS)
    assert "'layer4' is not a layer group" in problems[0] and "blocks.2" in problems[0]


def test_missing_field_is_named():
    @dataclass
    class NoPatience:
        name: str = "x"
        train_from: str = "stem"
        lr_lo: float = 1e-5
        lr_hi: float = 1e-4
        max_epochs: int = 3

    assert "has no patience" in recipe_problems([NoPatience(), NoPatience()], GROUPS)[0]


def test_swapped_lrs_are_caught():
    problems = recipe_problems([replace(TOP, lr_lo=1e-3, lr_hi=1e-4), ALL], GROUPS)
    assert any("EARLY" in p and "swap" in p for p in problems)


def test_one_lr_for_all_groups_is_not_discriminative():
    problems = recipe_problems([TOP, replace(ALL, lr_lo=3e-4)], GROUPS)
    assert problems == [problems[0]] and "not discriminative" in problems[0]


def test_head_only_stage_may_use_one_lr():
    head = Stage("head", "head", 1e-3, 1e-3, 5, 2)
    assert recipe_problems([head, TOP, ALL], GROUPS) == []


@pytest.mark.parametrize("lr", [0.1, 1e-9])
def test_lr_out_of_range_is_caught(lr):
    problems = recipe_problems([replace(TOP, lr_hi=lr, lr_lo=min(lr, 1e-4)), ALL], GROUPS)
    assert any("lr_hi" in p and "outside" in p for p in problems)


def test_first_stage_training_everything_is_caught():
    problems = recipe_problems([ALL, replace(ALL, lr_lo=1e-6, lr_hi=1e-5)], GROUPS)
    assert any("already trains the whole network" in p for p in problems)


def test_last_stage_must_reach_the_stem():
    problems = recipe_problems([TOP, replace(ALL, train_from="blocks.1")], GROUPS)
    assert problems == [problems[0]] and "never train" in problems[0]


def test_stages_must_unfreeze_towards_the_input():
    middle = replace(TOP, name="again", lr_lo=5e-5, lr_hi=5e-4)
    problems = recipe_problems([TOP, middle, ALL], GROUPS)
    assert problems == [problems[0]] and "not earlier than stage 1" in problems[0]


def test_rising_head_lr_is_caught():
    problems = recipe_problems([TOP, replace(ALL, lr_hi=3e-3)], GROUPS)
    assert problems == [problems[0]] and "raises the head's LR" in problems[0]


@pytest.mark.parametrize("patience", [0, 8, 20])
def test_patience_that_cannot_fire_is_caught(patience):
    problems = recipe_problems([replace(TOP, patience=patience), ALL], GROUPS)
    assert problems == [problems[0]] and "patience" in problems[0]


def test_not_a_list_is_caught():
    assert "must be a list" in recipe_problems(TOP, GROUPS)[0]
