"""Small models the tests share: TinyNet (three layer groups, trains in milliseconds), a tiny
BERT with its batches, and small image backbones for the surgery, layer-group and BatchNorm tests."""
import timm
import torch
from torch import nn
from torchvision.models import VisionTransformer

from course_utils.batchnorm import apply_bn_policy
from course_utils.lab_net import LabResNet

QUIET = {"live_plot": False, "progress": False}  # fit() without plot or progress bar


class TinyNet(nn.Module):
    """Layer groups (the library's fallback rules): stem, block, head.

    Args:
        num_classes: outputs of the head.
        dropout: dropout before the head (it draws from the global RNG, which resume tests need).
    """

    def __init__(self, num_classes: int = 2, dropout: float = 0.0) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU())
        self.block = nn.Sequential(nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.ReLU(),
                                   nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Dropout(dropout))
        self.head = nn.Linear(32, num_classes)

    def forward(self, x):
        return self.head(self.block(self.stem(x)))


def tiny_bert(num_labels: int = 2, layers: int = 2, seed: int = 0):
    """A Hugging Face BertForSequenceClassification small enough to train in milliseconds.

    Same module names as MiniLM (``bert.embeddings``, ``bert.encoder.layer.N``, ``bert.pooler``,
    ``classifier``); vocabulary of 100 token ids, hidden size 32.
    """
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    config = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=layers,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=64,
                        num_labels=num_labels)
    return BertForSequenceClassification(config)


def token_batches(n_batches: int = 4, size: int = 8, length: int = 10, seed: int = 0):
    """(tokenizer-style dict, labels) batches; label 1 when token 7 starts the sentence."""
    import torch

    g = torch.Generator().manual_seed(seed)
    batches = []
    for _ in range(n_batches):
        ids = torch.randint(10, 100, (size, length), generator=g)
        y = torch.randint(0, 2, (size,), generator=g)
        ids[:, 0] = torch.where(y == 1, 7, 8)
        mask = torch.ones_like(ids)
        mask[: size // 2, length - 2:] = 0  # half the sentences end in padding
        batches.append(({"input_ids": ids, "attention_mask": mask}, y))
    return batches


WORDS = ["good", "great", "fun", "bad", "dull", "awful", "the", "film", "was", "plot", "a",
         "very", "not", "and", "acting", "music"]


def tiny_tokenizer(folder):
    """A real BERT WordPiece tokenizer over a 21-token vocabulary (ids fit ``tiny_bert``)."""
    from pathlib import Path

    from transformers import BertTokenizer

    vocab = Path(folder) / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n")
    return BertTokenizer(str(vocab))


def sentiment_sentences(n: int = 64, seed: int = 0):
    """Sentences of 2-9 words from WORDS; label 1 when they hold more of good/great/fun."""
    import random

    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(n):
        label = i % 2
        mood = ["good", "great", "fun"] if label else ["bad", "dull", "awful"]
        words = [rng.choice(WORDS[6:]) for _ in range(rng.randint(1, 7))] + rng.sample(mood, 2)
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(label)
    return texts, labels


# --- small image models for the surgery, layer-group and BatchNorm tests ------------------

def lab_net(num_classes=3):
    torch.manual_seed(0)
    return LabResNet(num_classes=num_classes, widths=(4, 4, 8, 8))

def tiny_vit(num_classes=3):
    return VisionTransformer(image_size=16, patch_size=8, num_layers=2, num_heads=2,
                             hidden_dim=8, mlp_dim=16, num_classes=num_classes)

def lite0(num_classes=3):
    return timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=num_classes)

def trainable(model):
    return [n for n, p in model.named_parameters() if p.requires_grad]

def bns(model):
    return [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]

def train_steps(model, steps=3):
    """What fit() does each epoch: model.train(); apply_bn_policy(model); SGD steps."""
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    for _ in range(steps):
        model.train()
        apply_bn_policy(model)
        loss = nn.functional.cross_entropy(model(torch.randn(8, 1, 28, 28) * 3 + 1),
                                           torch.randint(0, 3, (8,)))
        opt.zero_grad()
        loss.backward()
        opt.step()
