"""Chapter 09 checker: the reference passes, the stub is "not attempted" and falls back, and a
split by photo, a leaky or incomplete split, masks and unseeded splits are each named."""
import numpy as np
import pytest

from course_utils.exercises import get
from course_utils.exercises.ch09 import check_split, reference_split_by_product
from exercise_helpers import is_reference, run_check


def stub(groups, val_fraction, seed):
    """The notebook's stub, as shipped."""
    raise NotImplementedError("YOUR TURN")


def by_photo(groups, val_fraction, seed):
    order = np.random.default_rng(seed).permutation(len(groups))
    n_val = int(len(groups) * val_fraction)
    return order[n_val:], order[:n_val]


def test_reference_passes(capsys):
    assert check_split(reference_split_by_product) is True
    assert "Correct" in capsys.readouterr().out


def test_reference_is_registered_and_returned(capsys):
    returned, out = run_check(capsys, "09.split", reference_split_by_product)
    assert returned is reference_split_by_product and "Correct" in out
    assert len(get("09.split").hints) == 3


def test_stub_is_not_attempted_and_falls_back(capsys):
    returned, out = run_check(capsys, "09.split", stub)
    assert "not attempted yet" in out and "Hint 1 of 3" in out
    assert is_reference("09.split", returned)


def test_split_by_photo_is_named(capsys):
    returned, out = run_check(capsys, "09.split", by_photo)
    assert "products have photos on both sides" in out
    assert is_reference("09.split", returned)


def test_masks_are_named(capsys):
    def masks(groups, val_fraction, seed):
        train, val = reference_split_by_product(groups, val_fraction, seed)
        mask = np.zeros(len(groups), bool)
        mask[val] = True
        return ~mask, mask
    assert check_split(masks) is False
    assert "boolean mask" in capsys.readouterr().out


def test_dropped_photos_are_named(capsys):
    def drops(groups, val_fraction, seed):
        train, val = reference_split_by_product(groups, val_fraction, seed)
        return train[:-3], val
    assert check_split(drops) is False
    assert "exactly one part" in capsys.readouterr().out


def test_wrong_share_is_named(capsys):
    assert check_split(lambda g, f, s: reference_split_by_product(g, 0.6, s)) is False
    assert "share of the products" in capsys.readouterr().out


def test_unseeded_split_is_named(capsys):
    rng = np.random.default_rng(123)

    def unseeded(groups, val_fraction, seed):
        return reference_split_by_product(groups, val_fraction, int(rng.integers(1_000_000)))
    assert check_split(unseeded) is False
    assert "seed" in capsys.readouterr().out


def test_errors_in_the_students_code_do_not_raise(capsys):
    returned, out = run_check(capsys, "09.split", lambda g, f, s: 1 / 0)
    assert "ZeroDivisionError" in out and is_reference("09.split", returned)


# ----- 09.monitor: the checkpoint metric -----

def test_monitor_reference_passes(capsys):
    returned, out = run_check(capsys, "09.monitor", "val_macro_f1")
    assert returned == "val_macro_f1" and "✅" in out


def test_monitor_not_attempted_falls_back(capsys):
    returned, out = run_check(capsys, "09.monitor", ...)
    assert "not attempted yet" in out and returned == "val_macro_f1"


@pytest.mark.parametrize("choice, reason", [("val_acc", "big classes decide"),
                                            ("val_loss", "ruled by the big classes"),
                                            ("train_loss", "new ones"),
                                            ("test_acc", "never choose anything on the test set"),
                                            ("macro_f1", "one of the names fit() records"),
                                            (3, "one of the names")])
def test_monitor_wrong_choices_are_named(capsys, choice, reason):
    returned, out = run_check(capsys, "09.monitor", choice)
    assert reason in out and returned == "val_macro_f1"


def test_monitor_runs_the_choice_on_a_history(capsys):
    from course_utils.history import History
    history = History()
    for epoch, (acc, f1) in enumerate([(0.80, 0.50), (0.90, 0.55), (0.88, 0.70)]):
        history.add(epoch, {"loss": 1.0, "acc": 0.5}, {"loss": 1.0, "acc": acc, "macro_f1": f1}, 1.0)
    returned, out = run_check(capsys, "09.monitor", "val_acc", history=history)
    assert "monitor='val_acc' keeps epoch 1" in out
    assert "monitor='val_macro_f1' keeps epoch 2" in out
