"""What a student opens is clean: no stale widget state stored in a notebook (it would show old
quiz text in static viewers), and none of the team's internal words (the documents the course
grew from are "seed" documents to us, a word students would confuse with random seeds)."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
QUIZZES = sorted((ROOT / "quizzes").glob("[0-9][0-9]_*.yaml"))
INTERNAL = re.compile(r"seed documents?\b|\bseed 00\d\b|seed lesson", re.IGNORECASE)


def student_text(path: Path) -> str:
    """Every cell's source and every text output of a notebook, as one string."""
    parts = []
    for cell in json.loads(path.read_text())["cells"]:
        parts.append("".join(cell["source"]))
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            parts.append("".join(text))
    return "\n".join(parts)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_stores_no_widget_state(path):
    metadata = json.loads(path.read_text())["metadata"]
    assert "widgets" not in metadata, (
        f"{path.name} stores widget state: execute with "
        "--ExecutePreprocessor.store_widget_state=False, or delete metadata['widgets']")


@pytest.mark.parametrize("path", NOTEBOOKS + QUIZZES, ids=lambda p: p.name)
def test_no_internal_words_reach_students(path):
    if path.suffix == ".ipynb":
        text = student_text(path)
    else:  # a quiz's `source:` field is metadata for the team, never shown
        text = "\n".join(line for line in path.read_text().splitlines()
                         if not line.strip().startswith("source:"))
    found = sorted(set(m.group(0) for m in INTERNAL.finditer(text)))
    assert not found, f"{path.name} says {found}: reword for students"
