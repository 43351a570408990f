"""text_data.py: fetched once (pip, hash-checked), offline afterwards; parsing and labels.

No test uses the network: a fake sdist with the real layout stands in for PyPI's archive.
"""
import hashlib
import io
import subprocess
import tarfile

import pytest

from course_utils import text_data
from course_utils.text_data import (TextDataError, amazon_reviews, ensure_text_data,
                                    movie_reviews, read_snippets, text_dir, vader_dir)

MOVIE = "1\t2.26\tThe Rock is destined to be great.\r\n2\t-0.6\tEffective but too tepid.\r\n" \
        "3\t0.0\tA film.\r\n4\t1.5\tWasabi is a good place to start.\r\n"
AMAZON = "1_1\t-0.9\tNo picture.\r\n1_2\t3.1\tWorks great!\r\n"


def tar_gz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def fake_pypi(tmp_path, monkeypatch):
    """COURSE_DATA_DIR in tmp_path; a fake sdist; pins and pip pointed at it. Yields the calls."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    files = {"movieReviewSnippets_GroundTruth.txt": MOVIE.encode(),
             "amazonReviewSnippets_GroundTruth.txt": AMAZON.encode()}
    vader = {name: f"fake {name}".encode() for name in text_data.VADER_FILES}
    inner = tar_gz({f"hutto_ICWSM_2014/{n}": d for n, d in files.items()})
    sdist = tar_gz({text_data.INNER_ARCHIVE: inner, "vaderSentiment-3.3.2/setup.py": b"",
                    **{("vaderSentiment-3.3.2/" if n == "LICENSE.txt" else
                        "vaderSentiment-3.3.2/vaderSentiment/") + n: d for n, d in vader.items()}})
    monkeypatch.setattr(text_data, "SDIST_SHA256", hashlib.sha256(sdist).hexdigest())
    monkeypatch.setattr(text_data, "FILES", {n: hashlib.sha256(d).hexdigest()
                                             for n, d in files.items()})
    monkeypatch.setattr(text_data, "VADER_FILES", {n: hashlib.sha256(d).hexdigest()
                                                   for n, d in vader.items()})
    calls = []

    def pip_download(dest):
        calls.append(dest)
        (dest / text_data.SDIST).write_bytes(sdist)
        return dest / text_data.SDIST

    monkeypatch.setattr(text_data, "_pip_download", pip_download)
    yield calls, sdist


def test_fetches_once_then_stays_offline(fake_pypi, capsys):
    calls, _ = fake_pypi
    paths = ensure_text_data()
    assert len(calls) == 1 and all(p.parent == text_dir() and p.is_file() for p in paths.values())
    assert "wrote" in capsys.readouterr().out
    assert movie_reviews() == (["The Rock is destined to be great.", "Effective but too tepid.",
                                "Wasabi is a good place to start."], [1, 0, 1])
    assert amazon_reviews() == (["No picture.", "Works great!"], [0, 1])
    assert len(calls) == 1  # nothing fetched again
    assert sorted(p.name for p in text_dir().iterdir()) == sorted([*text_data.FILES, "vader"])
    assert sorted(p.name for p in vader_dir().iterdir()) == sorted(text_data.VADER_FILES)


def test_missing_vader_files_are_fetched_again(fake_pypi):
    calls, _ = fake_pypi
    ensure_text_data(verbose=False)
    (vader_dir() / "vader_lexicon.txt").unlink()  # e.g. a data folder from before VADER was added
    ensure_text_data(verbose=False)
    assert len(calls) == 2 and (vader_dir() / "vader_lexicon.txt").read_bytes().startswith(b"fake")


def test_tampered_vader_file_is_refused(fake_pypi, monkeypatch):
    monkeypatch.setitem(text_data.VADER_FILES, "vaderSentiment.py", "2" * 64)
    with pytest.raises(TextDataError, match="vader/vaderSentiment.py.*does not match"):
        ensure_text_data(verbose=False)
    assert not (vader_dir() / "vaderSentiment.py").exists()


def test_a_damaged_file_is_written_again(fake_pypi):
    calls, _ = fake_pypi
    paths = ensure_text_data(verbose=False)
    movie = paths["movieReviewSnippets_GroundTruth.txt"]
    movie.write_text("1\t9\tedited by hand\n")
    ensure_text_data(verbose=False)
    assert len(calls) == 2 and movie.read_bytes() == MOVIE.encode()


def test_an_sdist_copied_into_the_folder_is_used_offline(fake_pypi):
    calls, sdist = fake_pypi
    text_dir().mkdir(parents=True)
    (text_dir() / text_data.SDIST).write_bytes(sdist)
    ensure_text_data(verbose=False)
    assert calls == [] and movie_reviews()[1] == [1, 0, 1]


def test_wrong_archive_hash_is_refused(fake_pypi, monkeypatch):
    monkeypatch.setattr(text_data, "SDIST_SHA256", "0" * 64)
    with pytest.raises(TextDataError, match="sha256 .* instead of 000000000000.*pip download"):
        ensure_text_data(verbose=False)
    assert not (text_dir() / "movieReviewSnippets_GroundTruth.txt").exists()


def test_tampered_snippet_file_is_refused(fake_pypi, monkeypatch):
    monkeypatch.setitem(text_data.FILES, "amazonReviewSnippets_GroundTruth.txt", "1" * 64)
    with pytest.raises(TextDataError, match="amazonReviewSnippets.*does not match"):
        ensure_text_data(verbose=False)


def test_unreadable_archive_says_what_to_do(fake_pypi, monkeypatch):
    junk = b"not a tar file"
    monkeypatch.setattr(text_data, "SDIST_SHA256", hashlib.sha256(junk).hexdigest())
    text_dir().mkdir(parents=True)
    (text_dir() / text_data.SDIST).write_bytes(junk)
    with pytest.raises(TextDataError, match="not a readable.*delete it"):
        ensure_text_data(verbose=False)


def test_offline_and_missing_names_the_pip_command(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    failed = subprocess.CompletedProcess([], 1, "", "ERROR: Could not find a version that "
                                         "satisfies the requirement vaderSentiment==3.3.2")
    monkeypatch.setattr(text_data.subprocess, "run", lambda *a, **k: failed)
    with pytest.raises(TextDataError) as err:
        movie_reviews()
    message = str(err.value)
    assert "pip download --no-deps --no-binary :all: vaderSentiment==3.3.2" in message
    assert str(tmp_path / "text") in message and "Could not find a version" in message


def test_read_snippets_labels_and_bad_lines(tmp_path):
    path = tmp_path / "s.txt"
    path.write_text("a\t-0.1\tmeh\n\nb\t0\tneutral\nc\t3\tgreat\ttabbed\n", encoding="utf-8")
    assert read_snippets(path) == (["meh", "great\ttabbed"], [0, 1])
    path.write_text("a\t1\tfine\nb\tnot-a-number\tbad\n", encoding="utf-8")
    with pytest.raises(TextDataError, match="s.txt, line 2"):
        read_snippets(path)


def test_real_files_counts():
    folder = text_dir()
    if text_data._missing(folder):
        pytest.skip(f"no real snippet files in {folder} (python -m course_utils.doctor)")
    texts, labels = movie_reviews()
    assert (sum(labels), len(labels) - sum(labels)) == (5242, 5326)
    assert all(isinstance(t, str) and t for t in texts)
    texts, labels = amazon_reviews()
    assert (sum(labels), len(labels) - sum(labels)) == (2128, 1482)
