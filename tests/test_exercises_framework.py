"""course_utils.exercises.framework: the registry, check(), hint(), solution() and recording."""
import pytest

from course_utils.exercises import REGISTRY, exercise_ids, get, hint, solution
from course_utils.exercises.framework import check, is_stub, solution_source
from course_utils.quiz.report import gather_results
from course_utils.quiz.results import load_results, student_file

CHAPTERS = {"01", "02", "03", "04", "05", "06", "07", "08", "09", "10"}


def test_every_chapter_registers_exercises_with_hints_and_a_reference():
    ids = exercise_ids()
    assert {i.split(".")[0] for i in ids} == CHAPTERS
    for exercise_id in ids:
        exercise = REGISTRY[exercise_id]
        assert len(exercise.hints) >= 2 and callable(exercise.reference)
        assert exercise.reference.__module__ == f"course_utils.exercises.ch{exercise.chapter}"


def test_unknown_id_lists_the_valid_ones():
    with pytest.raises(KeyError, match="03.freeze"):
        get("03.frieze")


@pytest.fixture
def fresh_hints():
    exercise = get("06.mean_std")
    exercise.hints_shown = 0
    yield exercise
    exercise.hints_shown = 0


def test_hints_come_one_at_a_time_then_say_none_are_left(capsys, fresh_hints):
    n = len(fresh_hints.hints)
    for i in range(1, n + 1):
        hint("06.mean_std")
        out = capsys.readouterr().out
        assert f"hint {i} of {n}" in out and fresh_hints.hints[i - 1] in out
    hint("06.mean_std")
    out = capsys.readouterr().out
    assert "No more hints" in out and "solution('06.mean_std')" in out


def test_not_attempted_shows_the_first_hint_and_counts_it(capsys, fresh_hints):
    check("06.mean_std", ..., record=False)
    assert fresh_hints.hints[0] in capsys.readouterr().out
    hint("06.mean_std")
    assert "hint 2 of" in capsys.readouterr().out


def test_solution_prints_the_reference_source_outside_jupyter(capsys):
    solution("02.train_step")
    out = capsys.readouterr().out
    assert out.startswith("def reference_train_step(") and "optimizer.zero_grad()" in out
    assert "def reference_recipe()" in solution_source("07.recipe")


def test_solution_is_highlighted_code_in_jupyter(monkeypatch):
    from IPython.display import Code

    shown = []
    monkeypatch.setattr("course_utils.exercises.framework.in_notebook", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    solution("06.mean_std")
    assert len(shown) == 1 and isinstance(shown[0], Code)
    assert "statistics.stdev" in shown[0].data


def test_is_stub_tells_stubs_from_code():
    def stub_raise(x):
        """Doc."""
        raise NotImplementedError("write me")

    def stub_pass(x):
        pass

    def code(x):
        """Doc."""
        return None

    assert is_stub(stub_raise) and is_stub(stub_pass) and not is_stub(code)


def test_an_error_inside_the_checker_call_is_feedback(capsys):
    def breaks(values):
        return 1 / 0

    returned = check("06.mean_std", breaks, record=False)
    out = capsys.readouterr().out
    assert "ZeroDivisionError" in out and "Traceback" not in out
    assert returned is get("06.mean_std").reference


def test_attempts_are_recorded_beside_quiz_results_and_stubs_are_not(tmp_path, monkeypatch,
                                                                      capsys):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_STUDENT", "ada")
    reference = get("06.mean_std").reference
    check("06.mean_std", ...)                               # not attempted: not recorded
    check("06.mean_std", lambda xs: (0.0, 0.0))              # wrong
    check("06.mean_std", reference)                          # right
    attempts = load_results(student_file("ada", tmp_path))["attempts"]
    assert [(a["chapter"], a["question"], a["correct"], a["kind"]) for a in attempts] == [
        ("06", "exercise 06.mean_std", False, "exercise"),
        ("06", "exercise 06.mean_std", True, "exercise")]
    rows, flags = gather_results(tmp_path, banks={})
    assert rows == [{"student": "ada", "chapter": "06", "question": "exercise 06.mean_std",
                     "attempts": 2, "correct": True, "score": 0.0}]
    assert len(flags) == 1 and "2 exercise attempt(s)" in flags[0] and "not re-graded" in flags[0]


def test_a_value_exercise_returns_the_reference_value_when_not_attempted(capsys):
    from course_utils.exercises.ch07 import reference_recipe

    returned = check("07.recipe", ..., record=False, model_or_groups=["stem", "blocks.5", "head"])
    assert returned == reference_recipe()
    assert "not attempted yet" in capsys.readouterr().out


def test_course_record_0_turns_recording_off(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_RECORD", "0")
    check("06.mean_std", get("06.mean_std").reference)
    assert not list(tmp_path.glob("*.json"))
