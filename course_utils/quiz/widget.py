"""The quiz in the notebook: ipywidgets, graded in Python (see ``show.py`` for the entry).

All questions are stacked. Each has radio buttons (checkboxes when several answers are
right) whose labels are the option texts, so a screen reader reads the option, a Check and a
Hint button (all reachable with Tab, chosen with Space), feedback with the explanation of the
chosen option, and the solution once an attempt was made. The options come in the student's
own order. Re-running the cell, even after a kernel restart, restores the student's answers
and score from their results file; once every question is answered a review lists the ones to
look at again, with hints. Colours are JupyterLab theme variables that reach 4.5:1 contrast
on the light and the dark theme, and a ✓/✗ sign says the same without colour.

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
from .grading import Result, grade, option_texts
from .results import past_results, record_attempts, recall_student, remember_student
from .text import TextQuiz, quiz_orders, score_text, to_review

try:  # mistune comes with JupyterLab (through nbconvert)
    from mistune import create_markdown
    _markdown = create_markdown(escape=True)
except ImportError:  # pragma: no cover - a plain, still readable rendering
    _markdown = None

# Theme colours: --jp-success-color0 is 7.9:1 on white and 4.6:1 on the dark theme's #111;
# --jp-error-color1 is 5.0:1 and 5.1:1 (the other shades fail one of the two themes).
STYLE = """<style>
.course-quiz .widget-radio, .course-quiz .jupyter-widget-radio {width: 100%;}
.course-quiz .widget-radio-box label {height: auto; line-height: 1.4; white-space: pre-wrap;
  display: flex; flex-direction: row-reverse; justify-content: flex-end;
  align-items: baseline; gap: 0.5em; margin: 0.15em 0;}
.course-quiz .widget-checkbox {width: 100%; height: auto;}
.course-quiz .widget-checkbox label {white-space: pre-wrap; line-height: 1.4;}
.course-quiz .quiz-correct {color: var(--jp-success-color0, #1b5e20);}
.course-quiz .quiz-wrong {color: var(--jp-error-color1, #d32f2f);}
.course-quiz input:focus-visible, .course-quiz button:focus-visible
  {outline: 2px solid var(--jp-brand-color1, #1976d2); outline-offset: 2px;}
</style>"""


def markdown_html(text: str) -> str:
    """Render Markdown (fenced code included) to HTML; raw HTML in the text is escaped."""
    if _markdown is not None:
        return str(_markdown(text))
    return f"<pre>{html.escape(text)}</pre>"


def plain_label(text: str) -> str:
    """An option's text as a control label: Markdown code marks dropped, text kept.

    >>> plain_label("`model.fc = nn.Linear(512, 10)`")
    'model.fc = nn.Linear(512, 10)'
    """
    lines = [line for line in text.splitlines() if not line.strip().startswith("```")]
    return "\n".join(lines).replace("`", "").strip()


def verdict_html(correct: bool) -> str:
    """The verdict in a theme colour, with a sign so colour is not the only cue."""
    if correct:
        return "<b class='quiz-correct'>✓ Correct!</b>"
    return "<b class='quiz-wrong'>✗ Not quite.</b>"


class CheckboxGroup(widgets.VBox):
    """Checkboxes whose ``value`` is the tuple of chosen option indices (written order)."""

    def __init__(self, labels: list[str], indices: list[int]) -> None:
        self.indices = list(indices)
        self.boxes = [widgets.Checkbox(value=False, description=label, indent=False,
                                       layout=widgets.Layout(width="100%")) for label in labels]
        super().__init__([widgets.Label("Choose all that apply:")] + self.boxes)

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
        self.question, self.number, self.order, self._on_check = question, number, order, on_check
        self.attempts: list[Result] = []
        kind = "choose all that apply" if question.multi_select else "choose one"
        head = (f"<b>Q{number}</b> <small>[{question.difficulty}, {kind}]</small>"
                + markdown_html(question.text))
        labels = [plain_label(question.options[i].text) for i in order]
        if len(set(labels)) < len(labels):  # two options differ only in code marks
            labels = [question.options[i].text for i in order]
        if question.multi_select:
            self.choices: Any = CheckboxGroup(labels, order)
        else:
            self.choices = widgets.RadioButtons(options=list(zip(labels, order)), value=None,
                                                layout=widgets.Layout(width="100%"))
        self.check_button = widgets.Button(description="Check", button_style="primary",
                                           tooltip=f"Check your answer to question {number}")
        self.hint_button = widgets.Button(description="Hint",
                                          tooltip=f"Show a hint for question {number}")
        self.hint, self.feedback, self.solution = (widgets.HTML(""), widgets.HTML(""),
                                                   widgets.HTML(""))
        self.check_button.on_click(self.check)
        self.hint_button.on_click(self.show_hint)
        buttons = widgets.HBox([self.check_button, self.hint_button])
        self.box = widgets.VBox([widgets.HTML(head), self.choices, buttons, self.hint,
                                 self.feedback, self.solution])

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
        self.show_result(result)
        if self._on_check:
            self._on_check(self, result)
        return result

    def restore(self, results: list[Result]) -> None:
        """Show earlier attempts (from the results file): the last choice and its feedback."""
        if not results:
            return
        self.attempts = list(results)
        self.choices.value = (results[-1].selected if self.question.multi_select
                              else results[-1].selected[0])
        self.show_result(results[-1], restored=True)

    def show_result(self, result: Result, restored: bool = False) -> None:
        """Render the verdict, each chosen option's explanation and the solution."""
        q = self.question
        lines = [f"<div><i>{html.escape(q.options[i].text)}</i>: "
                 f"{markdown_html(result.feedback[i])}</div>"
                 for i in sorted(result.selected, key=self.order.index)]
        if result.missed and q.multi_select:
            lines.append(f"<div>You missed {len(result.missed)} correct option(s).</div>")
        first = self.attempts[0].correct if self.attempts else result.correct
        note = (f"<div><small>Restored from your results file ({len(self.attempts)} "
                f"attempt(s); first try {'right' if first else 'not right'}).</small></div>"
                if restored else "")
        self.feedback.value = note + verdict_html(result.correct) + "".join(lines)
        answer = "; ".join(html.escape(t) for t in option_texts(q, result.correct_options))
        self.solution.value = (f"<details open><summary><b>Solution</b></summary>"
                               f"{markdown_html(q.solution)}<p><b>Answer:</b> {answer}</p>"
                               f"<p><b>Quick check:</b> {html.escape(q.quick_check)}</p>"
                               "</details>")


class QuizWidget:
    """A chapter's quiz: a name field, every question, the running score, a review, a status.

    Attributes:
        questions: one :class:`QuestionWidget` per question, in bank order.
        name: the Text field for the student's name or id (asked once, then remembered).
        score: HTML with the running score; review: questions to look at again (at the end);
        status: HTML with where results were saved.
        box: the VBox shown in the notebook.
    """

    def __init__(self, bank: Bank, seed: int | str | None = None, student: str | None = None,
                 results_dir: str | os.PathLike | None = None, shuffle: bool = True) -> None:
        self.bank, self.seed, self.results_dir, self.shuffle = bank, seed, results_dir, shuffle
        self.pending: list[dict[str, Any]] = []
        self.checked_here = 0
        self.name = widgets.Text(value=student or recall_student(results_dir),
                                 description="Name or id:", placeholder="asked once, to save "
                                 "your results", continuous_update=False,
                                 style={"description_width": "initial"})
        self.score, self.review, self.status = (widgets.HTML(""), widgets.HTML(""),
                                                widgets.HTML(""))
        self.title = widgets.HTML(f"{STYLE}<h3>Quiz {bank.chapter}: "
                                  f"{html.escape(bank.title)}</h3>")
        self.box = widgets.VBox([])
        self.box.add_class("course-quiz")
        self._build(self.name.value.strip() or None)
        self.name.observe(self._name_changed, names="value")

    def _build(self, student: str | None) -> None:
        """Questions in this student's order, with their earlier answers restored."""
        orders = quiz_orders(self.bank, self.seed, student, self.shuffle)
        self.questions = [QuestionWidget(q, n, orders[q.id], self._checked)
                          for n, q in enumerate(self.bank.questions, 1)]
        past = past_results(self.bank, student, self.results_dir)
        for w in self.questions:
            w.restore(past.get(w.question.id, []))
        self.status.value = (f"<small>Restored {len(past)} answered question(s) from your "
                             "results file.</small>" if past else "")
        self._update_score()
        self.box.children = ([self.title, self.name]
                             + [w for q in self.questions for w in (q.box, widgets.HTML("<hr>"))]
                             + [self.score, self.review, self.status])

    def _name_changed(self, _change: Any = None) -> None:
        if self.checked_here:  # answers given before the name: keep them, save them
            self.save()
        else:                  # nothing answered yet: this student's order and past answers
            self._build(self.name.value.strip() or None)

    def _checked(self, question: QuestionWidget, result: Result) -> None:
        self.checked_here += 1
        self.pending.append({"chapter": self.bank.chapter, "question": question.question.id,
                             "chosen": option_texts(question.question, result.selected),
                             "correct": result.correct})
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

    def results(self) -> dict[str, list[Result]]:
        """Question id -> attempts shown in this quiz (restored and new)."""
        return {w.question.id: w.attempts for w in self.questions if w.attempts}

    def _update_score(self) -> None:
        results = self.results()
        done = len(results) == len(self.questions)
        complete = "Quiz complete! " if done else ""
        self.score.value = f"<b>{complete}{score_text(self.bank, results)}</b>"
        if not done:
            self.review.value = ""
            return
        items = to_review(self.bank, results)
        if not items:
            self.review.value = "<p>All right on the first try: nothing to review.</p>"
            return
        rows = "".join(f"<li><b>Q{n}</b> ({html.escape(q.id)}). Hint: "
                       f"{html.escape(q.hint)}</li>" for n, q in items)
        self.review.value = f"<p><b>Questions to review</b></p><ul>{rows}</ul>"

    def text(self) -> str:
        """The questions as plain text, for places where widgets cannot render."""
        student = self.name.value.strip() or None
        return TextQuiz(self.bank, seed=self.seed, student=student, results_dir=self.results_dir,
                        shuffle=self.shuffle).text()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.box._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = self.text()
        return bundle
