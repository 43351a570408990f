"""The instructor's report trusts no results file (course_utils/quiz/report.py)."""
import csv
import json
import stat
from pathlib import Path

import pytest

from course_utils.quiz import load_bank
from course_utils.quiz.report import (ReportError, csv_safe, gather_results, load_banks,
                                      write_report)
from course_utils.quiz.results import record_attempts, student_file

GOOD_DIR = Path(__file__).parent / "fixtures" / "quizzes" / "good"
BANKS = load_banks(GOOD_DIR)
Q = BANKS["08"]["demo-count"]
RIGHT, WRONG = Q.options[Q.correct[0]].text, Q.options[0].text


def attempt(chosen, correct, question="demo-count", chapter="08"):
    return {"chapter": chapter, "question": question, "chosen": [chosen], "correct": correct}


def test_load_banks_by_chapter():
    assert list(BANKS) == ["08"] and BANKS["08"].title == load_bank(GOOD_DIR / "08_demo.yaml").title


def test_rows_per_student_and_question_scored_on_first_try(tmp_path):
    record_attempts([attempt(WRONG, False), attempt(RIGHT, True)], "ada", tmp_path)
    record_attempts([attempt(RIGHT, True)], "bob", tmp_path)
    rows, flags = gather_results(tmp_path, BANKS)
    assert flags == []
    assert [(r["student"], r["attempts"], r["correct"], r["score"]) for r in rows] == [
        ("ada", 2, True, 0.0), ("bob", 1, True, 1.0)]


def test_stored_correct_flags_are_ignored(tmp_path):
    record_attempts([attempt(WRONG, True)], "mallory", tmp_path)  # claims a wrong answer is right
    rows, _ = gather_results(tmp_path, BANKS)
    assert rows[0]["correct"] is False and rows[0]["score"] == 0.0


def test_unknown_questions_and_options_are_flagged_not_counted(tmp_path):
    record_attempts([attempt(RIGHT, True, question="made-up"),
                     attempt(RIGHT, True, chapter="99"),
                     attempt("an option nobody wrote", True)], "eve", tmp_path)
    rows, flags = gather_results(tmp_path, BANKS)
    assert rows == []
    assert sum("unknown question" in f for f in flags) == 2
    assert sum("not an option" in f for f in flags) == 1


def test_a_file_cannot_give_credit_to_another_student(tmp_path):
    record_attempts([attempt(RIGHT, True)], "alice", tmp_path)
    forged = student_file("mallory", tmp_path)
    forged.write_text(json.dumps({"student": "alice", "attempts": [
        attempt(RIGHT, True, question="demo-lr")]}))
    rows, flags = gather_results(tmp_path, BANKS)
    assert [(r["student"], r["question"]) for r in rows] == [("alice", "demo-count")]
    assert any(forged.name in f and "mismatch" in f for f in flags)


def test_formula_cells_are_neutralised():
    for cell in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert csv_safe(cell) == "'" + cell
    assert csv_safe("ada") == "ada" and csv_safe(3) == 3


def test_csv_is_spreadsheet_safe(tmp_path):
    name = '=HYPERLINK("http://evil","click")'
    record_attempts([attempt(RIGHT, True)], name, tmp_path / "results")
    rows, _ = gather_results(tmp_path / "results", BANKS)
    out = write_report(rows, tmp_path / "grades.csv")
    (row,) = csv.DictReader(out.open(encoding="utf-8"))
    assert row["student"] == "'" + name
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


@pytest.mark.parametrize("target", ["ada.json", "grades.JSON"])
def test_never_writes_over_a_json_file(tmp_path, target):
    path = record_attempts([attempt(RIGHT, True)], "ada", tmp_path)
    before = path.read_text()
    out = path if target == "ada.json" else tmp_path / target
    with pytest.raises(ReportError, match="refusing"):
        write_report([], out, results_dir=tmp_path)
    assert path.read_text() == before


def test_never_writes_over_other_results_folder_files(tmp_path):
    (tmp_path / ".student").write_text("ada")
    with pytest.raises(ReportError, match="refusing"):
        write_report([], tmp_path / ".student", results_dir=tmp_path)
    assert (tmp_path / ".student").read_text() == "ada"


def test_a_failed_write_keeps_the_old_report_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    out = tmp_path / "grades.csv"
    old = "student,chapter,question,attempts,correct,score\nada,08,demo-count,1,0,0.0\n"
    out.write_text(old)  # an earlier report

    def crash(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr("course_utils.files.os.fsync", crash)
    with pytest.raises(OSError):
        write_report([{"student": "ada", "chapter": "08", "question": "demo-count",
                       "attempts": 1, "correct": True, "score": 1.0}], out)
    assert out.read_text() == old
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]


def test_exercise_attempts_never_credit_quiz_questions(tmp_path):
    forged = {**attempt(WRONG, True), "chosen": [], "kind": "exercise"}  # a quiz id, "exercise"
    real = {**attempt(WRONG, True, question="exercise 08.lora_count"), "chosen": [],
            "kind": "exercise"}
    record_attempts([forged, real], "mallory", tmp_path)
    rows, flags = gather_results(tmp_path, BANKS)
    assert [r["question"] for r in rows] == ["exercise 08.lora_count"]
    assert any("is not an exercise of chapter 08" in f for f in flags)


def test_a_deeply_nested_file_is_skipped_and_the_others_are_reported(tmp_path):
    record_attempts([attempt(RIGHT, True)], "ada", tmp_path)
    (tmp_path / "bomb.json").write_text("[" * 100_000 + "]" * 100_000)
    rows, flags = gather_results(tmp_path, BANKS)
    assert [r["student"] for r in rows] == ["ada"]
    assert any(f.startswith("bomb.json: skipped") and "nested" in f for f in flags)
