"""Per-student results files: atomic, locked, corrupt files kept (course_utils/quiz/results.py)."""
import json
import multiprocessing as mp
import stat
from pathlib import Path

import pytest

from course_utils.quiz import load_bank
from course_utils.quiz.results import (load_results, past_results, record_attempts,
                                       student_file)

BANK = load_bank(Path(__file__).parent / "fixtures" / "quizzes" / "good" / "08_demo.yaml")
ADA = "ada-fdee430d40.json"  # student_file("ada").name


def attempt(question="q1", correct=True, chapter="08", chosen=("x",)):
    return {"chapter": chapter, "question": question, "chosen": list(chosen), "correct": correct}


def test_record_creates_file_with_time(tmp_path):
    path = record_attempts([attempt()], "Ada Lovelace", tmp_path)
    assert path == tmp_path / "ada-lovelace-177f85df57.json"
    data = load_results(path)
    assert data["student"] == "Ada Lovelace" and data["attempts"][0]["time"]


def test_results_file_is_readable_by_the_instructor_group(tmp_path):
    path = record_attempts([attempt()], "ada", tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_record_appends(tmp_path):
    record_attempts([attempt("q1")], "ada", tmp_path)
    record_attempts([attempt("q2")], "ada", tmp_path)
    assert [a["question"] for a in load_results(tmp_path / ADA)["attempts"]] == ["q1", "q2"]


def test_no_temporary_files_left(tmp_path):
    record_attempts([attempt()], "ada", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == [ADA]


def test_student_name_is_made_safe_for_a_file_name(tmp_path):
    assert student_file("../../etc/passwd", tmp_path).parent == tmp_path


def test_failed_write_keeps_old_file(tmp_path, monkeypatch):
    path = record_attempts([attempt("q1")], "ada", tmp_path)

    def crash(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr("course_utils.files.os.fsync", crash)
    try:
        record_attempts([attempt("q2")], "ada", tmp_path)
    except OSError:
        pass
    assert len(load_results(path)["attempts"]) == 1
    assert not list(tmp_path.glob("*.tmp"))


def test_corrupt_file_is_kept_aside_and_new_one_started(tmp_path, capsys):
    path = tmp_path / ADA
    path.write_text('{"student": "ada", "attempts": [')
    record_attempts([attempt("q9")], "ada", tmp_path)
    out = capsys.readouterr().out
    kept = list(tmp_path.glob("ada-*.corrupt-*.json"))
    assert len(kept) == 1 and kept[0].read_text() == '{"student": "ada", "attempts": ['
    assert "could not read your results file" in out and str(kept[0]) in out
    assert [a["question"] for a in load_results(path)["attempts"]] == ["q9"]


def test_wrong_shape_counts_as_corrupt(tmp_path, capsys):
    (tmp_path / ADA).write_text(json.dumps({"student": "ada", "attempts": "none"}))
    record_attempts([attempt()], "ada", tmp_path)
    assert list(tmp_path.glob("ada-*.corrupt-*.json"))


def _writer(folder, tag, n):
    for i in range(n):
        record_attempts([attempt(f"{tag}-{i}")], "shared", folder)


def test_two_writers_lose_nothing(tmp_path):
    # fork is fast on POSIX; spawn re-imports torch (through course_utils) in each child
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), tag, 25)) for tag in "ab"]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert all(p.exitcode == 0 for p in procs)
    questions = {a["question"] for a in load_results(student_file("shared", tmp_path))
                 ["attempts"]}
    assert len(questions) == 50


def test_past_results_are_graded_again_from_the_option_texts(tmp_path):
    q = BANK["demo-count"]
    right, wrong = q.options[q.correct[0]].text, q.options[0].text
    record_attempts([attempt("demo-count", True, chosen=[wrong]),   # stored flag is a lie
                     attempt("demo-count", False, chosen=[right]),
                     attempt("demo-lr", True, chosen=["not an option"]),
                     attempt("demo-count", True, chapter="03", chosen=[right])], "ada", tmp_path)
    past = past_results(BANK, "ada", tmp_path)
    assert list(past) == ["demo-count"]
    assert [r.correct for r in past["demo-count"]] == [False, True]


def test_past_results_of_nobody_or_a_broken_file_are_empty(tmp_path):
    assert past_results(BANK, None, tmp_path) == {}
    assert past_results(BANK, "ada", tmp_path) == {}
    student_file("ada", tmp_path).write_text("{")
    assert past_results(BANK, "ada", tmp_path) == {}


def test_old_files_with_written_indices_still_restore(tmp_path):
    record_attempts([{"chapter": "08", "question": "demo-count", "selected": [1],
                      "correct": True}], "ada", tmp_path)
    assert past_results(BANK, "ada", tmp_path)["demo-count"][0].correct


@pytest.mark.parametrize("pair", [("Zoë", "Zoé"), ("王芳", "李娜"), ("ada", "Ada_")])
def test_different_names_never_share_a_file(tmp_path, pair):
    assert student_file(pair[0], tmp_path) != student_file(pair[1], tmp_path)
