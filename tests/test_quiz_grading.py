"""Grading in pure Python (course_utils/quiz/grading.py)."""
from pathlib import Path

import pytest

from course_utils.quiz import grade, grade_quiz, load_bank, shuffled_order
from course_utils.quiz.grading import letters_to_indices

BANK = load_bank(Path(__file__).parent / "fixtures" / "quizzes" / "good" / "08_demo.yaml")


def test_correct_single_answer():
    result = grade(BANK["demo-count"], 1)
    assert result.correct and result.score == 1.0
    assert result.feedback == {1: "3*2 weights plus 2 biases."}
    assert result.correct_options == (1,)


def test_wrong_answer_gives_that_options_explanation():
    result = grade(BANK["demo-count"], 0)
    assert not result.correct and result.score == 0.0
    assert result.feedback == {0: "You counted the weight matrix but forgot the bias."}


def test_set_with_one_index_is_accepted():
    assert grade(BANK["demo-count"], {1}).correct


def test_multi_select_is_all_or_nothing():
    q = BANK["demo-bn"]
    assert grade(q, {0, 1}).correct
    partial = grade(q, {0})
    assert not partial.correct and partial.score == 0.0 and partial.missed == (1,)
    assert not grade(q, {0, 1, 2}).correct


def test_out_of_range_option_lists_valid_ones():
    with pytest.raises(ValueError, match="valid ones are 0, 1, 2"):
        grade(BANK["demo-count"], 3)


def test_a_letter_is_refused_with_the_function_that_takes_letters():
    with pytest.raises(TypeError, match="is a letter.*answer\\(chapter"):
        grade(BANK["demo-count"], "B")


def test_bool_is_not_an_option_index():
    with pytest.raises(ValueError, match="not an option index"):
        grade(BANK["demo-count"], True)


def test_several_options_for_single_answer_question_rejected():
    with pytest.raises(ValueError, match="exactly one option"):
        grade(BANK["demo-count"], {0, 1})


def test_empty_selection_rejected():
    with pytest.raises(ValueError, match="at least one"):
        grade(BANK["demo-bn"], set())


def test_grade_quiz_scores_and_counts_unanswered():
    result = grade_quiz(BANK, {"demo-count": 1, "demo-lr": 0, "demo-bn": {0, 1}})
    assert (result.score, result.total) == (2.0, 5)
    assert result.results["demo-lr"].feedback[0].startswith("Far too large")
    assert result.unanswered == ["demo-freeze", "demo-head"]
    assert result.fraction == pytest.approx(0.4)


def test_grade_quiz_unknown_id_suggests():
    with pytest.raises(ValueError, match="Did you mean 'demo-count'"):
        grade_quiz(BANK, {"demo-cout": 1})


def test_shuffle_is_seeded_and_a_permutation():
    q = BANK["demo-lr"]
    assert shuffled_order(q, 0) == shuffled_order(q, 0)
    assert sorted(shuffled_order(q, 0)) == [0, 1, 2, 3]
    assert shuffled_order(q, None) == [0, 1, 2, 3]
    orders = {tuple(shuffled_order(q, s)) for s in range(20)}
    assert len(orders) > 1


def test_letters_map_back_through_the_shuffle():
    q = BANK["demo-bn"]
    order = [2, 0, 1]
    assert letters_to_indices(q, order, "b, c") == (0, 1)
    with pytest.raises(ValueError, match="letters A, B, C"):
        letters_to_indices(q, order, "D")
