"""The course installs outside its checkout: build the wheel, install it into a fresh virtual
environment in a temporary folder, and run a copy of chapter 01 from another folder.

The fresh environment gets the wheel only (``--no-deps``); its third-party packages (torch and the
rest) are borrowed from the environment running the tests through a ``.pth`` file, so the test
needs no network. Data comes from ``$COURSE_DATA_DIR`` (set to this checkout's data folder, which
the set-up step filled), as a user would point it at a shared copy.
"""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns(".git", ".venv", "node_modules", "__pycache__", "*.egg-info",
                              "build", "dist", "results", "test-artifacts", "fashion-mnist", "text")


def run(*args: str | os.PathLike, **kwargs) -> str:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{args[:3]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The course's wheel, built offline from a copy of the checkout (the checkout stays clean)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=SKIP)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
        "--wheel-dir", tmp / "dist", source)
    (built,) = (tmp / "dist").glob("course_utils-*.whl")
    return built


def test_the_wheel_carries_what_notebooks_need_at_run_time(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    banks = [n for n in names if n.startswith("course_utils/bundled/quizzes/")]
    assert len(banks) == len(list((ROOT / "quizzes").glob("*.yaml")))
    assert "course_utils/bundled/lab_resnet_fmnist_source.pt" in names
    assert "course_utils/bundled/budget_map.json" in names  # chapter 10 reads the stored map
    assert any(n.startswith("course_utils/exercises/") for n in names)
    assert any(n.endswith("licenses/LICENSE") for n in names)


@pytest.mark.slow
def test_chapter_01_runs_from_an_installed_wheel_in_another_folder(wheel, tmp_path):
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--quiet", wheel)
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
                .strip())
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    work = tmp_path / "elsewhere"
    work.mkdir()
    shutil.copy(ROOT / "notebooks" / "01_pretrained_models.ipynb", work)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COURSE_QUIZ_DIR")}
    env.update(COURSE_DATA_DIR=str(ROOT / "data"), COURSE_RESULTS_DIR=str(work / "results"),
               MPLBACKEND="Agg")
    where = json.loads(run(python, "-c", "import json, course_utils.paths as p; print(json.dumps("
                           "[p.PACKAGE_DIR.as_posix(), str(p.checkout_root()), "
                           "p.quiz_dir().as_posix()]))", cwd=work, env=env))
    assert where[0].startswith(site.as_posix()) and where[1] == "None"
    assert where[2].endswith("course_utils/bundled/quizzes")

    script = ("import nbformat, nbclient\n"
              "nb = nbformat.read('01_pretrained_models.ipynb', as_version=4)\n"
              "nbclient.NotebookClient(nb, timeout=900, kernel_name='python3',\n"
              "                        resources={'metadata': {'path': '.'}}).execute()\n"
              "nbformat.write(nb, 'executed.ipynb')\n")
    run(python, "-c", script, cwd=work, env=env)
    executed = json.loads((work / "executed.ipynb").read_text())
    errors = [o for c in executed["cells"] for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    text = "".join("".join(o.get("text", "")) for c in executed["cells"]
                   for o in c.get("outputs", []))
    assert "course_utils: training on" in text  # it ran the course's code, and printed as it does
    assert sum(c["cell_type"] == "code" and c.get("execution_count") is not None
               for c in executed["cells"]) == sum(c["cell_type"] == "code"
                                                  for c in executed["cells"])
