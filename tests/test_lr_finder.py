"""course_utils.lr_finder: an LR range test that restores model, optimizer and flags exactly."""
import math

import pytest
import torch
from torch import nn

from course_utils.lab_net import LabResNet
from course_utils.loaders import TensorLoader
from course_utils.lr_finder import RULES, lr_find, suggest_lr
from course_utils.param_groups import param_groups
from course_utils.batchnorm import apply_bn_policy, bn_policies
from course_utils.surgery import freeze_to


def lab_net():
    torch.manual_seed(0)
    return LabResNet(num_classes=3, widths=(4, 4, 8, 8))


def batches(n=4, size=16):
    g = torch.Generator().manual_seed(1)
    return [(torch.randn(size, 1, 28, 28, generator=g), torch.randint(0, 3, (size,), generator=g))
            for _ in range(n)]


def stepped_optimizer(model):
    """An AdamW that has taken one step, so it has state (exp_avg...) to restore."""
    opt = torch.optim.AdamW(param_groups(model, lr=1e-3, backbone_lr=1e-4, weight_decay=0.01))
    model.train()
    apply_bn_policy(model)
    x, y = batches(1)[0]
    nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
    return opt


def same_state(a, b):
    assert a.keys() == b.keys()
    return all(torch.equal(a[k], b[k]) for k in a)


def test_restores_model_optimizer_and_flags_exactly():
    model = lab_net()
    freeze_to(model, -2, train_bn=False)
    opt = stepped_optimizer(model)
    model.eval()
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    opt_state = opt.state_dict()
    opt_tensors = {(i, k): v.clone() for i, s in opt_state["state"].items() for k, v in s.items()}
    groups = [{k: v for k, v in g.items() if k != "params"} for g in opt_state["param_groups"]]
    flags = [p.requires_grad for p in model.parameters()]
    policies = bn_policies(model)

    lr_find(model, batches(), optimizer=opt, num_steps=8)

    assert same_state(model.state_dict(), weights)
    after = opt.state_dict()
    assert {(i, k) for i, s in after["state"].items() for k in s} == opt_tensors.keys()
    assert all(torch.equal(after["state"][i][k], v) for (i, k), v in opt_tensors.items())
    assert [{k: v for k, v in g.items() if k != "params"} for g in after["param_groups"]] == groups
    assert [p.requires_grad for p in model.parameters()] == flags
    assert bn_policies(model) == policies
    assert not any(m.training for m in model.modules())


def test_restores_the_model_with_its_default_optimizer():
    model = lab_net()
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    lr_find(model, batches(), num_steps=8)
    assert same_state(model.state_dict(), weights)


def test_the_sweep_really_trains_a_partly_frozen_model():
    model = lab_net()
    freeze_to(model, -1, train_bn=False)
    result = lr_find(model, batches(), start_lr=1e-3, end_lr=1.0, num_steps=12)
    assert len(result.lrs) > 5 and min(result.losses) < result.losses[0]


def test_restores_the_random_number_generator():
    model = lab_net()  # (seeds the generator itself)
    torch.manual_seed(3)
    expected = torch.rand(3)
    torch.manual_seed(3)
    lr_find(model, batches(), num_steps=5)
    assert torch.equal(torch.rand(3), expected)


def test_restores_a_tensor_loaders_generator():
    images = torch.randint(0, 255, (32, 28, 28), dtype=torch.uint8)
    labels = torch.randint(0, 3, (32,))
    loader = TensorLoader(images, labels, batch_size=8, shuffle=True, device="cpu", seed=0)
    before = loader.state_dict()["generator"].clone()
    lr_find(lab_net(), loader, num_steps=6)
    assert torch.equal(loader.state_dict()["generator"], before)


def test_lrs_grow_exponentially_and_loader_restarts():
    result = lr_find(nn.Linear(4, 2), [(torch.randn(8, 4), torch.randint(0, 2, (8,)))],
                     start_lr=1e-6, end_lr=1e-2, num_steps=5)
    assert result.lrs == pytest.approx([1e-6, 1e-5, 1e-4, 1e-3, 1e-2])


def test_stops_when_the_loss_diverges():
    model, data, opt = regression()
    result = lr_find(model, data, loss_fn=nn.MSELoss(), optimizer=opt, start_lr=1e-4,
                     end_lr=1e4, num_steps=100)
    assert result.stopped_early and len(result.lrs) < 100
    assert all(math.isfinite(v) for v in result.losses)


def regression(seed=0):
    """Linear regression with SGD: the loss falls, then explodes once the LR passes ~1."""
    torch.manual_seed(seed)
    model = nn.Linear(4, 1)
    w = torch.randn(4, 1)
    xs = [torch.randn(32, 4) for _ in range(4)]
    return model, [(x, x @ w) for x in xs], torch.optim.SGD(model.parameters(), lr=1.0)


def test_suggestion_lies_where_the_loss_falls():
    model, data, opt = regression()
    result = lr_find(model, data, loss_fn=nn.MSELoss(), optimizer=opt, start_lr=1e-5,
                     end_lr=1e2, num_steps=70)
    assert 1e-3 < result.suggestion < 0.5
    assert result.rule == RULES["steepest"]


def test_steepest_rule_finds_the_steepest_point():
    lrs = [10 ** (i / 10 - 5) for i in range(50)]
    losses = [2 - math.tanh((i - 20) / 4) if i < 40 else 10.0 for i in range(50)]
    lr, rule = suggest_lr(lrs, losses)
    assert lr == pytest.approx(10 ** -3) and rule == RULES["steepest"]


def test_min_over_ten_rule():
    lr, rule = suggest_lr([1e-3, 1e-2, 1e-1], [2.0, 1.0, 3.0], rule="min/10")
    assert lr == pytest.approx(1e-3) and "divided by 10" in rule


def test_plot_uses_a_log_lr_axis():
    data = [(torch.randn(8, 4), torch.randint(0, 2, (8,)))]
    result = lr_find(nn.Linear(4, 2), data, num_steps=10)
    ax = result.plot()
    assert ax.get_xscale() == "log" and len(ax.get_lines()) == 3


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_moves_cpu_batches_to_the_model_device():
    model = lab_net().cuda()
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    result = lr_find(model, batches(), num_steps=10)
    assert len(result.lrs) == 10 and same_state(model.state_dict(), weights)
