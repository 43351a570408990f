"""The text quiz for terminals and exports (course_utils/quiz/text.py, show.py)."""
import json
from pathlib import Path

import pytest

from course_utils.quiz import answer, show_quiz
from course_utils.quiz.grading import LETTERS

GOOD_DIR = Path(__file__).parent / "fixtures" / "quizzes" / "good"


@pytest.fixture(autouse=True)
def quiz_env(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_QUIZ_DIR", str(GOOD_DIR))
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.delenv("COURSE_STUDENT", raising=False)
    return tmp_path / "results"


def letter_of(quiz, qid, index):
    return LETTERS[quiz.orders[qid].index(index)]


def test_auto_mode_outside_a_kernel_prints_text(capsys):
    quiz = show_quiz("08")
    out = capsys.readouterr().out
    assert type(quiz).__name__ == "TextQuiz"
    assert "Q2 [medium] (demo-count, choose one)" in out
    assert 'answer("08", "demo-freeze", "B")' in out
    assert "3*2 weights plus 2 biases." not in out  # no explanation or answer key is printed


def test_options_are_lettered_in_shuffled_order(capsys):
    quiz = show_quiz("08", mode="text", seed=3)
    out = capsys.readouterr().out
    order = quiz.orders["demo-lr"]
    first = quiz.bank["demo-lr"].options[order[0]].text
    assert f"A. {first}" in out


def test_answer_by_letter_grades_and_prints_feedback(capsys):
    quiz = show_quiz("08", mode="text")
    capsys.readouterr()
    result = answer("08", "demo-count", letter_of(quiz, "demo-count", 1))
    out = capsys.readouterr().out
    assert result.correct
    assert "Correct!" in out and "3*2 weights plus 2 biases." in out
    assert "Solution:" in out and "Quick check:" in out
    assert "Not saved" in out  # no student name given


def test_answer_saves_when_student_known(quiz_env, capsys):
    quiz = show_quiz("08", mode="text", student="Ada L")
    answer("08", "demo-count", letter_of(quiz, "demo-count", 0))
    data = json.loads((quiz_env / "Ada_L.json").read_text())
    assert data["student"] == "Ada L"
    assert data["attempts"][0]["question"] == "demo-count"
    assert data["attempts"][0]["selected"] == [0] and data["attempts"][0]["correct"] is False


def test_bad_letter_is_a_clear_error():
    show_quiz("08", mode="text")
    with pytest.raises(ValueError, match="letters A, B, C"):
        answer("08", "demo-count", "Z")


def test_run_asks_with_input_function(quiz_env, capsys):
    quiz = show_quiz("08", mode="text", student="bob")
    replies = iter(["", letter_of(quiz, "demo-count", 1), "", "", "", ""])
    line = quiz.run(ask=lambda prompt: next(replies))
    assert line.startswith("Score: 1/5")
    assert len(json.loads((quiz_env / "bob.json").read_text())["attempts"]) == 1


def test_unknown_mode_rejected():
    with pytest.raises(ValueError, match="mode must be"):
        show_quiz("08", mode="browser")


def test_take_command_asks_in_the_terminal(quiz_env, monkeypatch, capsys):
    from course_utils.quiz.__main__ import main
    replies = iter(["A"] + [""] * 10)
    monkeypatch.setattr("builtins.input", lambda prompt="": next(replies))
    assert main(["take", "08", "--student", "eve"]) == 0
    out = capsys.readouterr().out
    assert "Quiz 08: Demo chapter" in out and "Score:" in out
    assert (quiz_env / "eve.json").exists()


def test_take_command_stops_cleanly_at_end_of_input(monkeypatch, capsys):
    from course_utils.quiz.__main__ import main

    def eof(prompt=""):
        raise EOFError
    monkeypatch.setattr("builtins.input", eof)
    assert main(["take", "08", "--student", "eve"]) == 0
    assert "Stopped" in capsys.readouterr().out
