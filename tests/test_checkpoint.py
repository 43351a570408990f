"""Checkpoints: round trip, atomic writes, clear errors, and an exact resume."""
import os
import random
from functools import partial

import numpy as np
import pytest
import torch
from torch import nn

from course_utils import (CheckpointError, EarlyStopping, GradualUnfreeze, SaveCheckpoint,
                          TensorLoader, fit, load_checkpoint, save_checkpoint, seed_everything)
from course_utils.schedules import warmup_cosine
from course_utils.batchnorm import set_bn_policy
from course_utils.surgery import freeze_to
from tiny_models import QUIET
from tiny_models import TinyNet as _TinyNet




def TinyNet(num_classes: int = 2) -> nn.Module:
    """The shared tiny net, with dropout so the global RNG matters."""
    return _TinyNet(num_classes, dropout=0.2)


def loaders(seed=0):
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (96, 8, 8), generator=g, dtype=torch.uint8)
    y = (x[:, :4].float().mean((1, 2)) > x[:, 4:].float().mean((1, 2))).long()
    return (TensorLoader(x[:64], y[:64], batch_size=16, shuffle=True, augment="crop", pad=1,
                         device="cpu", seed=seed),
            TensorLoader(x[64:], y[64:], batch_size=32, device="cpu"))


def test_round_trip_restores_weights_optimizer_scheduler_and_freeze_state(tmp_path):
    model = TinyNet()
    freeze_to(model, -1, train_bn=False)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    scheduler = warmup_cosine(optimizer, total_steps=10, warmup_steps=2)
    model(torch.randn(2, 1, 8, 8)).sum().backward()
    optimizer.step()
    scheduler.step()
    save_checkpoint(tmp_path / "c.pt", model, optimizer, scheduler, epoch=3, extra={"note": "hi"})

    other = TinyNet()
    freeze_to(other, -1, train_bn=False)
    other_opt = torch.optim.AdamW([p for p in other.parameters() if p.requires_grad], lr=1e-2)
    other_sched = warmup_cosine(other_opt, total_steps=10, warmup_steps=2)
    out = load_checkpoint(tmp_path / "c.pt", other, other_opt, other_sched)
    assert out["epoch"] == 3 and out["extra"] == {"note": "hi"}
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                 other.state_dict().values()))
    assert other_sched.last_epoch == 1
    assert other_opt.param_groups[0]["lr"] == scheduler.get_last_lr()[0]
    assert torch.equal(other_opt.state_dict()["state"][0]["exp_avg"],
                       optimizer.state_dict()["state"][0]["exp_avg"])


def test_freeze_state_is_restored(tmp_path):
    model = TinyNet()
    freeze_to(model, -1, train_bn=False)
    save_checkpoint(tmp_path / "c.pt", model)
    other = TinyNet()  # everything trainable
    load_checkpoint(tmp_path / "c.pt", other)
    assert [p.requires_grad for p in other.parameters()] == [p.requires_grad for p in
                                                             model.parameters()]
    assert other.stem[1].course_bn_policy == "frozen"


def test_optimizer_with_other_groups_is_a_clear_error(tmp_path):
    model = TinyNet()
    save_checkpoint(tmp_path / "c.pt", model, torch.optim.SGD(model.head.parameters(), lr=0.1))
    with pytest.raises(CheckpointError, match="parameter groups differ"):
        load_checkpoint(tmp_path / "c.pt", model, torch.optim.SGD(model.parameters(), lr=0.1))


def test_callback_state_is_saved_and_loaded(tmp_path):
    model, stopper = nn.Linear(2, 2), EarlyStopping(patience=3)
    stopper.best, stopper.wait = 0.5, 2
    save_checkpoint(tmp_path / "c.pt", model, callbacks=[stopper])
    fresh = EarlyStopping(patience=3)
    load_checkpoint(tmp_path / "c.pt", model, callbacks=[fresh])
    assert (fresh.best, fresh.wait) == (0.5, 2)


def test_rng_states_are_restored_on_request(tmp_path):
    model = nn.Linear(2, 2)
    seed_everything(7)
    save_checkpoint(tmp_path / "c.pt", model)
    expected = (random.random(), np.random.rand(), torch.rand(1))
    load_checkpoint(tmp_path / "c.pt", model, restore_rng=True)
    assert (random.random(), np.random.rand()) == expected[:2] and torch.equal(torch.rand(1),
                                                                               expected[2])


def test_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "c.pt"
    save_checkpoint(path, nn.Linear(2, 2), epoch=1)
    before = path.read_bytes()

    def broken_save(obj, f):
        f.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError):
        save_checkpoint(path, nn.Linear(2, 2), epoch=2)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["c.pt"]  # no temporary file left behind


def test_not_a_checkpoint_file_is_a_clear_error(tmp_path):
    path = tmp_path / "notes.pt"
    path.write_text("these are my notes, not a model")
    with pytest.raises(CheckpointError, match="not a PyTorch checkpoint"):
        load_checkpoint(path, nn.Linear(2, 2))


def test_bare_state_dict_gets_a_hint(tmp_path):
    torch.save(nn.Linear(2, 2).state_dict(), tmp_path / "sd.pt")
    with pytest.raises(CheckpointError, match="bare state_dict"):
        load_checkpoint(tmp_path / "sd.pt", nn.Linear(2, 2))


def test_other_architecture_names_the_mismatch(tmp_path):
    save_checkpoint(tmp_path / "c.pt", TinyNet(num_classes=3))
    shapes = r"head\.weight: checkpoint \(3, 32\) vs model \(2, 32\)"
    with pytest.raises(CheckpointError, match=shapes):
        load_checkpoint(tmp_path / "c.pt", TinyNet(num_classes=2))
    with pytest.raises(CheckpointError, match="missing in the checkpoint"):
        load_checkpoint(tmp_path / "c.pt", nn.Sequential(nn.Linear(2, 2)))


class Payload:
    def __reduce__(self):
        return (print, ("this would run on load",))


def test_file_carrying_code_is_refused(tmp_path):
    torch.save({"format": "course_utils.checkpoint/1", "x": Payload()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="weights_only=True"):
        load_checkpoint(tmp_path / "evil.pt", nn.Linear(2, 2))


def run(folder, epochs=4, resume_from=None, seed=0):
    """A run with everything that must survive a restart: shuffling, augmentation, dropout,
    a schedule, a frozen BatchNorm, gradual unfreezing, early stopping, best weights."""
    seed_everything(seed)
    train, val = loaders(seed=seed)
    model = TinyNet()
    freeze_to(model, -1, train_bn=False)
    set_bn_policy(model, "frozen", groups="stem")
    history = fit(model, train, epochs, lr=1e-2, val_loader=val, resume_from=resume_from,
                  scheduler=partial(warmup_cosine, warmup_steps=2),
                  callbacks=[GradualUnfreeze({1: ("block", 3e-3)}, verbose=False),
                             EarlyStopping(patience=10),
                             SaveCheckpoint(os.path.join(folder, "ck-{epoch}.pt"))], **QUIET)
    return model, history


def without_time(history):
    """History as comparable data: no timings, NaN (LR of a group not yet added) as a string."""
    data = {k: v for k, v in history.to_dict().items() if k != "time"}
    data["lrs"] = {k: [repr(v) for v in values] for k, values in data["lrs"].items()}
    return data


def test_resume_gives_the_same_run_as_not_stopping(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    full_model, full = run(tmp_path / "a")
    resumed_model, resumed = run(tmp_path / "b", resume_from=tmp_path / "a" / "ck-1.pt", seed=123)
    assert without_time(resumed) == without_time(full)
    assert all(torch.equal(a, b) for a, b in zip(full_model.state_dict().values(),
                                                 resumed_model.state_dict().values()))
    assert resumed_model.block[0].weight.requires_grad  # it remembers what was unfrozen
    assert not resumed_model.stem[0].weight.requires_grad
