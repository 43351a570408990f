"""Driving the notebook quiz from Python (course_utils/quiz/widget.py)."""
import json
from pathlib import Path

import pytest

from course_utils.quiz import show_quiz
from course_utils.quiz.results import student_file
from course_utils.quiz.widget import STYLE, CheckboxGroup, QuizWidget, plain_label

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


def test_code_in_question_renders_as_code():
    count = find(quiz(), "demo-count")
    assert '<code class="language-python">' in count.box.children[0].value


def test_each_radio_label_is_its_option_text():
    freeze = find(quiz(), "demo-freeze")  # screen readers read the label: the option itself
    texts = {plain_label(o.text) for o in freeze.question.options}
    labels = [label for label, _ in freeze.choices.options]
    assert set(labels) == texts and "p.requires_grad = False" in labels
    for label, index in freeze.choices.options:
        assert label == plain_label(freeze.question.options[index].text)


def test_each_checkbox_label_is_its_option_text():
    bn = find(quiz(), "demo-bn")
    assert [box.description for box in bn.choices.boxes] == [
        plain_label(bn.question.options[i].text) for i in bn.choices.indices]


def test_feedback_colours_are_theme_variables_with_a_sign():
    w = find(quiz(), "demo-count")
    w.choices.value = 1
    w.check_button.click()
    assert "class='quiz-correct'" in w.feedback.value and "✓" in w.feedback.value
    assert "color:" not in w.feedback.value  # no fixed colour inline
    w.choices.value = 0
    w.check_button.click()
    assert "class='quiz-wrong'" in w.feedback.value and "✗" in w.feedback.value
    assert "var(--jp-success-color0" in STYLE and "var(--jp-error-color1" in STYLE
    assert "course-quiz" in quiz().box._dom_classes


def _luminance(hex_colour):
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a, b):
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("variable,light,dark", [
    # JupyterLab 4's values: theme-light-extension and theme-dark-extension index.css
    ("--jp-success-color0", "#1b5e20", "#388e3c"),
    ("--jp-error-color1", "#d32f2f", "#f44336")])
def test_chosen_theme_colours_reach_4_5_to_1_on_both_themes(variable, light, dark):
    assert f"var({variable}" in STYLE
    assert contrast(light, "#ffffff") >= 4.5   # --jp-layout-color0, light theme
    assert contrast(dark, "#111111") >= 4.5    # --jp-layout-color0, dark theme


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
    data = json.loads(student_file("ada", quiz_env).read_text())
    right = w.question.options[1].text
    assert data["attempts"] == [{**data["attempts"][0], "chapter": "08",
                                 "question": "demo-count", "chosen": [right], "correct": True}]
    assert "Saved to" in q.status.value


def test_attempts_kept_until_name_is_typed(quiz_env):
    q = quiz()
    w = find(q, "demo-lr")
    w.choices.value = 2
    w.check_button.click()
    assert "Not saved yet" in q.status.value and not quiz_env.exists()
    q.name.value = "grace"
    data = json.loads(student_file("grace", quiz_env).read_text())
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
    class FakeShell:  # what a Jupyter kernel's shell has (see plots.in_notebook)
        kernel = object()
        config = {"IPKernelApp": {}}
    monkeypatch.setattr("IPython.get_ipython", lambda: FakeShell())
    assert isinstance(show_quiz("08"), QuizWidget)


def test_rerun_restores_answers_score_and_choices(quiz_env):
    q = quiz(student="ada")
    for qid, index in (("demo-count", 1), ("demo-lr", 0), ("demo-bn", (0, 1))):
        w = find(q, qid)
        w.choices.value = index
        w.check_button.click()
    again = quiz(student="ada")  # the cell re-run, or the notebook reopened after a restart
    assert "Score: 2/5" in again.score.value and "3 of 5 answered" in again.score.value
    assert find(again, "demo-count").choices.value == 1
    assert find(again, "demo-bn").choices.value == (0, 1)
    assert "Restored" in find(again, "demo-lr").feedback.value
    assert "Not quite." in find(again, "demo-lr").feedback.value
    assert "Restored 3 answered question(s)" in again.status.value
    assert find(quiz(student="bob"), "demo-count").attempts == []  # another student: nothing


def test_typing_a_name_first_gives_that_students_order_and_answers(quiz_env):
    find(quiz(student="ada"), "demo-count").choices.value = 1
    w = find(quiz(student="ada"), "demo-count")
    w.choices.value = 1
    w.check_button.click()
    q = quiz()
    q.name.value = "ada"
    assert find(q, "demo-count").attempts and "Score: 1/5" in q.score.value
    assert [find(q, "demo-lr").choices.options] == [find(quiz(student="ada"), "demo-lr")
                                                    .choices.options]


def test_end_of_quiz_review_lists_questions_with_hints():
    q = quiz(student="ada")
    for w in q.questions:
        assert q.review.value == ""
        right = w.question.correct
        w.choices.value = right if w.question.multi_select else right[0]
        if w.question.id == "demo-lr":
            w.choices.value = next(i for i in w.order if i not in right)
        w.check_button.click()
    assert "Quiz complete!" in q.score.value
    assert "Questions to review" in q.review.value and "demo-lr" in q.review.value
    assert q.bank["demo-lr"].hint[:30] in q.review.value
    assert "demo-count" not in q.review.value
