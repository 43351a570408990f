"""What a batch is, in one place: ``fit``, ``evaluate`` and ``lr_find`` all follow this rule.

A batch is a pair ``(inputs, y)``:

* ``inputs`` a tensor (images): the model is called as ``model(inputs)``;
* ``inputs`` a dict of tensors (a Hugging Face tokenizer's output: ``input_ids``,
  ``attention_mask``...): the model is called as ``model(**inputs)``.

A dict batch with a ``"labels"`` entry (what Hugging Face's data collators yield) is split
into ``(inputs, labels)``. A model may return the logits, or an object with ``.logits``
(a Hugging Face model's output).

>>> import torch
>>> inputs, y = to_device(({"input_ids": torch.ones(2, 3, dtype=torch.long)}, torch.zeros(2)),
...                       torch.device("cpu"))
>>> sorted(inputs), len(y)
(['input_ids'], 2)
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import torch
from torch import nn

Inputs = torch.Tensor | dict[str, torch.Tensor]


def _move(value: Any, device: torch.device) -> Any:
    return value.to(device, non_blocking=True) if isinstance(value, torch.Tensor) else value


def to_device(batch: Any, device: torch.device) -> tuple[Inputs, torch.Tensor]:
    """Split a batch into ``(inputs, y)`` and move every tensor in it to ``device``.

    >>> x, y = to_device((torch.zeros(4, 2), torch.arange(4)), torch.device("cpu"))
    >>> tuple(x.shape), y.tolist()
    ((4, 2), [0, 1, 2, 3])
    """
    if isinstance(batch, Mapping):
        if "labels" not in batch:
            raise ValueError(f"A dict batch needs a 'labels' entry; this one has {list(batch)}. "
                             "HINT: yield (inputs, labels) pairs, or add the labels as "
                             "batch['labels'].")
        batch = ({k: v for k, v in batch.items() if k != "labels"}, batch["labels"])
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        kind = type(batch).__name__ + (f" of {len(batch)}" if hasattr(batch, "__len__") else "")
        raise ValueError(f"A batch must be a pair (inputs, y); the loader gave a {kind}. HINT: "
                         "make the loader yield (x, y) or (dict_of_tensors, y).")
    inputs, y = batch
    if isinstance(inputs, Mapping):
        inputs = {key: _move(value, device) for key, value in inputs.items()}
    elif isinstance(inputs, torch.Tensor):
        inputs = inputs.to(device, non_blocking=True)
    else:
        raise TypeError(f"The batch's inputs are a {type(inputs).__name__}: they must be a tensor "
                        "or a dict of tensors (a tokenizer's output with return_tensors='pt').")
    return inputs, _move(torch.as_tensor(y), device)


def forward(model: nn.Module | Any, inputs: Inputs) -> torch.Tensor:
    """The model's logits for ``inputs``: ``model(x)`` or ``model(**inputs)``, unwrapping
    ``.logits`` when the model returns an output object (Hugging Face).

    >>> forward(torch.nn.Linear(2, 3), torch.zeros(4, 2)).shape
    torch.Size([4, 3])
    """
    out = model(**inputs) if isinstance(inputs, Mapping) else model(inputs)
    logits = getattr(out, "logits", out)
    if not isinstance(logits, torch.Tensor):
        raise TypeError(f"The model returned a {type(out).__name__}, not logits. HINT: return a "
                        "tensor of shape (batch, classes) or an object with .logits.")
    return logits


def nonempty(loader: Iterable, name: str = "loader") -> Iterator:
    """Yield ``loader``'s batches; a loader that yields none is a clear error naming it (not a
    division by zero or a silent no-op later).

    >>> list(nonempty([1, 2]))
    [1, 2]
    >>> list(nonempty([], "val_loader"))
    Traceback (most recent call last):
    ValueError: val_loader yields no batch: it is empty. HINT: check the data you built it from (a filter that removed every image? fewer images than one batch with drop_last?).
    """
    empty = True
    for batch in loader:
        empty = False
        yield batch
    if empty:
        raise ValueError(f"{name} yields no batch: it is empty. HINT: check the data you built "
                         "it from (a filter that removed every image? fewer images than one "
                         "batch with drop_last?).")

