"""course_utils.paths: the same code finds its files in a checkout and in an installed wheel."""
import pytest

from course_utils import paths


def test_a_checkout_uses_its_own_folders(monkeypatch):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.delenv("COURSE_QUIZ_DIR", raising=False)
    root = paths.checkout_root()
    assert root is not None and (root / "pyproject.toml").is_file()
    assert paths.data_dir() == root / "data"
    assert paths.quiz_dir() == root / "quizzes"
    assert paths.lab_checkpoint().is_file()


def test_an_installed_copy_uses_the_bundled_files_and_the_user_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.delenv("COURSE_QUIZ_DIR", raising=False)
    monkeypatch.setattr(paths, "PACKAGE_DIR", tmp_path / "site-packages" / "course_utils")
    monkeypatch.setattr(paths, "BUNDLED_DIR", tmp_path / "site-packages" / "course_utils" / "bundled")
    assert paths.checkout_root() is None
    assert paths.data_dir().name == "finetune-course"
    assert paths.quiz_dir() == paths.BUNDLED_DIR / "quizzes"
    assert paths.lab_checkpoint().parent == paths.BUNDLED_DIR


def test_the_bundled_links_point_at_the_checkouts_files():
    assert (paths.BUNDLED_DIR / "quizzes").resolve() == paths.checkout_root() / "quizzes"
    assert (paths.BUNDLED_DIR / "lab_resnet_fmnist_source.pt").resolve() == paths.lab_checkpoint()


def test_course_data_dir_wins_and_a_file_there_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    assert paths.data_dir() == tmp_path
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    monkeypatch.setenv("COURSE_DATA_DIR", str(not_a_folder))
    with pytest.raises(NotADirectoryError, match="COURSE_DATA_DIR"):
        paths.data_dir()
