"""The quiz as plain text: for a terminal, a plain HTML export, or wherever widgets fail.

Questions print with lettered options; a student answers with a function call, which
never waits for input (safe under nbval), or in a terminal with ``python -m
course_utils.quiz take 03``, which asks with ``input()``.

>>> quiz = show_quiz("03", mode="text")  # doctest: +SKIP
>>> answer("03", "freeze-loss-flat", "B")  # doctest: +SKIP
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from .bank import Bank, Question, chapter_key, load_bank
from .grading import LETTERS, Result, grade, letters_to_indices, option_texts, shuffled_order
from .identity import order_seed
from .results import past_results, record_attempts, recall_student, remember_student

_last_quiz: dict[str, TextQuiz] = {}


def format_question(question: Question, number: int, order: list[int]) -> str:
    """One question as Markdown-ish text with lettered options in display order."""
    kind = "choose all that apply" if question.multi_select else "choose one"
    lines = [f"Q{number} [{question.difficulty}] ({question.id}, {kind})", question.text, ""]
    for letter, index in zip(LETTERS, order):
        text = question.options[index].text
        body = text.replace("\n", "\n   ")
        lines.append(f"{letter}. {body}")
    return "\n".join(lines)


def quiz_orders(bank: Bank, seed: int | str | None, student: str | None,
                shuffle: bool = True) -> dict[str, list[int]]:
    """Each question's option order: from ``seed`` when given, else from the student's name.

    >>> quiz_orders(bank, None, "ada") == quiz_orders(bank, None, "ada")  # doctest: +SKIP
    True
    """
    if not shuffle:
        seed = None
    elif seed is None:
        seed = order_seed(student)
    return {q.id: shuffled_order(q, seed) for q in bank.questions}


def score_text(bank: Bank, results: dict[str, list[Result]]) -> str:
    """``Score: 3/12 right on the first try (4 of 12 answered)``."""
    first = sum(r[0].correct for r in results.values() if r)
    return (f"Score: {first}/{len(bank)} right on the first try "
            f"({len(results)} of {len(bank)} answered)")


def to_review(bank: Bank, results: dict[str, list[Result]]) -> list[tuple[int, Question]]:
    """Questions (numbered from 1) not right on the first try, or not answered yet."""
    return [(n, q) for n, q in enumerate(bank.questions, 1)
            if not results.get(q.id) or not results[q.id][0].correct]


def review_text(bank: Bank, results: dict[str, list[Result]]) -> str:
    """The end-of-quiz summary: each question to review with its hint."""
    items = to_review(bank, results)
    if not items:
        return "All right on the first try: nothing to review."
    lines = ["Questions to review:"]
    for n, q in items:
        status = "not answered" if q.id not in results else "not right on the first try"
        lines.append(f"  Q{n} ({q.id}, {status}). Hint: {q.hint}")
    return "\n".join(lines)


def format_feedback(question: Question, order: list[int], result: Result) -> str:
    """Feedback for one graded answer: verdict, each chosen option's explanation, solution."""
    letter = {index: LETTERS[pos] for pos, index in enumerate(order)}
    verdict = "Correct!" if result.correct else "Not quite."
    lines = [verdict]
    lines += [f"  {letter[i]}: {result.feedback[i]}" for i in result.selected]
    if result.missed and question.multi_select:
        lines.append(f"  You missed {len(result.missed)} correct option(s).")
    answer_letters = ", ".join(letter[i] for i in sorted(result.correct_options,
                                                         key=order.index))
    lines += ["", "Solution:", question.solution, f"Answer: {answer_letters}",
              f"Quick check: {question.quick_check}"]
    return "\n".join(lines)


class TextQuiz:
    """A chapter's quiz answered by calls: ``quiz.answer("freeze-loss-flat", "B")``.

    Attributes:
        bank: the chapter's bank.
        orders: question id -> display order of its options (written indices).
        results: question id -> list of :class:`Result`, one per attempt.
    """

    def __init__(self, bank: Bank, seed: int | str | None = None, student: str | None = None,
                 results_dir: str | os.PathLike | None = None, shuffle: bool = True) -> None:
        self.bank, self.seed, self.results_dir = bank, seed, results_dir
        self.shuffle = shuffle
        self.recalled = not student and bool(recall_student(results_dir))  # not typed: say whose
        self.use_student(student or recall_student(results_dir) or None)

    def use_student(self, student: str | None) -> None:
        """Set the student: their option order and their earlier results (restored)."""
        self.student = student
        self.orders = quiz_orders(self.bank, self.seed, student, self.shuffle)
        self.results: dict[str, list[Result]] = past_results(self.bank, student,
                                                             self.results_dir)

    def text(self) -> str:
        """The whole quiz as text, with how to answer."""
        ch = self.bank.chapter
        first = self.bank.questions[0].id
        parts = [f"Quiz {ch}: {self.bank.title} ({len(self.bank)} questions)",
                 f'Answer in a cell: answer("{ch}", "{first}", "B")   (several letters for '
                 f'"choose all": "B, D"); in a terminal: python -m course_utils.quiz take {ch}']
        if self.recalled:
            parts.append(f"Saving answers for {self.student!r}, the name last used here (or "
                         f'$COURSE_STUDENT). Not you? show_quiz("{ch}", student="your name").')
        if self.results:
            parts.append(f"Restored from your results file: {self.score_line()}")
        for n, q in enumerate(self.bank.questions, 1):
            done = self.results.get(q.id)
            mark = ("" if not done else "\n(answered: right on the first try)" if
                    done[0].correct else "\n(answered: not right on the first try)")
            parts.append(format_question(q, n, self.orders[q.id]) + mark)
        return "\n\n".join(parts)

    def answer(self, question_id: str, letters: str, verbose: bool = True) -> Result:
        """Grade an answer given as displayed letters, print feedback and save it."""
        question = self.bank[question_id]
        order = self.orders[question_id]
        result = grade(question, letters_to_indices(question, order, letters))
        self.results.setdefault(question_id, []).append(result)
        student = self.student or recall_student(self.results_dir)
        if student:
            record_attempts([{"chapter": self.bank.chapter, "question": question_id,
                              "chosen": option_texts(question, result.selected),
                              "correct": result.correct}], student, self.results_dir)
            remember_student(student, self.results_dir)
        if verbose:
            print(format_feedback(question, order, result))
            if not student:
                print('(Not saved: pass student="your name" to show_quiz, or set '
                      "COURSE_STUDENT, to keep your results.)")
            print(self.score_line())
            if len(self.results) == len(self.bank):
                print(review_text(self.bank, self.results))
        return result

    def score_line(self) -> str:
        """Running score: questions right on the first try, and how many were answered."""
        return score_text(self.bank, self.results)

    def run(self, ask: Callable[[str], str] | None = None) -> str:
        """Ask every question in turn with ``ask`` (default ``input``); return the score."""
        ask = ask or input
        if not self.student:
            self.use_student(ask("Your name or student id: ").strip() or None)
        if self.results:
            print(f"Restored from your results file: {self.score_line()}")
        for n, question in enumerate(self.bank.questions, 1):
            print("\n" + format_question(question, n, self.orders[question.id]))
            if question.id in self.results:
                print("(already answered; answer again or press Enter to skip)")
            while True:
                reply = ask("Your answer (letters, empty to skip): ").strip()
                if not reply:
                    break
                try:
                    self.answer(question.id, reply)
                    break
                except ValueError as err:
                    print(err)
        line = self.score_line()
        print("\n" + line + "\n" + review_text(self.bank, self.results))
        return line

    def __repr__(self) -> str:
        return f"<TextQuiz chapter {self.bank.chapter}: {self.score_line()}>"


def text_quiz(chapter: str | int, seed: int | str | None = None, student: str | None = None,
              results_dir: str | os.PathLike | None = None, show: bool = True,
              shuffle: bool = True) -> TextQuiz:
    """Build (and print) the text quiz of a chapter; :func:`answer` then grades against it."""
    quiz = TextQuiz(load_bank(chapter), seed=seed, student=student, results_dir=results_dir,
                    shuffle=shuffle)
    _last_quiz[quiz.bank.chapter] = quiz
    if show:
        print(quiz.text())
    return quiz


def answer(chapter: str | int, question_id: str, letters: str, **kwargs: Any) -> Result:
    """Answer one question of the text quiz by its displayed letters, e.g. ``"B"``.

    Uses the quiz last shown for that chapter (so the letters match what you saw);
    otherwise builds one with ``kwargs`` (seed, student, results_dir) without printing it.

    >>> answer("03", "freeze-loss-flat", "B")  # doctest: +SKIP
    Correct!
    """
    key = chapter_key(chapter)
    if not isinstance(letters, str):
        raise TypeError(f"letters={letters!r}: give the letters you chose as text, e.g. 'B' "
                        "(or 'B, D' where several are right).")
    quiz = _last_quiz.get(key) if not kwargs else None
    if quiz is None:
        quiz = text_quiz(key, show=False, **kwargs)
    return quiz.answer(question_id, letters)
