"""Quiz results: one JSON file per student, written safely, read back to restore a quiz.

Every save reads the file, adds the new attempts and writes it back atomically (a temporary
file in the same folder, then ``os.replace``) while holding a lock file, so a crash or a
second open notebook loses nothing. A file that cannot be read is kept aside, never deleted.
Files are readable by the instructor's group (0644). An attempt stores the *texts* of the
chosen options, never a letter or a position: each student sees their own option order.
``report.py`` turns a folder of these files into a CSV.

>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> path = record_attempts([{"chapter": "03", "question": "q1", "chosen": ["2"],
...                          "correct": True}], "ada", folder)
>>> path.name, len(load_results(path)["attempts"])
('ada-fdee430d40.json', 1)
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from filelock import FileLock  # a dependency of torch; locks on POSIX and Windows

from ..files import write_json_atomic, write_text_atomic
from .. import paths
from .bank import Bank, Question
from .grading import Result, grade, indices_of, normalize_selected
from .identity import results_stem

FILE_MODE = 0o644  # the student writes; the instructor's group may read


class ResultsFileError(ValueError):
    """A results file exists but is not valid JSON of the expected shape."""


def student_file(student: str, results_dir: str | os.PathLike | None = None) -> Path:
    """The results file of a student: ``<results_dir>/<slug>-<hash>.json``.

    The hash makes names distinct that an ASCII slug would merge ("Zoë" and "Zoé").

    >>> student_file("Zoë", "r").name
    'zoe-2752b88686.json'
    """
    return Path(results_dir or paths.results_dir()) / f"{results_stem(student)}.json"


def now() -> str:
    """The current time, ISO 8601 in UTC, as stored in each attempt."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def load_results(path: str | os.PathLike) -> dict[str, Any]:
    """Read one results file and check its shape.

    Raises:
        ResultsFileError: not JSON, or not ``{"student": str, "attempts": [dict, ...]}``.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ResultsFileError(f"{path} is not valid JSON ({err}).") from None
    except RecursionError:  # a hostile file nested thousands of levels deep
        raise ResultsFileError(f"{path} is nested too deeply to be a results file.") from None
    ok = (isinstance(data, dict) and isinstance(data.get("student"), str)
          and isinstance(data.get("attempts"), list)
          and all(isinstance(a, dict) and {"chapter", "question"} <= a.keys()
                  and ("chosen" in a or "selected" in a) for a in data["attempts"]))
    if not ok:
        raise ResultsFileError(f"{path} does not look like a quiz results file "
                               "(expected {\"student\": ..., \"attempts\": [...]}).")
    return data


def set_aside(path: Path, reason: str) -> Path:
    """Rename a corrupt file to ``<name>.corrupt-<timestamp>.json`` and say so."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    kept = path.with_name(f"{path.stem}.corrupt-{stamp}.json")
    os.replace(path, kept)
    print(f"course_utils.quiz: {reason} It was kept as {kept} and a new results file was "
          f"started. HINT: send the kept file to your instructor if it holds old attempts.")
    return kept


def record_attempts(attempts: Iterable[dict[str, Any]], student: str,
                    results_dir: str | os.PathLike | None = None) -> Path:
    """Append attempts to a student's results file (read-merge-write under a lock).

    Args:
        attempts: dicts with ``chapter``, ``question``, ``chosen`` (the chosen options'
            texts) and ``correct`` (``time`` is added when missing).
        student: the student's name or id.
        results_dir: folder of results files (default :func:`~course_utils.paths.results_dir`).

    Returns:
        The path of the results file.
    """
    path = student_file(student, results_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = [{**a, "time": a.get("time") or now()} for a in attempts]
    with FileLock(str(path) + ".lock", timeout=30):
        data = {"student": student, "attempts": []}
        if path.exists():
            try:
                data = load_results(path)
            except ResultsFileError as err:
                set_aside(path, f"could not read your results file: {err}")
        data["attempts"].extend(new)
        write_json_atomic(path, data, mode=FILE_MODE)
    return path


def remember_student(student: str, results_dir: str | os.PathLike | None = None) -> None:
    """Store the last name used, so the next quiz asks only once."""
    folder = Path(results_dir or paths.results_dir())
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(folder / ".student", student.strip(), mode=FILE_MODE)


def recall_student(results_dir: str | os.PathLike | None = None) -> str:
    """``$COURSE_STUDENT``, else the last name remembered in the results folder, else ``""``."""
    env = os.environ.get("COURSE_STUDENT", "").strip()
    if env:
        return env
    remembered = Path(results_dir or paths.results_dir()) / ".student"
    try:
        return remembered.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def attempt_indices(question: Question, attempt: dict[str, Any]) -> tuple[int, ...] | None:
    """The written indices an attempt chose, or None when they are not options (any more).

    ``chosen`` holds option texts; files from older versions hold ``selected`` indices.
    """
    if isinstance(attempt.get("chosen"), list):
        return indices_of(question, attempt["chosen"]) or None
    try:
        return normalize_selected(question, attempt.get("selected"))
    except (ValueError, TypeError):
        return None


def past_results(bank: Bank, student: str | None,
                 results_dir: str | os.PathLike | None = None) -> dict[str, list[Result]]:
    """A student's earlier attempts at a bank, graded again: question id -> results.

    Used to restore a quiz after a re-run or a kernel restart. Attempts at questions or
    options that are no longer in the bank are left out; a missing or unreadable file gives
    ``{}`` (nothing is moved aside here).

    >>> past_results(bank, "ada")  # doctest: +SKIP
    {'freeze-loss-flat': [Result(...)]}
    """
    if not student or not student.strip():
        return {}
    try:
        data = load_results(student_file(student, results_dir))
    except (OSError, ResultsFileError):
        return {}
    ids = {q.id for q in bank.questions}
    past: dict[str, list[Result]] = {}
    for attempt in data["attempts"]:
        qid = str(attempt["question"])
        if str(attempt["chapter"]) != bank.chapter or qid not in ids:
            continue
        chosen = attempt_indices(bank[qid], attempt)
        if chosen is not None:
            past.setdefault(qid, []).append(grade(bank[qid], chosen))
    return past
