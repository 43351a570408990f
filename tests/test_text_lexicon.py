"""text_lexicon.py: VADER's own scorer, imported from the hash-checked files (no training)."""
import pytest

from course_utils import text_data, text_lexicon
from course_utils.text_data import TextDataError, vader_dir


def real_vader_present():
    return not text_data._missing(text_data.text_dir())


needs_vader = pytest.mark.skipif(not real_vader_present(),
                                 reason="no VADER files (python -m course_utils.doctor)")


@needs_vader
def test_clear_sentences_and_negation():
    assert text_lexicon.vader_labels(["A gorgeous, witty, wonderful film.",
                                      "Dull, ugly and painfully boring.",
                                      "This is not good."]) == [1, 0, 0]


@needs_vader
def test_scores_are_in_minus_one_to_one_and_no_lexicon_word_is_zero():
    scores = text_lexicon.vader_scores(["I love it!", "I hate it.", "The table is brown."])
    assert scores[0] > 0 > scores[1] and scores[2] == 0
    assert all(-1 <= s <= 1 for s in scores)


@needs_vader
def test_a_tampered_scorer_file_is_refused(monkeypatch):
    text_lexicon.vader_analyzer.cache_clear()
    monkeypatch.setitem(text_data.VADER_FILES, "vaderSentiment.py", "3" * 64)
    monkeypatch.setattr(text_lexicon, "ensure_text_data", lambda verbose: None)
    try:
        with pytest.raises(TextDataError, match="vaderSentiment.py does not match"):
            text_lexicon.vader_analyzer()
    finally:
        text_lexicon.vader_analyzer.cache_clear()


def test_one_string_is_refused_with_a_hint():
    with pytest.raises(TypeError, match="HINT: wrap"):
        text_lexicon.vader_scores("A single sentence.")


@needs_vader
def test_the_licence_comes_with_the_code():
    assert "MIT License" in (vader_dir() / "LICENSE.txt").read_text()
