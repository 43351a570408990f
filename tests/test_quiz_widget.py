"""Driving the notebook quiz from Python (course_utils/quiz/widget.py)."""
import json
from pathlib import Path

import pytest

from course_utils.quiz import show_quiz
from course_utils.quiz.widget import CheckboxGroup, QuizWidget

GOOD_DIR = Path(__file__).parent / "fixtures" / "quizzes" / "good"


@pytest.fixture(autouse=True)
def quiz_env(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_QUIZ_DIR", str(GOOD_DIR))
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.delenv("COURSE_STUDENT", raising=False)
    return tmp_path / "results"


def quiz(**kwargs) -> QuizWidget:
    return show_quiz("08", mode="widget", **kwargs)


def find(q, qid):
    return next(w for w in q.questions if w.question.id == qid)


def test_builds_without_a_student_and_saves_nothing(quiz_env):
    q = quiz()
    assert q.name.value == ""
    assert len(q.questions) == 5
    assert not quiz_env.exists()


def test_check_correct_option_shows_its_explanation(quiz_env):
    w = find(quiz(), "demo-count")
    w.choices.value = 1
    w.check_button.click()
    assert "Correct!" in w.feedback.value
    assert "3*2 weights plus 2 biases." in w.feedback.value


def test_wrong_option_shows_the_mistake_and_the_solution():
    w = find(quiz(), "demo-count")
    assert w.solution.value == ""
    w.choices.value = 2
    w.check_button.click()
    assert "Not quite." in w.feedback.value
    assert "added the sizes instead of multiplying" in w.feedback.value
    assert "Solution" in w.solution.value and "Quick check" in w.solution.value


def test_check_without_choice_asks_for_one():
    w = find(quiz(), "demo-count")
    w.check_button.click()
    assert "Choose an option first" in w.feedback.value and not w.attempts


def test_hint_button_shows_hint():
    w = find(quiz(), "demo-count")
    assert w.hint.value == ""
    w.hint_button.click()
    assert "weight matrix and a bias vector" in w.hint.value


def test_radio_options_are_shuffled_with_seed():
    def order(seed):
        return [v for _, v in find(quiz(seed=seed), "demo-lr").choices.options]
    assert order(0) == order(0)
    assert sorted(order(0)) == [0, 1, 2, 3]
    assert any(order(s) != order(0) for s in range(1, 10))
    assert find(quiz(seed=None), "demo-lr").choices.value is None  # nothing preselected


def test_multi_select_uses_checkboxes():
    w = find(quiz(), "demo-bn")
    assert isinstance(w.choices, CheckboxGroup)
    w.choices.value = {0, 1}
    w.check_button.click()
    assert "Correct!" in w.feedback.value
    w.choices.value = {0}
    w.check_button.click()
    assert "missed 1 correct" in w.feedback.value


def test_code_in_question_and_options_renders_as_code():
    q = quiz()
    count = find(q, "demo-count")
    assert '<code class="language-python">' in count.box.children[0].value
    freeze = find(q, "demo-freeze")  # options are rendered as HTML, buttons say A, B, ...
    assert "<code>p.requires_grad = False</code>" in freeze.box.children[1].value
    assert [label for label, _ in freeze.choices.options] == ["A", "B", "C"]


def test_running_score_counts_first_tries():
    q = quiz()
    first, second = find(q, "demo-count"), find(q, "demo-lr")
    first.choices.value = 0
    first.check_button.click()
    first.choices.value = 1
    first.check_button.click()
    second.choices.value = 2
    second.check_button.click()
    assert "Score: 1/5" in q.score.value and "2 of 5 answered" in q.score.value


def test_attempts_saved_after_check_with_student(quiz_env):
    q = quiz(student="ada")
    w = find(q, "demo-count")
    w.choices.value = 1
    w.check_button.click()
    data = json.loads((quiz_env / "ada.json").read_text())
    assert data["attempts"] == [{**data["attempts"][0], "chapter": "08",
                                 "question": "demo-count", "selected": [1], "correct": True}]
    assert "Saved to" in q.status.value


def test_attempts_kept_until_name_is_typed(quiz_env):
    q = quiz()
    w = find(q, "demo-lr")
    w.choices.value = 2
    w.check_button.click()
    assert "Not saved yet" in q.status.value and not quiz_env.exists()
    q.name.value = "grace"
    data = json.loads((quiz_env / "grace.json").read_text())
    assert [a["question"] for a in data["attempts"]] == ["demo-lr"]


def test_name_is_remembered_for_the_next_quiz(quiz_env):
    q = quiz(student="linus")
    w = find(q, "demo-head")
    w.choices.value = 3
    w.check_button.click()
    assert quiz().name.value == "linus"


def test_student_from_environment(monkeypatch):
    monkeypatch.setenv("COURSE_STUDENT", "env-student")
    assert quiz().name.value == "env-student"


def test_display_bundle_has_widget_and_text_fallback():
    bundle = quiz()._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "Q1 [easy] (demo-freeze, choose one)" in bundle["text/plain"]


def test_auto_mode_in_a_kernel_builds_widgets(monkeypatch):
    class FakeShell:
        kernel = object()
    monkeypatch.setattr("IPython.get_ipython", lambda: FakeShell())
    assert isinstance(show_quiz("08"), QuizWidget)
