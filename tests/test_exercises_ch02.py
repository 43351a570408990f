"""The chapter 02 checker accepts right training steps and names each classic mistake."""
import pytest
import torch

from course_utils.exercises.ch02 import check_train_step, diagnose_train_step, reference_train_step


def zero_grad_after_step(model, x, y, optimizer, loss_fn):
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss.item()


def model_zero_grad(model, x, y, optimizer, loss_fn):
    model.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss  # a 0-d tensor is accepted too


def no_zero_grad(model, x, y, optimizer, loss_fn):
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def step_before_backward(model, x, y, optimizer, loss_fn):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    optimizer.step()
    loss.backward()
    return loss.item()


def no_backward(model, x, y, optimizer, loss_fn):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    optimizer.step()
    return loss.item()


def no_step(model, x, y, optimizer, loss_fn):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    return loss.item()


def zero_grad_between(model, x, y, optimizer, loss_fn):
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    return loss.item()


def returns_nothing(model, x, y, optimizer, loss_fn):
    reference_train_step(model, x, y, optimizer, loss_fn)


def own_optimizer(model, x, y, optimizer, loss_fn):
    mine = torch.optim.SGD(model.parameters(), lr=1.0)
    mine.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    mine.step()
    return loss.item()


def doubled_loss(model, x, y, optimizer, loss_fn):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    (2 * loss).backward()
    optimizer.step()
    return loss.item()


def under_no_grad(model, x, y, optimizer, loss_fn):
    optimizer.zero_grad()
    with torch.no_grad():
        loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def test_reference_step_passes():
    assert diagnose_train_step(reference_train_step) == []


def test_zero_grad_after_step_passes():
    assert diagnose_train_step(zero_grad_after_step) == []


def test_model_zero_grad_and_tensor_loss_pass():
    assert diagnose_train_step(model_zero_grad) == []


@pytest.mark.parametrize("step, message", [
    (no_zero_grad, "zero_grad() is never called"),
    (step_before_backward, "BEFORE loss.backward()"),
    (no_backward, "loss.backward() is never called"),
    (no_step, "optimizer.step() is never called"),
    (zero_grad_between, "between backward() and step()"),
    (returns_nothing, "return the batch loss"),
    (own_optimizer, "optimizer you were given never stepped"),
], ids=lambda v: v.__name__ if callable(v) else "")
def test_each_mistake_is_named(step, message):
    assert message in diagnose_train_step(step)[0]


def test_wrong_update_is_caught_by_the_weights():
    problems = diagnose_train_step(doubled_loss)
    assert problems and "weights differ" in problems[0]


def test_error_gets_a_hint():
    problems = diagnose_train_step(under_no_grad)
    assert problems[0].startswith("Your step raised RuntimeError") and "HINT" in problems[0]


def test_check_prints_and_returns(capsys):
    assert check_train_step(reference_train_step) is True
    assert check_train_step(no_step) is False
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out


# ----- the exercise through check(): reference, stub, wrong answers -----
from exercise_helpers import run_check  # noqa: E402


def test_02_reference_passes(capsys):
    returned, out = run_check(capsys, "02.train_step", reference_train_step)
    assert returned is reference_train_step and out.startswith("✅")


def test_02_stub_is_not_attempted(capsys):
    def train_step(model, x, y, optimizer, loss_fn):
        """One optimisation step; returns the loss."""
        raise NotImplementedError

    returned, out = run_check(capsys, "02.train_step", train_step)
    assert "not attempted yet" in out and returned is reference_train_step


@pytest.mark.parametrize("step, message", [
    (no_zero_grad, "zero_grad() is never called"),
    (step_before_backward, "BEFORE loss.backward()"),
    (returns_nothing, "return the batch loss"),
], ids=lambda v: v.__name__ if callable(v) else "")
def test_02_wrong_steps_get_their_feedback(capsys, step, message):
    returned, out = run_check(capsys, "02.train_step", step)
    assert message in out and returned is reference_train_step
