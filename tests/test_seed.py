"""seed_everything: the same seed gives the same run."""
import random

import numpy as np
import pytest
import torch
from torch import nn

from course_utils import TensorLoader, fit, seed_everything


def run(seed):
    seed_everything(seed)
    x = torch.randint(0, 256, (64, 6, 6), dtype=torch.uint8)
    y = torch.randint(0, 3, (64,))
    loader = TensorLoader(x, y, batch_size=16, shuffle=True, augment="flip_crop", device="cpu")
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                          nn.Dropout(0.3), nn.Linear(64, 3))
    history = fit(model, loader, epochs=2, lr=1e-2, val_loader=loader, live_plot=False,
                  progress=False)
    return {k: v for k, v in history.to_dict().items() if k != "time"}, model


def test_same_seed_gives_identical_histories_and_weights():
    (h1, m1), (h2, m2) = run(0), run(0)
    assert h1 == h2
    assert all(torch.equal(a, b)
               for a, b in zip(m1.state_dict().values(), m2.state_dict().values()))


def test_another_seed_gives_another_run():
    assert run(0)[0]["train_loss"] != run(1)[0]["train_loss"]


def test_seeds_python_numpy_and_torch():
    seed_everything(3)
    first = (random.random(), float(np.random.rand()), float(torch.rand(1)))
    seed_everything(3)
    assert (random.random(), float(np.random.rand()), float(torch.rand(1))) == first
    assert seed_everything(5) == 5
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark


def test_seeded_draws_the_same_and_leaves_the_global_state_alone():
    from course_utils.seed import seeded

    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    with seeded(0):
        inside = torch.rand(2)
    with seeded(0):
        assert torch.equal(torch.rand(2), inside)
    assert torch.equal(torch.rand(3), expected)  # as if the blocks had not run


@pytest.mark.parametrize("exercise_id", ["02.train_step", "05.early_stopping", "10.adabn"])
def test_a_checker_leaves_the_students_random_state_alone(exercise_id, capsys):
    from course_utils.exercises.framework import check, get

    reference = get(exercise_id).reference
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    check(exercise_id, reference, record=False)
    assert torch.equal(torch.rand(3), expected)
