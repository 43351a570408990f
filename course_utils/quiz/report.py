"""The instructor's report: a folder of results files in, one spreadsheet-safe CSV out.

A results file lives in a folder students can write to, so the report trusts none of it:

* correctness is graded again from the bank (a stored ``correct: true`` counts for nothing),
  except for exercise attempts (``kind: exercise``, from ``course_utils.exercises.check``):
  their checker ran in the student's notebook, so their verdict is reported as stored, and a
  flag line says so;
* an unknown chapter, question or option is flagged and scores nothing;
* a file counts only for the student whose name hashes to its file name, so ``mallory's``
  file saying ``"student": "alice"`` gives alice nothing and is flagged as a mismatch;
* a cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR
  first) is written with a leading ``'`` (OWASP, CSV injection);
* the CSV is written atomically and never over a ``.json`` file.

>>> rows, flags = gather_results("results/", load_banks("quizzes/"))  # doctest: +SKIP
>>> write_report(rows, "grades.csv", results_dir="results/")  # doctest: +SKIP
"""
from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path
from typing import Any

from ..files import write_text_atomic
from .bank import Bank, bank_files, load_bank
from .grading import grade
from .identity import results_stem
from .results import FILE_MODE, ResultsFileError, attempt_indices, load_results

REPORT_COLUMNS = ("student", "chapter", "question", "attempts", "correct", "score")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ReportError(ValueError):
    """The report cannot be written where asked (it would overwrite a results file)."""


def load_banks(folder: str | os.PathLike) -> dict[str, Bank]:
    """Every bank of a folder by chapter: what the report grades against."""
    return {bank.chapter: bank for bank in map(load_bank, bank_files(folder))}


def csv_safe(value: Any) -> Any:
    """Prefix text that a spreadsheet would treat as a formula with ``'``.

    >>> csv_safe("=HYPERLINK(\\"http://x\\")"), csv_safe("ada"), csv_safe(1.0)
    ('\\'=HYPERLINK("http://x")', 'ada', 1.0)
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def is_exercise_question(chapter: str, question: str) -> bool:
    """How ``exercises.check`` records an attempt: question ``"exercise NN.name"`` of chapter NN.

    >>> is_exercise_question("06", "exercise 06.mean_std"), is_exercise_question("01", "pretrained-why")
    (True, False)
    """
    return re.fullmatch(rf"exercise {re.escape(chapter)}\.[a-z0-9_]+", question) is not None


def gather_results(results_dir: str | os.PathLike,
                   banks: dict[str, Bank]) -> tuple[list[dict[str, Any]], list[str]]:
    """Grade every ``*.json`` results file of a folder again, one row per student and question.

    ``attempts`` counts the checks, ``correct`` says whether any attempt was right and
    ``score`` is the first attempt's score (later attempts come after the solution was shown).

    Args:
        results_dir: the folder of students' results files.
        banks: chapter -> bank (:func:`load_banks`), the only source of right answers.

    Returns:
        ``(rows, flags)``: rows sorted by student, chapter, question, and one message per file
        skipped or attempt ignored (mismatched names, unknown questions or options).
    """
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    flags: list[str] = []
    exercises = 0
    for path in sorted(Path(results_dir).glob("*.json")):
        if ".corrupt-" in path.name:
            flags.append(f"{path.name}: skipped, a corrupt file kept aside earlier.")
            continue
        try:
            data = load_results(path)
            expected = results_stem(data["student"])
        except (ResultsFileError, OSError, ValueError) as err:
            flags.append(f"{path.name}: skipped, {err}")
            continue
        student = data["student"]
        if path.stem != expected:
            flags.append(f"{path.name}: skipped, mismatch: it says student {student!r}, whose "
                         f"file is {expected}.json. Nobody gets credit from it.")
            continue
        for n, attempt in enumerate(data["attempts"]):
            chapter, qid = str(attempt["chapter"]), str(attempt["question"])
            where = f"{path.name}, attempt {n}"
            if attempt.get("kind") == "exercise":  # course_utils.exercises: no bank to re-grade
                if not is_exercise_question(chapter, qid):
                    flags.append(f"{where}: ignored, {qid!r} is not an exercise of chapter "
                                 f"{chapter} (exercise attempts never count for quiz questions).")
                    continue
                ok = attempt.get("correct") is True   # the checker's verdict in the notebook
                exercises += 1
            elif chapter not in banks or qid not in {q.id for q in banks[chapter]}:
                flags.append(f"{where}: ignored, unknown question {chapter}/{qid}.")
                continue
            else:
                question = banks[chapter][qid]
                chosen = attempt_indices(question, attempt)
                if chosen is None:
                    flags.append(f"{where}: ignored, the answer is not an option of {qid}.")
                    continue
                ok = grade(question, chosen).correct
            row = rows.setdefault((student, chapter, qid), {
                "student": student, "chapter": chapter, "question": qid, "attempts": 0,
                "correct": False, "score": float(ok)})
            row["attempts"] += 1
            row["correct"] = row["correct"] or ok
    if exercises:
        flags.append(f"{exercises} exercise attempt(s) (questions 'exercise NN.name'): their "
                     "'correct' is the checker's verdict stored by the student's notebook, not "
                     "re-graded here.")
    return [rows[k] for k in sorted(rows)], flags


def check_destination(out: Path, results_dir: str | os.PathLike | None = None) -> None:
    """Refuse a report path (``--csv``) that is a ``.json`` file, a folder, or an existing file
    that is not a report this command wrote (its first line is not the report's header).

    ``results_dir`` is accepted for older callers; every path gets the same rules.

    Raises:
        ReportError: with the reason, so the command can exit non-zero before writing.
    """
    if out.suffix.lower() == ".json":
        raise ReportError(f"--csv {out}: refusing to write the report to a .json path, the "
                          "results files' format. HINT: choose a .csv path, e.g. grades.csv.")
    if out.is_dir():
        raise ReportError(f"--csv {out} is a folder. HINT: give the path of a .csv file, "
                          f"e.g. {out / 'grades.csv'}.")
    if out.exists():
        try:
            with out.open(encoding="utf-8") as f:
                first = f.readline().strip()
        except (OSError, UnicodeDecodeError):
            first = None
        if first != ",".join(REPORT_COLUMNS):
            raise ReportError(f"--csv {out}: refusing to overwrite a file that this command did "
                              "not write (its first line is not the report's header). HINT: "
                              "choose a new file name, or move that file away first.")


def write_report(rows: list[dict[str, Any]], out: str | os.PathLike,
                 results_dir: str | os.PathLike | None = None) -> Path:
    """Write report rows to a CSV (columns :data:`REPORT_COLUMNS`), atomically and safely.

    Raises:
        ReportError: ``out`` is a ``.json`` path or another results-folder file.
    """
    out = Path(out)
    check_destination(out, results_dir)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=REPORT_COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: csv_safe(v) for k, v in {**row, "correct": int(row["correct"])}
                         .items()})
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out, buffer.getvalue(), mode=FILE_MODE)
    return out
