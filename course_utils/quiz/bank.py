"""Question banks: what a bank holds (questions, options) and loading ``quizzes/*.yaml``.

A bank is a plain YAML file an instructor edits by hand. Loading checks every field (the rules
are in ``schema.py``) and turns each mistake into a :class:`QuizFormatError` whose message names the file, the
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


def chapter_key(chapter: Any) -> str:
    """A chapter given as ``3`` or ``"03"``, as the two digits the banks use.

    >>> chapter_key(3), chapter_key("03")
    ('03', '03')
    """
    if isinstance(chapter, bool) or not isinstance(chapter, (int, str)) or not re.fullmatch(
            r"\d{1,2}", str(chapter).strip()):
        raise (ValueError if isinstance(chapter, str) else TypeError)(
            f"chapter={chapter!r}: give the chapter's number, e.g. 3 or '03'.")
    return f"{int(chapter):02d}"


def find_bank_file(chapter: str | int) -> Path:
    """Return the bank file of a chapter (``"03"`` or ``3``) in :func:`quiz_dir`."""
    folder = quiz_dir()
    number = chapter_key(chapter)
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
        path = find_bank_file(path_or_chapter)
    elif isinstance(path_or_chapter, (str, os.PathLike)) and Path(path_or_chapter).is_file():
        path = Path(path_or_chapter)
    else:
        raise FileNotFoundError(f"{path_or_chapter!r} is neither a chapter number nor a bank "
                                "file. HINT: give the chapter's number, e.g. 3 or '03', or the "
                                "path of a .yaml bank.")
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
    from .schema import parse_bank  # schema builds the classes above: import it here

    return parse_bank(data, name, path)


def _display_name(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
