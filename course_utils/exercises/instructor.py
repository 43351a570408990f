"""Build the instructor edition: the notebooks with every exercise solved, then executed.

``make instructor`` runs ``python -m course_utils.exercises.instructor``. For each exercise cell
of ``notebooks/`` (a stub, then ``NAME = check("ID", NAME, ...)``), the stub that defines
``NAME`` is replaced by the reference solution's source from ``chNN.py``, renamed to ``NAME``.
The notebooks are then executed (from ``notebooks/``, so their relative paths hold) and written
to ``instructor/`` (git-ignored).

Why a small script and not otter-grader or nbgrader: both build the student edition FROM an
instructor notebook that holds the solutions (``# BEGIN SOLUTION`` markers). Here the student
edition is the committed source and the solutions live once, as tested functions in
``course_utils/exercises/chNN.py`` (``solution(id)`` shows the same code), so the build goes
the other way: student notebook + reference functions -> instructor notebook.

>>> cell = "def f(x):\\n    ...\\n\\n\\nf = check('06.mean_std', f)\\n"
>>> print(solve_cell(cell).splitlines()[0])
def f(values):
"""
from __future__ import annotations

import argparse
import ast
import os
import re
import time
from pathlib import Path

from .framework import get, solution_source

CHECK = re.compile(r"""^(\w+) = check\(\s*["']([\w.]+)["']\s*,\s*(\w+)""", re.MULTILINE)


def _reference_as(exercise_id: str, name: str) -> str:
    """The reference solution's source, defining ``name`` (a function, or a value it builds)."""
    exercise = get(exercise_id)
    source = solution_source(exercise_id).rstrip() + "\n"
    if exercise.value:
        return f"{source}\n\n{name} = {exercise.reference.__name__}()\n"
    return source.replace(f"def {exercise.reference.__name__}(", f"def {name}(", 1)


def solve_cell(source: str) -> str:
    """Replace each stub in a cell's source by the reference solution (unchanged if none)."""
    checks = [(m.group(2), m.group(3)) for m in CHECK.finditer(source)]
    if not checks:
        return source
    lines = source.splitlines(keepends=True)
    spans = []
    for stmt in ast.parse(source).body:
        defined = ({stmt.name} if isinstance(stmt, ast.FunctionDef) else
                   {t.id for t in getattr(stmt, "targets", []) if isinstance(t, ast.Name)})
        value = getattr(stmt, "value", None)
        is_check = isinstance(value, ast.Call) and getattr(value.func, "id", "") == "check"
        for exercise_id, name in checks:
            if name in defined and not is_check:
                first = min([stmt.lineno] + [d.lineno for d in
                                             getattr(stmt, "decorator_list", [])])
                spans.append((first - 1, stmt.end_lineno, _reference_as(exercise_id, name)))
    for start, end, text in sorted(spans, reverse=True):
        lines[start:end] = [text]
    return "".join(lines)


def build(src: Path, out: Path, execute: bool = True, timeout: int = 1800) -> list[Path]:
    """Write the solved (and executed) copy of every ``src/NN_*.ipynb`` into ``out``.

    Every notebook is built even when one fails; the failures are listed together at the end
    (a ``SystemExit``), so one run tells an instructor everything that needs fixing.
    """
    out.mkdir(parents=True, exist_ok=True)
    before = os.environ.get("COURSE_RECORD")
    os.environ["COURSE_RECORD"] = "0"   # the reference solutions' checks are nobody's attempts
    built, problems = [], []
    try:
        for path in sorted(src.glob("[0-9][0-9]_*.ipynb")):
            start = time.perf_counter()
            try:
                built.append(_build_one(path, src, out, execute, timeout))
            except Exception as error:  # a cell raised: keep going, report it with the rest
                problems.append(f"{path.name}: {type(error).__name__}: {str(error)[-2000:]}")
            problems += [f"{path.name}: a reference solution did not pass its own checker: {line}"
                         for line in unsolved_checks_of(out / path.name)]
            print(f"  {path.name}: {time.perf_counter() - start:.0f} s")
    finally:
        if before is None:
            os.environ.pop("COURSE_RECORD")
        else:
            os.environ["COURSE_RECORD"] = before
    if problems:
        raise SystemExit("The instructor edition has problems:\n" + "\n".join(problems))
    return built


def _build_one(path: Path, src: Path, out: Path, execute: bool, timeout: int) -> Path:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    solved = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            new = solve_cell(cell.source)
            solved += new != cell.source
            cell.source = new
    try:
        if execute:
            from nbclient import NotebookClient

            NotebookClient(nb, timeout=timeout,
                           resources={"metadata": {"path": str(src)}}).execute()
    finally:  # written even when a cell failed, so the instructor can open it and look
        nbformat.write(nb, out / path.name)
    print(f"{out / path.name}: {solved} exercise cell(s) solved" + ", executed" * execute)
    return out / path.name


def unsolved_checks_of(path: Path) -> list[str]:
    """:func:`unsolved_checks` of the notebook file at ``path`` (none when it was not written)."""
    import nbformat

    return unsolved_checks(nbformat.read(path, as_version=4)) if path.exists() else []


NOT_PASSED = ("not attempted yet", "❌ Not yet", "uses the reference solution until")


def unsolved_checks(nb: object) -> list[str]:
    """The lines of the executed notebook saying an exercise was not attempted or failed: in
    the instructor edition every exercise is solved, so there must be none. Only exercise cells
    (``NAME = check("ID", NAME, ...)``) count: a cell that calls a checker on a wrong answer on
    purpose, to show its feedback, is meant to print "Not yet".

    >>> import nbformat
    >>> out = nbformat.v4.new_output("stream", name="stdout",
    ...                              text="⏳ 03.freeze: not attempted yet. Hint 1 of 3")
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells = [nbformat.v4.new_code_cell('f = check("03.freeze", f)', outputs=[out]),
    ...             nbformat.v4.new_code_cell("check_freeze(wrong_model)", outputs=[out])]
    >>> unsolved_checks(nb)
    ['cell 0: ⏳ 03.freeze: not attempted yet. Hint 1 of 3']
    """
    found = []
    for index, cell in enumerate(nb.cells):
        if not CHECK.search(cell.get("source", "")):
            continue
        for output in cell.get("outputs", []):
            for line in str(output.get("text", "")).splitlines():
                if any(marker in line for marker in NOT_PASSED):
                    found.append(f"cell {index}: {line}")
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, default=Path("notebooks"))
    parser.add_argument("--out", type=Path, default=Path("instructor"))
    parser.add_argument("--no-execute", action="store_true", help="solve only, do not execute")
    args = parser.parse_args(argv)
    build(args.src, args.out, execute=not args.no_execute)


if __name__ == "__main__":
    main()
