"""Names to files and option orders (course_utils/quiz/identity.py, grading.shuffled_order)."""
import unicodedata
from pathlib import Path

from course_utils.quiz import load_bank
from course_utils.quiz.grading import shuffled_order
from course_utils.quiz.identity import ascii_slug, name_key, order_seed, results_stem

BANK = load_bank(Path(__file__).parent / "fixtures" / "quizzes" / "good" / "08_demo.yaml")


def test_accented_names_that_slug_alike_get_different_files():
    assert ascii_slug("Zoë") == ascii_slug("Zoé") == "zoe"
    assert results_stem("Zoë") != results_stem("Zoé")


def test_names_without_ascii_letters_get_different_files():
    assert ascii_slug("王芳") == ascii_slug("李娜") == ""
    assert results_stem("王芳") != results_stem("李娜")
    assert results_stem("王芳").startswith("student-")


def test_one_name_typed_two_ways_is_one_student():
    composed, decomposed = "Zoë", unicodedata.normalize("NFD", "Zoë")
    assert composed != decomposed
    assert results_stem(composed) == results_stem(decomposed)
    assert results_stem(" zoë ") == results_stem("ZOË")


def test_stem_is_safe_for_any_name():
    stem = results_stem("../../etc/passwd")
    assert "/" not in stem and not stem.startswith(".")
    assert name_key("  a   b ") == "a b"


def test_order_is_stable_for_a_student_and_differs_between_students():
    q = BANK["demo-lr"]
    ada = shuffled_order(q, order_seed("ada"))
    assert ada == shuffled_order(q, order_seed("Ada "))  # same student, same order
    assert sorted(ada) == [0, 1, 2, 3]
    others = {tuple(shuffled_order(q, order_seed(f"student {i}"))) for i in range(30)}
    assert len(others) > 3  # students see different orders


def test_order_is_the_same_in_every_process():
    # Golden values: a SHA-256 seed gives them on any machine; Python's hash() of a str
    # changes from one process to the next, so a test run would not reproduce them.
    assert shuffled_order(BANK["demo-lr"], "student:ada") == [2, 0, 3, 1]
    assert shuffled_order(BANK["demo-head"], "student:ada") == [0, 2, 1, 3]
