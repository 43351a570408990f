"""One file that holds everything needed to USE a fine-tuned model: weights, class names,
preprocessing, and the metrics it was chosen on.

A bare ``state_dict`` is not enough to predict: the loader also needs the architecture, the
number of classes, the order of the class names (label 0 is ``classes[0]``) and the exact
preprocessing (input size, mean, std). ``export_model`` saves them together as plain data
(tensors, strings, numbers), written atomically; ``load_exported`` reads it back with
``torch.load(weights_only=True)``, which refuses to run code hidden in a file.

From a shell (a fresh process, as a deployed service would be)::

    python -m course_utils.export model.pt photo1.png photo2.jpg

>>> import tempfile
>>> from course_utils.models import pretrained
>>> model = pretrained("lab_resnet.fmnist_source", num_classes=2, weights=None)
>>> path = export_model(Path(tempfile.mkdtemp()) / "m.pt", model, ["cat", "dog"], {"val_acc": 0.5})
>>> load_exported(path).classes
['cat', 'dog']
"""
from __future__ import annotations

import argparse
import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import torch
from torch import nn

from .files import atomic_file, refuse_to_replace
from .models import PretrainedCfg, pretrained

FORMAT = "course-export/1"


def _head_outputs(model: nn.Module) -> int | None:
    """How many classes the model predicts, or None when no linear head is found."""
    heads = [m for m in model.modules() if isinstance(m, nn.Linear)]
    return heads[-1].out_features if heads else None


def export_model(path: str | os.PathLike, model: nn.Module, classes: Sequence[str],
                 metrics: dict[str, float] | None = None) -> Path:
    """Save ``model`` (built with :func:`~course_utils.pretrained`), its class names, its
    preprocessing and ``metrics`` in one file, atomically. Returns the path.

    Args:
        path: the file to write (its folder is created).
        model: a model from ``pretrained(name, num_classes=...)``: it carries ``course_cfg``.
        classes: the class names, in label order (an ``ImageFolder``'s ``classes``).
        metrics: numbers worth keeping with the weights, e.g. ``{"val_macro_f1": 0.81}``.
    """
    cfg = getattr(model, "course_cfg", None)
    if not isinstance(cfg, PretrainedCfg):
        raise TypeError("The model has no course_cfg, so its architecture and preprocessing are "
                        "unknown. HINT: build it with pretrained(name, num_classes=...).")
    if isinstance(classes, str) or not hasattr(classes, "__iter__"):
        raise TypeError(f"classes={classes!r}: give a list of class names, one per output, e.g. "
                        "['cat', 'dog'] (ImageFolder's .classes).")
    classes = [str(c) for c in classes]
    if len(set(classes)) != len(classes):
        raise ValueError(f"classes={classes}: each name once, so a prediction says which class. "
                         "HINT: pass the data set's own class names, in label order.")
    outputs = _head_outputs(model)
    if outputs != len(classes):
        raise ValueError(f"The model predicts {outputs} classes but {len(classes)} class names "
                         f"were given ({classes[:5]}...). HINT: pass the names of the data set "
                         "the head was trained on, in label order (ImageFolder's .classes).")
    text = [k for k, v in (metrics or {}).items() if isinstance(v, (str, bytes, bool))]
    if text:
        raise TypeError(f"metrics {text} are not numbers. HINT: give what you measured, e.g. "
                        "{'val_acc': 0.91}.")
    metrics = {str(k): float(v) for k, v in (metrics or {}).items()}
    bad = [k for k, v in metrics.items() if not math.isfinite(v)]
    if bad:
        raise ValueError(f"metrics {bad} are not finite numbers: export the metrics you measured.")
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    bundle = {"format": FORMAT, "arch": cfg.name, "classes": classes,
              "preprocess": {"input_size": list(cfg.input_size), "mean": list(cfg.mean),
                             "std": list(cfg.std)},
              "metrics": metrics, "state_dict": state}
    path = Path(path).expanduser()
    refuse_to_replace(path, FORMAT, "a model exported by export_model")  # never your own files
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, binary=True) as f:
        torch.save(bundle, f)
    return path


@dataclass
class Prediction:
    """The predicted class of one image, its probability, and the file it came from."""

    file: str
    label: str
    probability: float


class ExportedModel:
    """A model loaded by :func:`load_exported`: ``predict_files`` runs it on image files."""

    def __init__(self, model: nn.Module, classes: list[str], cfg: PretrainedCfg,
                 metrics: dict[str, float]) -> None:
        self.model, self.classes, self.cfg, self.metrics = model.eval(), classes, cfg, metrics

    @torch.no_grad()
    def predict_files(self, files: Sequence[str | os.PathLike]) -> list[Prediction]:
        """Open each image file, preprocess it as in validation, and predict its class."""
        from .image_folder import folder_transforms, open_image

        transform = folder_transforms(self.cfg, train=False)
        if not files:
            return []
        batch = []
        for file in files:
            try:
                batch.append(transform(open_image(file)))
            except OSError as err:
                raise ValueError(f"{file} could not be read as an image ({err}). HINT: give "
                                 "image files (.png, .jpg, ...).") from None
        probs = torch.softmax(self.model(torch.stack(batch)).float(), dim=1)
        best, index = probs.max(dim=1)
        return [Prediction(str(f), self.classes[i], float(p))
                for f, i, p in zip(files, index.tolist(), best.tolist())]

    def __repr__(self) -> str:
        return (f"ExportedModel({self.cfg.name}, classes={self.classes}, "
                f"input_size={self.cfg.input_size}, metrics={self.metrics})")


def load_exported(path: str | os.PathLike) -> ExportedModel:
    """Read a file written by :func:`export_model` (``weights_only=True``) and rebuild the model."""
    if Path(path).is_dir():
        raise IsADirectoryError(f"path={str(path)!r} is a folder. HINT: give the file "
                                "export_model wrote, e.g. 'models/classifier.pt'.")
    try:
        bundle = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise FileNotFoundError(f"No exported model at {path}. HINT: write one with "
                                "export_model(path, model, classes, metrics).") from None
    except Exception as err:  # empty, damaged, not PyTorch, or holding code (never run)
        raise ValueError(f"{path} is not a file written by export_model: it is damaged, not a "
                         f"PyTorch file, or holds Python objects ({type(err).__name__}). HINT: "
                         "export the model again; never load a file you do not trust with "
                         "weights_only=False.") from None
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise ValueError(f"{path} is not a file written by export_model (format "
                         f"{FORMAT!r}). HINT: a checkpoint from SaveCheckpoint is read with "
                         "load_checkpoint instead.")
    classes = list(bundle["classes"])
    model = pretrained(bundle["arch"], num_classes=len(classes), weights=None)
    model.load_state_dict(bundle["state_dict"])
    pre = bundle["preprocess"]
    cfg = PretrainedCfg(bundle["arch"], classes, tuple(pre["input_size"]), tuple(pre["mean"]),
                        tuple(pre["std"]))
    model.course_cfg = cfg
    return ExportedModel(model, classes, cfg, dict(bundle["metrics"]))


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m course_utils.export MODEL FILE...``: one JSON line per file."""
    parser = argparse.ArgumentParser(description="Predict the class of image files with an "
                                                 "exported model.")
    parser.add_argument("model", help="a file written by export_model")
    parser.add_argument("files", nargs="+", help="image files")
    args = parser.parse_args(argv)
    for prediction in load_exported(args.model).predict_files(args.files):
        print(json.dumps(asdict(prediction)))


if __name__ == "__main__":
    main()
