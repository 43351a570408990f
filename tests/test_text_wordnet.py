"""text_wordnet.py: WordNet noun glosses -> 10 topics, fetched once from Debian, hash-checked.

The network is never used: fetch_debian_files is replaced by a fake that writes a tiny file.
"""
import hashlib
from collections import Counter

import pytest

from course_utils import text_wordnet
from course_utils.debian import DebianFetchError
from course_utils.text_wordnet import (TOPICS, WordNetError, ensure_wordnet, parse_glosses,
                                       wordnet_file, wordnet_topics)

TINY = ("  1 This software and database is being provided to you, the LICENSEE, by\n"
        '02084071 05 n 01 dog 0 000 | a member of the genus Canis; "the dog barked"  \n'
        "07747607 13 n 01 apple 0 000 | fruit with red or yellow or green skin  \n"
        "00001740 03 n 01 entity 0 000 | that which is perceived  \n"
        '10129825 18 n 01 girl 0 000 | a young woman; "a young lady of 18"  \n')


@pytest.fixture
def fake_debian(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(text_wordnet, "DATA_NOUN_SHA256", hashlib.sha256(TINY.encode()).hexdigest())
    calls = []

    def fetch(package, inside, dest):
        calls.append((package, inside))
        (dest / "data.noun").write_text(TINY)
        (dest / "index.noun").write_text("not kept")
        return dest

    monkeypatch.setattr(text_wordnet, "fetch_debian_files", fetch)
    return calls


def test_fetched_once_then_offline_and_only_data_noun_kept(fake_debian):
    ensure_wordnet(verbose=False)
    assert wordnet_topics() == (["a member of the genus Canis", "fruit with red or yellow or "
                                 "green skin", "a young woman"],
                                [TOPICS.index("animal"), TOPICS.index("food"),
                                 TOPICS.index("person")])
    assert fake_debian == [("wordnet-base", "usr/share/wordnet")]
    assert [p.name for p in wordnet_file().parent.iterdir()] == ["data.noun"]


def test_a_different_release_is_refused(fake_debian, monkeypatch):
    monkeypatch.setattr(text_wordnet, "DATA_NOUN_SHA256", "0" * 64)
    with pytest.raises(WordNetError, match="instead of 000000000000.*HINT"):
        ensure_wordnet(verbose=False)
    assert not wordnet_file().exists()


def test_a_failed_apt_get_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))

    def fail(package, inside, dest):
        raise DebianFetchError("apt-get download wordnet-base failed: E: Unable to locate")

    monkeypatch.setattr(text_wordnet, "fetch_debian_files", fail)
    with pytest.raises(WordNetError, match="(?s)Unable to locate.*HINT.*dpkg-deb -x"):
        wordnet_topics()


def test_examples_and_other_categories_are_left_out(tmp_path):
    path = tmp_path / "data.noun"
    path.write_text(TINY)
    texts, labels = parse_glosses(path)
    assert all('"' not in t for t in texts) and "that which is perceived" not in texts
    assert len(TOPICS) == 10 and len(set(TOPICS)) == 10


def test_real_file_has_ten_topics():
    if not wordnet_file().is_file():
        pytest.skip("no WordNet file (python -m course_utils.doctor)")
    texts, labels = wordnet_topics()
    counts = Counter(labels)
    assert len(counts) == 10 and min(counts.values()) > 1000
    assert all(isinstance(t, str) and t and '"' not in t for t in texts)
