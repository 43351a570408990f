"""``show_quiz``: the last cell of every notebook. Widgets in Jupyter, text elsewhere.

ipywidgets is imported only when the widget quiz is shown, so the rest of the quiz code
(loading, grading, the text quiz, the instructor commands) works without it.

>>> from course_utils.quiz import show_quiz
>>> quiz = show_quiz("03", mode="text")  # doctest: +SKIP
"""
from __future__ import annotations

import importlib.util
import os
from typing import TYPE_CHECKING

from ..checks import check_bool
from .bank import load_bank
from .text import TextQuiz, text_quiz

if TYPE_CHECKING:
    from .widget import QuizWidget


def widgets_available() -> bool:
    """True inside a Jupyter kernel (``plots.in_notebook``) with ipywidgets installed."""
    from ..plots import in_notebook

    return importlib.util.find_spec("ipywidgets") is not None and in_notebook()


def show_quiz(chapter: str | int, seed: int | str | None = None, student: str | None = None,
              results_dir: str | os.PathLike | None = None, mode: str = "auto",
              shuffle: bool = True) -> "QuizWidget | TextQuiz":
    """Show a chapter's quiz: the last cell of every notebook is ``show_quiz("03")``.

    Args:
        chapter: ``"03"``, ``3`` or a bank path.
        seed: None (default) gives each student their own option order, seeded by a SHA-256
            of their name and the question id (stable for them, different for others); a
            value gives everyone the order of that seed.
        student: name or id for the results file (default ``$COURSE_STUDENT`` or the last one
            typed); the widget asks for it otherwise. Nothing is saved before a Check.
        results_dir: where ``<student>.json`` goes (default ``$COURSE_RESULTS_DIR`` or
            ``<repo>/results``).
        mode: ``"widget"``, ``"text"`` (prints; answer with :func:`answer`), or ``"auto"``:
            widgets inside a Jupyter kernel, text elsewhere.
        shuffle: False shows the options in the order written in the bank.

    Returns:
        The :class:`QuizWidget` (displayed as a cell's last value) or a :class:`TextQuiz`.

    >>> quiz = show_quiz("03", mode="text")  # doctest: +SKIP
    """
    if mode not in ("auto", "widget", "text"):
        raise ValueError(f"mode={mode!r}: mode must be 'auto', 'widget' or 'text'. HINT: leave "
                         "it out (auto) to get widgets in Jupyter and text elsewhere.")
    shuffle = check_bool("shuffle", shuffle)
    if isinstance(student, int) and not isinstance(student, bool):
        student = str(student)  # a student number is a fine id
    if student is not None and not isinstance(student, str):
        raise TypeError(f"student={student!r}: give your name or id as text, e.g. "
                        "student='ada' (or leave it out to be asked).")
    if mode == "auto":
        mode = "widget" if widgets_available() else "text"
    if mode == "text":
        return text_quiz(chapter, seed=seed, student=student, results_dir=results_dir,
                         shuffle=shuffle)
    try:
        from .widget import QuizWidget
    except ImportError as err:
        if err.name != "ipywidgets":
            raise
        raise ImportError("The quiz widget needs ipywidgets. Install it with: pip install "
                          f"ipywidgets==8.1.9, or take the quiz as text: show_quiz({chapter!r}, "
                          "mode='text').") from None
    return QuizWidget(load_bank(chapter), seed=seed, student=student, results_dir=results_dir,
                      shuffle=shuffle)
