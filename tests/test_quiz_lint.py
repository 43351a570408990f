"""The length cue and other cross-question checks (course_utils/quiz/lint.py)."""
from pathlib import Path

from course_utils.quiz.bank import Option, Question
from course_utils.quiz.lint import MAX_LONGEST_SHARE, key_strictly_longest, lint

ROOT = Path(__file__).resolve().parents[1]


def question(key: str, *others: str, multi: bool = False) -> Question:
    options = (Option(key, True, "."),) + tuple(Option(o, multi, ".") for o in others)
    return Question("q", "easy", "?", options, "h", "s", "c", multi_select=multi)


def test_key_strictly_longest_counts_only_a_strict_win():
    assert key_strictly_longest(question("a long key", "short", "tiny"))
    assert not key_strictly_longest(question("same size!", "same size?", "x"))  # a tie
    assert not key_strictly_longest(question("short", "a longer distractor"))
    assert not key_strictly_longest(question("long key here", "b", multi=True))  # multi-select


def test_course_banks_are_well_below_the_threshold():
    report = lint([ROOT / "quizzes"])
    assert report.ok, [str(p) for p in report.problems]
    assert len(report.longest) == len(list((ROOT / "quizzes").glob("*.yaml")))
    for name, (longest, single) in report.longest.items():
        assert single >= 9 and longest / single <= 0.20 < MAX_LONGEST_SHARE, name


def test_a_much_longer_key_is_warned_about(tmp_path):
    bank = (ROOT / "tests" / "fixtures" / "quizzes" / "good" / "08_demo.yaml").read_text()
    bank = bank.replace('"The number and meaning of the outputs"',
                        '"The number and meaning of the outputs, and so the classes the '
                        'model can predict from now on"')
    (tmp_path / "08_demo.yaml").write_text(bank)
    report = lint([tmp_path / "08_demo.yaml"])
    assert any(w.question == "'demo-head'" and "as long as any other option" in w.message
               for w in report.warnings)
    assert report.longest[str(tmp_path / "08_demo.yaml")] == (2, 4)
