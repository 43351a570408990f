"""Loading and validating question banks (course_utils/quiz/bank.py)."""
import copy
from pathlib import Path

import pytest
import yaml

from course_utils.quiz import QuizFormatError, load_bank
from course_utils.quiz.bank import find_bank_file

FIXTURES = Path(__file__).parent / "fixtures" / "quizzes"
GOOD = FIXTURES / "good" / "08_demo.yaml"


def good_data() -> dict:
    return yaml.safe_load(GOOD.read_text())


def write(tmp_path: Path, data: dict, name: str = "08_demo.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_good_bank_loads():
    bank = load_bank(GOOD)
    assert (bank.chapter, bank.title, len(bank)) == ("08", "Demo chapter", 5)
    assert bank["demo-count"].correct == (1,)
    assert bank["demo-bn"].multi_select and bank["demo-bn"].correct == (0, 1)
    assert bank["demo-freeze"].source == "seed-000-q2"


def test_load_by_chapter_uses_env_dir(monkeypatch):
    monkeypatch.setenv("COURSE_QUIZ_DIR", str(GOOD.parent))
    assert load_bank("08").title == "Demo chapter"
    assert load_bank(8).title == "Demo chapter"


def test_unknown_chapter_lists_available(monkeypatch):
    monkeypatch.setenv("COURSE_QUIZ_DIR", str(GOOD.parent))
    with pytest.raises(FileNotFoundError, match="found chapters: 08"):
        find_bank_file("05")


def test_unknown_question_id_suggests_close_one():
    with pytest.raises(KeyError, match="Did you mean 'demo-count'"):
        load_bank(GOOD)["demo-cont"]


def test_missing_explanation_message_names_file_question_field():
    with pytest.raises(QuizFormatError) as err:
        load_bank(FIXTURES / "bad" / "08_missing_explanation.yaml")
    message = str(err.value)
    assert "08_missing_explanation.yaml, question 'freeze-loss-flat', field " \
           "'options[2].explanation': missing. Every option needs an explanation" in message
    assert (err.value.question, err.value.field) == ("'freeze-loss-flat'", "options[2].explanation")


def test_yaml_syntax_error_names_file_and_line():
    with pytest.raises(QuizFormatError, match=r"08_syntax\.yaml, line 6, column \d+: YAML syntax"):
        load_bank(FIXTURES / "bad" / "08_syntax.yaml")


def _set(path: list, value):
    def mutate(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return mutate


DELETE = object()
Q0 = ["questions", 0]

# (mutation, expected question label, expected field, words in the message)
CASES = {
    "chapter-int": (_set(["chapter"], 8), None, "chapter", "two digits in quotes"),
    "title-missing": (_set(["title"], DELETE), None, "title", "missing"),
    "questions-empty": (_set(["questions"], []), None, "questions", "non-empty list"),
    "top-unknown-key": (_set(["titel"], "x"), None, "titel", "Did you mean 'title'"),
    "id-missing": (_set(Q0 + ["id"], DELETE), "questions[0] (no id)", "id", "missing"),
    "id-bad": (_set(Q0 + ["id"], "Demo Freeze"), "questions[0] (no id)", "id", "lowercase"),
    "difficulty": (_set(Q0 + ["difficulty"], "medum"), "'demo-freeze'", "difficulty",
                   "Did you mean 'medium'"),
    "multi-not-bool": (_set(Q0 + ["multi_select"], "yes please"), "'demo-freeze'",
                       "multi_select", "true or false"),
    "source-not-text": (_set(Q0 + ["source"], 3), "'demo-freeze'", "source", "must be text"),
    "text-missing": (_set(Q0 + ["text"], DELETE), "'demo-freeze'", "text", "missing"),
    "text-empty": (_set(Q0 + ["text"], "  "), "'demo-freeze'", "text", "empty"),
    "hint-missing": (_set(Q0 + ["hint"], DELETE), "'demo-freeze'", "hint", "missing"),
    "solution-missing": (_set(Q0 + ["solution"], DELETE), "'demo-freeze'", "solution",
                         "missing"),
    "quick-check-missing": (_set(Q0 + ["quick_check"], DELETE), "'demo-freeze'",
                            "quick_check", "missing"),
    "quick-check-two-lines": (_set(Q0 + ["quick_check"], "a\nb"), "'demo-freeze'",
                              "quick_check", "single line"),
    "question-unknown-key": (_set(Q0 + ["hints"], "x"), "'demo-freeze'", "hints",
                             "Did you mean 'hint'"),
    "options-missing": (_set(Q0 + ["options"], DELETE), "'demo-freeze'", "options",
                        "2 to 6 options"),
    "one-option": (lambda d: d["questions"][0]["options"].__delitem__(slice(1, None)),
                   "'demo-freeze'", "options", "got 1"),
    "seven-options": (lambda d: d["questions"][0]["options"].extend(
        [{"text": f"x{i}", "correct": False, "explanation": "e"} for i in range(4)]),
        "'demo-freeze'", "options", "got 7"),
    "option-text-number": (_set(Q0 + ["options", 1, "text"], 0.5), "'demo-freeze'",
                           "options[1].text", "put it in quotes"),
    "option-correct-missing": (_set(Q0 + ["options", 1, "correct"], DELETE), "'demo-freeze'",
                               "options[1].correct", "true or false"),
    "option-explanation-empty": (_set(Q0 + ["options", 2, "explanation"], ""), "'demo-freeze'",
                                 "options[2].explanation", "empty"),
    "option-unknown-key": (_set(Q0 + ["options", 0, "explain"], "x"), "'demo-freeze'",
                           "options[0].explain", "Did you mean 'explanation'"),
    "no-correct": (_set(Q0 + ["options", 0, "correct"], False), "'demo-freeze'", "options",
                   "no option is marked correct"),
    "two-correct": (_set(Q0 + ["options", 1, "correct"], True), "'demo-freeze'", "options",
                    "multi_select: true"),
    "duplicate-option": (_set(Q0 + ["options", 1, "text"], "`p.data = p.detach().clone()`"),
                         "'demo-freeze'",
                         "options", "same text"),
    "duplicate-id": (_set(["questions", 1, "id"], "demo-freeze"), "'demo-freeze'", "id",
                     "duplicate id"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_field_error_names_file_question_and_field(tmp_path, case):
    mutate, question, field, words = CASES[case]
    data = copy.deepcopy(good_data())
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(QuizFormatError) as err:
        load_bank(path)
    matching = [p for p in err.value.problems if p.field == field and p.question == question]
    assert matching, str(err.value)
    assert words in matching[0].message
    assert str(path.name) in str(err.value) and f"field '{field}'" in str(err.value)


def test_multi_select_allows_several_correct(tmp_path):
    data = good_data()
    data["questions"][0]["multi_select"] = True
    data["questions"][0]["options"][1]["correct"] = True
    assert load_bank(write(tmp_path, data))["demo-freeze"].correct == (0, 1)


def test_all_problems_of_a_file_are_reported_together(tmp_path):
    data = good_data()
    del data["questions"][0]["hint"]
    del data["questions"][1]["solution"]
    with pytest.raises(QuizFormatError) as err:
        load_bank(write(tmp_path, data))
    assert len(err.value.problems) == 2
    assert str(err.value).startswith("2 problems in")


def test_file_that_is_not_a_mapping(tmp_path):
    path = tmp_path / "08_list.yaml"
    path.write_text("- just\n- a list\n")
    with pytest.raises(QuizFormatError, match="must be a mapping"):
        load_bank(path)
