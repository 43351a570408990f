"""Chapter 01 checkers: a right answer passes, each common mistake fails with its reason."""
import copy

import numpy as np
import pytest
import torch
from torch import nn

from course_utils.exercises.ch01 import check_head, check_top5, top5
from course_utils.models import PretrainedCfg


class TinyNet(nn.Module):
    """A stand-in for a pretrained model: a conv backbone and a Linear head called ``fc``."""

    def __init__(self, num_classes: int = 6) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, num_classes)
        self.pretrained_cfg = PretrainedCfg("tiny", [f"c{i}" for i in range(num_classes)],
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


def test_check_top5_accepts_the_model_answer_and_rejects_a_reordered_one(reference, capsys):
    photo = np.random.default_rng(0).integers(0, 256, (10, 12, 3), dtype=np.uint8)
    names = [name for name, _ in top5(reference, photo)]
    assert check_top5(names, reference, photo)
    assert not check_top5(names[::-1], reference, photo)
    assert "wrong order" in capsys.readouterr().out
