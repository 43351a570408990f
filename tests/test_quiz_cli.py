"""Instructor commands: ``python -m course_utils.quiz lint|report`` (lint.py, __main__.py)."""
import copy
import csv
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from course_utils.quiz.__main__ import main
from course_utils.quiz.lint import lint
from course_utils.quiz.results import record_attempts, student_file

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "quizzes"
GOOD = FIXTURES / "good" / "08_demo.yaml"


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "course_utils.quiz", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def bank_data() -> dict:
    return copy.deepcopy(yaml.safe_load(GOOD.read_text()))


def write(folder: Path, data: dict, name: str = "08_demo.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(yaml.safe_dump(data, sort_keys=False))
    return folder / name


def test_real_quiz_banks_pass_lint():
    proc = run_cli("lint", "quizzes/")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "OK" in proc.stdout
    banks = len(list((ROOT / "quizzes").glob("*.yaml")))
    assert proc.stdout.count("key strictly longest in") == banks  # the share, bank by bank


def test_lint_bad_folder_exits_nonzero_one_line_per_problem(capsys):
    assert main(["lint", str(FIXTURES / "bad")]) == 1  # returns, no exception escapes
    out = capsys.readouterr().out
    errors = [line for line in out.splitlines() if line.startswith("error: ")]
    assert len(errors) == 2
    assert "field 'options[2].explanation': missing" in out
    assert "08_syntax.yaml, line 6" in out


def test_lint_good_fixture_exits_zero(capsys):
    assert main(["lint", str(FIXTURES / "good")]) == 0
    assert "1 bank(s), 5 questions: OK" in capsys.readouterr().out


def test_lint_duplicate_ids_across_files(tmp_path, capsys):
    write(tmp_path, bank_data(), "08_a.yaml")
    other = bank_data()
    other["chapter"] = "09"
    write(tmp_path, other, "09_b.yaml")
    assert main(["lint", str(tmp_path)]) == 1
    assert "question 'demo-freeze', field 'id': duplicate id, already used in" in \
        capsys.readouterr().out


def test_lint_position_balance(tmp_path):
    data = bank_data()
    for q in data["questions"]:  # move every correct answer to position 0
        q["options"].sort(key=lambda o: not o["correct"])
    report = lint([write(tmp_path, data)])
    assert any("position 0 (A as written) holds 4 of 4" in p.message for p in report.problems)


def test_lint_difficulty_spread(tmp_path):
    data = bank_data()
    for q in data["questions"]:
        q["difficulty"] = "easy"
    report = lint([write(tmp_path, data)])
    assert any("no medium or hard question" in p.message for p in report.problems)


def test_lint_main_chapters_need_ten_questions(tmp_path):
    data = bank_data()
    data["chapter"] = "03"
    report = lint([write(tmp_path, data, "03_demo.yaml")])
    assert [p.message for p in report.problems] == [
        "has 5 questions; chapter 03 needs at least 10."]


def test_lint_other_chapters_need_five(tmp_path):
    data = bank_data()
    data["questions"] = data["questions"][:4]
    report = lint([write(tmp_path, data)])
    assert any("needs at least 5" in p.message for p in report.problems)


def test_lint_file_name_must_match_chapter(tmp_path):
    report = lint([write(tmp_path, bank_data(), "07_demo.yaml")])
    assert any(p.field == "chapter" and "'08_'" in p.message for p in report.problems)


def test_lint_warns_on_letter_references(tmp_path):
    data = bank_data()
    data["questions"][0]["solution"] = "1. So the answer is B."
    report = lint([write(tmp_path, data)])
    assert report.ok and "refers to an option by letter" in report.warnings[0].message


def test_lint_missing_path(tmp_path, capsys):
    assert main(["lint", str(tmp_path / "nope.yaml")]) == 1
    assert "no such file" in capsys.readouterr().out


def demo_attempt(question, index, correct):
    option = yaml.safe_load(GOOD.read_text())
    q = next(q for q in option["questions"] if q["id"] == question)
    return {"chapter": "08", "question": question, "chosen": [q["options"][index]["text"]],
            "correct": correct}


def test_report_writes_csv(tmp_path, capsys):
    results = tmp_path / "results"
    record_attempts([demo_attempt("demo-count", 0, False), demo_attempt("demo-count", 1, True)],
                    "ada", results)
    record_attempts([demo_attempt("demo-lr", 1, True)], "bob", results)  # stored flag is a lie
    (results / "mangled.json").write_text("{")
    out = tmp_path / "grades.csv"
    assert main(["report", str(results), "--csv", str(out), "--banks", str(GOOD.parent)]) == 0
    assert "mangled.json: skipped" in capsys.readouterr().err
    rows = list(csv.DictReader(out.open()))
    assert rows == [
        {"student": "ada", "chapter": "08", "question": "demo-count", "attempts": "2",
         "correct": "1", "score": "0.0"},
        {"student": "bob", "chapter": "08", "question": "demo-lr", "attempts": "1",
         "correct": "0", "score": "0.0"}]


def test_report_refuses_to_overwrite_a_results_file(tmp_path, capsys):
    path = record_attempts([demo_attempt("demo-count", 1, True)], "ada", tmp_path)
    before = path.read_bytes()
    code = main(["report", str(tmp_path), "--csv", str(path), "--banks", str(GOOD.parent)])
    assert code == 1 and "refusing" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_report_flags_a_forged_student_field(tmp_path, capsys):
    record_attempts([demo_attempt("demo-count", 1, True)], "alice", tmp_path / "r")
    student_file("mallory", tmp_path / "r").write_text(
        '{"student": "alice", "attempts": [{"chapter": "08", "question": "demo-lr", '
        '"chosen": ["1e-4"], "correct": true}]}')
    out = tmp_path / "grades.csv"
    assert main(["report", str(tmp_path / "r"), "--csv", str(out), "--banks",
                 str(GOOD.parent)]) == 0
    assert "mismatch" in capsys.readouterr().err
    assert [r["question"] for r in csv.DictReader(out.open())] == ["demo-count"]


def test_lint_length_cue_fails_above_the_threshold_and_is_configurable(tmp_path, capsys):
    data = bank_data()
    for q in data["questions"]:  # make every key the longest option
        for o in q["options"]:
            if o["correct"]:
                o["text"] += " (this is the long and careful option)"
    path = write(tmp_path, data)
    assert main(["lint", str(path)]) == 1
    out = capsys.readouterr().out
    assert "key is strictly the longest option in 4 of 4 questions (100%" in out
    assert "key strictly longest in 4/4" in out
    assert main(["lint", str(path), "--max-longest-share", "1.0"]) == 0


def test_report_missing_folder_exits_nonzero(tmp_path, capsys):
    assert main(["report", str(tmp_path / "none"), "--csv", str(tmp_path / "x.csv")]) == 1
    assert "is not a folder" in capsys.readouterr().err


def test_report_empty_folder_exits_nonzero(tmp_path, capsys):
    assert main(["report", str(tmp_path), "--csv", str(tmp_path / "x.csv")]) == 1
    assert "no usable results" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["lint"], ["report", "x"]])
def test_usage_errors_exit_2(argv):
    with pytest.raises(SystemExit) as err:
        main(argv)
    assert err.value.code == 2
