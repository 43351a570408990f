"""A rule-based sentiment scorer with no training at all: VADER (Hutto & Gilbert, 2014).

VADER adds up the valence of the words it knows (a lexicon of about 7,500 entries, each rated
by humans from -4 to +4) and applies a few hand-written rules: negation ("not good"), boosters
("very good"), "but" (what follows weighs more), capitals and exclamation marks. Its
``compound`` score is that sum squashed into -1..+1.

The code is VADER's own (``vaderSentiment.py``, MIT licence), unpacked with its lexicons from the
same hash-checked PyPI source archive as the review sentences (see :mod:`.text_data`); the
file is checked against its pinned SHA-256 before it is imported.

>>> vader_labels(["A gorgeous, witty film.", "Dull and far too long."])   # doctest: +SKIP
[1, 0]
"""
from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from .text_data import VADER_FILES, TextDataError, ensure_text_data, sha256, vader_dir


@lru_cache(maxsize=1)
def vader_analyzer() -> Any:
    """VADER's ``SentimentIntensityAnalyzer``, loaded from the hash-checked files in
    :func:`~.text_data.vader_dir` (fetched once by :func:`~.text_data.ensure_text_data`)."""
    ensure_text_data(verbose=False)
    folder = vader_dir()
    for name, digest in VADER_FILES.items():
        if sha256(folder / name) != digest:
            raise TextDataError(f"{folder / name} does not match its pinned SHA-256. HINT: delete "
                                f"{folder} and run `python -m course_utils.doctor` again.")
    spec = importlib.util.spec_from_file_location("course_vader", folder / "vaderSentiment.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SentimentIntensityAnalyzer()  # it finds its lexicons beside its own file


def vader_scores(texts: Sequence[str]) -> list[float]:
    """VADER's ``compound`` score of each text, from -1 (negative) to +1 (positive)."""
    if isinstance(texts, str):
        raise TypeError("texts must be a list of strings. HINT: wrap one sentence in a list.")
    analyzer = vader_analyzer()
    return [analyzer.polarity_scores(text)["compound"] for text in texts]


def vader_labels(texts: Sequence[str]) -> list[int]:
    """1 (positive) where VADER's compound score is above 0, else 0 (negative).

    A sentence with no word in the lexicon scores exactly 0 and is called negative: a binary
    task has no "neutral" answer.
    """
    return [int(score > 0) for score in vader_scores(texts)]
