"""Grading in pure Python: answers in, a result with score and feedback out.

Option indices always refer to the order written in the bank file; the widget and the
text quiz shuffle what students see (per student), then translate back before grading.
Results files store the chosen options' *texts*, so they do not depend on any order.

>>> from course_utils.quiz.bank import Option, Question
>>> q = Question("q1", "easy", "2 + 2?", (Option("4", True, "Right."),
...              Option("5", False, "Off by one.")), "Count.", "1. Add.", "4")
>>> grade(q, 1).correct, grade(q, 1).feedback
(False, {1: 'Off by one.'})
"""
from __future__ import annotations

import hashlib
import random
import string
from collections.abc import Iterable
from dataclasses import dataclass, field

from .bank import Bank, Question, did_you_mean

LETTERS = string.ascii_uppercase


@dataclass(frozen=True)
class Result:
    """The grade of one answer.

    Attributes:
        question_id: the question's id.
        selected: the chosen option indices (written order), sorted.
        correct: True when exactly the correct options were chosen.
        score: 1.0 or 0.0 (multi-select questions are all-or-nothing).
        feedback: chosen option index -> its explanation.
        correct_options: the indices of the correct options.
    """

    question_id: str
    selected: tuple[int, ...]
    correct: bool
    score: float
    feedback: dict[int, str]
    correct_options: tuple[int, ...]

    @property
    def missed(self) -> tuple[int, ...]:
        """Correct options that were not chosen (useful for multi-select feedback)."""
        return tuple(i for i in self.correct_options if i not in self.selected)


@dataclass
class QuizResult:
    """The grade of a whole bank: ``score`` points out of ``total`` questions."""

    chapter: str
    score: float
    total: int
    results: dict[str, Result] = field(default_factory=dict)
    unanswered: list[str] = field(default_factory=list)

    @property
    def fraction(self) -> float:
        """Score as a fraction of the total, 0..1."""
        return self.score / self.total if self.total else 0.0

    def __str__(self) -> str:
        return (f"Chapter {self.chapter}: {self.score:g}/{self.total} "
                f"({self.fraction:.0%}), {len(self.unanswered)} unanswered")


def normalize_selected(question: Question, selected: int | Iterable[int]) -> tuple[int, ...]:
    """Turn an int or a collection of ints into sorted option indices, checking each one.

    Raises:
        ValueError: an index is not an option of the question, nothing is chosen, or
            several options are chosen for a single-answer question.
    """
    if isinstance(selected, str):
        raise TypeError(f"question '{question.id}': {selected!r} is a letter, but grade() takes "
                        "option indices in written order (0, 1, ...). HINT: to answer with the "
                        "letters you see, use answer(chapter, question_id, 'A').")
    items = [selected] if isinstance(selected, int) else list(selected)
    valid = range(len(question.options))
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int) or item not in valid:
            raise ValueError(f"question '{question.id}': {item!r} is not an option index; "
                             f"valid ones are {', '.join(map(str, valid))} (written order).")
    chosen = tuple(sorted(set(items)))
    if not chosen:
        raise ValueError(f"question '{question.id}': choose at least one option.")
    if len(chosen) > 1 and not question.multi_select:
        raise ValueError(f"question '{question.id}' takes exactly one option; got {chosen}.")
    return chosen


def grade(question: Question, selected: int | Iterable[int]) -> Result:
    """Grade one answer.

    Args:
        question: the question.
        selected: option index (written order) or a set of them for multi-select questions.

    Returns:
        A :class:`Result` with ``correct``, ``score`` and each chosen option's explanation.

    >>> from course_utils.quiz.bank import Option, Question
    >>> q = Question("q1", "easy", "2 + 2?", (Option("4", True, "Right."),
    ...              Option("5", False, "Off by one.")), "Count.", "1. Add.", "4")
    >>> grade(q, {0}).score
    1.0
    """
    chosen = normalize_selected(question, selected)
    ok = set(chosen) == set(question.correct)
    return Result(question_id=question.id, selected=chosen, correct=ok, score=float(ok),
                  feedback={i: question.options[i].explanation for i in chosen},
                  correct_options=question.correct)


def grade_quiz(bank: Bank, answers: dict[str, int | Iterable[int]]) -> QuizResult:
    """Grade many answers at once; unanswered questions score 0.

    Args:
        bank: the chapter's bank.
        answers: question id -> selected option index (or indices), written order.

    Returns:
        A :class:`QuizResult` with score, total and one :class:`Result` per answer.

    >>> grade_quiz(bank, {"freeze-loss-flat": 1}).score  # doctest: +SKIP
    1.0
    """
    ids = [q.id for q in bank.questions]
    for qid in answers:
        if qid not in ids:
            raise ValueError(f"chapter {bank.chapter} has no question '{qid}'"
                             f"{did_you_mean(qid, ids)}")
    results = {qid: grade(bank[qid], sel) for qid, sel in answers.items()}
    return QuizResult(chapter=bank.chapter, score=sum(r.score for r in results.values()),
                      total=len(bank), results=results,
                      unanswered=[qid for qid in ids if qid not in answers])


def shuffled_order(question: Question, seed: int | str | None = 0) -> list[int]:
    """Display order of the options: written indices shuffled by a SHA-256 of seed and id.

    The same seed and question always give the same order, on every machine and Python
    version (unlike ``hash()``). The quizzes pass a per-student seed
    (:func:`~course_utils.quiz.identity.order_seed`); ``seed=None`` keeps the written order.

    >>> from course_utils.quiz.bank import Option, Question
    >>> q = Question("q1", "easy", "?", (Option("a", True, "."), Option("b", False, ".")),
    ...              "h", "s", "c")
    >>> sorted(shuffled_order(q, seed=1)), shuffled_order(q, seed=None)
    ([0, 1], [0, 1])
    """
    order = list(range(len(question.options)))
    if seed is not None:
        digest = hashlib.sha256(f"{seed}\x00{question.id}".encode("utf-8")).digest()
        random.Random(int.from_bytes(digest[:8], "big")).shuffle(order)
    return order


def option_texts(question: Question, indices: Iterable[int]) -> list[str]:
    """The texts of chosen options: what a results file stores (identity, not position)."""
    return [question.options[i].text for i in indices]


def indices_of(question: Question, texts: Iterable[str]) -> tuple[int, ...] | None:
    """Written indices of options given by their texts; None if a text is not an option.

    >>> from course_utils.quiz.bank import Option, Question
    >>> q = Question("q1", "easy", "?", (Option("a", True, "."), Option("b", False, ".")),
    ...              "h", "s", "c")
    >>> indices_of(q, ["b"]), indices_of(q, ["z"])
    ((1,), None)
    """
    by_text = {o.text: i for i, o in enumerate(question.options)}
    try:
        return tuple(sorted({by_text[t] for t in texts}))
    except (KeyError, TypeError):
        return None


def letters_to_indices(question: Question, order: list[int], letters: str) -> tuple[int, ...]:
    """Map displayed letters (``"B"``, ``"b, d"``) back to written option indices."""
    picked = [c for c in letters.upper() if not c.isspace() and c not in ",;"]
    valid = LETTERS[:len(order)]
    bad = [c for c in picked if c not in valid]
    if bad or not picked:
        raise ValueError(f"question '{question.id}': answer with the letters {', '.join(valid)}"
                         f"{' (several allowed)' if question.multi_select else ''}; "
                         f"got {letters!r}.")
    return tuple(order[valid.index(c)] for c in picked)
