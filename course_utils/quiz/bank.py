"""Question banks: the schema, loading and validation of ``quizzes/*.yaml``.

A bank is a plain YAML file an instructor edits by hand. Loading checks every field and
turns each mistake into a :class:`QuizFormatError` whose message names the file, the
question and the field, so nobody has to read a traceback from deep inside a parser.

>>> from course_utils.quiz import load_bank
>>> bank = load_bank("03")  # doctest: +SKIP
>>> bank.title, len(bank)  # doctest: +SKIP
('Freezing layers', 12)
"""
from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..paths import quiz_dir

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


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a bank: where it is (file, question, field) and what to do."""

    file: str
    message: str
    question: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.question:
            where += f", question {self.question}"
        if self.field:
            where += f", field '{self.field}'"
        return f"{where}: {self.message}"


class QuizFormatError(ValueError):
    """A bank file does not follow the schema. ``problems`` lists every mistake found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        first = self.problems[0]
        self.file, self.question, self.field = first.file, first.question, first.field
        if len(self.problems) == 1:
            text = str(first)
        else:
            text = f"{len(self.problems)} problems in {first.file}:\n" + "\n".join(
                f"  - {p}" for p in self.problems)
        super().__init__(text)


@dataclass(frozen=True)
class Option:
    """One answer option, as written (its position in the file is its index)."""

    text: str
    correct: bool
    explanation: str


@dataclass(frozen=True)
class Question:
    """One multiple-choice question. Option indices always refer to the written order."""

    id: str
    difficulty: str
    text: str
    options: tuple[Option, ...]
    hint: str
    solution: str
    quick_check: str
    multi_select: bool = False
    source: str | None = None

    @property
    def correct(self) -> tuple[int, ...]:
        """Indices of the correct options, in written order."""
        return tuple(i for i, o in enumerate(self.options) if o.correct)


@dataclass
class Bank:
    """All questions of one chapter, in the order of the file."""

    chapter: str
    title: str
    questions: list[Question]
    path: Path | None = None
    _by_id: dict[str, Question] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {q.id: q for q in self.questions}

    def __len__(self) -> int:
        return len(self.questions)

    def __iter__(self):  # noqa: ANN204 - an iterator of Question
        return iter(self.questions)

    def __getitem__(self, question_id: str) -> Question:
        """Return the question with this id; a KeyError suggests close ids."""
        try:
            return self._by_id[question_id]
        except KeyError:
            raise KeyError(f"no question {question_id!r} in chapter {self.chapter}"
                           f"{did_you_mean(question_id, self._by_id)}") from None


def did_you_mean(word: str, choices: Any) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest choice, or a list of valid ones."""
    choices = [str(c) for c in choices]
    close = difflib.get_close_matches(str(word), choices, n=1)
    if close:
        return f". Did you mean '{close[0]}'?"
    return f". Valid: {', '.join(choices)}" if choices else ""


def bank_files(folder: str | os.PathLike) -> list[Path]:
    """All ``*.yaml``/``*.yml`` bank files in a folder, sorted by name."""
    folder = Path(folder)
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def find_bank_file(chapter: str | int) -> Path:
    """Return the bank file of a chapter (``"03"`` or ``3``) in :func:`quiz_dir`."""
    folder = quiz_dir()
    number = f"{int(chapter):02d}"
    if not folder.is_dir():
        raise FileNotFoundError(f"no quiz folder at {folder}. HINT: run from the course "
                                "repository, reinstall the package, or set COURSE_QUIZ_DIR to the quizzes/ folder.")
    matches = [p for p in bank_files(folder) if p.name.startswith(number + "_")]
    if not matches:
        have = sorted({p.name[:2] for p in bank_files(folder)})
        raise FileNotFoundError(f"no bank for chapter {number} in {folder} (found chapters: "
                                f"{', '.join(have) or 'none'}). HINT: use one of those, or "
                                "set COURSE_QUIZ_DIR to the folder that has it.")
    return matches[0]


def load_bank(path_or_chapter: str | int | os.PathLike) -> Bank:
    """Load and validate one question bank.

    Args:
        path_or_chapter: a chapter (``"03"`` or ``3``) looked up in :func:`quiz_dir`
            (``$COURSE_QUIZ_DIR`` overrides it), or the path of a ``.yaml`` file.

    Returns:
        The :class:`Bank`, every field checked.

    Raises:
        QuizFormatError: the file breaks the schema; the message names file, question, field.
        FileNotFoundError: no such chapter or file.

    >>> bank = load_bank("03")  # doctest: +SKIP
    >>> bank["freeze-loss-flat"].correct  # doctest: +SKIP
    (1,)
    """
    text = str(path_or_chapter)
    if isinstance(path_or_chapter, int) or re.fullmatch(r"\d{1,2}", text):
        path = find_bank_file(text)
    else:
        path = Path(path_or_chapter)
    name = _display_name(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(err, "problem", None) or str(err)
        raise QuizFormatError([Problem(name + where, f"YAML syntax error: {reason}. HINT: put "
                                       "text containing ': ' or '#' in quotes, or use a "
                                       "'|' block.")]) from None
    return parse_bank(data, name, path)


def _display_name(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


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
