"""Chapter 06 checkers: a right answer passes, each typical wrong answer fails with its reason."""
import statistics

import numpy as np
import pytest
import torch

from course_utils.exercises.ch06 import check_beyond_noise, check_layer_decay_lrs, check_mean_std


def right_lrs(n, head_lr, decay):
    return [head_lr * decay ** (n - 1 - i) for i in range(n)]


def test_layer_decay_right_answer_passes(capsys):
    assert check_layer_decay_lrs(right_lrs) is True
    assert capsys.readouterr().out.startswith("Correct")


def test_layer_decay_reversed_order_is_named(capsys):
    assert check_layer_decay_lrs(lambda n, lr, d: right_lrs(n, lr, d)[::-1]) is False
    assert "reversed" in capsys.readouterr().out


def test_layer_decay_off_by_one_exponent_is_named(capsys):
    assert check_layer_decay_lrs(lambda n, lr, d: [lr * d ** (n - i) for i in range(n)]) is False
    assert "head_lr itself" in capsys.readouterr().out


def test_layer_decay_wrong_length_is_named(capsys):
    assert check_layer_decay_lrs(lambda n, lr, d: right_lrs(n, lr, d)[:-1] or [0.0, 0.0]) is False
    assert "exactly one per" in capsys.readouterr().out


def test_mean_std_accepts_numpy_and_torch(capsys):
    assert check_mean_std(lambda xs: (np.mean(xs), np.std(xs, ddof=1))) is True
    assert check_mean_std(lambda xs: (torch.tensor(xs).mean(), torch.tensor(xs).std())) is True


def test_mean_std_population_std_is_named(capsys):
    assert check_mean_std(lambda xs: (np.mean(xs), np.std(xs))) is False
    assert "population std" in capsys.readouterr().out


def test_mean_std_variance_is_named(capsys):
    assert check_mean_std(lambda xs: (statistics.mean(xs), statistics.variance(xs))) is False
    assert "variance" in capsys.readouterr().out


def test_mean_std_not_a_pair_is_named(capsys):
    assert check_mean_std(lambda xs: statistics.mean(xs)) is False
    assert "two numbers" in capsys.readouterr().out


def right_verdict(a, b):
    return abs(statistics.mean(a) - statistics.mean(b)) > statistics.stdev(a) + statistics.stdev(b)


def test_beyond_noise_right_answer_passes(capsys):
    assert check_beyond_noise(right_verdict) is True
    assert "both orders" in capsys.readouterr().out


def test_beyond_noise_means_only_is_named(capsys):
    assert check_beyond_noise(lambda a, b: abs(np.mean(a) - np.mean(b)) > 0.01) is False
    assert "compare only the means" in capsys.readouterr().out


def test_beyond_noise_signed_difference_is_named(capsys):
    def signed(a, b):
        return statistics.mean(a) - statistics.mean(b) > statistics.stdev(a) + statistics.stdev(b)

    assert check_beyond_noise(signed) is False
    assert "absolute difference" in capsys.readouterr().out


# ----- the exercises through check(): reference, stub, wrong answers -----
from exercise_helpers import run_check  # noqa: E402

from course_utils.exercises.ch06 import (reference_beyond_noise, reference_layer_decay_lrs,  # noqa: E402
                                         reference_mean_std)


@pytest.mark.parametrize("exercise_id, reference", [
    ("06.layer_decay", reference_layer_decay_lrs), ("06.mean_std", reference_mean_std),
    ("06.beyond_noise", reference_beyond_noise)])
def test_06_references_pass_and_stubs_are_not_attempted(capsys, exercise_id, reference):
    returned, out = run_check(capsys, exercise_id, reference)
    assert returned is reference and out.startswith("Correct")

    def stub(*args):
        """Your code here."""
        raise NotImplementedError

    returned, out = run_check(capsys, exercise_id, stub)
    assert "not attempted yet" in out and returned is reference
    returned, out = run_check(capsys, exercise_id, ...)
    assert "not attempted yet" in out and returned is reference


@pytest.mark.parametrize("exercise_id, wrong, message", [
    ("06.layer_decay", lambda n, lr, d: right_lrs(n, lr, d)[::-1], "reversed"),
    ("06.layer_decay", lambda n, lr, d: [lr * d ** (n - i) for i in range(n)], "head_lr itself"),
    ("06.mean_std", lambda xs: (np.mean(xs), np.std(xs)), "population std"),
    ("06.mean_std", lambda xs: (statistics.mean(xs), statistics.variance(xs)), "variance"),
    ("06.beyond_noise", lambda a, b: abs(np.mean(a) - np.mean(b)) > 0.01, "compare only the means"),
    ("06.beyond_noise", lambda a, b: statistics.mean(a) - statistics.mean(b)
     > statistics.stdev(a) + statistics.stdev(b), "absolute difference"),
])
def test_06_wrong_answers_get_their_feedback(capsys, exercise_id, wrong, message):
    returned, out = run_check(capsys, exercise_id, wrong)
    assert message in out and returned is not wrong
