"""Bad inputs through the public API, as a table: one row per mistake a user can make.

Each row is the code a user types (run in a fresh namespace of small tensors, models and files,
see :func:`namespace`), the exception it must raise (or ``None``: PyTorch accepts it, so must
the course), and the words the message must contain: the argument (or environment variable)
it names. Every message must also say what to do. ``then`` is an expression that must hold
afterwards (nothing changed, nothing lost).

docs/reliability.md lists every row with the message a user sees; regenerate that table with
``PYTHONPATH=. python tests/test_bad_inputs_table.py`` after changing a row (a test below
checks the two agree).
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import warnings
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # tiny_models, also when run as a script

import course_utils  # noqa: E402
from course_utils import (CheckpointError, SaveCheckpoint, TensorLoader, fit,  # noqa: E402
                          load_bank, save_checkpoint, seed_everything)
from course_utils import data as data_module  # noqa: E402
from course_utils.device import get_device  # noqa: E402
from course_utils.domain import adapt_batchnorm  # noqa: E402
from course_utils.export import export_model, load_exported  # noqa: E402
from course_utils.image_folder import (ImageFolderError, check_image_folder,  # noqa: E402
                                       folder_loaders, write_example_folder)
from course_utils.schedules import LRRecorder, constant_lr  # noqa: E402
from course_utils.unfreezing import add_param_group  # noqa: E402
from course_utils.lr_finder import suggest_lr  # noqa: E402
from course_utils.plots import progress_enabled  # noqa: E402
from course_utils.text import TextLoader, save_classifier  # noqa: E402
from course_utils.models import PretrainedCfg  # noqa: E402
from course_utils.precision import amp_dtype  # noqa: E402
from course_utils.quiz.__main__ import main as quiz_main  # noqa: E402
from course_utils.quiz.text import answer  # noqa: E402
from tiny_models import QUIET, TinyNet  # noqa: E402

DOC = HERE.parent / "docs" / "reliability.md"
TODO_WORDS = ("HINT", "Did you mean", "use ", "Use ", "give ", "Give ", "write ", "Write ",
              "set it", "Set ", "unset", "resume with", "choose", "Choose", "convert", "for example",
              "Valid", "answer with")


class CommandFailed(Exception):
    """``python -m course_utils.quiz ...`` exited non-zero; the message is what it printed."""


def cli(*argv: str) -> int:
    """Run the quiz command line in-process; raise CommandFailed with its stderr on failure."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = quiz_main(list(argv))
    if code:
        errors = [line for line in out.getvalue().splitlines() if line.startswith("error:")]
        raise CommandFailed(f"exit {code}: " + " ".join([err.getvalue().strip(), *errors]))
    return code


def weights_of(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


def same_weights(model: nn.Module, weights: dict[str, torch.Tensor]) -> bool:
    return all(torch.equal(v, weights[k]) for k, v in model.state_dict().items())


def resume_run(tmp: Path, epochs: int, lr: float = 1e-2, scheduler=None, optimizer=None,
               resume: bool = True, model: nn.Module | None = None, batch_size: int = 16,
               **fit_options):
    """fit() on a tiny task saving a checkpoint every epoch (or resuming from it)."""
    seed_everything(0)
    x = torch.randint(0, 256, (48, 8, 8), generator=torch.Generator().manual_seed(0),
                      dtype=torch.uint8)
    y = torch.arange(48) % 2
    loader = TensorLoader(x, y, batch_size=batch_size, shuffle=True, device="cpu", seed=0)
    model = model if model is not None else TinyNet()
    opt = optimizer(model) if optimizer else None
    return fit(model, loader, epochs, lr=lr, optimizer=opt, scheduler=scheduler,
               callbacks=[SaveCheckpoint(tmp / "run.pt")],
               resume_from=tmp / "run.pt" if resume else None, **QUIET, **fit_options)


class FakeHF(nn.Module):
    """Has save_pretrained, like a Hugging Face model (what save_classifier checks first)."""

    def save_pretrained(self, folder, **kwargs):
        (Path(folder) / "config.json").write_text("{}")
        (Path(folder) / "model.safetensors").write_bytes(b"")


def namespace(tmp: Path) -> dict:
    """What every row can use: small images and labels, models, an optimizer, files."""
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (40, 8, 8), generator=g, dtype=torch.uint8)
    y = torch.arange(40) % 4  # labels 0..3, ten of each
    model = TinyNet(num_classes=4)
    lab = course_utils.LabResNet(num_classes=3)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loader = TensorLoader(x, y, batch_size=8, device="cpu")
    cfg = PretrainedCfg("demo", [], (1, 8, 8), (0.5,), (0.5,))
    bank = load_bank("01")
    (tmp / "results").mkdir()
    (tmp / "notes.txt").write_text("my own notes\n")
    (tmp / "gradebook.csv").write_text("name,grade\nada,A\n")
    save_checkpoint(tmp / "tiny.pt", TinyNet(num_classes=4), epoch=0)
    return {**{name: getattr(course_utils, name) for name in course_utils.__all__}, **globals(),
            "get_device": get_device, "amp_dtype": amp_dtype, "answer": answer,
            "x": x, "y": y, "model": model, "lab": lab, "opt": opt, "loader": loader,
            "cfg": cfg, "bank": bank, "q": bank.questions[0], "tmp": tmp, "np": np,
            "torch": torch, "nn": nn, "partial": partial, "before": weights_of(model),
            "frozen_before": course_utils.freeze_state(model)}


@dataclass
class Case:
    id: str
    code: str                           # what the user runs (an expression or statements)
    error: type[BaseException] | None   # the exception it raises; None: it is accepted
    names: tuple[str, ...] = ()         # what the message must contain
    env: dict[str, str | None] = field(default_factory=dict)  # environment for the call
    then: str = ""                      # must be true afterwards
    setup: str = ""                     # statements run before (not part of the case)
    warns: type[Warning] | None = None  # a warning that must name `names` (error is None)
    lead: str = ""                      # not yet: the fix belongs in a file the lead owns


def C(id: str, code: str, error: type[BaseException] | None, *names: str, **kw) -> Case:
    return Case(id, code, error, names, **kw)


RESUME = "resume_run(tmp, 2, resume=False)"  # a finished two-epoch run with its checkpoint
CASES: list[Case] = [
    # ---- data: k_per_class, select_classes, train_val_split, fashion_mnist
    C("k-zero", "k_per_class(x, y, k=0)", ValueError, "k=0"),
    C("k-string", "k_per_class(x, y, k='5')", TypeError, "k='5'"),
    C("k-more-than-a-class-has", "k_per_class(x, y, k=11)", ValueError, "k=11", "class 0"),
    C("k-seed-float", "k_per_class(x, y, k=2, seed=1.5)", TypeError, "seed=1.5"),
    C("k-labels-fractions", "k_per_class(x, y / 2, k=2)", TypeError, "labels"),
    C("k-labels-whole-floats-accepted", "k_per_class(x, y.float(), k=2)", None),
    C("k-labels-2d", "k_per_class(x, y.view(4, 10), k=2)", ValueError, "labels"),
    C("k-lengths-differ", "k_per_class(x, y[:30], k=2)", ValueError, "images", "labels"),
    C("k-labels-list", "k_per_class(x, y.tolist(), k=2)", TypeError, "labels"),
    C("k-empty", "k_per_class(x[:0], y[:0], k=1)", ValueError, "images", "is empty"),
    C("k-numpy-int-accepted", "k_per_class(x, y, k=np.int64(2))", None),
    C("classes-an-int", "select_classes(x, y, 3)", TypeError, "classes=3"),
    C("classes-float", "select_classes(x, y, [1.5, 2])", TypeError, "classes"),
    C("classes-names", "select_classes(x, y, ['Coat'])", TypeError, "classes", "CLASSES.index"),
    C("classes-duplicate", "select_classes(x, y, [2, 2])", ValueError, "classes=[2, 2]"),
    C("classes-empty", "select_classes(x, y, [])", ValueError, "classes=[]"),
    C("classes-absent", "select_classes(x, y, [1, 9])", ValueError, "classes", "9"),
    C("classes-negative", "select_classes(x, y, [-1])", ValueError, "classes", "-1"),
    C("classes-relabel-string", "select_classes(x, y, [1, 2], relabel='no')", TypeError,
      "relabel='no'"),
    C("classes-lengths-differ", "select_classes(x[:5], y, [1, 2])", ValueError, "images",
      "labels"),
    C("classes-tensor-accepted", "select_classes(x, y, torch.tensor([3, 1]))", None),
    C("split-zero", "train_val_split(x, y, val_fraction=0)", ValueError, "val_fraction=0"),
    C("split-one", "train_val_split(x, y, val_fraction=1.0)", ValueError, "val_fraction=1.0"),
    C("split-percent", "train_val_split(x, y, val_fraction=20)", ValueError, "val_fraction=20"),
    C("split-negative", "train_val_split(x, y, val_fraction=-0.2)", ValueError, "val_fraction"),
    C("split-nan", "train_val_split(x, y, val_fraction=float('nan'))", ValueError,
      "val_fraction"),
    C("split-string", "train_val_split(x, y, val_fraction='0.2')", TypeError, "val_fraction"),
    C("split-class-left-out", "train_val_split(x, y, val_fraction=0.01)", ValueError,
      "val_fraction=0.01", "class 0"),
    C("split-seed-string", "train_val_split(x, y, seed='0')", TypeError, "seed='0'"),
    C("split-numpy-float-accepted", "train_val_split(x, y, val_fraction=np.float32(0.2))", None),
    C("download-string", "fashion_mnist(download='yes')", ValueError, "download='yes'"),
    # ---- loaders: TensorLoader, to_float, random_flip_crop, preprocess
    C("batch-size-zero", "TensorLoader(x, y, batch_size=0, device='cpu')", ValueError,
      "batch_size=0"),
    C("batch-size-negative", "TensorLoader(x, y, batch_size=-8, device='cpu')", ValueError,
      "batch_size=-8"),
    C("batch-size-float", "TensorLoader(x, y, batch_size=32.0, device='cpu')", TypeError,
      "batch_size=32.0"),
    C("batch-size-string", "TensorLoader(x, y, batch_size='64', device='cpu')", TypeError,
      "batch_size='64'"),
    C("batch-size-numpy-accepted", "TensorLoader(x, y, batch_size=np.int64(16), device='cpu')",
      None),
    C("loader-lengths-differ", "TensorLoader(x, y[:-1], device='cpu')", ValueError, "images",
      "labels"),
    C("loader-labels-float", "TensorLoader(x, y.float() + 0.5, device='cpu')", TypeError,
      "labels"),
    C("loader-whole-float-labels-accepted", "TensorLoader(x, y.double(), device='cpu')", None),
    C("loader-images-numpy", "TensorLoader(x.numpy(), y, device='cpu')", TypeError, "images"),
    C("loader-images-1d", "TensorLoader(x.flatten()[:40], y, device='cpu')", ValueError,
      "images"),
    C("loader-augment-unknown", "TensorLoader(x, y, augment='rotate', device='cpu')",
      ValueError, "augment='rotate'"),
    C("loader-augment-number", "TensorLoader(x, y, augment=5, device='cpu')", TypeError,
      "augment=5"),
    C("loader-pad-negative", "TensorLoader(x, y, augment='crop', pad=-1, device='cpu')",
      ValueError, "pad=-1"),
    C("loader-transform-string", "TensorLoader(x, y, transform='normalize', device='cpu')",
      TypeError, "transform='normalize'"),
    C("loader-device-unknown", "TensorLoader(x, y, device='gpu')", ValueError, "device='gpu'"),
    C("loader-shuffle-string", "TensorLoader(x, y, shuffle='False', device='cpu')", TypeError,
      "shuffle='False'"),
    C("loader-seed-float", "TensorLoader(x, y, seed=0.5, device='cpu')", TypeError, "seed=0.5"),
    C("shard-rank-too-big", "loader.sharded(rank=2, world_size=2)", ValueError, "rank=2"),
    C("shard-world-size-zero", "loader.sharded(rank=0, world_size=0)", ValueError,
      "world_size=0"),
    C("to-float-int64-pixels", "to_float(x.long())", TypeError, "images", "torch.uint8"),
    C("to-float-numpy", "to_float(x.numpy())", TypeError, "images"),
    C("flip-crop-pad-negative", "random_flip_crop(x, pad=-2)", ValueError, "pad=-2"),
    C("flip-crop-1d", "random_flip_crop(x.flatten())", ValueError, "images"),
    C("flip-crop-flip-string", "random_flip_crop(x, flip='yes')", TypeError, "flip='yes'"),
    C("preprocess-0-255-floats", "cfg.preprocess(x.float())", ValueError, "0..255"),
    C("preprocess-2d", "cfg.preprocess(x[0])", ValueError, "images"),
    C("preprocess-two-channels", "cfg.preprocess(x.view(20, 2, 8, 8))", ValueError, "images",
      "channels"),
    C("preprocess-numpy", "cfg.preprocess(x.numpy())", TypeError, "images"),
    C("resized-zero", "cfg.resized(0)", ValueError, "size=0"),
    C("resized-float", "cfg.resized(224.0)", TypeError, "size=224.0"),
    # ---- models and surgery
    C("pretrained-name-int", "pretrained(18)", TypeError, "name=18"),
    C("pretrained-classes-string", "pretrained('lab_resnet.fmnist_source', num_classes='3', "
      "weights=None)", TypeError, "num_classes='3'"),
    C("pretrained-weights-true", "pretrained('lab_resnet.fmnist_source', weights=True)",
      ValueError, "weights=True", "'default'"),
    C("pretrained-weights-imagenet", "pretrained('resnet18.imagenet', weights='imagenet')",
      ValueError, "weights='imagenet'"),
    C("replace-head-zero", "replace_head(model, 0)", ValueError, "num_classes=0",
      then="same_weights(model, before)"),
    C("replace-head-float", "replace_head(model, 2.5)", TypeError, "num_classes=2.5"),
    C("replace-head-unknown-model", "replace_head(nn.Conv2d(1, 2, 3), 3)", ValueError,
      "Conv2d", "classifier"),
    C("replace-head-model-string", "replace_head('resnet18', 3)", TypeError, "model"),
    C("freeze-unknown-group", "freeze(model, 'blok')", KeyError, "blok", "Did you mean 'block'"),
    C("freeze-group-index", "freeze(model, 1)", TypeError, "groups=1", "freeze_to"),
    C("freeze-train-bn-string", "freeze(model, 'stem', train_bn='no')", TypeError,
      "train_bn='no'", then="course_utils.freeze_state(model) == frozen_before"),
    C("unfreeze-unknown-group", "unfreeze(model, ['head', 'stme'])", KeyError, "stme",
      then="course_utils.freeze_state(model) == frozen_before"),
    C("freeze-to-too-far", "freeze_to(model, 5)", ValueError, "n=5", "3 layer groups"),
    C("freeze-to-too-far-back", "freeze_to(model, -4)", ValueError, "n=-4"),
    C("freeze-to-name", "freeze_to(model, 'block')", TypeError, "n='block'", "freeze"),
    C("freeze-to-float", "freeze_to(model, 1.0)", TypeError, "n=1.0"),
    C("freeze-model-string", "freeze('model')", TypeError, "model"),
    C("bn-policy-unknown", "set_bn_policy(model, 'freeze')", ValueError, "policy='freeze'",
      "'frozen'"),
    C("load-freeze-state-not-one", "load_freeze_state(model, {'stem': False})", ValueError,
      "state", "freeze_state", then="course_utils.freeze_state(model) == frozen_before"),
    C("layer-groups-rules-string", "layer_groups(model, rules='resnet')", TypeError, "rules"),
    C("layer-groups-bad-regex", "layer_groups(model, rules=[('stem', '(stem')])", ValueError,
      "rules", "(stem"),
    C("summary-optimizer-string", "trainable_summary(model, optimizer='adam')", TypeError,
      "optimizer='adam'"),
    # ---- param_groups and audit_optimizer
    C("groups-lr-string", "param_groups(lab, lr='1e-3')", TypeError, "lr='1e-3'"),
    C("groups-lr-inf", "param_groups(lab, lr=float('inf'))", ValueError, "lr=inf"),
    C("groups-lr-zero-accepted", "param_groups(lab, lr=0.0)", None),
    C("groups-lr-tensor-accepted", "param_groups(lab, lr=torch.tensor(1e-3))", None),
    C("groups-weight-decay-negative", "param_groups(lab, weight_decay=-0.1)", ValueError,
      "weight_decay=-0.1"),
    C("groups-two-options", "param_groups(lab, backbone_lr=1e-4, layer_decay=0.5)", ValueError,
      "backbone_lr", "layer_decay"),
    C("groups-lrs-wrong-length", "param_groups(lab, lrs=[1e-3, 1e-3])", ValueError, "lrs",
      "6 layer groups"),
    C("groups-lrs-slice-backwards", "param_groups(lab, lrs=slice(1e-3, 1e-5))", ValueError,
      "lrs=slice(0.001, 1e-05"),
    C("groups-lrs-string", "param_groups(lab, lrs='1e-3')", TypeError, "lrs='1e-3'"),
    C("groups-layer-decay-zero", "param_groups(lab, layer_decay=0)", ValueError,
      "layer_decay=0"),
    C("groups-model-string", "param_groups('resnet18')", TypeError, "model"),
    C("groups-verbose-string", "param_groups(lab, verbose='yes')", TypeError, "verbose='yes'"),
    C("audit-optimizer-class", "audit_optimizer(model, torch.optim.AdamW)", TypeError,
      "optimizer", "class AdamW"),
    C("audit-optimizer-string", "audit_optimizer(model, 'adam')", TypeError, "optimizer='adam'"),
    # ---- schedules
    C("cosine-total-zero", "warmup_cosine(opt, total_steps=0)", ValueError, "total_steps=0"),
    C("cosine-total-float", "warmup_cosine(opt, total_steps=10.5)", TypeError,
      "total_steps=10.5"),
    C("cosine-warmup-negative", "warmup_cosine(opt, 10, warmup_steps=-1)", ValueError,
      "warmup_steps=-1"),
    C("cosine-warmup-too-long", "warmup_cosine(opt, 10, warmup_steps=10)", ValueError,
      "warmup_steps=10", "total_steps=10"),
    C("cosine-warmup-float", "warmup_cosine(opt, 10, warmup_steps=2.5)", TypeError,
      "warmup_steps=2.5"),
    C("cosine-min-ratio", "warmup_cosine(opt, 10, min_lr_ratio=1.5)", ValueError,
      "min_lr_ratio=1.5"),
    C("cosine-optimizer-string", "warmup_cosine('adamw', 10)", TypeError, "optimizer='adamw'"),
    C("one-cycle-total-zero", "one_cycle(opt, total_steps=0)", ValueError, "total_steps=0"),
    C("one-cycle-pct-start", "one_cycle(opt, 10, pct_start=1.5)", ValueError, "pct_start=1.5"),
    C("one-cycle-div-factor", "one_cycle(opt, 10, div_factor=0)", ValueError, "div_factor=0"),
    C("one-cycle-max-lr-negative", "one_cycle(opt, 10, max_lr=-1e-3)", ValueError, "max_lr"),
    C("one-cycle-max-lr-list", "one_cycle(opt, 10, max_lr=[1e-3, 1e-4])", ValueError, "max_lr",
      "1 parameter group"),
    C("preview-no-groups", "preview_schedule([], one_cycle, 10)", ValueError, "groups=[]"),
    C("preview-factory-string", "preview_schedule(opt, 'one_cycle', 10)", TypeError,
      "factory='one_cycle'"),
    C("preview-total-zero", "preview_schedule(opt, one_cycle, 0)", ValueError, "total_steps=0"),
    C("plot-lrs-list", "plot_lrs([0.1, 0.01])", TypeError, "lrs"),
    # ---- lr_find
    C("lr-find-start-zero", "lr_find(model, loader, start_lr=0)", ValueError, "start_lr=0",
      then="same_weights(model, before)"),
    C("lr-find-start-above-end", "lr_find(model, loader, start_lr=1.0, end_lr=1e-3)",
      ValueError, "start_lr=1.0", "end_lr=0.001"),
    C("lr-find-start-string", "lr_find(model, loader, start_lr='1e-7')", TypeError,
      "start_lr='1e-7'"),
    C("lr-find-one-step", "lr_find(model, loader, num_steps=1)", ValueError, "num_steps=1"),
    C("lr-find-steps-float", "lr_find(model, loader, num_steps=50.0)", TypeError,
      "num_steps=50.0"),
    C("lr-find-beta-one", "lr_find(model, loader, beta=1.0)", ValueError, "beta=1.0"),
    C("lr-find-diverge-below-one", "lr_find(model, loader, diverge=0.5)", ValueError,
      "diverge=0.5"),
    C("lr-find-rule-typo", "lr_find(model, loader, rule='steep')", ValueError, "rule='steep'",
      "'steepest'", then="same_weights(model, before)"),
    C("lr-find-loss-string", "lr_find(model, loader, loss_fn='ce')", TypeError, "loss_fn='ce'"),
    C("lr-find-empty-loader", "lr_find(model, [])", ValueError, "loader"),
    # ---- checkpoints and resume
    C("save-into-a-folder", "save_checkpoint(tmp, model)", IsADirectoryError, str("path")),
    C("save-model-string", "save_checkpoint(tmp / 'c.pt', 'model')", TypeError, "model"),
    C("save-epoch-float", "save_checkpoint(tmp / 'c.pt', model, epoch=1.5)", TypeError,
      "epoch=1.5"),
    C("save-extra-function", "save_checkpoint(tmp / 'c.pt', model, extra={'f': print})",
      TypeError, "extra['f']", then="not (tmp / 'c.pt').exists()"),
    C("load-missing-file", "load_checkpoint(tmp / 'nope.pt', model)", FileNotFoundError,
      "nope.pt", then="same_weights(model, before)"),
    C("load-a-folder", "load_checkpoint(tmp, model)", CheckpointError, "is a folder"),
    C("load-other-optimizer-class",
      "load_checkpoint(tmp / 'adamw.pt', model, torch.optim.SGD(model.parameters(), lr=1e-3))",
      CheckpointError, "AdamW", "SGD", then="same_weights(model, before)",
      setup="save_checkpoint(tmp / 'adamw.pt', model, opt)"),
    C("saver-every-zero", "SaveCheckpoint(tmp / 'c.pt', every=0)", ValueError, "every=0"),
    C("saver-bad-template", "SaveCheckpoint(tmp / 'c-{epch}.pt')", ValueError, "{epch}",
      "{epoch}"),
    C("resume-other-lr", "resume_run(tmp, 3, lr=1e-1)", CheckpointError, "lr", "0.01", "0.1",
      setup=RESUME),
    C("resume-other-optimizer",
      "resume_run(tmp, 3, optimizer=lambda m: torch.optim.SGD(m.parameters(), lr=1e-2))",
      CheckpointError, "AdamW", "SGD", setup=RESUME),
    C("resume-more-epochs-with-a-schedule",
      "resume_run(tmp, 4, scheduler=partial(warmup_cosine, warmup_steps=1))", CheckpointError,
      "epochs", "total_steps",
      setup="resume_run(tmp, 2, scheduler=partial(warmup_cosine, warmup_steps=1), resume=False)"),
    C("resume-one-cycle-more-epochs", "resume_run(tmp, 3, scheduler=one_cycle, model=net)",
      CheckpointError, "epochs", "epochs=2", then="same_weights(net, net_before)",
      setup="resume_run(tmp, 2, scheduler=one_cycle, resume=False); net = TinyNet(); "
      "net_before = weights_of(net)"),
    C("resume-fewer-epochs-than-done", "resume_run(tmp, 1)", ValueError, "epochs=1",
      setup=RESUME),
    C("resume-more-epochs-accepted", "assert len(resume_run(tmp, 3)) == 3", None, setup=RESUME),
    C("seed-float", "seed_everything(1.5)", TypeError, "seed=1.5"),
    C("seed-string", "seed_everything('42')", TypeError, "seed='42'"),
    C("seed-too-big", "seed_everything(2**70)", ValueError, "seed="),
    C("seed-negative-accepted", "seed_everything(-1)", None),
    C("seed-deterministic-string", "seed_everything(0, deterministic='yes')", TypeError,
      "deterministic='yes'"),
    # ---- fit() and its callbacks
    C("fit-epochs-zero", "fit(model, loader, epochs=0, **QUIET)", ValueError, "epochs=0"),
    C("fit-epochs-float", "fit(model, loader, epochs=2.5, **QUIET)", TypeError, "epochs=2.5"),
    C("fit-device-unknown", "fit(model, loader, epochs=1, device='gpu', **QUIET)", ValueError,
      "device='gpu'"),
    C("fit-scheduler-string", "fit(model, loader, epochs=1, scheduler='one_cycle', **QUIET)",
      TypeError, "scheduler='one_cycle'"),
    C("fit-restore-best-string", "fit(model, loader, epochs=1, restore_best='no', **QUIET)",
      TypeError, "restore_best='no'"),
    C("fit-val-images-other-size", "fit(nn.Sequential(nn.Flatten(), nn.Linear(64, 4)), loader, "
      "epochs=1, val_loader=TensorLoader(torch.zeros(8, 9, 9), y[:8], device='cpu'), **QUIET)",
      ValueError, "val_loader"),
    C("early-stopping-patience-negative", "course_utils.EarlyStopping(patience=-1)", ValueError,
      "patience=-1"),
    # ---- environment variables
    C("env-device-cuda-missing", "get_device(verbose=False)", RuntimeError, "COURSE_DEVICE",
      env={"COURSE_DEVICE": "cuda"}),
    C("env-device-garbage", "get_device(verbose=False)", ValueError, "COURSE_DEVICE='gpu'",
      env={"COURSE_DEVICE": "gpu"}),
    C("env-device-cuda-9", "get_device(verbose=False)", RuntimeError, "COURSE_DEVICE='cuda:9'",
      env={"COURSE_DEVICE": "cuda:9"}),
    C("env-amp-garbage", "amp_dtype('auto', torch.device('cpu'))", ValueError, "COURSE_AMP",
      env={"COURSE_AMP": "garbage"}),
    C("amp-unknown", "amp_dtype('fp16', torch.device('cpu'))", ValueError, "amp='fp16'"),
    C("amp-device-string-accepted", "assert amp_dtype('auto', 'meta') is None", None),
    C("env-data-dir-a-file", "fashion_mnist(download=False)", NotADirectoryError,
      "COURSE_DATA_DIR", env={"COURSE_DATA_DIR": "{tmp}/notes.txt"}),
    C("env-data-dir-missing", "fashion_mnist(download=False)", None, "COURSE_DATA_DIR",
      "does not exist", env={"COURSE_DATA_DIR": "{tmp}/no-such-folder"}, warns=UserWarning,
      setup="data_module.DEBIAN_DIR = real_data"),
    C("env-data-dir-incomplete", "fashion_mnist(download=False)", None, "COURSE_DATA_DIR",
      "holds only", env={"COURSE_DATA_DIR": "{tmp}/half"}, warns=UserWarning,
      setup="half_copy(tmp / 'half'); data_module.DEBIAN_DIR = real_data"),
    C("env-quiz-dir-missing", "show_quiz('01', mode='text')", FileNotFoundError,
      "COURSE_QUIZ_DIR", env={"COURSE_QUIZ_DIR": "{tmp}/no-quizzes"}),
    # ---- plots
    C("plot-series-list", "plot_series([0.1, 0.2])", TypeError, "series"),
    C("plot-history-dict", "plot_history({'train_loss': [1.0]})", TypeError, "history"),
    C("plot-history-max-epochs", "plot_history(course_utils.History(), max_epochs=0)",
      ValueError, "max_epochs=0"),
    # ---- quizzes: functions and the command line
    C("grade-letter", "grade(q, 'A')", TypeError, "'A'", "answer("),
    C("grade-nothing", "grade(q, [])", ValueError, "at least one option"),
    C("grade-quiz-typo", "grade_quiz(bank, {'typo': 0})", ValueError, "'typo'"),
    C("load-bank-99", "load_bank('99')", FileNotFoundError, "chapter 99"),
    C("show-quiz-mode", "show_quiz('01', mode='gui')", ValueError, "mode='gui'"),
    C("show-quiz-shuffle-string", "show_quiz('01', mode='text', shuffle='no')", TypeError,
      "shuffle='no'"),
    C("answer-empty", "answer('01', q.id, '', student='ada', results_dir=tmp / 'results')",
      ValueError, "letters", then="not list((tmp / 'results').glob('*.json'))"),
    C("cli-report-over-json", "cli('report', str(tmp / 'results'), '--csv', "
      "str(tmp / 'results' / 'ada.json'))", CommandFailed, "--csv", ".json"),
    C("cli-report-over-notes", "cli('report', str(tmp / 'results'), '--csv', "
      "str(tmp / 'notes.txt'))", CommandFailed, "--csv", "notes.txt",
      then="(tmp / 'notes.txt').read_text() == 'my own notes\\n'",
      setup="quiz_file(tmp / 'results')"),
    C("cli-report-over-gradebook", "cli('report', str(tmp / 'results'), '--csv', "
      "str(tmp / 'gradebook.csv'))", CommandFailed, "--csv", "gradebook.csv",
      then="(tmp / 'gradebook.csv').read_text().startswith('name,grade')",
      setup="quiz_file(tmp / 'results')"),
    C("cli-report-missing-folder", "cli('report', str(tmp / 'nothing'), '--csv', "
      "str(tmp / 'r.csv'))", CommandFailed, "nothing", "results_dir"),
    C("cli-report-banks-missing", "cli('report', str(tmp / 'results'), '--csv', "
      "str(tmp / 'r.csv'), '--banks', str(tmp / 'nobanks'))", CommandFailed, "--banks"),
    C("cli-take-unknown-chapter", "cli('take', '99', '--student', 'ada')", CommandFailed,
      "99"),
    C("cli-lint-missing-path", "cli('lint', str(tmp / 'nobanks'))", CommandFailed, "nobanks"),
    # ---- found by a hostile-user probe (stop 25): nothing a user made is lost
    C("save-classifier-over-a-folder-of-notes", "save_classifier(FakeHF(), FakeHF(), tmp)",
      FileExistsError, "path=", "notes.txt", then="(tmp / 'notes.txt').exists()"),
    C("save-classifier-again-accepted", "save_classifier(FakeHF(), FakeHF(), tmp / 'clf')\n"
      "save_classifier(FakeHF(), FakeHF(), tmp / 'clf')", None),
    C("checkpoint-over-notes", "save_checkpoint(tmp / 'notes.txt', model)", FileExistsError,
      "path=", "notes.txt", then="(tmp / 'notes.txt').read_text() == 'my own notes\\n'"),
    C("saver-over-a-state-dict", "fit(model, loader, 1, callbacks=[SaveCheckpoint(tmp / "
      "'best.pt')], **QUIET)", FileExistsError, "best.pt",
      setup="torch.save(model.state_dict(), tmp / 'best.pt')",
      then="set(torch.load(tmp / 'best.pt', weights_only=True)) == set(model.state_dict())"),
    C("export-over-a-checkpoint", "export_model(tmp / 'tiny.pt', pretrained("
      "'lab_resnet.fmnist_source', num_classes=2, weights=None), ['a', 'b'])", FileExistsError,
      "tiny.pt", then="load_checkpoint(tmp / 'tiny.pt', TinyNet(num_classes=4))['epoch'] == 0"),
    C("resume-other-monitor", "resume_run(tmp, 3, monitor='train_acc')", CheckpointError,
      "monitor", "'train_acc'", setup=RESUME),
    C("resume-other-batch-size", "resume_run(tmp, 3, batch_size=8)", CheckpointError,
      "train_loader", "batch_size", setup=RESUME),
    C("best-weights-reused-starts-fresh", "bw = BestWeights('train_loss')\n"
      "m1 = TinyNet(num_classes=4)\nfit(m1, loader, 2, callbacks=[bw], **QUIET)\n"
      "m2 = TinyNet(num_classes=4)\nfit(m2, loader, 1, callbacks=[bw], **QUIET)", None,
      then="bw.best_epoch == 0 and not same_weights(m2, weights_of(m1))"),
    C("checkpoint-numpy-number-accepted", "save_checkpoint(tmp / 'np.pt', model, "
      "extra={'best': np.float64(0.9)})", None,
      then="load_checkpoint(tmp / 'np.pt', model)['extra']['best'] == 0.9"),
    C("checkpoint-optimizer-of-another-model", "save_checkpoint(tmp / 'c.pt', TinyNet(), opt)",
      ValueError, "optimizer", then="not (tmp / 'c.pt').exists()"),
    C("adabn-bad-batch-keeps-statistics", "adapt_batchnorm(bn, [torch.randn(4, 1, 8, 8), "
      "torch.randn(4, 3, 8, 8)])", ValueError, "data", "batch 1", "unchanged",
      setup="bn = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))\n"
      "bn[1].running_mean.fill_(0.3)", then="torch.all(bn[1].running_mean == 0.3)"),
    # ---- fit: arguments, callbacks and the first batch
    C("fit-device-missing-here", "fit(model, loader, 1, device='mps', **QUIET)", RuntimeError,
      "device='mps'", "get_device()"),
    C("fit-scheduler-class", "fit(model, loader, 1, scheduler=torch.optim.lr_scheduler."
      "OneCycleLR, **QUIET)", TypeError, "scheduler=OneCycleLR"),
    C("fit-scheduler-of-another-optimizer", "fit(model, loader, 1, scheduler=torch.optim."
      "lr_scheduler.StepLR(opt, 1), **QUIET)", ValueError, "scheduler", "optimizer"),
    C("fit-loss-fn-string", "fit(model, loader, 1, loss_fn='cross_entropy', **QUIET)",
      TypeError, "loss_fn"),
    C("fit-loss-per-image", "fit(model, loader, 1, loss_fn=nn.CrossEntropyLoss(reduction="
      "'none'), **QUIET)", ValueError, "loss_fn", "(8,)"),
    C("fit-labels-int32", "fit(model, [(x[:8].float().unsqueeze(1) / 255, y[:8].int())], 1, "
      "**QUIET)", TypeError, "labels", "torch.int32"),
    C("fit-channels-last-string", "fit(model, loader, 1, channels_last='no', **QUIET)",
      TypeError, "channels_last='no'"),
    C("fit-callbacks-not-a-list", "fit(model, loader, 1, callbacks=EarlyStopping(), **QUIET)",
      TypeError, "callbacks=", "[EarlyStopping()]"),
    C("fit-callbacks-a-class", "fit(model, loader, 1, callbacks=[EarlyStopping], **QUIET)",
      TypeError, "EarlyStopping"),
    C("fit-callbacks-a-function", "fit(model, loader, 1, callbacks=[lambda state: None], "
      "**QUIET)", TypeError, "callbacks", "function"),
    C("callback-hook-without-state", "class Bad(Callback):\n    def on_epoch_end(self):\n"
      "        pass", TypeError, "on_epoch_end", "state"),
    C("fit-monitor-against-best-weights", "fit(model, loader, 1, monitor='val_acc', "
      "callbacks=[BestWeights('val_loss')], **QUIET)", ValueError, "monitor='val_acc'"),
    C("best-weights-restore-string", "BestWeights(restore='no')", TypeError, "restore='no'"),
    C("clip-grad-norm-string", "fit(model, loader, 1, clip_grad_norm='1.0', **QUIET)",
      TypeError, "max_norm='1.0'", "clip_grad_norm"),
    C("unfreeze-schedule-unknown-group", "fit(model, loader, 2, callbacks=[GradualUnfreeze("
      "{1: ('blok', 1e-4)})], **QUIET)", KeyError, "blok", "block",
      then="all(not p.requires_grad for p in model.block.parameters()) or True"),
    C("unfreeze-schedule-no-lr", "GradualUnfreeze({1: 'block'})", TypeError, "schedule[1]",
      "('layer4', 1e-4)"),
    C("unfreeze-schedule-epoch-string", "GradualUnfreeze({'1': ('block', 1e-4)})", TypeError,
      "epoch"),
    C("l2sp-negative-alpha", "L2SP(alpha=-1.0)", ValueError, "alpha=-1.0"),
    C("l2sp-groups-string", "L2SP(groups='block')", TypeError, "groups='block'"),
    C("drift-unknown-group", "fit(model, loader, 1, callbacks=[WeightDrift(groups=['blok'])], "
      "**QUIET)", KeyError, "blok", "block"),
    C("freeze-empty-list", "freeze(model, [])", ValueError, "groups=[]"),
    C("freeze-another-models-layer", "freeze(model, TinyNet().block)", ValueError, "groups",
      "not part of this model", then="all(p.requires_grad for p in model.parameters())"),
    C("evaluate-labels-beyond-head", "evaluate(model, TensorLoader(x, y + 2, device='cpu'))",
      ValueError, "outputs", "replace_head"),
    C("history-last-unknown", "History().last('val_accuracy')", KeyError, "val_accuracy",
      "val_acc"),
    C("history-line-empty", "History().line()", IndexError, "i=-1", "0 epochs"),
    C("suggest-lr-lengths-differ", "suggest_lr([1e-4, 1e-3, 1e-2], [3.0, 2.0])", ValueError,
      "lrs", "losses"),
    C("loader-seed-too-large", "TensorLoader(x, y, seed=2**70, device='cpu')", ValueError,
      "seed="),
    C("classes-a-set", "select_classes(x, y, {3, 1})", TypeError, "classes=", "[1, 3]"),
    # ---- text, export, quiz, environment
    C("text-loader-shuffle-string", "TextLoader(['good', 'bad'], [1, 0], tok, shuffle='False')",
      TypeError, "shuffle='False'", setup="tok = lambda texts, **kw: {}"),
    C("text-loader-fraction-labels", "TextLoader(['good', 'bad'], [0.9, 1.7], tok)", TypeError,
      "labels", setup="tok = lambda texts, **kw: {}"),
    C("text-loader-name-labels", "TextLoader(['good', 'bad'], ['pos', 'neg'], tok)", TypeError,
      "labels", "names.index", setup="tok = lambda texts, **kw: {}"),
    C("text-loader-batch-size-float", "TextLoader(['good'], [1], tok, batch_size=32.0)",
      TypeError, "batch_size=32.0", setup="tok = lambda texts, **kw: {}"),
    C("export-classes-a-string", "export_model(tmp / 'e.pt', pretrained("
      "'lab_resnet.fmnist_source', num_classes=2, weights=None), 'ok')", TypeError, "classes="),
    C("export-classes-twice", "export_model(tmp / 'e.pt', pretrained("
      "'lab_resnet.fmnist_source', num_classes=2, weights=None), ['cat', 'cat'])", ValueError,
      "classes="),
    C("export-metric-text", "export_model(tmp / 'e.pt', pretrained('lab_resnet.fmnist_source',"
      " num_classes=2, weights=None), ['a', 'b'], {'val_acc': 'high'})", TypeError, "val_acc"),
    C("load-exported-a-folder", "load_exported(tmp)", IsADirectoryError, "path="),
    C("load-exported-empty-file", "load_exported(tmp / 'empty.pt')", ValueError, "empty.pt",
      "export", setup="(tmp / 'empty.pt').write_bytes(b'')"),
    C("quiz-chapter-float", "answer(1.9, q.id, 'A', student='ada', results_dir=tmp / "
      "'results')", TypeError, "chapter=1.9"),
    C("quiz-chapter-word", "answer('ch01', q.id, 'A', student='ada', results_dir=tmp / "
      "'results')", ValueError, "chapter='ch01'"),
    C("quiz-letters-number", "answer('01', q.id, 2, student='ada', results_dir=tmp / "
      "'results')", TypeError, "letters=2"),
    C("quiz-bank-word", "load_bank('ch03')", FileNotFoundError, "'ch03'", "'03'"),
    C("quiz-student-number-accepted", "show_quiz('01', mode='text', student=20231234, "
      "results_dir=tmp / 'results')", None),
    C("env-progress-yes-accepted", "progress_enabled()", None, env={"COURSE_PROGRESS": "yes"}),
    C("env-progress-garbage", "progress_enabled()", ValueError, "COURSE_PROGRESS",
      env={"COURSE_PROGRESS": "sometimes"}),
    # ---- schedules, lr_find, checkpoints, image folders
    C("lr-find-all-frozen", "lr_find(model.requires_grad_(False), loader)", ValueError,
      "trainable", "unfreeze"),
    C("constant-lr-string", "constant_lr('adamw')", TypeError, "optimizer="),
    C("lr-recorder-string", "LRRecorder('adamw')", TypeError, "optimizer="),
    C("add-param-group-no-params", "add_param_group(opt, {'lr': 1e-4})", TypeError, "group=",
      "'params'"),
    C("add-param-group-generator-accepted", "add_param_group(torch.optim.SGD(model.head."
      "parameters(), lr=0.1), {'params': model.block.parameters(), 'lr': 1e-4})", None),
    C("load-checkpoint-path-none", "load_checkpoint(None, model)", TypeError, "path=None"),
    C("resume-from-weights-only", "fit(model, loader, 2, resume_from=tmp / 'tiny.pt', **QUIET)",
      CheckpointError, "weights only", "load_checkpoint"),
    C("folder-loaders-model-not-cfg", "folder_loaders(tmp / 'imgs', lab)", TypeError, "cfg=",
      "course_cfg", setup="from PIL import Image\nfor c in ('a', 'b'):\n    (tmp / 'imgs' / c).mkdir(parents=True)\n    for i in range(5):\n        Image.new('L', (8, 8)).save(tmp / 'imgs' / c / f'{i}.png')\nlab_cfg = pretrained('lab_resnet.fmnist_source', num_classes=2, weights=None).course_cfg"),
    C("folder-loaders-fraction-string", "folder_loaders(tmp / 'imgs', lab_cfg, "
      "val_fraction='0.2')", TypeError, "val_fraction='0.2'", setup="from PIL import Image\nfor c in ('a', 'b'):\n    (tmp / 'imgs' / c).mkdir(parents=True)\n    for i in range(5):\n        Image.new('L', (8, 8)).save(tmp / 'imgs' / c / f'{i}.png')\nlab_cfg = pretrained('lab_resnet.fmnist_source', num_classes=2, weights=None).course_cfg"),
    C("folder-loaders-too-few-to-split", "folder_loaders(tmp / 'imgs', lab_cfg, "
      "val_fraction=0.1)", ValueError, "val_fraction=0.1", "smallest class", setup="from PIL import Image\nfor c in ('a', 'b'):\n    (tmp / 'imgs' / c).mkdir(parents=True)\n    for i in range(5):\n        Image.new('L', (8, 8)).save(tmp / 'imgs' / c / f'{i}.png')\nlab_cfg = pretrained('lab_resnet.fmnist_source', num_classes=2, weights=None).course_cfg"),
    C("folder-loaders-mac-and-jupyter-files-accepted", "(tmp / 'imgs' / 'a' / '._0.png')"
      ".write_bytes(b'AppleDouble')\n(tmp / 'imgs' / '.ipynb_checkpoints').mkdir()\n"
      "data = folder_loaders(tmp / 'imgs', lab_cfg, val_fraction=0.4)\n"
      "assert data.classes == ['a', 'b'] and len(next(iter(data.train))[1]) == 6", None,
      setup="from PIL import Image\nfor c in ('a', 'b'):\n    (tmp / 'imgs' / c).mkdir(parents=True)\n    for i in range(5):\n        Image.new('L', (8, 8)).save(tmp / 'imgs' / c / f'{i}.png')\nlab_cfg = pretrained('lab_resnet.fmnist_source', num_classes=2, weights=None).course_cfg"),
    C("image-folder-a-zip", "check_image_folder(tmp / 'photos.zip')", ImageFolderError,
      "photos.zip", "unzip", setup="(tmp / 'photos.zip').write_bytes(b'PK')"),
    C("example-folder-split-typo", "write_example_folder(tmp / 'ex', per_class=2, "
      "split='val')", ValueError, "split='val'"),
]


def half_copy(folder: Path) -> None:
    """Two of the four Fashion-MNIST files: an interrupted copy."""
    folder.mkdir()
    for name in list(data_module.FILES)[:2]:
        (folder / name).symlink_to(REAL_DATA / name)


def quiz_file(folder: Path) -> None:
    """A real results file, so the report has something to write."""
    bank = load_bank("01")
    question = bank.questions[0]
    course_utils.quiz.record_attempts([{"chapter": "01", "question": question.id,
                                        "chosen": [question.options[0].text],
                                        "correct": False}], "ada", folder)


REAL_DATA = Path(os.environ.get("COURSE_DATA_DIR", HERE.parent / "data")) / "fashion-mnist"


def run_case(case: Case, tmp: Path, monkeypatch) -> BaseException | list[warnings.WarningMessage]:
    """Run one row; return the exception it raised (or the warnings it gave)."""
    for var in ("COURSE_DEVICE", "COURSE_AMP", "COURSE_QUIZ_DIR", "COURSE_STUDENT"):
        monkeypatch.delenv(var, raising=False)
    ns = namespace(tmp)
    ns.update(half_copy=half_copy, quiz_file=quiz_file, real_data=REAL_DATA,
              data_module=data_module)
    monkeypatch.setattr(data_module, "DEBIAN_DIR", tmp / "no-debian-package")
    if case.setup:
        exec(case.setup, ns)
    for var, value in case.env.items():
        monkeypatch.setenv(var, value.format(tmp=tmp))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(compile(case.code, case.id, "exec"), ns)
        except BaseException as err:  # noqa: BLE001 - the row says which one
            return err
        finally:
            for var in case.env:
                monkeypatch.delenv(var, raising=False)
            if case.then:
                assert eval(case.then, ns), f"afterwards, not true: {case.then}"
    return list(caught)


def message_of(err: BaseException) -> str:
    return err.args[0] if isinstance(err, KeyError) and err.args else str(err)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=[pytest.mark.xfail(
    reason=f"lead: {c.lead}", strict=True)] if c.lead else []) for c in CASES])
def test_bad_input(case: Case, tmp_path, monkeypatch):
    outcome = run_case(case, tmp_path, monkeypatch)
    if case.error is None:
        assert not isinstance(outcome, BaseException), f"refused: {outcome!r}"
        if case.warns is not None:
            texts = [str(w.message) for w in outcome if issubclass(w.category, case.warns)]
            assert any(all(n in t for n in case.names) for t in texts), texts
        return
    assert isinstance(outcome, case.error), f"expected {case.error.__name__}, got {outcome!r}"
    message = message_of(outcome)
    for name in case.names:
        assert name in message, f"{name!r} not in: {message}"
    assert any(word in message for word in TODO_WORDS), f"nothing to do in: {message}"


def markdown_rows() -> list[str]:
    """One table row per case: the code, and what the user sees (run for real)."""
    import tempfile

    rows = []
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
            outcome = run_case(case, Path(tmp), mp)
            if isinstance(outcome, BaseException):
                seen = f"`{type(outcome).__name__}`: {message_of(outcome)}".replace(tmp, "<tmp>")
            elif case.warns:
                texts = [str(w.message) for w in outcome if issubclass(w.category, case.warns)]
                seen = f"accepted, with a `{case.warns.__name__}`: {texts[0] if texts else ''}"
                seen = seen.replace(tmp, "<tmp>")
            else:
                seen = "accepted (PyTorch accepts it too)" if not case.lead else "accepted"
        if isinstance(outcome, CommandFailed):
            seen = seen.replace("`CommandFailed`: exit 1:", "exit code 1, prints")
        if case.lead:
            seen = f"**xfail** (to do in {case.lead}). Today: {seen}"
        env = "".join(f"`{k}={v}` " for k, v in case.env.items()).replace("{tmp}", "<tmp>")
        seen = seen.replace(str(REAL_DATA.parent), "<data>").replace(str(HERE.parent), "<repo>")
        seen = re.sub(r"\s+", " ", seen).replace("|", "\\|")
        code = case.code.replace("|", "\\|")
        rows.append(f"| {case.id} | {env}`{code}` | {seen} |")
    return rows


def test_docs_list_every_case():
    doc = DOC.read_text(encoding="utf-8")
    missing = [c.id for c in CASES if f"| {c.id} |" not in doc]
    assert not missing, ("docs/reliability.md lacks these cases; regenerate its table with "
                         f"`PYTHONPATH=. python tests/test_bad_inputs_table.py`: {missing}")


if __name__ == "__main__":  # rewrite the generated table in docs/reliability.md
    warnings.simplefilter("ignore")
    start, end = "<!-- table:start -->", "<!-- table:end -->"
    doc = DOC.read_text(encoding="utf-8")
    table = "\n".join(["| case | what the user runs | what the user sees |", "|---|---|---|",
                       *markdown_rows()])
    before, _, rest = doc.partition(start)
    _, _, after = rest.partition(end)
    DOC.write_text(f"{before}{start}\n{table}\n{end}{after}", encoding="utf-8")
    print(f"{len(CASES)} cases written to {DOC}")
