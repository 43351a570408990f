"""course_utils.exercises.instructor: stubs replaced by the reference solutions, which then pass."""
import statistics

from course_utils.exercises import check
from course_utils.exercises.instructor import build, solve_cell

TWO_STUBS = '''from course_utils.exercises import check


def mean_std(values):
    """Return (mean, sample std)."""
    raise NotImplementedError   # your code here


def beyond_noise(a, b):
    """True when the ranges mean +- std do not overlap."""
    ...   # your code here


mean_std = check("06.mean_std", mean_std, record=False)
beyond_noise = check("06.beyond_noise", beyond_noise, record=False)
'''


def test_both_stubs_of_a_cell_are_solved_and_pass(capsys):
    solved = solve_cell(TWO_STUBS)
    assert "NotImplementedError" not in solved and "def mean_std(values):" in solved
    namespace = {"statistics": statistics}
    exec(solved, namespace)
    out = capsys.readouterr().out
    assert out.count("Correct") == 2 and "not attempted" not in out


def test_a_value_exercise_becomes_the_reference_value(capsys):
    from course_utils.exercises.ch07 import Stage

    cell = "RECIPE = ...   # your stages\nRECIPE = check('07.recipe', RECIPE, record=False, " \
           "model_or_groups=['stem', 'blocks.5', 'head'])\n"
    solved = solve_cell(cell)
    namespace = {"Stage": Stage, "check": check}
    exec(solved, namespace)
    assert [s.train_from for s in namespace["RECIPE"]] == ["blocks.5", "stem"]
    assert "✅ The recipe can run" in capsys.readouterr().out


def test_cells_without_a_check_are_unchanged():
    assert solve_cell("x = 1\nprint(x)\n") == "x = 1\nprint(x)\n"


def test_build_writes_solved_notebooks_without_executing(tmp_path):
    import nbformat

    src = tmp_path / "notebooks"
    src.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 06"),
                                         nbformat.v4.new_code_cell(TWO_STUBS)])
    nbformat.write(nb, src / "06_demo.ipynb")
    [out] = build(src, tmp_path / "instructor", execute=False)
    cells = nbformat.read(out, as_version=4).cells
    assert cells[0].source == "# 06" and "statistics.stdev" in cells[1].source


def test_build_leaves_course_record_as_it_was(tmp_path, monkeypatch):
    import os

    monkeypatch.delenv("COURSE_RECORD", raising=False)
    (tmp_path / "notebooks").mkdir()
    build(tmp_path / "notebooks", tmp_path / "instructor", execute=False)
    assert "COURSE_RECORD" not in os.environ
