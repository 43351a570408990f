"""The exercises' machinery: a registry by id, ``check``, ``hint`` and ``solution``.

Every "Your turn" cell of a chapter holds a stub that you fill in, and one ``check`` call under
it. The reference solutions are ordinary functions in ``course_utils/exercises/chNN.py`` (the
one place they live); ``solution(id)`` prints one only when you ask for it.

>>> from course_utils.exercises import check, hint, solution
>>> def train_step(model, x, y, optimizer, loss_fn):
...     '''One optimisation step; returns the loss as a float.'''
...     raise NotImplementedError   # your code here
>>> train_step = check("02.train_step", train_step, record=False)  # doctest: +ELLIPSIS
⏳ 02.train_step: not attempted yet. Hint 1 of ...
>>> hint("02.train_step")  # doctest: +ELLIPSIS
💡 02.train_step, hint 2 of ...

What ``check`` returns: your answer when it passes; otherwise the reference solution (as a
function or a value, whatever the stub stands for), so that the rest of the notebook still runs.
It says so when that happens.
"""
from __future__ import annotations

import ast
import inspect
import textwrap
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..checks import env_flag
from ..plots import in_notebook


class NotAttempted(BaseException):
    """Raised inside a check when the student's stub runs unchanged.

    A ``BaseException`` (like ``KeyboardInterrupt``), so that a checker's ``except Exception``
    that reports the student's errors does not swallow it.
    """


@dataclass
class Exercise:
    """One exercise: what it asks, how it is checked, its hints and its reference solution.

    Attributes:
        id: ``"NN.name"``, for example ``"03.freeze"``; ``NN`` is the chapter.
        title: one line saying what to do.
        checker: ``checker(answer, **context) -> bool``; prints what is right or wrong.
        reference: the reference solution, a real function (its source is what ``solution``
            shows).
        hints: shown one at a time by ``hint``, from gentle to explicit.
        value: True when the answer is a value made by calling ``reference()`` (for example
            a recipe), False when the answer is the function itself.
        record: False when ``check`` is only a first step and another function records the
            attempt (chapter 07's recipe is recorded once it has run).
    """

    id: str
    title: str
    checker: Callable[..., bool]
    reference: Callable[..., Any]
    hints: list[str]
    value: bool = False
    record: bool = True
    hints_shown: int = field(default=0, repr=False)
    used_reference: bool = field(default=False, repr=False)  # the last check() returned it

    @property
    def chapter(self) -> str:
        return self.id.split(".", 1)[0]

    def reference_answer(self) -> Any:
        """What a correct cell would hold: the reference function, or the value it builds."""
        return self.reference() if self.value else self.reference


REGISTRY: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    """Add an exercise to :data:`REGISTRY` (each chapter module does this when imported)."""
    REGISTRY[exercise.id] = exercise
    return exercise


def get(exercise_id: str) -> Exercise:
    """The exercise with this id; a KeyError lists the valid ids."""
    from . import ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08, ch09, ch10  # noqa: F401 (they register)

    if exercise_id not in REGISTRY:
        raise KeyError(f"No exercise {exercise_id!r}. The exercises: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[exercise_id]


def is_stub(fn: Callable[..., Any]) -> bool:
    """True when a function's body is only a docstring, ``...``, ``pass`` or ``raise NotImplementedError``.

    >>> def f(x):
    ...     '''Doc.'''
    ...     ...
    >>> is_stub(f), is_stub(lambda x: x + 1)
    (True, False)
    """
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):  # no source: a stub refers to no name at all
        code = getattr(fn, "__code__", None)
        return code is not None and not code.co_names
    node = tree.body[0] if tree.body else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    for stmt in node.body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # a docstring or a bare ...
        if isinstance(stmt, ast.Raise) and "NotImplementedError" in ast.unparse(stmt):
            continue
        return False
    return True


def report(problems: list[str], success: str) -> bool:
    """The one verdict format of every checker: the problems as a list, or one line of success.

    A checker collects what is wrong as sentences (which case, what was expected, what it got)
    and hands them here; it returns True when there is nothing wrong.

    >>> report(["for x=2 you returned 5; expected 4"], "all cases right")
    ❌ Not yet:
      - for x=2 you returned 5; expected 4
    False
    >>> report([], "all 3 cases right")
    ✅ all 3 cases right
    True
    """
    if problems:
        print("❌ Not yet:\n" + "\n".join(f"  - {problem}" for problem in problems))
        return False
    print(f"✅ {success}")
    return True


def _guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, but raising :class:`NotAttempted` when it is still the stub."""
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            out = fn(*args, **kwargs)
        except NotImplementedError:
            raise NotAttempted from None
        if out is Ellipsis or (out is None and is_stub(fn)):
            raise NotAttempted
        return out

    for attr in ("__name__", "__qualname__", "__doc__", "__wrapped__"):
        setattr(guarded, attr, getattr(fn, attr, None) if attr != "__wrapped__" else fn)
    return guarded


def _where(err: BaseException) -> str:
    """The last line of the student's own code in a traceback (not the course's or torch's)."""
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if "course_utils" not in f.filename and "site-packages" not in f.filename]
    return f" (in your line: {frames[-1].line.strip()!r})" if frames and frames[-1].line else ""


def record_attempt(exercise: Exercise, correct: bool) -> None:
    """Store the attempt beside the quiz attempts (``course_utils.quiz.results``), under the
    name the quiz remembered or ``$COURSE_STUDENT`` (``anonymous`` before either);
    ``COURSE_RECORD=0`` turns recording off (the instructor build does)."""
    from ..quiz.results import recall_student, record_attempts

    if env_flag("COURSE_RECORD") is False:
        return
    try:
        record_attempts([{"chapter": exercise.chapter, "question": f"exercise {exercise.id}",
                          "chosen": [], "correct": bool(correct), "kind": "exercise"}],
                        recall_student() or "anonymous")
    except Exception as err:  # recording must never break the notebook
        print(f"(The attempt could not be recorded: {err})")


def check(exercise_id: str, answer: Any, record: bool = True, **context: Any) -> Any:
    """Check your answer to an exercise and print specific feedback.

    Args:
        exercise_id: for example ``"03.freeze"`` (the cell names it).
        answer: your function (or value, for exercises that ask for one).
        record: store the attempt in your results file, beside your quiz scores.
        **context: what the checker needs from the notebook (the cell passes it).

    Returns:
        Your answer if it passes; otherwise the reference solution, so the notebook runs on.

    >>> check("06.mean_std", ..., record=False)  # doctest: +ELLIPSIS
    ⏳ 06.mean_std: not attempted yet. ...
    <function reference_mean_std at ...>
    """
    exercise = get(exercise_id)
    attempted = answer is not Ellipsis and answer is not None
    if attempted and callable(answer) and not exercise.value:
        answer_used = _guard(answer)
    else:
        answer_used = answer
    ok = False
    if attempted:
        try:
            ok = bool(exercise.checker(answer_used, **context))
        except NotAttempted:
            attempted = False
        except Exception as err:  # an error in the student's code: feedback, not a traceback
            report([f"your code raised {type(err).__name__}: {err}{_where(err)}"], "")
    if not attempted:
        print(f"⏳ {exercise_id}: not attempted yet. Hint 1 of {len(exercise.hints)}: "
              f"{exercise.hints[0]}")
        exercise.hints_shown = max(exercise.hints_shown, 1)
        exercise.used_reference = True
        print("   Until you write it, the rest of the notebook uses the reference solution "
              f"(solution({exercise_id!r}) shows it).")
        return exercise.reference_answer()
    if record and exercise.record:
        record_attempt(exercise, ok)
    exercise.used_reference = not ok
    if ok:
        return answer
    print(f"   The rest of the notebook uses the reference solution until yours passes. More "
          f"help: hint({exercise_id!r}).")
    return exercise.reference_answer()


def hint(exercise_id: str) -> None:
    """Print the next hint of an exercise (one more per call); say when none are left."""
    exercise = get(exercise_id)
    n = len(exercise.hints)
    if exercise.hints_shown >= n:
        print(f"No more hints for {exercise_id} (all {n} shown). solution({exercise_id!r}) "
              "shows the reference solution.")
        return
    exercise.hints_shown += 1
    print(f"💡 {exercise_id}, hint {exercise.hints_shown} of {n}: "
          f"{exercise.hints[exercise.hints_shown - 1]}")


def solution_source(exercise_id: str) -> str:
    """The reference solution's source, its signature without type hints (so that it runs
    when pasted into a notebook that has not imported the hints' types).

    >>> print(solution_source("06.mean_std").splitlines()[0])
    def reference_mean_std(values):
    """
    source = textwrap.dedent(inspect.getsource(get(exercise_id).reference))
    fn = ast.parse(source).body[0]
    assert isinstance(fn, ast.FunctionDef)
    for arg in fn.args.args + fn.args.kwonlyargs:
        arg.annotation = None
    body_start = fn.body[0].lineno - 1
    fn.returns, fn.body = None, [ast.Pass()]
    header = ast.unparse(fn).splitlines()[0]
    return header + "\n" + "".join(source.splitlines(keepends=True)[body_start:])


def solution(exercise_id: str) -> None:
    """Show the reference solution: highlighted in Jupyter, plain text elsewhere."""
    source = solution_source(exercise_id)
    if in_notebook():
        from IPython.display import Code, display

        display(Code(source, language="python"))
    else:
        print(source)
