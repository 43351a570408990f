"""One hop from a notebook to a definition: every ``from course_utils... import name`` in a
notebook names the module that DEFINES ``name`` (not the package top level, not a re-export),
so the import line tells a student which file to open. Scripts that only hold a command line
(``python -m course_utils.finetune`` and the like) are never imported from."""
import ast
import importlib
import inspect
import json
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
COMMAND_LINE_ONLY = {"course_utils.finetune", "course_utils.time_to_accuracy",
                     "course_utils.pretrain", "course_utils.doctor"}


def defined_at_top_level(module: types.ModuleType, name: str) -> bool:
    """A constant (``LAB_SOURCE_CLASSES = ...``) assigned in the module's own source."""
    for node in ast.parse(inspect.getsource(module)).body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])
        if any(isinstance(n, ast.Name) and n.id == name for t in targets for n in ast.walk(t)):
            return True
    return False


def defining_module(module_name: str, name: str) -> str:
    module = importlib.import_module(module_name)
    value = getattr(module, name)
    if isinstance(value, types.ModuleType):
        return module_name  # `from course_utils import quiz`: a module is its own home
    if inspect.isclass(value) or inspect.isfunction(value):
        return value.__module__
    return module_name if defined_at_top_level(module, name) else f"(not {module_name})"


def course_imports(path: Path) -> list[tuple[int, str, str]]:
    """(cell index, module, name) for each name a notebook imports from course_utils."""
    found = []
    for index, cell in enumerate(json.loads(path.read_text())["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = "\n".join(line for line in "".join(cell["source"]).splitlines()
                           if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_utils"):
                found += [(index, node.module, alias.name) for alias in node.names]
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_name_is_imported_from_where_it_is_defined(path):
    wrong = [f"cell {index}: `from {module} import {name}`, defined in {home}"
             for index, module, name in course_imports(path)
             if (home := defining_module(module, name)) != module]
    from_scripts = [f"cell {index}: {module}" for index, module, _ in course_imports(path)
                    if module in COMMAND_LINE_ONLY]
    assert not wrong and not from_scripts, "\n".join(wrong + from_scripts)


def test_the_check_sees_imports():
    assert len(course_imports(NOTEBOOKS[0])) > 5  # the parser finds the set-up cell's imports


def test_a_re_export_is_caught():
    assert defining_module("course_utils", "fit") == "course_utils.training"
    assert defining_module("course_utils.exercises", "check") == "course_utils.exercises.framework"
    assert defining_module("course_utils.data", "LAB_SOURCE_CLASSES") == "course_utils.data"
