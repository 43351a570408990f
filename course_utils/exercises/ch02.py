"""Chapter 02 exercise: write ONE training step in the right order; the checker says what is wrong.

The step a student writes::

    def train_step(model, x, y, optimizer, loss_fn):
        optimizer.zero_grad()          # forget the last batch's gradients
        loss = loss_fn(model(x), y)    # forward pass and loss
        loss.backward()                # gradients of the loss w.r.t. every trainable weight
        optimizer.step()               # move the weights against their gradients
        return loss.item()             # the batch loss BEFORE the update

:func:`check_train_step` runs it on a tiny model that records the order of events (zero_grad,
forward, backward, step), compares the weights after two calls with a reference step, and names
the mistake: gradients that accumulate, a step before backward, no backward, no step...

>>> from course_utils.exercises.ch02 import check_train_step, reference_train_step
>>> check_train_step(reference_train_step)  # doctest: +ELLIPSIS
✅ Right: forward -> backward -> step on fresh gradients ...
True
"""
from __future__ import annotations

import math
from typing import Any, Callable

import torch
from torch import nn

from ..seed import seeded
from .framework import report

TrainStep = Callable[[nn.Module, torch.Tensor, torch.Tensor, torch.optim.Optimizer, Callable], Any]
RIGHT_ORDER = "zero_grad -> forward -> backward -> step"


def reference_train_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                         optimizer: torch.optim.Optimizer, loss_fn: Callable) -> float:
    """One training step on the batch (x, y); returns the batch loss before the update."""
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


class _Log(list):
    """The events of one call, in order."""


class _SpyModel(nn.Module):
    """A tiny linear classifier that logs every forward pass, backward pass and zero_grad."""

    def __init__(self, log: _Log) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 3)
        self.log = log

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.log.append("forward")
        out = self.linear(x)
        if out.requires_grad:
            out.register_hook(lambda grad: self.log.append("backward"))  # runs during backward
        return out

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.log.append("zero_grad")
        super().zero_grad(set_to_none)


class _SpySGD(torch.optim.SGD):
    """Plain SGD that logs zero_grad and step."""

    def __init__(self, params: Any, log: _Log, lr: float = 0.1) -> None:
        super().__init__(params, lr=lr)
        self.log = log

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.log.append("zero_grad")
        super().zero_grad(set_to_none)

    def step(self, closure: Any = None) -> Any:
        self.log.append("step")
        return super().step(closure)


def _batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    generator = torch.Generator().manual_seed(0)
    return [(torch.randn(8, 4, generator=generator), torch.randint(0, 3, (8,), generator=generator))
            for _ in range(2)]


def _reference_weights() -> tuple[list[torch.Tensor], list[float]]:
    """Weights after each of two correct steps, and the losses the steps should return."""
    with seeded(0):
        model = _SpyModel(_Log())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    weights, losses = [], []
    for x, y in _batches():
        losses.append(reference_train_step(model, x, y, optimizer, nn.CrossEntropyLoss()))
        weights.append(torch.cat([p.detach().flatten() for p in model.parameters()]).clone())
    return weights, losses


def _initial_weights() -> torch.Tensor:
    with seeded(0):
        model = _SpyModel(_Log())
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def _order_problem(events: list[str]) -> str | None:
    """What is wrong with the order of one call's events, or None if it is right."""
    count = {name: events.count(name) for name in ("zero_grad", "forward", "backward", "step")}
    if count["forward"] == 0:
        return "The model never ran: compute `loss = loss_fn(model(x), y)` inside the step."
    if count["backward"] == 0:
        return ("loss.backward() is never called, so no gradients are computed and optimizer.step() "
                "has nothing to follow: the weights do not change. Call loss.backward() before step().")
    if count["step"] == 0:
        return ("optimizer.step() is never called: the gradients are computed but the weights never "
                "move. Call optimizer.step() after loss.backward().")
    for name in ("forward", "backward", "step"):
        if count[name] > 1:
            return (f"{name} ran {count[name]} times in one step; once per batch is right "
                    f"({RIGHT_ORDER}).")
    backward, step = events.index("backward"), events.index("step")
    if step < backward:
        return ("optimizer.step() runs BEFORE loss.backward(): each update uses the gradients left "
                "over from the PREVIOUS batch (on the first batch there are none, so nothing moves). "
                f"Right order: {RIGHT_ORDER}.")
    if count["zero_grad"] == 0:
        return ("zero_grad() is never called. loss.backward() ADDS to each parameter's .grad, so from "
                "the second batch on every update uses the sum of all gradients so far. Call "
                "optimizer.zero_grad() at the start of the step (or right after step()).")
    if any(backward < i < step for i, e in enumerate(events) if e == "zero_grad"):
        return ("zero_grad() runs between backward() and step(): it wipes the fresh gradients, so "
                "step() has nothing to apply and the weights do not move. Call zero_grad() before "
                "the forward pass (or after step()).")
    return None


def diagnose_train_step(train_step: TrainStep) -> list[str]:
    """Run ``train_step`` twice on a tiny spy model; return what is wrong (empty list: all right).

    Args:
        train_step: ``train_step(model, x, y, optimizer, loss_fn)`` doing ONE optimisation step on
            the batch ``(x, y)`` and returning that batch's loss (a float, or a 0-d tensor).

    >>> diagnose_train_step(reference_train_step)
    []
    """
    want_weights, want_losses = _reference_weights()
    log = _Log()
    with seeded(0):
        model = _SpyModel(log)
    optimizer = _SpySGD(model.parameters(), log, lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    problems: list[str] = []
    for call, (x, y) in enumerate(_batches(), start=1):
        log.clear()
        try:
            returned = train_step(model, x, y, optimizer, loss_fn)
        except Exception as err:  # the student's code: report any error with a hint
            hint = ""
            if "does not require grad" in str(err):
                hint = (" HINT: the loss has no graph to go back through. Call backward() on the "
                        "loss tensor itself (not on loss.item()), and not under torch.no_grad().")
            return [f"Your step raised {type(err).__name__}: {err}.{hint}"]
        weights = torch.cat([p.detach().flatten() for p in model.parameters()])
        before = want_weights[call - 2] if call > 1 else _initial_weights()
        if "step" not in log and not torch.equal(weights, before):
            return ["The weights changed, but the optimizer you were given never stepped: use the "
                    "`optimizer` argument. (An optimizer built inside the step would start afresh "
                    "every batch and lose its state, e.g. Adam's running averages.)"]
        problem = _order_problem(list(log))
        if problem:
            return [problem]
        if not torch.allclose(weights, want_weights[call - 1], atol=1e-6):
            problems.append(
                f"The order is right, but after call {call} the weights differ from a correct step "
                "with the same optimizer. Use the optimizer and loss_fn you are given, one "
                "optimizer.step() per call, and the loss of model(x) against y.")
            break
        try:
            value = float(returned.detach() if torch.is_tensor(returned) else returned)
        except (TypeError, ValueError):
            problems.append(f"The step returned {returned!r}; return the batch loss as a number "
                            "(`return loss.item()`), so the training loop can average it.")
            break
        if not math.isclose(value, want_losses[call - 1], rel_tol=1e-5, abs_tol=1e-6):
            problems.append(f"The step returned {value:.4f}, but the batch loss before the update was "
                            f"{want_losses[call - 1]:.4f}: return the loss you called backward() on.")
            break
    return problems


def check_train_step(train_step: TrainStep) -> bool:
    """Print whether ``train_step`` is a correct training step, and if not, why; return True if so.

    >>> def no_zero_grad(model, x, y, optimizer, loss_fn):
    ...     loss = loss_fn(model(x), y); loss.backward(); optimizer.step(); return loss.item()
    >>> check_train_step(no_zero_grad)  # doctest: +ELLIPSIS
    ❌ Not yet:
      - zero_grad() is never called. loss.backward() ADDS to ...
    False
    """
    return report(diagnose_train_step(train_step),
                  "Right: forward -> backward -> step on fresh gradients (zero_grad() before the "
                  "backward pass), and the weights match a correct step after 2 calls.")

def _register() -> None:
    from .framework import Exercise, register

    register(Exercise(
        "02.train_step", "train_step(model, x, y, optimizer, loss_fn): one optimisation step",
        check_train_step, reference_train_step,
        ["Four calls, in order: clear the old gradients, forward pass + loss, backward, step.",
         "optimizer.zero_grad() first; then loss = loss_fn(model(x), y).",
         "Then loss.backward() and optimizer.step(), and return loss.item() (a Python float)."]))


_register()
