"""anchors.py: EWC's diagonal Fisher, its penalty, and that it holds what the source task needs."""
from types import SimpleNamespace

import pytest
import torch
from tiny_models import QUIET, TinyNet
from torch import nn

from course_utils.anchors import EWC, WeightDrift, diagonal_fisher
from course_utils.loaders import TensorLoader
from course_utils.seed import seed_everything
from course_utils.training import fit


def images(n=32, classes=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 8, 8, generator=g)
    y = torch.arange(n) % classes
    x[y == 1] += 1.0  # a learnable difference
    return x, y


def test_fisher_is_the_mean_of_squared_per_image_gradients_of_the_log_likelihood():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, 3))
    x, y = images(6, classes=3)
    fisher = diagonal_fisher(net, TensorLoader(x, y, batch_size=4))   # two batches: 4 + 2
    want = {n: torch.zeros_like(p) for n, p in net.named_parameters()}
    for xi, yi in zip(x, y):
        net.zero_grad()
        torch.log_softmax(net(xi[None]), dim=1)[0, yi].backward()
        for n, p in net.named_parameters():
            want[n] += p.grad.pow(2) / len(y)
    for n in want:
        torch.testing.assert_close(fisher[n], want[n], rtol=1e-4, atol=1e-7)


def test_from_source_uses_the_source_head_skips_the_head_and_leaves_the_model_alone():
    seed_everything(0)
    model = TinyNet(num_classes=2)
    source_head = model.head
    model.head = nn.Linear(32, 5)                       # the new task's head
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ewc = EWC.from_source(model, TensorLoader(*images(), batch_size=16), source_head, lam=3.0)
    assert not any(n.startswith("head.") for n in ewc.fisher) and "stem.0.weight" in ewc.fisher
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert model.head.out_features == 5
    with_head = TinyNet(num_classes=2)
    with_head.load_state_dict({**before, "head.weight": source_head.weight,
                               "head.bias": source_head.bias})
    direct = diagonal_fisher(with_head, TensorLoader(*images(), batch_size=16))
    torch.testing.assert_close(ewc.fisher["stem.0.weight"], direct["stem.0.weight"])


def test_penalty_is_half_lam_fisher_weighted_squared_distance():
    model = TinyNet()
    fisher = {"stem.0.bias": torch.tensor([1.0, 2.0, 0.0, 4.0])}
    ewc = EWC(fisher, lam=0.5)
    ewc.on_fit_start(SimpleNamespace(model=model))
    assert float(ewc.penalty(model).detach()) == 0.0
    with torch.no_grad():
        model.stem[0].bias.add_(2.0)          # every value moved by 2: (w - w0)^2 = 4
        model.head.bias.add_(100.0)           # not in the Fisher: not anchored
    assert float(ewc.penalty(model).detach()) == pytest.approx(0.5 / 2 * 4 * (1 + 2 + 0 + 4))
    model.stem[0].bias.requires_grad_(False)  # frozen parameters add nothing
    assert float(ewc.penalty(model).detach()) == 0.0


def test_ewc_holds_the_backbone_closer_to_its_start():
    x, y = images(64)

    def drift_with(callbacks):
        seed_everything(0)
        drift = WeightDrift()
        fit(TinyNet(), TensorLoader(x, y, batch_size=16, shuffle=True, seed=0), epochs=2,
            lr=3e-2, callbacks=[drift, *callbacks], **QUIET)
        return drift.drift["stem"][-1]

    seed_everything(0)
    ewc = EWC.from_source(TinyNet(), TensorLoader(x, y, batch_size=16), lam=1e4)
    assert drift_with([ewc]) < 0.7 * drift_with([])


def test_bad_lam_and_foreign_fisher_are_clear_errors():
    with pytest.raises(ValueError, match="lam=-1.*HINT"):
        EWC({}, lam=-1)
    with pytest.raises(ValueError, match="HINT: build it with EWC.from_source"):
        EWC({"nope.weight": torch.ones(1)}).on_fit_start(SimpleNamespace(model=TinyNet()))
    with pytest.raises(ValueError, match="no images"):
        diagonal_fisher(TinyNet(), [])
