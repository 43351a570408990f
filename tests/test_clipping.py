"""clipping.py: ClipGradNorm clips in on_before_step, records the norms, unscales a GradScaler."""
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from course_utils import Callback, ClipGradNorm, History, TensorLoader, fit, seed_everything
from tiny_models import QUIET, TinyNet


def train_loader(n=64, batch_size=16):
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (n, 8, 8), generator=g, dtype=torch.uint8)
    y = (x[:, :4].float().mean((1, 2)) > x[:, 4:].float().mean((1, 2))).long()
    return TensorLoader(x, y, batch_size=batch_size, shuffle=True, device="cpu", seed=0)


def test_clip_grad_norm_records_norms_and_bounds_every_step():
    seed_everything(0)
    seen = []

    class AfterClip(Callback):
        order = 20  # after ClipGradNorm (order 10)

        def on_before_step(self, state):
            grads = [p.grad for p in state.model.parameters() if p.grad is not None]
            seen.append(float(torch.nn.utils.get_total_norm(grads)))

    loader = train_loader(n=64)
    history = fit(TinyNet(), loader, epochs=2, lr=1e-2, clip_grad_norm=0.05,
                  callbacks=[AfterClip()], **QUIET)
    assert len(history.grad_norms) == 2 * len(loader) == len(seen)
    assert max(seen) <= 0.05 * 1.001  # after clipping
    assert max(history.grad_norms) > 0.05  # before clipping: clipping really acted
    restored = History.from_dict(history.to_dict())
    assert restored.grad_norms == history.grad_norms


def test_clip_grad_norm_callback_matches_torch_and_unscales_a_grad_scaler():
    model = nn.Linear(3, 1)
    model(torch.ones(2, 3)).sum().mul(100).backward()
    expected = torch.nn.utils.get_total_norm([p.grad for p in model.parameters()]).item()
    unscaled = []
    scaler = SimpleNamespace(is_enabled=lambda: True, unscale_=unscaled.append)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    state = SimpleNamespace(optimizer=opt, model=model, history=History(), scaler=scaler)
    clip = ClipGradNorm(1.0)
    clip.on_before_step(state)
    clip.on_epoch_end(state)
    assert unscaled == [opt]
    assert state.history.grad_norms == pytest.approx([expected])
    assert torch.nn.utils.get_total_norm([p.grad for p in model.parameters()]) == pytest.approx(1.0)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-1.0, ValueError),
                                        (float("nan"), ValueError), (float("inf"), ValueError),
                                        ("1", TypeError), (True, TypeError), (None, TypeError)])
def test_clip_grad_norm_rejects_bad_values(bad, error):  # the wrong kind: TypeError (checks.py)
    with pytest.raises(error, match="max_norm"):
        ClipGradNorm(bad)


def test_fit_names_its_clip_grad_norm_argument():
    with pytest.raises(ValueError, match="clip_grad_norm"):
        fit(TinyNet(), train_loader(n=16), epochs=1, clip_grad_norm=-1.0, **QUIET)


def test_clip_grad_norm_twice_is_an_error():
    with pytest.raises(ValueError, match="clip twice"):
        fit(TinyNet(), train_loader(n=16), epochs=1, clip_grad_norm=1.0,
            callbacks=[ClipGradNorm(1.0)], **QUIET)
