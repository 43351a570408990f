"""Fixtures shared by several test modules."""
from pathlib import Path

import pytest

GOOD_QUIZ_DIR = Path(__file__).parent / "fixtures" / "quizzes" / "good"


@pytest.fixture
def quiz_env(monkeypatch, tmp_path):
    """The fixture quiz banks, a fresh results folder, and no remembered student."""
    monkeypatch.setenv("COURSE_QUIZ_DIR", str(GOOD_QUIZ_DIR))
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.delenv("COURSE_STUDENT", raising=False)
    return tmp_path / "results"
