"""Who a results file belongs to, and which option order a student sees.

A student types a free-text name. Its *key* is the name NFC-normalised, with spaces
collapsed and case folded, so "Zoë" typed on two keyboards is one student while "Zoë" and
"Zoé" stay two. The results file is named by a readable ASCII slug plus a short SHA-256 of
the key, so no two names share a file (names in any script get a distinct file).

>>> results_stem("Zoë") != results_stem("Zoé")
True
>>> results_stem("Ada Lovelace")
'ada-lovelace-177f85df57'
"""
from __future__ import annotations

import hashlib
import re
import unicodedata

HASH_CHARS = 10   # 40 bits: a collision among a class's names is out of reach
SLUG_CHARS = 40


def name_key(student: str) -> str:
    """The identity of a typed name: NFC, whitespace collapsed, case folded.

    >>> name_key("  Ada   LOVELACE ") == name_key("ada lovelace")
    True
    """
    text = unicodedata.normalize("NFC", student)
    return " ".join(text.split()).casefold()


def ascii_slug(student: str) -> str:
    """A readable ASCII rendering of a name for file names (may be empty, e.g. for 王芳).

    >>> ascii_slug("Zoë  Martín"), ascii_slug("王芳")
    ('zoe-martin', '')
    """
    decomposed = unicodedata.normalize("NFKD", name_key(student))
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:SLUG_CHARS].strip("-")


def name_hash(student: str) -> str:
    """The first :data:`HASH_CHARS` hex digits of SHA-256 of :func:`name_key`."""
    return hashlib.sha256(name_key(student).encode("utf-8")).hexdigest()[:HASH_CHARS]


def results_stem(student: str) -> str:
    """The results file name without ``.json``: ``<slug>-<hash>`` (``student-<hash>``
    when the name has no ASCII letters).

    >>> results_stem("王芳") != results_stem("李娜")
    True
    """
    if not name_key(student):
        raise ValueError("a student name or id cannot be empty.")
    return f"{ascii_slug(student) or 'student'}-{name_hash(student)}"


def order_seed(student: str | None) -> str:
    """The option-order seed of a student (``""`` when no name is known yet)."""
    return f"student:{name_key(student)}" if student and name_key(student) else ""
