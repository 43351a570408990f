"""fit(), evaluate(), History: learning, metrics, schedules, NaN, Ctrl+C, BatchNorm, speed rules."""
import math
import sys
from functools import partial

import pytest
import torch
from torch import nn

from course_utils import (Callback, TensorLoader, evaluate, fit, seed_everything,
                          show_training_loop)
from course_utils.batchnorm import set_bn_policy
from course_utils.schedules import warmup_cosine
from tiny_models import QUIET, TinyNet


def loaders(n=128, seed=0):
    """A learnable task: is the top half of the image brighter than the bottom half?"""
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 256, (n, 8, 8), generator=g, dtype=torch.uint8)
    y = (x[:, :4].float().mean((1, 2)) > x[:, 4:].float().mean((1, 2))).long()
    cut = n * 3 // 4
    return (TensorLoader(x[:cut], y[:cut], batch_size=16, shuffle=True, device="cpu", seed=seed),
            TensorLoader(x[cut:], y[cut:], batch_size=32, device="cpu"))


class Snapshots(Callback):
    """Weights after each epoch, to compare with what fit restores."""

    def __init__(self):
        self.weights = {}

    def on_epoch_end(self, state):
        self.weights[state.epoch] = {k: v.clone() for k, v in state.model.state_dict().items()}


def same_weights(model, weights):
    return all(torch.equal(v, weights[k]) for k, v in model.state_dict().items())


def test_loss_goes_down():
    seed_everything(0)
    train, val = loaders()
    history = fit(TinyNet(), train, epochs=6, lr=1e-2, val_loader=val, **QUIET)
    assert history.train_loss[-1] < 0.8 * history.train_loss[0]
    assert history.val_acc[history.best_epoch] > 0.6


def test_history_has_one_entry_per_epoch_and_lr_per_step():
    seed_everything(0)
    train, val = loaders()
    history = fit(TinyNet(), train, epochs=3, val_loader=val, **QUIET)
    assert history.epoch == [0, 1, 2]
    assert all(len(getattr(history, k)) == 3 for k in
               ("train_loss", "train_acc", "val_loss", "val_acc", "time"))
    assert all(len(v) == 3 * len(train) for v in history.lrs.values())
    assert history.stop_reason == "completed"


def test_without_validation_val_metrics_are_nan_and_best_uses_train_loss():
    seed_everything(0)
    train, _ = loaders()
    history = fit(TinyNet(), train, epochs=2, **QUIET)
    assert all(math.isnan(v) for v in history.val_loss)
    assert history.best_epoch == min(range(2), key=lambda e: history.train_loss[e])


def test_scheduler_factory_gets_total_steps_and_is_stepped_per_batch():
    seed_everything(0)
    train, _ = loaders()
    seen = {}

    def factory(optimizer, total_steps):
        seen["total"] = total_steps
        return warmup_cosine(optimizer, total_steps, warmup_steps=2)

    history = fit(TinyNet(), train, epochs=2, lr=1e-2, scheduler=factory, **QUIET)
    lrs = next(iter(history.lrs.values()))
    assert seen["total"] == 2 * len(train) == len(lrs)
    assert lrs[0] == pytest.approx(5e-3) and lrs[1] == pytest.approx(1e-2)
    assert lrs[-1] < lrs[2]


def test_evaluate_returns_loss_and_acc_without_gradients_in_eval_mode():
    _, val = loaders()
    model = TinyNet().train()
    result = evaluate(model, val)
    assert set(result) == {"loss", "acc", "macro_f1"} and 0 <= result["acc"] <= 1
    assert not model.training
    assert all(p.grad is None for p in model.parameters())


def test_restore_best_puts_back_the_best_epochs_weights():
    seed_everything(0)
    train, val = loaders()
    model, snaps = TinyNet(), Snapshots()
    history = fit(model, train, epochs=4, lr=0.05, val_loader=val, callbacks=[snaps], **QUIET)
    assert same_weights(model, snaps.weights[history.best_epoch])


class BreakLoss:
    """Cross-entropy that turns NaN from epoch ``bad`` on (set by the callback below)."""

    def __init__(self):
        self.nan = False

    def __call__(self, out, y):
        loss = nn.functional.cross_entropy(out, y)
        return loss * math.nan if self.nan else loss


class NanFrom(Callback):
    def __init__(self, loss_fn, epoch):
        self.loss_fn, self.epoch = loss_fn, epoch

    def on_epoch_start(self, state):
        self.loss_fn.nan = state.epoch >= self.epoch


def test_nan_loss_stops_with_a_warning_and_restores_the_best_weights():
    seed_everything(0)
    train, val = loaders()
    model, snaps, loss_fn = TinyNet(), Snapshots(), BreakLoss()
    with pytest.warns(RuntimeWarning, match="HINT"):
        history = fit(model, train, epochs=5, val_loader=val, loss_fn=loss_fn,
                      callbacks=[snaps, NanFrom(loss_fn, 2)], **QUIET)
    assert len(history) == 2 and "nan" in history.stop_reason
    assert same_weights(model, snaps.weights[history.best_epoch])
    assert all(torch.isfinite(p).all() for p in model.parameters())


class InterruptAt(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_batch_end(self, state):
        if state.epoch == self.epoch:
            state.model.head.weight.data.fill_(123.0)  # half-finished damage...
            raise KeyboardInterrupt


def test_keyboard_interrupt_keeps_history_and_best_model(capsys):
    seed_everything(0)
    train, val = loaders()
    model, snaps = TinyNet(), Snapshots()
    history = fit(model, train, epochs=5, val_loader=val,
                  callbacks=[snaps, InterruptAt(2)], restore_best=False, **QUIET)
    assert len(history) == 2 and "KeyboardInterrupt" in history.stop_reason
    assert same_weights(model, snaps.weights[history.best_epoch])
    assert "Stopped: interrupted" in capsys.readouterr().out


def test_frozen_batchnorm_keeps_its_statistics_through_model_train():
    seed_everything(0)
    train, _ = loaders()
    model = TinyNet()
    bn = model.stem[1]
    set_bn_policy(model, "frozen", groups=bn)
    before = bn.running_mean.clone(), bn.weight.clone()
    fit(model, train, epochs=1, **QUIET)
    assert torch.equal(bn.running_mean, before[0]) and torch.equal(bn.weight, before[1])
    assert not torch.equal(model.head.weight, TinyNet().head.weight)  # the rest trained


def test_metrics_are_read_from_the_device_once_per_epoch(monkeypatch):
    seed_everything(0)
    train, val = loaders()
    calls = []

    def counting(name):
        original = getattr(torch.Tensor, name)

        def read(self):
            caller = sys._getframe(1).f_code  # fit's loop, evaluate, and fit's epoch_means
            if caller.co_filename.endswith("training.py") or caller.co_name == "epoch_means":
                calls.append(name)
            return original(self)
        monkeypatch.setattr(torch.Tensor, name, read)

    counting("item"), counting("tolist")
    fit(TinyNet(), train, epochs=2, val_loader=val, **QUIET)
    assert calls == ["tolist"] * (2 * 2)  # per epoch: train metrics, val metrics; not per step


@pytest.mark.filterwarnings("ignore:No parameter is trainable")
def test_all_frozen_raises_with_a_hint():
    model = TinyNet().requires_grad_(False)
    train, _ = loaders()
    with pytest.raises(ValueError, match="HINT"):
        fit(model, train, epochs=1, **QUIET)


def test_bf16_on_cpu_trains_and_uses_channels_last(monkeypatch):
    monkeypatch.delenv("COURSE_AMP", raising=False)
    seed_everything(0)
    train, val = loaders(n=64)
    model = TinyNet()
    history = fit(model, train, epochs=1, val_loader=val, amp="bf16", **QUIET)
    assert math.isfinite(history.train_loss[0]) and math.isfinite(history.val_loss[0])
    assert model.stem[0].weight.is_contiguous(memory_format=torch.channels_last)


def test_show_training_loop_prints_the_loop(capsys):
    show_training_loop()
    out = capsys.readouterr().out
    assert "def fit(" in out and 'emit("on_epoch_end")' in out and "apply_bn_policy" in out
    assert 'emit("on_before_step")' in out and out.count("on_before_step") >= 2  # loop + list


def test_works_with_a_plain_dataloader():
    seed_everything(0)
    x, y = torch.randn(32, 1, 8, 8), torch.randint(0, 2, (32,))
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8)
    history = fit(TinyNet(), data, epochs=1, device="cpu", scheduler=partial(
        warmup_cosine, warmup_steps=1), **QUIET)
    assert len(history) == 1


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_defaults_bf16_channels_last_and_data_on_the_device(monkeypatch):
    monkeypatch.delenv("COURSE_AMP", raising=False)
    seed_everything(0)
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (128, 8, 8), generator=g, dtype=torch.uint8)
    y = (x[:, :4].float().mean((1, 2)) > x[:, 4:].float().mean((1, 2))).long()
    train = TensorLoader(x, y, batch_size=16, shuffle=True, augment="crop", device="cuda", seed=0)
    seen = {}

    class Probe(Callback):
        def on_fit_start(self, state):
            seen["dtype"] = state.dtype

        def on_loss(self, state):
            seen["input_device"] = state.loss.device.type

    model = TinyNet()
    history = fit(model, train, epochs=3, lr=1e-2, callbacks=[Probe()], **QUIET)
    assert train.images.is_cuda and seen == {"dtype": torch.bfloat16, "input_device": "cuda"}
    assert model.stem[0].weight.is_cuda
    assert model.stem[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert history.train_loss[-1] < history.train_loss[0]


def test_a_raising_callback_keeps_the_best_weights_and_hands_back_the_history():
    seed_everything(0)
    train, val = loaders()
    snapshots = Snapshots()

    class Broken(Callback):
        def on_epoch_end(self, state):
            if state.epoch == 2:
                raise RuntimeError("my callback broke")

    model = TinyNet()
    with pytest.raises(RuntimeError, match="my callback broke") as info:
        fit(model, train, epochs=5, lr=1e-2, val_loader=val, callbacks=[snapshots, Broken()],
            **QUIET)
    history = info.value.history
    assert len(history) == 3 and history.stop_reason == "RuntimeError in epoch 2"
    seen_by_best_weights = [0, 1]  # Broken raised before BestWeights saw epoch 2
    best = min(seen_by_best_weights, key=lambda epoch: history.val_loss[epoch])
    assert same_weights(model, snapshots.weights[best])


# ---------------------------------------------------------------- checks before the first epoch


class CountBatches(Callback):
    def __init__(self):
        self.batches = 0

    def on_batch_end(self, state):
        self.batches += 1


def test_validation_images_the_model_cannot_take_fail_on_the_first_batch():
    train, _ = loaders()
    wrong = TensorLoader(torch.zeros(8, 3, 8, 8, dtype=torch.uint8), torch.zeros(8).long(),
                         batch_size=4, device="cpu")  # 3 channels; TinyNet takes 1
    counter = CountBatches()
    with pytest.raises(ValueError, match=r"val_loader .*same preprocessing") as err:
        fit(TinyNet(), train, epochs=3, val_loader=wrong, callbacks=[counter], **QUIET)
    assert counter.batches == 0  # not one step, let alone an epoch, was spent
    assert len(err.value.history) == 0


def test_validation_images_of_another_size_the_model_takes_warn_and_train():
    train, _ = loaders()
    bigger = TensorLoader(torch.zeros(8, 16, 16, dtype=torch.uint8), torch.zeros(8).long(),
                          batch_size=4, device="cpu")  # TinyNet pools adaptively: it works
    with pytest.warns(UserWarning, match=r"val_loader gives inputs of shape \(1, 16, 16\)"):
        history = fit(TinyNet(), train, epochs=1, val_loader=bigger, **QUIET)
    assert math.isfinite(history.val_loss[0])


def test_validation_labels_beyond_the_head_fail_on_the_first_batch():
    train, _ = loaders()
    val = TensorLoader(torch.zeros(8, 8, 8, dtype=torch.uint8), torch.full((8,), 5).long(),
                       batch_size=4, device="cpu")
    with pytest.raises(ValueError, match="replace_head"):
        fit(TinyNet(), train, epochs=3, val_loader=val, **QUIET)


@pytest.mark.parametrize("epochs", [0, -1, 2.5, True, "3"])
def test_epochs_must_be_a_whole_number_of_at_least_one(epochs):
    train, _ = loaders()
    with pytest.raises((TypeError, ValueError), match=f"epochs={epochs!r}"):
        fit(TinyNet(), train, epochs=epochs, **QUIET)


def test_an_empty_validation_loader_is_named():
    train, _ = loaders()
    with pytest.raises(ValueError, match="val_loader yields no batch"):
        fit(TinyNet(), train, epochs=1, val_loader=[], **QUIET)
    with pytest.raises(ValueError, match="loader yields no batch"):
        evaluate(TinyNet(), [])


# ---------------------------------------------------------------- macro-F1 and the loop listing


def test_macro_f1_is_recorded_and_can_pick_the_best_epoch():
    seed_everything(0)
    train, val = loaders()
    history = fit(TinyNet(), train, epochs=3, lr=1e-2, val_loader=val, monitor="val_macro_f1",
                  **QUIET)
    assert len(history.val_macro_f1) == 3 and all(0 <= v <= 1 for v in history.val_macro_f1)
    best = max(range(3), key=lambda i: (history.val_macro_f1[i], -i))
    assert history.best_epoch == best
    assert "val_macro_f1" in history.line()  # shown because it is the monitor


def test_show_training_loop_lists_the_callbacks_of_each_event(capsys):
    from course_utils import EarlyStopping, show_training_loop

    show_training_loop([EarlyStopping()], clip_grad_norm=1.0, live_plot=False, progress=False)
    out = capsys.readouterr().out
    assert out.startswith("def fit(")
    listing = out[out.index("Events, in order"):].splitlines()
    after = {line.split()[0]: listing[i + 1].strip() for i, line in enumerate(listing)
             if line.strip().startswith("on_")}
    assert after["on_before_step"] == "ClipGradNorm"
    assert after["on_epoch_end"].split(", ")[:2] == ["EarlyStopping", "BestWeights"]
    assert after["on_loss"] == "(none)"
