"""pyproject.toml (compatible ranges), constraints.txt (exact pins) and environment.yml agree."""
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def _project_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = project["dependencies"] + [r for group in project["optional-dependencies"].values()
                                       for r in group]
    return [Requirement(line) for line in lines]


def _constraints() -> dict[str, str]:
    return _pins((ROOT / "constraints.txt").read_text().splitlines())


def test_environment_yml_pins_what_constraints_txt_pins():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert _pins(pip_section) == _constraints()


def test_every_dependency_has_an_exact_pin_inside_its_range():
    pins = _constraints()
    for requirement in _project_requirements():
        name = requirement.name.lower()
        assert name in pins, f"constraints.txt has no pin for {name}"
        assert requirement.specifier.contains(pins[name]), (
            f"{name}=={pins[name]} in constraints.txt is outside pyproject's {requirement}")


def test_pyproject_uses_ranges_so_a_hosts_torch_is_kept():
    torch = next(r for r in _project_requirements() if r.name == "torch")
    assert "==" not in str(torch.specifier), "torch must be a range (a Colab's torch is kept)"
