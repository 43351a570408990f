"""Instructor checks over whole banks: ``python -m course_utils.quiz lint quizzes/``.

Beyond the schema (checked on load), lint looks at what only shows across questions or
files: unique ids everywhere, the answer position balance, no length cue (the key must not
usually be the longest option), a spread of difficulties, enough questions, and wording that
breaks once options are shuffled.

>>> report = lint(["quizzes/"])  # doctest: +SKIP
>>> report.ok  # doctest: +SKIP
True
"""
from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .bank import Bank, Problem, Question, QuizFormatError, bank_files, load_bank
from .grading import LETTERS
from .schema import DIFFICULTIES

MAX_POSITION_SHARE = 0.40
MAX_LONGEST_SHARE = 0.35  # key strictly the longest option in at most this share of a bank
LONG_KEY_RATIO = 1.5      # warn when a key is this many times the longest distractor
MIN_QUESTIONS_MAIN = 10  # chapters 01..06
MIN_QUESTIONS_OTHER = 5  # the capstone and any extra chapter
MAIN_CHAPTERS = {f"{n:02d}" for n in range(1, 7)}
LETTER_REF = re.compile(r"\b(?:[Oo]ptions?|[Cc]hoice|[Aa]nswer(?: is|:)?)\s*\(?[A-F]\)?(?!\w)")
ABOVE = re.compile(r"\b(?:all|none|both|neither) of the (?:above|others)\b", re.IGNORECASE)


@dataclass
class LintReport:
    """What lint found: ``problems`` fail the check, ``warnings`` are advice."""

    banks: list[Bank] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    longest: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def length_lines(self) -> list[str]:
        """One line per bank: how often the key is strictly the longest option."""
        return [f"{name}: key strictly longest in {k}/{n} single-answer questions "
                f"({k / n if n else 0:.0%})" for name, (k, n) in self.longest.items()]

    def summary(self) -> str:
        n = sum(len(b) for b in self.banks)
        verdict = "OK" if self.ok else f"{len(self.problems)} problem(s)"
        return (f"quiz lint: {len(self.banks)} bank(s), {n} questions: {verdict}"
                f"{f' ({len(self.warnings)} warning(s))' if self.warnings else ''}")


def _files(paths: list[str | os.PathLike]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        files += bank_files(p) if p.is_dir() else [p]
    return files


def key_strictly_longest(question: Question) -> bool:
    """True when a single-answer question's key is longer than every other option.

    >>> from course_utils.quiz.bank import Option
    >>> q = Question("q", "easy", "?", (Option("long key", True, "."), Option("no", False, ".")),
    ...              "h", "s", "c")
    >>> key_strictly_longest(q)
    True
    """
    if len(question.correct) != 1:
        return False
    key = len(question.options[question.correct[0]].text)
    return all(key > len(o.text) for o in question.options if not o.correct)


def lint(paths: list[str | os.PathLike],
         max_longest_share: float = MAX_LONGEST_SHARE) -> LintReport:
    """Check bank files (or folders of them) and return every problem and warning.

    Args:
        paths: files and/or folders; folders contribute their ``*.yaml`` files.
        max_longest_share: a bank fails when its key is strictly the longest option in more
            than this share of its single-answer questions (a student who always picks the
            longest option should not pass).

    Returns:
        A :class:`LintReport`; ``report.ok`` is False when any problem was found.
    """
    report = LintReport()
    files = _files(paths)
    if not files:
        report.problems.append(Problem(", ".join(map(str, paths)), "no .yaml bank files found. HINT: give the quizzes/ folder "
                                       "or .yaml bank files."))
    owners: dict[str, str] = {}
    chapters: dict[str, str] = {}
    for path in files:
        if not path.exists():
            report.problems.append(Problem(str(path), "no such file or folder. HINT: give the "
                                                      "quizzes/ folder or .yaml bank files."))
            continue
        try:
            bank = load_bank(path)
        except QuizFormatError as err:
            report.problems += err.problems
            continue
        report.banks.append(bank)
        name = str(path)
        for q in bank.questions:
            if q.id in owners:
                report.problems.append(Problem(name, f"duplicate id, already used in "
                                                     f"{owners[q.id]}; ids must be unique "
                                                     "across all banks.", f"'{q.id}'", "id"))
            owners.setdefault(q.id, name)
        if bank.chapter in chapters:
            report.problems.append(Problem(name, f"chapter {bank.chapter} is also the chapter "
                                                 f"of {chapters[bank.chapter]}.", field="chapter"))
        chapters.setdefault(bank.chapter, name)
        if not path.name.startswith(bank.chapter + "_"):
            report.problems.append(Problem(name, f"is '{bank.chapter}' but the file name does "
                                                 f"not start with '{bank.chapter}_'.",
                                           field="chapter"))
        _check_bank(bank, name, report)
        _check_lengths(bank, name, report, max_longest_share)
    return report


def _check_bank(bank: Bank, name: str, report: LintReport) -> None:
    need = MIN_QUESTIONS_MAIN if bank.chapter in MAIN_CHAPTERS else MIN_QUESTIONS_OTHER
    if len(bank) < need:
        report.problems.append(Problem(name, f"has {len(bank)} questions; chapter {bank.chapter} "
                                             f"needs at least {need}.", field="questions"))
    missing = [d for d in DIFFICULTIES if d not in {q.difficulty for q in bank.questions}]
    if missing:
        report.problems.append(Problem(name, f"no {' or '.join(missing)} question; each bank "
                                             "needs easy, medium and hard ones.",
                                       field="difficulty"))
    single = [q for q in bank.questions if not q.multi_select]
    positions = Counter(q.correct[0] for q in single)
    for pos, count in sorted(positions.items()):
        if count > MAX_POSITION_SHARE * len(single):
            ids = ", ".join(q.id for q in single if q.correct[0] == pos)
            report.problems.append(Problem(
                name, f"position {pos} ({LETTERS[pos]} as written) holds {count} of "
                      f"{len(single)} correct answers ({count / len(single):.0%}; at most "
                      f"{MAX_POSITION_SHARE:.0%}). HINT: move the correct option of some of "
                      f"{ids} to another position.", field="options"))
    for q in bank.questions:
        texts = {"text": q.text, "solution": q.solution, "hint": q.hint,
                 **{f"options[{i}].{k}": getattr(o, k) for i, o in enumerate(q.options)
                    for k in ("text", "explanation")}}
        for where, text in texts.items():
            match = LETTER_REF.search(text)
            if match:
                report.warnings.append(Problem(name, f"refers to an option by letter "
                                                     f"({match.group(0)!r}); options are "
                                                     "shuffled, so quote the option instead.",
                                               f"'{q.id}'", where))
        for i, o in enumerate(q.options):
            if ABOVE.search(o.text):
                report.warnings.append(Problem(name, "'... of the above' breaks when options "
                                                     "are shuffled; name the options instead.",
                                               f"'{q.id}'", f"options[{i}].text"))


def _check_lengths(bank: Bank, name: str, report: LintReport, max_share: float) -> None:
    single = [q for q in bank.questions if len(q.correct) == 1]
    longest = [q for q in single if key_strictly_longest(q)]
    report.longest[name] = (len(longest), len(single))
    if single and len(longest) > max_share * len(single):
        report.problems.append(Problem(
            name, f"the key is strictly the longest option in {len(longest)} of {len(single)} "
                  f"questions ({len(longest) / len(single):.0%}; at most {max_share:.0%}): a "
                  "student who picks the longest option scores well without reading. HINT: "
                  "trim the key or give distractors the same length and specificity, in "
                  f"{', '.join(q.id for q in longest)}.", field="options"))
    for q in longest:
        key = len(q.options[q.correct[0]].text)
        other = max(len(o.text) for o in q.options if not o.correct)
        if key >= LONG_KEY_RATIO * max(other, 1):
            report.warnings.append(Problem(name, f"the key is {key / max(other, 1):.1f}x as "
                                                 "long as any other option.", f"'{q.id}'",
                                           "options"))
