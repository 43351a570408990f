"""Callbacks: event order, early stopping, best weights, gradual unfreezing, drift, L2-SP."""
from functools import partial
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from course_utils import (L2SP, BestWeights, Callback, EarlyStopping, GradualUnfreeze, History,
                          TensorLoader, WeightDrift, fit, seed_everything)
from course_utils.callbacks import EVENTS
from course_utils.schedules import one_cycle, warmup_cosine
from course_utils.surgery import freeze_to
from tiny_models import QUIET, TinyNet





def train_loader(n=64, batch_size=16):
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (n, 8, 8), generator=g, dtype=torch.uint8)
    y = (x[:, :4].float().mean((1, 2)) > x[:, 4:].float().mean((1, 2))).long()
    return TensorLoader(x, y, batch_size=batch_size, shuffle=True, device="cpu", seed=0)


def fake_state(val_losses=(), **kw):
    history = History()
    for e, v in enumerate(val_losses):
        history.add(e, {"loss": 1.0, "acc": 0.5}, {"loss": v, "acc": 1 - v}, 0.0)
    return SimpleNamespace(**{"history": history, "epoch": len(val_losses) - 1, "stop": False,
                              "stop_reason": "completed", "failed": False, "start_epoch": 0,
                              **kw})


class Recorder(Callback):
    def __init__(self, order=0):
        self.order, self.events = order, []

    def __getattribute__(self, name):
        if name in EVENTS:
            return lambda state: self.events.append(name)
        return super().__getattribute__(name)


def test_events_fire_in_order():
    seed_everything(0)
    rec = Recorder()
    fit(TinyNet(), train_loader(n=32), epochs=2, callbacks=[rec], **QUIET)
    epoch = ["on_epoch_start"] + ["on_loss", "on_before_step", "on_batch_end"] * 2 + [
        "on_epoch_end"]
    assert rec.events == ["on_fit_start", *epoch, *epoch, "on_fit_end"]


def test_callbacks_run_sorted_by_order():
    seed_everything(0)
    log = []

    class Named(Callback):
        def __init__(self, name, order):
            self.name, self.order = name, order

        def on_fit_start(self, state):
            log.append(self.name)

    fit(TinyNet(), train_loader(n=16), epochs=1,
        callbacks=[Named("late", 10), Named("early", -10)], **QUIET)
    assert log == ["early", "late"]


def test_early_stopping_waits_patience_epochs():
    stopper = EarlyStopping(patience=2)
    for losses in ([1.0], [1.0, 0.9], [1.0, 0.9, 0.95]):
        state = fake_state(losses)
        stopper.on_epoch_end(state)
        assert not state.stop
    state = fake_state([1.0, 0.9, 0.95, 0.96])
    stopper.on_epoch_end(state)
    assert state.stop and "did not improve for 2 epochs" in state.stop_reason


def test_early_stopping_on_accuracy_maximises():
    stopper = EarlyStopping(patience=1, monitor="val_acc")
    stopper.on_epoch_end(fake_state([0.5]))   # acc 0.5
    state = fake_state([0.5, 0.4])            # acc 0.6: better
    stopper.on_epoch_end(state)
    assert not state.stop and stopper.best == pytest.approx(0.6)


def test_early_stopping_ends_fit_and_says_why():
    seed_everything(0)
    history = fit(TinyNet(), train_loader(), epochs=20, lr=0.0, callbacks=[EarlyStopping(2)],
                  **QUIET)  # lr 0: the loss never improves
    assert len(history) < 20 and history.stop_reason.startswith("early stopping")


def test_best_weights_without_restore_keeps_the_last_weights():
    model = nn.Linear(2, 2)
    keeper = BestWeights(restore=False)
    state = fake_state([0.5], model=model)
    keeper.on_fit_start(state)
    keeper.on_epoch_end(state)
    nn.init.zeros_(model.weight)
    keeper.on_fit_end(fake_state([0.5, 0.9], model=model))
    assert torch.count_nonzero(model.weight) == 0
    keeper.restore = True
    keeper.on_fit_end(fake_state([0.5, 0.9], model=model))
    assert torch.count_nonzero(model.weight) > 0


def test_gradual_unfreeze_unfreezes_and_adds_a_group_at_its_epoch():
    seed_everything(0)
    model = TinyNet()
    freeze_to(model, -1, train_bn=False)  # only the head trains
    stem_before, block_before = model.stem[0].weight.clone(), model.block[0].weight.clone()
    seen = {}

    class Check(Callback):
        order = 1  # after GradualUnfreeze

        def on_epoch_start(self, state):
            seen[state.epoch] = (model.block[0].weight.requires_grad,
                                 [g.get("name") for g in state.optimizer.param_groups])

    history = fit(model, train_loader(), epochs=3, lr=1e-2,
                  callbacks=[GradualUnfreeze({1: ("block", 1e-3)}, verbose=False), Check()],
                  **QUIET)
    assert seen[0] == (False, ["head"])
    assert seen[1] == (True, ["head", "block"]) and seen[2] == seen[1]
    assert history.lrs["block"][-1] == pytest.approx(1e-3)
    assert not torch.equal(model.block[0].weight, block_before)
    assert torch.equal(model.stem[0].weight, stem_before)


def test_gradual_unfreeze_group_follows_the_schedule_with_its_own_peak():
    seed_everything(0)
    model = TinyNet()
    freeze_to(model, -1)
    loader = train_loader()
    history = fit(model, loader, epochs=3, lr=1e-2,
                  scheduler=partial(warmup_cosine, warmup_steps=2),
                  callbacks=[GradualUnfreeze({1: ("block", 1e-3)}, verbose=False)], **QUIET)
    head, block = history.lrs["head"], history.lrs["block"]
    first = len(loader)  # the first step of epoch 1
    assert all(b != b for b in block[:first])  # NaN before it joined
    assert all(b == pytest.approx(h / 10) for h, b in zip(head[first:], block[first:]))


def test_gradual_unfreeze_works_with_one_cycle():
    seed_everything(0)
    model = TinyNet()
    freeze_to(model, -1)
    history = fit(model, train_loader(), epochs=2, lr=1e-2, scheduler=one_cycle,
                  callbacks=[GradualUnfreeze({1: ("block", 1e-3)}, verbose=False)], **QUIET)
    head, block = history.lrs["head"], history.lrs["block"]
    assert block[-1] == pytest.approx(head[-1] / 10)


def test_weight_drift_is_zero_for_frozen_groups_and_positive_for_trained():
    seed_everything(0)
    model = TinyNet()
    freeze_to(model, -1, train_bn=False)
    drift = WeightDrift()
    fit(model, train_loader(), epochs=2, lr=1e-2, callbacks=[drift], **QUIET)
    assert list(drift.drift) == ["stem", "block", "head"]
    assert drift.drift["stem"] == [0.0, 0.0] and drift.drift["block"] == [0.0, 0.0]
    assert 0 < drift.drift["head"][0] < drift.drift["head"][1]
    assert "head" in drift.table() and len(drift.plot().axes) == 1


def test_l2sp_penalty_is_half_alpha_squared_distance_and_skips_the_head():
    model = TinyNet()
    l2sp = L2SP(alpha=0.5)
    l2sp.on_fit_start(SimpleNamespace(model=model))
    assert float(l2sp.penalty(model).detach()) == 0.0
    with torch.no_grad():
        model.stem[0].bias.add_(1.0)   # 4 values moved by 1
        model.head.bias.add_(100.0)    # the head is not anchored
    assert float(l2sp.penalty(model).detach()) == pytest.approx(0.5 / 2 * 4)


def test_l2sp_keeps_the_backbone_closer_to_its_start():
    def drift_with(callbacks):
        seed_everything(0)
        drift = WeightDrift()
        fit(TinyNet(), train_loader(), epochs=2, lr=3e-2, callbacks=[drift, *callbacks], **QUIET)
        return drift.drift["stem"][-1]

    assert drift_with([L2SP(alpha=10.0)]) < 0.7 * drift_with([])



def test_a_misspelled_event_is_an_error_when_the_class_is_defined():
    with pytest.raises(TypeError, match="on_epoch_ends is not a fit\\(\\) event.*on_epoch_end"):
        class Typo(Callback):
            def on_epoch_ends(self, state):
                pass

    class Fine(Callback):  # events and other helper methods are fine
        def on_epoch_end(self, state):
            pass

        def helper(self):
            pass


def test_best_weights_with_a_start_score_gives_back_the_start_when_no_epoch_beats_it(capsys):
    from course_utils import BestWeights, TensorLoader, fit

    torch.manual_seed(0)
    x = torch.randint(0, 255, (64, 8, 8), dtype=torch.uint8)
    y = torch.arange(64) % 2
    train = TensorLoader(x, y, batch_size=16, device="cpu", seed=0)
    val = TensorLoader(x, 1 - y, batch_size=64, device="cpu")  # training makes val worse
    model = TinyNet()
    start = {k: v.clone() for k, v in model.state_dict().items()}
    keeper = BestWeights("val_loss", start_score=-1.0)  # nothing can beat a loss of -1
    history = fit(model, train, epochs=2, lr=1e-2, val_loader=val, callbacks=[keeper], **QUIET)
    assert len(history) == 2 and keeper.best_epoch == -1
    assert all(torch.equal(start[k], v) for k, v in model.state_dict().items())
    assert "Restored the best weights: the start (val_loss -1.0000)" in capsys.readouterr().out


def test_a_best_weights_you_give_replaces_fits_own():
    from course_utils import BestWeights
    from course_utils.training import fit_callbacks

    mine = BestWeights("val_acc")
    kinds = [type(cb).__name__ for cb in fit_callbacks([mine], live_plot=False, progress=False)]
    assert kinds.count("BestWeights") == 1
