"""The quiz in the notebook: ipywidgets, graded in Python (see ``show.py`` for the entry).

All questions are stacked. Each has radio buttons (checkboxes when several answers are
right), a Check button, a Hint button, feedback with the explanation of the chosen
option, and the solution once an attempt was made. Tests drive it without a browser:

>>> from course_utils.quiz import show_quiz
>>> quiz = show_quiz("03")  # doctest: +SKIP
>>> q = quiz.questions[0]  # doctest: +SKIP
>>> q.choices.value = q.question.correct[0]; q.check_button.click()  # doctest: +SKIP
>>> "Correct" in q.feedback.value  # doctest: +SKIP
True
"""
from __future__ import annotations

import contextlib
import html
import io
import os
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from .bank import Bank, Question
from .grading import LETTERS, Result, grade, shuffled_order
from .results import record_attempts, recall_student, remember_student
from .text import TextQuiz

try:  # mistune comes with JupyterLab (through nbconvert)
    from mistune import create_markdown
    _markdown = create_markdown(escape=True)
except ImportError:  # pragma: no cover - a plain, still readable rendering
    _markdown = None


def markdown_html(text: str) -> str:
    """Render Markdown (fenced code included) to HTML; raw HTML in the text is escaped."""
    if _markdown is not None:
        return str(_markdown(text))
    return f"<pre>{html.escape(text)}</pre>"


def lettered(letter: str, text: str) -> str:
    """A letter beside rendered Markdown, e.g. an option or an option's explanation."""
    return (f"<div style='display:flex;gap:0.5em'><b>{letter}.</b><div>{markdown_html(text)}"
            "</div></div>")


class CheckboxGroup(widgets.HBox):
    """Checkboxes whose ``value`` is the tuple of chosen option indices (written order)."""

    def __init__(self, labels: list[str], indices: list[int]) -> None:
        self.indices = list(indices)
        self.boxes = [widgets.Checkbox(value=False, description=label, indent=False,
                                       layout=widgets.Layout(width="4em")) for label in labels]
        super().__init__([widgets.Label("Answer (all that apply):")] + self.boxes)

    @property
    def value(self) -> tuple[int, ...]:
        return tuple(sorted(i for i, box in zip(self.indices, self.boxes) if box.value))

    @value.setter
    def value(self, chosen: Any) -> None:
        chosen = {chosen} if isinstance(chosen, int) else set(chosen or ())
        for i, box in zip(self.indices, self.boxes):
            box.value = i in chosen


class QuestionWidget:
    """One question's widgets: ``choices``, ``check_button``, ``hint_button``, ``hint``,
    ``feedback`` and ``solution`` (HTML widgets), and ``box`` that holds them all."""

    def __init__(self, question: Question, number: int, order: list[int],
                 on_check: Callable[[QuestionWidget, Result], None] | None = None) -> None:
        self.question, self.order, self._on_check = question, order, on_check
        self.attempts: list[Result] = []
        self.letter = {index: LETTERS[pos] for pos, index in enumerate(order)}
        kind = "choose all that apply" if question.multi_select else "choose one"
        head = (f"<b>Q{number}</b> <small>[{question.difficulty}, {kind}]</small>"
                + markdown_html(question.text))
        # Option texts go in HTML (code renders, long lines wrap); ipywidgets cuts long
        # radio/checkbox labels with an ellipsis, so the buttons carry the letters only.
        items = "".join(lettered(self.letter[i], question.options[i].text) for i in order)
        parts = [widgets.HTML(head), widgets.HTML(items)]
        labels = [self.letter[i] for i in order]
        if question.multi_select:
            self.choices: Any = CheckboxGroup(labels, order)
        else:
            self.choices = widgets.RadioButtons(options=list(zip(labels, order)), value=None,
                                                description="Answer:", orientation="horizontal")
        self.check_button = widgets.Button(description="Check", button_style="primary")
        self.hint_button = widgets.Button(description="Hint")
        self.hint, self.feedback, self.solution = (widgets.HTML(""), widgets.HTML(""),
                                                   widgets.HTML(""))
        self.check_button.on_click(self.check)
        self.hint_button.on_click(self.show_hint)
        buttons = widgets.HBox([self.check_button, self.hint_button])
        self.box = widgets.VBox(parts + [self.choices, buttons, self.hint, self.feedback,
                                         self.solution])

    def show_hint(self, _: Any = None) -> None:
        """Show the hint (the Hint button's action)."""
        self.hint.value = f"<b>Hint:</b> {markdown_html(self.question.hint)}"

    def check(self, _: Any = None) -> Result | None:
        """Grade the current choice (the Check button's action); show feedback and solution."""
        chosen = self.choices.value
        if chosen is None or chosen == ():
            self.feedback.value = "<i>Choose an option first, then press Check.</i>"
            return None
        result = grade(self.question, chosen)
        self.attempts.append(result)
        verdict = ("<b style='color:green'>Correct!</b>" if result.correct
                   else "<b style='color:#b00'>Not quite.</b>")
        lines = [lettered(self.letter[i], result.feedback[i])
                 for i in sorted(result.selected, key=self.order.index)]
        if result.missed and self.question.multi_select:
            lines.append(f"<div>You missed {len(result.missed)} correct option(s).</div>")
        self.feedback.value = verdict + "".join(lines)
        answer = ", ".join(self.letter[i] for i in sorted(result.correct_options,
                                                          key=self.order.index))
        self.solution.value = (f"<details open><summary><b>Solution</b></summary>"
                               f"{markdown_html(self.question.solution)}"
                               f"<p><b>Answer:</b> {answer}</p><p><b>Quick check:</b> "
                               f"{html.escape(self.question.quick_check)}</p></details>")
        if self._on_check:
            self._on_check(self, result)
        return result


class QuizWidget:
    """A chapter's quiz: a name field, every question, the running score and a save status.

    Attributes:
        questions: one :class:`QuestionWidget` per question, in bank order.
        name: the Text field for the student's name or id (asked once, then remembered).
        score: HTML with the running score; status: HTML with where results were saved.
        box: the VBox shown in the notebook.
    """

    def __init__(self, bank: Bank, seed: int | str | None = 0, student: str | None = None,
                 results_dir: str | os.PathLike | None = None) -> None:
        self.bank, self.seed, self.results_dir = bank, seed, results_dir
        self.pending: list[dict[str, Any]] = []
        self.name = widgets.Text(value=student or recall_student(results_dir),
                                 description="Name or id:", placeholder="asked once, to save "
                                 "your results", continuous_update=False,
                                 style={"description_width": "initial"})
        self.name.observe(lambda _change: self.save(), names="value")
        self.questions = [QuestionWidget(q, n, shuffled_order(q, seed), self._checked)
                          for n, q in enumerate(bank.questions, 1)]
        self.score, self.status = widgets.HTML(""), widgets.HTML("")
        self._update_score()
        title = widgets.HTML(f"<h3>Quiz {bank.chapter}: {html.escape(bank.title)}</h3>")
        self.box = widgets.VBox([title, self.name]
                                + [w for q in self.questions for w in (q.box, widgets.HTML("<hr>"))]
                                + [self.score, self.status])

    def _checked(self, question: QuestionWidget, result: Result) -> None:
        self.pending.append({"chapter": self.bank.chapter, "question": question.question.id,
                             "selected": list(result.selected), "correct": result.correct})
        self.save()
        self._update_score()

    def save(self) -> None:
        """Write pending attempts to the student's results file (once a name is given)."""
        student = self.name.value.strip()
        if not self.pending:
            return
        if not student:
            self.status.value = ("<i>Not saved yet: type your name or id in the box at the top "
                                 "(then press Enter); your answers are kept until then.</i>")
            return
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                path = record_attempts(self.pending, student, self.results_dir)
                remember_student(student, self.results_dir)
        except OSError as err:
            self.status.value = (f"<b>Could not save your results:</b> {html.escape(str(err))}. "
                                 "HINT: set COURSE_RESULTS_DIR to a folder you can write to.")
            return
        self.pending = []
        note = html.escape(out.getvalue().strip())
        self.status.value = (f"<small>Saved to {html.escape(str(path))}</small>"
                             + (f"<div><b>{note}</b></div>" if note else ""))

    def _update_score(self) -> None:
        answered = [q for q in self.questions if q.attempts]
        first = sum(q.attempts[0].correct for q in answered)
        done = "Quiz complete! " if len(answered) == len(self.questions) else ""
        self.score.value = (f"<b>{done}Score: {first}/{len(self.questions)}</b> right on the "
                            f"first try ({len(answered)} of {len(self.questions)} answered)")

    def text(self) -> str:
        """The questions as plain text, for places where widgets cannot render."""
        return TextQuiz(self.bank, seed=self.seed).text()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.box._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = self.text()
        return bundle

