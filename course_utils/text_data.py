"""Labelled sentences for the text chapters, fetched once at set-up and offline afterwards.

The data are the human-rated review snippets of Hutto & Gilbert's VADER paper (ICWSM 2014, MIT
licence): 10,605 Rotten Tomatoes sentences and 3,708 Amazon review sentences, each with the mean
of 20 human ratings from -4 (very negative) to +4 (very positive). They ship inside the PyPI
*source* archive of ``vaderSentiment==3.3.2`` (not its wheel), so ``pip`` can fetch them from
the package registry, the one place the course's machines may download from:

    python -m pip download --no-deps --no-binary :all: vaderSentiment==3.3.2 -d DIR

:func:`ensure_text_data` does that once (``python -m course_utils.doctor`` calls it), checks the
archive's SHA-256, and writes the two snippet files to ``data_dir() / "text"`` and VADER's own
rule-based scorer (``vaderSentiment.py``, its lexicons, its MIT licence) to ``.../text/vader``.
After that the loaders read those files and never touch the network.

>>> texts, labels = movie_reviews()                     # doctest: +SKIP
>>> len(texts), sum(labels)                             # doctest: +SKIP
(10568, 5242)
"""
from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from .data import DataError
from .files import write_bytes_atomic
from .paths import data_dir

SDIST = "vaderSentiment-3.3.2.tar.gz"
SDIST_SHA256 = "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"  # 2,466,783 B
INNER_ARCHIVE = "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
FILES = {  # file inside hutto_ICWSM_2014/ -> its SHA-256
    "movieReviewSnippets_GroundTruth.txt":
        "c8293b0d942e90e223ea2c0955d969040d1a1be514a978b9af0698940bd13350",
    "amazonReviewSnippets_GroundTruth.txt":
        "11a9807a0974a2506a2d3b4851eaf69b3d6d20688ce4923adda2312a4f6dd6c2",
}
VADER_FILES = {  # VADER's own scorer, its lexicons and licence (MIT), from the same sdist
    "vaderSentiment.py": "25cd814d23000b41c0e242d99960832c6620b3f1b844469173404500ce63206b",
    "vader_lexicon.txt": "1ec9c6e9ee19aade328f8beb393a6afa71a5bb3acf7d3cc22d4ef568df374bf5",
    "emoji_utf8_lexicon.txt": "b8d54223ae1ce22a3e12c1f745316b71678c328eb5f5d3063a842f37cfbe2823",
    "LICENSE.txt": "74cfe41cdbf7f6925aeb4c18c148ec8db042540edb6739fd81069aa4e3c8b118",
}
LABEL_NAMES = ("negative", "positive")  # label 0, label 1
PIP_DOWNLOAD = "python -m pip download --no-deps --no-binary :all: vaderSentiment==3.3.2 -d DIR"


class TextDataError(DataError):
    """The text data is missing or damaged and could not be fetched; the message says what to do."""


def text_dir() -> Path:
    """Where the snippet files live: ``data_dir() / "text"``."""
    return data_dir() / "text"


def sha256(path: Path) -> str:
    """The SHA-256 of a file, as hex."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def vader_dir() -> Path:
    """Where VADER's scorer and lexicons live: ``text_dir() / "vader"``."""
    return text_dir() / "vader"


def _pinned() -> dict[str, str]:
    """Every file the set-up writes (relative to ``text_dir()``) -> its SHA-256."""
    return {**FILES, **{f"vader/{name}": digest for name, digest in VADER_FILES.items()}}


def _missing(folder: Path) -> list[str]:
    """The files that are absent from ``folder`` (and its ``vader/``) or do not match their hash."""
    return [name for name, digest in _pinned().items()
            if not (folder / name).is_file() or sha256(folder / name) != digest]


def _pip_download(dest: Path) -> Path:
    """Run ``pip download`` for the sdist into ``dest``; return the archive's path."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
               "vaderSentiment==3.3.2", "-d", str(dest)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise TextDataError(_how_to_fix(f"pip could not run ({err})")) from None
    if done.returncode != 0 or not (dest / SDIST).is_file():
        last = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise TextDataError(_how_to_fix("pip download failed: " + " | ".join(last)))
    return dest / SDIST


def _how_to_fix(reason: str) -> str:
    return (f"The text data is not in {text_dir()} and could not be fetched: {reason}.\n"
            f"HINT: on a machine with internet run\n    {PIP_DOWNLOAD}\n"
            f"copy DIR/{SDIST} into {text_dir()}, then run `python -m course_utils.doctor` "
            "(or ensure_text_data()) again: it unpacks the archive from there, offline.")


def extract_snippets(sdist: Path, folder: Path) -> dict[str, int]:
    """Check the sdist's SHA-256, then write the snippet files from its inner archive to
    ``folder`` and VADER's files to ``folder / "vader"`` (each hash-checked, written
    atomically). Returns file name -> bytes written."""
    digest = sha256(sdist)
    if digest != SDIST_SHA256:
        raise TextDataError(f"{sdist} is not the expected {SDIST} (sha256 {digest[:12]}... "
                            f"instead of {SDIST_SHA256[:12]}...). HINT: delete it and fetch it "
                            f"again with: {PIP_DOWNLOAD}")
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, data in _read_members(sdist).items():
        if hashlib.sha256(data).hexdigest() != _pinned()[name]:
            raise TextDataError(f"{name} in {sdist} does not match its pinned SHA-256. "
                                f"HINT: delete {sdist} and fetch it again: {PIP_DOWNLOAD}")
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(folder / name, data)
        written[name] = len(data)
    return written


def _read_members(sdist: Path) -> dict[str, bytes]:
    """The bytes of each file in ``FILES`` (from the inner archive of the sdist) and in
    ``VADER_FILES`` (as ``vader/NAME``)."""
    top = SDIST.removesuffix(".tar.gz")
    try:
        with tarfile.open(sdist) as outer:
            inner_bytes = outer.extractfile(INNER_ARCHIVE).read()
            members = {f"vader/{name}": outer.extractfile(
                f"{top}/{name}" if name == "LICENSE.txt" else f"{top}/vaderSentiment/{name}").read()
                for name in VADER_FILES}
        with tarfile.open(fileobj=io.BytesIO(inner_bytes)) as inner:
            members.update({name: inner.extractfile(f"hutto_ICWSM_2014/{name}").read()
                            for name in FILES})
        return members
    except (tarfile.TarError, KeyError, AttributeError) as err:  # AttributeError: not a file
        reason = str(err).splitlines()[0]
        raise TextDataError(f"{sdist} is not a readable {SDIST} ({reason}). HINT: delete it and "
                            f"fetch it again: {PIP_DOWNLOAD}") from None


def ensure_text_data(verbose: bool = True) -> dict[str, Path]:
    """Make sure the snippet files are in ``text_dir()``, fetching them once if they are not.

    Files already there and hash-valid are kept (no network). Otherwise a copy of the sdist in
    ``text_dir()`` is used if there is one (the offline route), else ``pip download`` fetches it
    into a temporary folder. Raises :class:`TextDataError` saying what to do when that fails.

    Returns:
        File name -> path, for the movie and the Amazon snippets (VADER's files are in
        :func:`vader_dir`).
    """
    folder = text_dir()
    paths = {name: folder / name for name in FILES}
    if not _missing(folder):
        return paths
    with tempfile.TemporaryDirectory() as tmp:
        sdist = folder / SDIST
        if not sdist.is_file():
            if verbose:
                print(f"...   fetching {SDIST} from PyPI with pip (about 2.5 MB)")
            sdist = _pip_download(Path(tmp))
        size = sdist.stat().st_size
        written = extract_snippets(sdist, folder)
    if verbose:
        print(f"ok    {SDIST}: {size:,} bytes, sha256 {SDIST_SHA256[:12]}... as pinned")
        for name, n in written.items():
            print(f"ok    wrote {folder / name} ({n:,} bytes)")
    return paths


def read_snippets(path: str | Path) -> tuple[list[str], list[int]]:
    """Parse one ``*_GroundTruth.txt`` file (``id<TAB>mean rating<TAB>sentence`` per line).

    Label 1 (positive) when the mean human rating is above 0, label 0 (negative) when below;
    sentences rated exactly 0 are dropped.

    >>> path = Path(tempfile.mkdtemp()) / "tiny.txt"
    >>> _ = path.write_text("1\\t2.5\\tGreat fun.\\n2\\t-1.2\\tDull.\\n3\\t0.0\\tA film.\\n")
    >>> read_snippets(path)
    (['Great fun.', 'Dull.'], [1, 0])
    """
    texts, labels = [], []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t", 2)
        try:
            rating = float(parts[1])
            text = parts[2].strip()
        except (IndexError, ValueError):
            raise TextDataError(f"{path}, line {number}: expected 'id<TAB>rating<TAB>sentence', "
                                f"got {line[:60]!r}. HINT: delete the file; ensure_text_data() "
                                "writes it again from the checked archive.") from None
        if rating != 0:
            texts.append(text)
            labels.append(int(rating > 0))
    return texts, labels


def movie_reviews() -> tuple[list[str], list[int]]:
    """Rotten Tomatoes sentences and labels (1 positive, 0 negative): 5,242 + 5,326."""
    return read_snippets(ensure_text_data()["movieReviewSnippets_GroundTruth.txt"])


def amazon_reviews() -> tuple[list[str], list[int]]:
    """Amazon product review sentences and labels (1 positive, 0 negative): 2,128 + 1,482."""
    return read_snippets(ensure_text_data()["amazonReviewSnippets_GroundTruth.txt"])
