"""Quiz results: one JSON file per student, written safely, gathered into a CSV report.

Every save reads the file, adds the new attempts and writes it back atomically (a temporary
file in the same folder, then ``os.replace``) while holding a lock file, so a crash or a
second open notebook loses nothing. A file that cannot be read is kept aside, never deleted.

>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> path = record_attempts([{"chapter": "03", "question": "q1", "selected": [1],
...                          "correct": True}], "ada", folder)
>>> len(load_results(path)["attempts"])
1
"""
from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from filelock import FileLock  # a dependency of torch; locks on POSIX and Windows

from ..files import write_json_atomic
from ..paths import checkout_root, user_data_dir

REPORT_COLUMNS = ("student", "chapter", "question", "attempts", "correct", "score")


class ResultsFileError(ValueError):
    """A results file exists but is not valid JSON of the expected shape."""


def default_results_dir() -> Path:
    """``$COURSE_RESULTS_DIR``, else ``results/`` in the checkout or in the user's data folder."""
    env = os.environ.get("COURSE_RESULTS_DIR")
    if env:
        return Path(env).expanduser()
    root = checkout_root()
    return root / "results" if root is not None else user_data_dir() / "results"


def student_file(student: str, results_dir: str | os.PathLike | None = None) -> Path:
    """The results file of a student: ``<results_dir>/<safe name>.json``."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", student.strip()).strip("._") or "student"
    return Path(results_dir or default_results_dir()) / f"{name}.json"


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
    ok = (isinstance(data, dict) and isinstance(data.get("student"), str)
          and isinstance(data.get("attempts"), list)
          and all(isinstance(a, dict) and {"chapter", "question", "correct"} <= a.keys()
                  for a in data["attempts"]))
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
        attempts: dicts with ``chapter``, ``question``, ``selected``, ``correct``
            (``time`` is added when missing).
        student: the student's name or id.
        results_dir: folder of results files (default :func:`default_results_dir`).

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
        write_json_atomic(path, data)
    return path


def remember_student(student: str, results_dir: str | os.PathLike | None = None) -> None:
    """Store the last name used, so the next quiz asks only once."""
    folder = Path(results_dir or default_results_dir())
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".student").write_text(student.strip(), encoding="utf-8")


def recall_student(results_dir: str | os.PathLike | None = None) -> str:
    """``$COURSE_STUDENT``, else the last name remembered in the results folder, else ``""``."""
    env = os.environ.get("COURSE_STUDENT", "").strip()
    if env:
        return env
    remembered = Path(results_dir or default_results_dir()) / ".student"
    try:
        return remembered.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def gather_results(results_dir: str | os.PathLike) -> tuple[list[dict[str, Any]], list[str]]:
    """Summarise every ``*.json`` results file of a folder, one row per student and question.

    ``attempts`` counts the checks, ``correct`` says whether any attempt was right and
    ``score`` is the first attempt's score (later attempts come after the solution was shown).

    Returns:
        ``(rows, skipped)``: report rows sorted by student, chapter, question, and one
        message per file that was skipped.
    """
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    skipped = []
    for path in sorted(Path(results_dir).glob("*.json")):
        if ".corrupt-" in path.name:
            skipped.append(f"{path}: skipped, a corrupt file kept aside earlier.")
            continue
        try:
            data = load_results(path)
        except (ResultsFileError, OSError) as err:
            skipped.append(f"{path}: skipped, {err}")
            continue
        for a in data["attempts"]:
            key = (data["student"], str(a["chapter"]), str(a["question"]))
            row = rows.setdefault(key, dict(zip(REPORT_COLUMNS[:3], key), attempts=0,
                                            correct=False, score=float(bool(a["correct"]))))
            row["attempts"] += 1
            row["correct"] = row["correct"] or bool(a["correct"])
    return [rows[k] for k in sorted(rows)], skipped


def write_report(rows: list[dict[str, Any]], out: str | os.PathLike) -> Path:
    """Write report rows to a CSV file with the columns of :data:`REPORT_COLUMNS`."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=REPORT_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "correct": int(row["correct"])})
    return out
