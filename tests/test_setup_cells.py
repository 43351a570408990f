"""Every chapter opens with the same hosted-notebook set-up cell, naming the repository that
pyproject.toml and the README's "Open in Colab" links name."""
import json
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
REPOSITORY = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]


def setup_cell(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    first_code = next(c for c in cells if c["cell_type"] == "code")
    return "".join(first_code["source"])


def test_every_chapter_opens_with_the_same_setup_cell():
    cells = {path.name: setup_cell(path) for path in NOTEBOOKS}
    assert len(set(cells.values())) == 1, "the set-up cells differ: copy one to the others"
    cell = next(iter(cells.values()))
    assert f'COURSE_REPOSITORY = "{REPOSITORY}"' in cell
    assert 'find_spec("course_utils") is None' in cell  # a checkout skips the install
    assert "torch" not in re.sub(r"#.*", "", cell)  # never installs or pins torch itself


def test_readme_links_every_chapter_to_colab_at_the_same_repository():
    readme = (ROOT / "README.md").read_text()
    owner_repo = REPOSITORY.removeprefix("https://github.com/")
    for path in NOTEBOOKS:
        link = f"https://colab.research.google.com/github/{owner_repo}/blob/main/notebooks/{path.name}"
        assert link in readme, f"README has no Colab link for {path.name}"
