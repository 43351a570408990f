"""Where the course keeps things, in a checkout and in a pip-installed copy alike.

* In a checkout (``git clone``): data in ``<checkout>/data``, quiz banks in ``<checkout>/quizzes``.
* Installed from a wheel (Colab, ``pip install course-utils``): the quiz banks and the lab
  checkpoint come from inside the package (``course_utils/bundled``) and downloaded data goes to
  the user's data folder (``~/.local/share/finetune-course`` on Linux).
* ``$COURSE_DATA_DIR``, ``$COURSE_QUIZ_DIR`` and ``$COURSE_RESULTS_DIR`` override the data, quiz
  and results folders in both cases.

>>> data_dir().name in {"data", "finetune-course"} or "COURSE_DATA_DIR" in os.environ
True
"""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLED_DIR = PACKAGE_DIR / "bundled"


def checkout_root() -> Path | None:
    """The repository folder when ``course_utils`` runs from a checkout, else None."""
    root = PACKAGE_DIR.parent
    is_checkout = (root / "pyproject.toml").is_file() and (root / "quizzes").is_dir()
    return root if is_checkout else None


def data_dir() -> Path:
    """The folder for datasets and downloads: ``$COURSE_DATA_DIR``, the checkout's ``data/``,
    or the user's data folder (created on first use)."""
    env = os.environ.get("COURSE_DATA_DIR")
    if env:
        folder = Path(env).expanduser()
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(f"COURSE_DATA_DIR={env!r} is a file, not a folder. Point it "
                                     "at a folder (it is created if missing) or unset it.")
        return folder
    root = checkout_root()
    return root / "data" if root is not None else user_data_dir()


def user_data_dir() -> Path:
    """The course's folder in the user's data folder (``~/.local/share/finetune-course``)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("finetune-course", appauthor=False))


def quiz_dir() -> Path:
    """The quiz banks: ``$COURSE_QUIZ_DIR``, the checkout's ``quizzes/``, or the bundled copy."""
    env = os.environ.get("COURSE_QUIZ_DIR")
    if env:
        return Path(env).expanduser()
    root = checkout_root()
    return root / "quizzes" if root is not None else BUNDLED_DIR / "quizzes"


def results_dir() -> Path:
    """Quiz and exercise results: ``$COURSE_RESULTS_DIR``, the checkout's ``results/``, or the
    user's data folder."""
    env = os.environ.get("COURSE_RESULTS_DIR")
    if env:
        return Path(env).expanduser()
    root = checkout_root()
    return root / "results" if root is not None else user_data_dir() / "results"


def lab_checkpoint() -> Path:
    """The course's own pretrained lab network (committed in the checkout, bundled in the wheel)."""
    root = checkout_root()
    name = "lab_resnet_fmnist_source.pt"
    return root / "data" / name if root is not None else BUNDLED_DIR / name
