"""Chapter 01 checkers: a right answer passes, each common mistake fails with its reason."""
import copy

import numpy as np
import pytest
import torch
from torch import nn

from course_utils.exercises.ch01 import check_head
from course_utils.models import PretrainedCfg


class TinyNet(nn.Module):
    """A stand-in for a pretrained model: a conv backbone and a Linear head called ``fc``."""

    def __init__(self, num_classes: int = 6) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, num_classes)
        self.course_cfg = PretrainedCfg("tiny", [f"c{i}" for i in range(num_classes)],
                                            (3, 8, 8), (0.5,) * 3, (0.5,) * 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(self.bn(self.conv(x))).flatten(1))


@pytest.fixture
def reference() -> TinyNet:
    torch.manual_seed(0)
    return TinyNet().eval()


def with_new_head(reference: TinyNet, num_classes: int = 3) -> TinyNet:
    model = copy.deepcopy(reference)
    model.fc = nn.Linear(4, num_classes)
    return model


def test_check_head_accepts_a_fresh_head(reference, capsys):
    assert check_head(with_new_head(reference), reference, num_classes=3, image_size=8)
    assert "✅" in capsys.readouterr().out


def test_check_head_rejects_the_untouched_model(reference, capsys):
    assert not check_head(copy.deepcopy(reference), reference, num_classes=3, image_size=8)
    assert "still the pretrained 6-class head" in capsys.readouterr().out


def test_check_head_rejects_the_wrong_number_of_classes(reference, capsys):
    assert not check_head(with_new_head(reference, num_classes=4), reference, num_classes=3,
                          image_size=8)
    assert "out_features=4, not 3" in capsys.readouterr().out


def test_check_head_rejects_a_frozen_head(reference, capsys):
    model = with_new_head(reference)
    model.fc.weight.requires_grad_(False)
    assert not check_head(model, reference, num_classes=3, image_size=8)
    assert "requires_grad=False" in capsys.readouterr().out


def test_check_head_rejects_a_changed_backbone(reference, capsys):
    model = with_new_head(reference)
    with torch.no_grad():
        model.conv.weight.add_(1.0)
    assert not check_head(model, reference, num_classes=3, image_size=8)
    assert "conv.weight" in capsys.readouterr().out


def test_check_head_rejects_rows_copied_from_the_old_head(reference, capsys):
    model = with_new_head(reference)
    with torch.no_grad():
        model.fc.weight.copy_(reference.fc.weight[:3])
    assert not check_head(model, reference, num_classes=3, image_size=8)
    assert "copied from the old head" in capsys.readouterr().out


def test_check_head_rejects_changing_the_original(reference, capsys):
    reference.fc = nn.Linear(4, 3)
    assert not check_head(reference, reference, num_classes=3, image_size=8)
    assert "copy.deepcopy" in capsys.readouterr().out


def test_check_head_names_a_head_that_is_not_a_linear(reference, capsys):
    model = copy.deepcopy(reference)
    model.fc = nn.Identity()           # "remove the head" instead of replacing it
    assert not check_head(model, reference, num_classes=3, image_size=8)
    assert "no nn.Linear head" in capsys.readouterr().out


# ----- the exercises through check(): reference, stub, wrong answers -----
from exercise_helpers import is_reference, run_check  # noqa: E402

from course_utils.exercises.ch01 import reference_grayscale, reference_with_new_head  # noqa: E402


def new_head_stub(model, num_classes):
    """Return a copy of model with a fresh num_classes head."""
    raise NotImplementedError


def test_01_head_reference_passes(capsys, reference):
    returned, out = run_check(capsys, "01.head", reference_with_new_head, model=reference,
                              num_classes=3)
    assert returned is reference_with_new_head and out.startswith("✅")


def test_01_head_stub_is_not_attempted(capsys, reference):
    returned, out = run_check(capsys, "01.head", new_head_stub, model=reference, num_classes=3)
    assert "not attempted yet" in out and "Hint 1 of 3" in out
    assert is_reference("01.head", returned)


def test_01_head_changing_the_original_is_named(capsys, reference):
    def in_place(model, num_classes):
        model.fc = nn.Linear(4, num_classes)
        return model

    returned, out = run_check(capsys, "01.head", in_place, model=reference, num_classes=3)
    assert "changed the model it was given" in out and is_reference("01.head", returned)


def test_01_head_old_head_kept_is_named(capsys, reference):
    returned, out = run_check(capsys, "01.head", lambda m, n: copy.deepcopy(m),
                              model=reference, num_classes=3)
    assert "still the pretrained 6-class head" in out


def test_01_head_error_in_student_code_is_feedback_not_traceback(capsys, reference):
    def wrong_attribute(model, num_classes):
        my_model = copy.deepcopy(model)
        my_model.classifier.out_features = num_classes   # TinyNet's head is fc
        return my_model

    returned, out = run_check(capsys, "01.head", wrong_attribute, model=reference, num_classes=3)
    assert "your code raised AttributeError" in out and "my_model.classifier" in out
    assert "Traceback" not in out and is_reference("01.head", returned)


@pytest.fixture
def colour_photo():
    return np.random.default_rng(0).integers(0, 256, (8, 6, 3), dtype=np.uint8)


def test_01_gray_reference_and_luminance_pass(capsys, colour_photo):
    returned, out = run_check(capsys, "01.gray", reference_grayscale, photo=colour_photo)
    assert returned is reference_grayscale and out.startswith("✅")

    def luminance(photo):
        y = photo @ np.array([0.299, 0.587, 0.114])
        return np.repeat(y.round().astype(np.uint8)[..., None], 3, axis=2)

    assert run_check(capsys, "01.gray", luminance, photo=colour_photo)[0] is luminance


def test_01_gray_stub_is_not_attempted(capsys, colour_photo):
    def grayscale(photo):
        """The photo in gray."""
        ...

    returned, out = run_check(capsys, "01.gray", grayscale, photo=colour_photo)
    assert "not attempted yet" in out and returned is reference_grayscale


def test_01_gray_the_colour_photo_fails(capsys, colour_photo):
    returned, out = run_check(capsys, "01.gray", lambda photo: photo, photo=colour_photo)
    assert "still a colour image" in out and "the colour photo itself" in out
    assert returned is reference_grayscale


def test_01_gray_float_and_two_dimensional_answers_are_named(capsys, colour_photo):
    _, out = run_check(capsys, "01.gray", lambda p: p.mean(axis=2, keepdims=True).repeat(3, axis=2),
                       photo=colour_photo)
    assert "dtype is float64" in out
    _, out = run_check(capsys, "01.gray", lambda p: p.mean(axis=2).astype(np.uint8),
                       photo=colour_photo)
    assert "The shape is (8, 6)" in out and ".repeat(3, axis=2)" in out


def test_01_gray_one_value_for_the_whole_image_is_named(capsys, colour_photo):
    def image_mean(photo):
        return np.full_like(photo, int(photo.mean()))

    _, out = run_check(capsys, "01.gray", image_mean, photo=colour_photo)
    assert "outside the range of their own three channels" in out
