"""Chapter 05 checkers: a right answer passes, each typical wrong answer gets its own message."""
import torch
from torch import nn

from course_utils import EarlyStopping, TensorLoader, fit, seed_everything
from course_utils.exercises.ch05 import check_best_restored, check_diagnose, reference_diagnose

QUIET = {"live_plot": False, "progress": False}


def test_check_diagnose_accepts_the_reference_rule(capsys):
    assert check_diagnose(reference_diagnose)
    assert capsys.readouterr().out.startswith("Correct")


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
    assert "Correct" in capsys.readouterr().out


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
    assert returned is reference_diagnose and out.startswith("Correct")

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
    assert returned is reference_train_with_early_stopping and "Correct: stopped early" in out


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
