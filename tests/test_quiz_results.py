"""Per-student results files: atomic, locked, corrupt files kept (course_utils/quiz/results.py)."""
import json
import multiprocessing as mp

from course_utils.quiz.results import (gather_results, load_results, record_attempts,
                                       student_file)


def attempt(question="q1", correct=True, chapter="08"):
    return {"chapter": chapter, "question": question, "selected": [0], "correct": correct}


def test_record_creates_file_with_time(tmp_path):
    path = record_attempts([attempt()], "Ada Lovelace", tmp_path)
    assert path == tmp_path / "Ada_Lovelace.json"
    data = load_results(path)
    assert data["student"] == "Ada Lovelace" and data["attempts"][0]["time"]


def test_record_appends(tmp_path):
    record_attempts([attempt("q1")], "ada", tmp_path)
    record_attempts([attempt("q2")], "ada", tmp_path)
    assert [a["question"] for a in load_results(tmp_path / "ada.json")["attempts"]] == ["q1", "q2"]


def test_no_temporary_files_left(tmp_path):
    record_attempts([attempt()], "ada", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == ["ada.json"]


def test_student_name_is_made_safe_for_a_file_name(tmp_path):
    assert student_file("../../etc/passwd", tmp_path).parent == tmp_path


def test_failed_write_keeps_old_file(tmp_path, monkeypatch):
    path = record_attempts([attempt("q1")], "ada", tmp_path)

    def crash(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr("course_utils.quiz.results.json.dump", crash)
    try:
        record_attempts([attempt("q2")], "ada", tmp_path)
    except OSError:
        pass
    assert len(load_results(path)["attempts"]) == 1
    assert not list(tmp_path.glob("*.tmp"))


def test_corrupt_file_is_kept_aside_and_new_one_started(tmp_path, capsys):
    path = tmp_path / "ada.json"
    path.write_text('{"student": "ada", "attempts": [')
    record_attempts([attempt("q9")], "ada", tmp_path)
    out = capsys.readouterr().out
    kept = list(tmp_path.glob("ada.corrupt-*.json"))
    assert len(kept) == 1 and kept[0].read_text() == '{"student": "ada", "attempts": ['
    assert "could not read your results file" in out and str(kept[0]) in out
    assert [a["question"] for a in load_results(path)["attempts"]] == ["q9"]


def test_wrong_shape_counts_as_corrupt(tmp_path, capsys):
    (tmp_path / "ada.json").write_text(json.dumps({"student": "ada", "attempts": "none"}))
    record_attempts([attempt()], "ada", tmp_path)
    assert list(tmp_path.glob("ada.corrupt-*.json"))


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
    questions = {a["question"] for a in load_results(tmp_path / "shared.json")["attempts"]}
    assert len(questions) == 50


def test_gather_summarises_per_student_and_question(tmp_path):
    record_attempts([attempt("q1", False), attempt("q1", True), attempt("q2", True)], "ada",
                    tmp_path)
    record_attempts([attempt("q1", True)], "bob", tmp_path)
    rows, skipped = gather_results(tmp_path)
    assert skipped == []
    assert [(r["student"], r["question"], r["attempts"], r["correct"], r["score"])
            for r in rows] == [("ada", "q1", 2, True, 0.0), ("ada", "q2", 1, True, 1.0),
                               ("bob", "q1", 1, True, 1.0)]


def test_gather_skips_bad_files_with_a_message(tmp_path):
    record_attempts([attempt()], "ada", tmp_path)
    (tmp_path / "broken.json").write_text("not json")
    (tmp_path / "ada.corrupt-20250101-000000-0.json").write_text("[")
    rows, skipped = gather_results(tmp_path)
    assert len(rows) == 1
    assert len(skipped) == 2 and any("broken.json: skipped" in s for s in skipped)
