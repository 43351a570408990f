"""The text quiz for terminals and exports (course_utils/quiz/text.py, show.py)."""
import json
from pathlib import Path

import pytest

from course_utils.quiz import answer, show_quiz
from course_utils.quiz.grading import LETTERS
from course_utils.quiz.results import student_file

GOOD_DIR = Path(__file__).parent / "fixtures" / "quizzes" / "good"


pytestmark = pytest.mark.usefixtures("quiz_env")  # tests/conftest.py


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
    data = json.loads(student_file("Ada L", quiz_env).read_text())
    assert data["student"] == "Ada L"
    assert data["attempts"][0]["question"] == "demo-count"
    wrong = quiz.bank["demo-count"].options[0].text
    assert data["attempts"][0]["chosen"] == [wrong] and data["attempts"][0]["correct"] is False
    assert "selected" not in data["attempts"][0]  # the option itself, never a position


def test_bad_letter_is_a_clear_error():
    show_quiz("08", mode="text")
    with pytest.raises(ValueError, match="letters A, B, C"):
        answer("08", "demo-count", "Z")


def test_run_asks_with_input_function(quiz_env, capsys):
    quiz = show_quiz("08", mode="text", student="bob")
    replies = iter(["", letter_of(quiz, "demo-count", 1), "", "", "", ""])
    line = quiz.run(ask=lambda prompt: next(replies))
    assert line.startswith("Score: 1/5")
    assert len(json.loads(student_file("bob", quiz_env).read_text())["attempts"]) == 1
    out = capsys.readouterr().out
    assert "Questions to review:" in out
    assert "Q2 (demo-count" not in out  # right on the first try
    assert "Q1 (demo-freeze, not answered). Hint: " in out


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
    assert student_file("eve", quiz_env).exists()


def test_take_command_stops_cleanly_at_end_of_input(monkeypatch, capsys):
    from course_utils.quiz.__main__ import main

    def eof(prompt=""):
        raise EOFError
    monkeypatch.setattr("builtins.input", eof)
    assert main(["take", "08", "--student", "eve"]) == 0
    assert "Stopped" in capsys.readouterr().out


def test_each_student_gets_their_own_stable_order():
    orders = [show_quiz("08", mode="text", student=name).orders for name in ("ada", "ada")]
    assert orders[0] == orders[1]
    others = {tuple(show_quiz("08", mode="text", student=f"s{i}").orders["demo-lr"])
              for i in range(20)}
    assert len(others) > 3


def test_a_new_quiz_restores_earlier_answers_and_score(capsys):
    quiz = show_quiz("08", mode="text", student="ada")
    answer("08", "demo-count", letter_of(quiz, "demo-count", 1))        # right
    answer("08", "demo-lr", letter_of(quiz, "demo-lr", 0))              # wrong
    capsys.readouterr()
    again = show_quiz("08", mode="text", student="ada")                 # a re-run cell
    out = capsys.readouterr().out
    assert again.score_line().startswith("Score: 1/5 right on the first try (2 of 5 answered)")
    assert "Restored from your results file" in out
    assert "(answered: right on the first try)" in out
    assert "(answered: not right on the first try)" in out


def test_review_lists_questions_to_look_at_with_hints():
    from course_utils.quiz.grading import grade
    from course_utils.quiz.text import review_text
    quiz = show_quiz("08", mode="text", student="ada")
    for q in quiz.bank.questions:
        quiz.answer(q.id, "".join(letter_of(quiz, q.id, i) for i in q.correct), verbose=False)
    assert review_text(quiz.bank, quiz.results).startswith("All right")
    lr = quiz.bank["demo-lr"]
    wrong = next(i for i in range(len(lr.options)) if i not in lr.correct)
    quiz.results["demo-lr"].insert(0, grade(lr, wrong))  # as if the first try was wrong
    review = review_text(quiz.bank, quiz.results)
    assert "Q3 (demo-lr, not right on the first try). Hint: " + quiz.bank["demo-lr"].hint \
        in review


def test_a_quiz_opened_without_a_name_says_whose_results_it_saves(capsys):
    show_quiz("08", mode="text", student="ada")
    answer("08", "demo-count", "A")                     # saved for ada, remembered
    capsys.readouterr()
    show_quiz("08", mode="text")                         # the next person at this checkout
    out = capsys.readouterr().out
    assert "Saving answers for 'ada', the name last used here" in out and "Not you?" in out
    show_quiz("08", mode="text", student="bo")           # a name typed: nothing to warn about
    assert "Saving answers for" not in capsys.readouterr().out
