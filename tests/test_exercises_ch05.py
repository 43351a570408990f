"""Chapter 05 checkers: a right answer passes, each typical wrong answer gets its own message."""
import torch
from torch import nn

from course_utils.callbacks import EarlyStopping
from course_utils.loaders import TensorLoader
from course_utils.seed import seed_everything
from course_utils.training import fit
from course_utils.exercises.ch05 import check_best_restored, check_diagnose, reference_diagnose

QUIET = {"live_plot": False, "progress": False}


def test_check_diagnose_accepts_the_reference_rule(capsys):
    assert check_diagnose(reference_diagnose)
    assert capsys.readouterr().out.startswith("✅")


def test_check_diagnose_catches_reading_the_first_epoch(capsys):
    def first_epoch(history):
        train, val = history.train_acc[0], history.val_acc[0]
        return "underfitting" if train < 0.7 else "overfitting" if train - val > 0.1 else "ok"

    assert not check_diagnose(first_epoch)
    assert "FIRST epoch" in capsys.readouterr().out


def test_check_diagnose_catches_an_absolute_gap(capsys):
    def absolute_gap(history):
        train, val = history.train_acc[-1], history.val_acc[-1]
        return "underfitting" if train < 0.7 else "overfitting" if abs(train - val) > 0.1 else "ok"

    assert not check_diagnose(absolute_gap)
    assert "do not take abs()" in capsys.readouterr().out


def test_check_diagnose_catches_a_missing_underfitting_check(capsys):
    assert not check_diagnose(lambda h: "overfitting" if h.train_acc[-1] - h.val_acc[-1] > 0.1 else "ok")
    assert "Check underfitting first" in capsys.readouterr().out


def test_check_diagnose_reports_an_exception(capsys):
    assert not check_diagnose(lambda h: h["train_acc"])
    assert "raised TypeError" in capsys.readouterr().out


def test_check_diagnose_rejects_other_return_values(capsys):
    assert not check_diagnose(lambda h: True)
    assert "Return exactly one of the strings" in capsys.readouterr().out


def _overfitting_run(restore_best: bool, stop: bool):
    """A tiny linear model on noisy labels: validation loss gets worse after a few epochs."""
    seed_everything(0)
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (96, 6, 6), generator=g, dtype=torch.uint8)
    y = torch.randint(0, 2, (96,), generator=g)  # random labels: nothing generalises
    train = TensorLoader(x[:32], y[:32], batch_size=8, shuffle=True, device="cpu", seed=0)
    val = TensorLoader(x[32:], y[32:], batch_size=64, device="cpu")
    model = nn.Sequential(nn.Flatten(), nn.Linear(36, 2))
    callbacks = [EarlyStopping(patience=2)] if stop else []
    history = fit(model, train, epochs=40, lr=3e-2, val_loader=val, callbacks=callbacks,
                  restore_best=restore_best, **QUIET)
    return model, history, val


def test_check_best_restored_accepts_early_stopping_with_restore(capsys):
    model, history, val = _overfitting_run(restore_best=True, stop=True)
    assert check_best_restored(model, history, val)
    assert "✅ stopped early" in capsys.readouterr().out


def test_check_best_restored_catches_last_epoch_weights(capsys):
    model, history, val = _overfitting_run(restore_best=False, stop=True)
    assert not check_best_restored(model, history, val)
    assert "LAST epoch's weights" in capsys.readouterr().out


def test_check_best_restored_catches_a_run_without_early_stopping(capsys):
    model, history, val = _overfitting_run(restore_best=True, stop=False)
    assert not check_best_restored(model, history, val)
    assert "Add EarlyStopping" in capsys.readouterr().out


# ----- the exercises through check(): reference, stub, wrong answers -----
from exercise_helpers import run_check  # noqa: E402

from course_utils.exercises.ch05 import reference_train_with_early_stopping  # noqa: E402


def test_05_diagnose_reference_stub_and_wrong(capsys):
    returned, out = run_check(capsys, "05.diagnose", reference_diagnose)
    assert returned is reference_diagnose and out.startswith("✅")

    def diagnose(history):
        """Return "underfitting", "overfitting" or "ok"."""
        ...

    returned, out = run_check(capsys, "05.diagnose", diagnose)
    assert "not attempted yet" in out and returned is reference_diagnose
    _, out = run_check(capsys, "05.diagnose",
                       lambda h: "overfitting" if h.train_acc[-1] - h.val_acc[-1] > 0.1 else "ok")
    assert "Check underfitting first" in out
    _, out = run_check(capsys, "05.diagnose", lambda h: h["train_acc"])
    assert "raised TypeError" in out


def test_05_early_stopping_reference_passes(capsys):
    returned, out = run_check(capsys, "05.early_stopping", reference_train_with_early_stopping)
    assert returned is reference_train_with_early_stopping and "✅ stopped early" in out


def test_05_early_stopping_stub_is_not_attempted(capsys):
    def train_with_early_stopping(model, train_loader, val_loader, epochs, lr):
        """Train; stop early; keep the best epoch."""
        raise NotImplementedError

    returned, out = run_check(capsys, "05.early_stopping", train_with_early_stopping)
    assert "not attempted yet" in out and returned is reference_train_with_early_stopping


def test_05_early_stopping_without_the_callback_is_named(capsys):
    def no_callback(model, train_loader, val_loader, epochs, lr):
        return fit(model, train_loader, epochs, lr=lr, val_loader=val_loader,
                   live_plot=False, progress=False)

    _, out = run_check(capsys, "05.early_stopping", no_callback)
    assert "Add EarlyStopping" in out


def test_05_early_stopping_keeping_the_last_epoch_is_named(capsys):
    def last_weights(model, train_loader, val_loader, epochs, lr):
        return fit(model, train_loader, epochs, lr=lr, val_loader=val_loader,
                   callbacks=[EarlyStopping(patience=3)], restore_best=False,
                   live_plot=False, progress=False)

    _, out = run_check(capsys, "05.early_stopping", last_weights)
    assert "LAST epoch's weights" in out


# ----- 05.levers: the checker runs the chosen levers (here a stand-in for the notebook's run) -----
from types import SimpleNamespace  # noqa: E402

from course_utils.exercises.ch05 import reference_levers  # noqa: E402

# per-seed test-accuracy and test-loss changes over the baseline, as the notebook's table gives
TABLE = {"+ early_stopping": ([-0.05, -0.02, -0.04], [0.1, 0.05, 0.08]),
         "+ augment": ([0.01, 0.02, 0.0], [-0.02, -0.01, 0.0]),
         "+ dropout": ([0.01, -0.01, 0.0], [0.0, 0.01, -0.01])}


def fake_run(levers, seed):
    """What the notebook's run would measure: the LR decides, early stopping costs."""
    val = 0.74 if "gentle_lr" in levers else 0.60
    val -= 0.06 * ("early_stopping" in levers)
    row = {"train_acc": 1.0, "val_acc": val, "test_acc": val - 0.01}
    return None, SimpleNamespace(best_epoch=5), row


def test_05_levers_reference_passes_and_stub_is_not_attempted(capsys):
    returned, out = run_check(capsys, "05.levers", reference_levers(), run=fake_run, table=TABLE)
    assert returned == reference_levers() and ">= the bar 0.710" in out
    returned, out = run_check(capsys, "05.levers", ..., run=fake_run, table=TABLE)
    assert "not attempted yet" in out and returned == reference_levers()


def test_05_levers_without_the_gentle_lr_is_named(capsys):
    regularisers = {"freeze", "weight_decay", "augment", "dropout", "label_smoothing"}
    returned, out = run_check(capsys, "05.levers", regularisers, run=fake_run, table=TABLE)
    assert "without 'gentle_lr'" in out and returned == reference_levers()


def test_05_levers_a_lever_that_cost_accuracy_is_named(capsys):
    _, out = run_check(capsys, "05.levers", {"gentle_lr", "early_stopping", "augment"},
                       run=fake_run, table=TABLE)
    assert "early_stopping lowered the test accuracy" in out and "augment," not in out
    assert "worse than the gentle LR alone" in out


def test_05_levers_a_harmless_extra_lever_passes(capsys):
    returned, out = run_check(capsys, "05.levers", {"gentle_lr", "augment"}, run=fake_run,
                              table=TABLE)
    assert returned == {"gentle_lr", "augment"} and "✅" in out


def test_05_levers_typos_and_a_bare_string_are_caught_before_training(capsys):
    def no_run(levers, seed):
        raise AssertionError("nothing should train for a malformed answer")

    _, out = run_check(capsys, "05.levers", {"gentle_lr", "augmentation"}, run=no_run)
    assert "Did you mean 'augment'?" in out
    _, out = run_check(capsys, "05.levers", "gentle_lr", run=no_run)
    assert "A single string is not a set" in out
