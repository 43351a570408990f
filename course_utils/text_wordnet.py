"""A second text task: what is a WordNet noun about? Ten topics, from its definition alone.

WordNet files every noun sense under a *lexicographer category* (``noun.animal``,
``noun.food``, ...). Its definition ("gloss") is a short sentence, so "gloss -> category" is a
10-class topic task with labels written by lexicographers, a task quite unlike sentiment:

    "a domestic animal kept for companionship or amusement"   -> animal

The data come from Debian's ``wordnet-base`` package (WordNet 3.0, Princeton's permissive
licence, which heads the file itself), fetched once without root by ``apt-get download`` +
``dpkg-deb -x`` (:mod:`.debian`); only ``data.noun`` is kept, checked against its SHA-256.

>>> texts, labels = wordnet_topics()          # doctest: +SKIP
>>> texts[0], TOPICS[labels[0]]                # doctest: +SKIP
('the act of acquiring something', 'act')
"""
from __future__ import annotations

import hashlib
import subprocess
import tempfile
from pathlib import Path

from .data import DataError
from .debian import DebianFetchError, fetch_debian_files
from .files import write_bytes_atomic
from .paths import data_dir

PACKAGE = "wordnet-base"                 # Debian bookworm: 1:3.0-37
DATA_NOUN_SHA256 = "fea17d2f9656611334eac790e5d69e47645fa180c4aa481fb4cd9b3520754ca2"  # 15.3 MB
LEXFILES = {4: "act", 5: "animal", 6: "artifact", 8: "body", 9: "cognition",
            10: "communication", 13: "food", 15: "location", 18: "person", 20: "plant"}
TOPICS = tuple(LEXFILES.values())        # label i is TOPICS[i]


class WordNetError(DataError):
    """WordNet's noun file is missing or damaged and could not be fetched."""


def wordnet_file() -> Path:
    """Where the noun file lives: ``data_dir() / "wordnet" / "data.noun"``."""
    return data_dir() / "wordnet" / "data.noun"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ensure_wordnet(verbose: bool = True) -> Path:
    """Make sure ``data.noun`` is in :func:`wordnet_file`'s folder, fetching it once from Debian.

    A file already there and hash-valid is kept (no network). Raises :class:`WordNetError`
    saying what to do when apt-get or the hash check fails.
    """
    target = wordnet_file()
    if target.is_file() and _sha256(target) == DATA_NOUN_SHA256:
        return target
    if verbose:
        print(f"...   fetching {PACKAGE} from Debian (apt-get download, about 6.5 MB)")
    with tempfile.TemporaryDirectory(prefix="course-wordnet-") as tmp:
        try:
            fetch_debian_files(PACKAGE, "usr/share/wordnet", Path(tmp))
        except (DebianFetchError, OSError, subprocess.SubprocessError) as err:
            raise WordNetError(
                f"WordNet's nouns are not in {target.parent} and could not be fetched: {err}\n"
                f"HINT: on a Debian/Ubuntu machine with network run `apt-get download {PACKAGE}` "
                f"and `dpkg-deb -x {PACKAGE}_*.deb x`, copy x/usr/share/wordnet/data.noun "
                f"into {target.parent}, then run `python -m course_utils.doctor` again.") from None
        data = (Path(tmp) / "data.noun").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != DATA_NOUN_SHA256:
        raise WordNetError(f"{PACKAGE}'s data.noun has sha256 {digest[:12]}... instead of "
                           f"{DATA_NOUN_SHA256[:12]}... (a different WordNet release?). HINT: "
                           f"copy data.noun of Debian's {PACKAGE} 1:3.0-37 into {target.parent}.")
    target.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(target, data)
    if verbose:
        print(f"ok    wrote {target} ({len(data):,} bytes, sha256 {digest[:12]}... as pinned)")
    return target


def parse_glosses(path: str | Path) -> tuple[list[str], list[int]]:
    """Definitions and topic labels of the nouns in ``LEXFILES``, from a WordNet ``data.noun``.

    A line is ``offset lex_filenum n word_count words... | gloss``; the gloss's definition is the
    part before its first quoted example. Licence lines (starting with spaces) are skipped.

    >>> path = Path(tempfile.mkdtemp()) / "data.noun"
    >>> _ = path.write_text('  1 licence line\\n'
    ...     '02084071 05 n 01 dog 0 000 | a member of the genus Canis; "the dog barked"  \\n'
    ...     '00001740 03 n 01 entity 0 000 | that which is perceived  \\n')
    >>> parse_glosses(path)
    (['a member of the genus Canis'], [1])
    """
    label_of = {number: i for i, number in enumerate(LEXFILES)}
    texts, labels = [], []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith("  ") or " | " not in line:
            continue
        fields, gloss = line.split(" | ", 1)
        number = int(fields.split()[1])
        if number in label_of:
            definition = gloss.split('; "')[0].split(' "')[0].strip().rstrip(";").strip()
            if definition:
                texts.append(definition)
                labels.append(label_of[number])
    return texts, labels


def wordnet_topics() -> tuple[list[str], list[int]]:
    """WordNet noun definitions and their topic (an index into :data:`TOPICS`), fetched once."""
    return parse_glosses(ensure_wordnet(verbose=False))
