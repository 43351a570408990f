"""The bank file's schema: which keys a bank, a question and an option hold, and the checks.

:func:`parse_bank` reads already-parsed YAML, collects EVERY problem (file, question, field and
what to do) and raises one :class:`~course_utils.quiz.bank.QuizFormatError` listing them all, so
an instructor fixes a bank in one pass.

>>> try:
...     parse_bank({"chapter": "3", "title": "Freezing", "questions": []})
... except QuizFormatError as err:
...     print([problem.field for problem in err.problems])
['chapter', 'questions']
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .bank import Bank, Option, Problem, Question, QuizFormatError, did_you_mean

DIFFICULTIES = ("easy", "medium", "hard")
BANK_KEYS = ("chapter", "title", "questions")
QUESTION_KEYS = ("id", "difficulty", "multi_select", "source", "text", "options",
                 "hint", "solution", "quick_check")
REQUIRED_QUESTION_KEYS = ("id", "difficulty", "text", "options", "hint", "solution",
                          "quick_check")
OPTION_KEYS = ("text", "correct", "explanation")
MIN_OPTIONS, MAX_OPTIONS = 2, 6
ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CHAPTER_PATTERN = re.compile(r"^\d\d$")


def parse_bank(data: Any, name: str = "<bank>", path: Path | None = None) -> Bank:
    """Validate already-parsed YAML data and build a :class:`Bank` (raises QuizFormatError)."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise QuizFormatError([Problem(name, "the file must be a mapping with the keys "
                                             "chapter, title and questions.")])
    _unknown_keys(data, BANK_KEYS, problems, name, None, "")
    chapter = data.get("chapter")
    if not (isinstance(chapter, str) and CHAPTER_PATTERN.match(chapter)):
        problems.append(Problem(name, f"must be two digits in quotes, e.g. \"03\"; got {chapter!r}.",
                                field="chapter"))
    title = data.get("title")
    if not (isinstance(title, str) and title.strip()):
        problems.append(Problem(name, "missing or empty. Give the chapter's title.", field="title"))
    raw_questions = data.get("questions")
    questions: list[Question] = []
    if not (isinstance(raw_questions, list) and raw_questions):
        problems.append(Problem(name, "must be a non-empty list of questions.", field="questions"))
        raw_questions = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_questions):
        question = _parse_question(raw, index, name, problems)
        if question is None:
            continue
        if question.id in seen:
            problems.append(Problem(name, "duplicate id in this file; ids must be unique.",
                                    f"'{question.id}'", "id"))
        seen.add(question.id)
        questions.append(question)
    if problems:
        raise QuizFormatError(problems)
    return Bank(chapter=chapter, title=title.strip(), questions=questions, path=path)


def _unknown_keys(raw: dict, allowed: tuple[str, ...], problems: list[Problem], name: str,
                  label: str | None, prefix: str) -> None:
    for key in raw:
        if key not in allowed:
            problems.append(Problem(name, f"unknown key{did_you_mean(key, allowed)}", label,
                                    f"{prefix}{key}"))


def _text(raw: dict, key: str, problems: list[Problem], name: str, label: str,
          field_name: str, what: str) -> str:
    value = raw.get(key)
    if value is None:
        problems.append(Problem(name, f"missing. {what}", label, field_name))
        return ""
    if not isinstance(value, str):
        problems.append(Problem(name, f"must be text, got {type(value).__name__} {value!r}. "
                                      "HINT: put it in quotes.", label, field_name))
        return str(value)
    if not value.strip():
        problems.append(Problem(name, f"is empty. {what}", label, field_name))
    return value.strip()


def _parse_question(raw: Any, index: int, name: str, problems: list[Problem]) -> Question | None:
    label = f"questions[{index}] (no id)"
    if not isinstance(raw, dict):
        problems.append(Problem(name, "must be a mapping (id, difficulty, text, ...).", label))
        return None
    qid = raw.get("id")
    if isinstance(qid, str) and ID_PATTERN.match(qid):
        label = f"'{qid}'"
    elif qid is None:
        problems.append(Problem(name, "missing. Every question needs a unique id.", label, "id"))
    else:
        problems.append(Problem(name, f"{qid!r} is not a valid id: use lowercase letters, "
                                      "digits and '-', e.g. freeze-loss-flat.", label, "id"))
    before = len(problems)
    _unknown_keys(raw, QUESTION_KEYS, problems, name, label, "")
    difficulty = raw.get("difficulty")
    if difficulty not in DIFFICULTIES:
        problems.append(Problem(name, f"must be one of {', '.join(DIFFICULTIES)}; got "
                                      f"{difficulty!r}{did_you_mean(difficulty, DIFFICULTIES)}",
                                label, "difficulty"))
    multi = raw.get("multi_select", False)
    if not isinstance(multi, bool):
        problems.append(Problem(name, f"must be true or false; got {multi!r}.", label,
                                "multi_select"))
    source = raw.get("source")
    if source is not None and not isinstance(source, str):
        problems.append(Problem(name, "must be text, e.g. seed-000-q4.", label, "source"))
    text = _text(raw, "text", problems, name, label, "text", "Write the question.")
    hint = _text(raw, "hint", problems, name, label, "hint", "Give a hint.")
    solution = _text(raw, "solution", problems, name, label, "solution",
                     "Give a step-by-step solution.")
    quick = _text(raw, "quick_check", problems, name, label, "quick_check",
                  "Give a one-line quick check.")
    if "\n" in quick:
        problems.append(Problem(name, "must be a single line.", label, "quick_check"))
    options = _parse_options(raw.get("options"), bool(multi), name, label, problems)
    if len(problems) > before or not label.startswith("'"):
        return None
    return Question(id=qid, difficulty=difficulty, text=text, options=options, hint=hint,
                    solution=solution, quick_check=quick, multi_select=multi, source=source)


def _parse_options(raw: Any, multi: bool, name: str, label: str,
                   problems: list[Problem]) -> tuple[Option, ...]:
    if not isinstance(raw, list) or not MIN_OPTIONS <= len(raw) <= MAX_OPTIONS:
        got = len(raw) if isinstance(raw, list) else "missing" if raw is None else repr(raw)
        problems.append(Problem(name, f"needs a list of {MIN_OPTIONS} to {MAX_OPTIONS} options; "
                                      f"got {got}.", label, "options"))
        return ()
    options = []
    for i, item in enumerate(raw):
        where = f"options[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem(name, "must be a mapping with text, correct, explanation.",
                                    label, where))
            continue
        _unknown_keys(item, OPTION_KEYS, problems, name, label, where + ".")
        text = _text(item, "text", problems, name, label, where + ".text",
                     "Every option needs its text.")
        explanation = _text(item, "explanation", problems, name, label, where + ".explanation",
                            "Every option needs an explanation: why it is right, or the "
                            "mistake it reflects.")
        correct = item.get("correct")
        if not isinstance(correct, bool):
            problems.append(Problem(name, f"must be true or false; got {correct!r}.", label,
                                    where + ".correct"))
        options.append(Option(text=text, correct=correct is True, explanation=explanation))
    n_correct = sum(o.correct for o in options)
    if n_correct == 0:
        problems.append(Problem(name, "no option is marked correct: true.", label, "options"))
    elif n_correct > 1 and not multi:
        problems.append(Problem(name, f"{n_correct} options are marked correct; exactly one may "
                                      "be, unless the question sets multi_select: true.",
                                label, "options"))
    texts = [o.text for o in options]
    for t in {t for t in texts if texts.count(t) > 1 and t}:
        problems.append(Problem(name, f"two options have the same text {t!r}.", label, "options"))
    return tuple(options)
