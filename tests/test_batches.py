"""batches.py: the one rule for what a batch is, and fit/evaluate/lr_find on dict batches."""
import pytest
import torch
from torch import nn

from course_utils import evaluate, fit, lr_find, seed_everything
from course_utils.batches import forward, to_device
from tiny_models import QUIET

CPU = torch.device("cpu")


class Output:
    """What a Hugging Face model returns: an object with .logits."""

    def __init__(self, logits):
        self.logits = logits


class BagOfWords(nn.Module):
    """A text model with a tokenizer-style signature: model(input_ids=..., attention_mask=...)."""

    def __init__(self, vocab=20, classes=2):
        super().__init__()
        self.embed = nn.Embedding(vocab, 8)
        self.head = nn.Linear(8, classes)

    def forward(self, input_ids, attention_mask):
        mask = attention_mask.unsqueeze(-1).float()
        pooled = (self.embed(input_ids) * mask).sum(1) / mask.sum(1).clamp_min(1)
        return Output(self.head(pooled))


def token_batches(n_batches=8, size=16, seed=0):
    """Label 1 when token 1 appears in the (padded) sentence: a learnable task."""
    g = torch.Generator().manual_seed(seed)
    batches = []
    for _ in range(n_batches):
        ids = torch.randint(2, 20, (size, 6), generator=g)
        y = torch.randint(0, 2, (size,), generator=g)
        ids[y == 1, 0] = 1
        mask = torch.ones_like(ids)
        mask[:, 5] = 0  # padding at the end
        batches.append(({"input_ids": ids, "attention_mask": mask}, y))
    return batches


def test_tensor_batch_passes_through():
    x, y = torch.zeros(3, 2), torch.tensor([0, 1, 0])
    inputs, labels = to_device((x, y), CPU)
    assert inputs is x and labels.tolist() == [0, 1, 0]


def test_dict_batch_and_hf_collator_batch():
    ids = torch.ones(2, 3, dtype=torch.long)
    inputs, y = to_device(({"input_ids": ids, "note": "kept"}, [1, 0]), CPU)
    assert inputs["note"] == "kept" and y.tolist() == [1, 0]
    inputs, y = to_device({"input_ids": ids, "labels": torch.tensor([1, 0])}, CPU)
    assert list(inputs) == ["input_ids"] and y.tolist() == [1, 0]


@pytest.mark.parametrize("batch, words", [
    ((torch.zeros(2),), "pair"),
    ((torch.zeros(2), torch.zeros(2), torch.zeros(2)), "pair"),
    ({"input_ids": torch.zeros(2)}, "'labels'"),
    (("some text", torch.zeros(2)), "tensor or a dict"),
])
def test_bad_batches_say_what_to_do(batch, words):
    with pytest.raises((ValueError, TypeError), match=words):
        to_device(batch, CPU)


def test_forward_unwraps_logits_and_rejects_other_outputs():
    model = BagOfWords()
    inputs = token_batches(1)[0][0]
    assert forward(model, inputs).shape == (16, 2)
    with pytest.raises(TypeError, match="logits"):
        forward(lambda x: {"scores": x}, torch.zeros(2))


def test_fit_evaluate_lr_find_train_a_dict_batch_model():
    seed_everything(0)
    model, batches = BagOfWords(), token_batches()
    before = evaluate(model, batches)
    history = fit(model, batches, epochs=8, lr=3e-2, device="cpu", **QUIET)
    after = evaluate(model, batches)
    assert history.train_loss[-1] < 0.7 * history.train_loss[0]
    assert after["acc"] > max(before["acc"], 0.9)
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    result = lr_find(model, batches, num_steps=10)
    assert len(result.lrs) >= 2
    assert all(torch.equal(v, weights[k]) for k, v in model.state_dict().items())
