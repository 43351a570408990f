"""course_utils.param_groups: per-group LRs as plain dicts, no decay on 1-D tensors, the audit."""
import pytest
import torch
from torch import nn

from course_utils.lab_net import LabResNet
from course_utils.param_groups import audit_optimizer, param_groups
from course_utils.surgery import freeze, freeze_to, replace_head

GROUPS = ["stem", "layer1", "layer2", "layer3", "layer4", "head"]


def lab_net():
    torch.manual_seed(0)
    return LabResNet(num_classes=3, widths=(4, 4, 8, 8))


def lr_of(groups):
    return {g["name"]: g["lr"] for g in groups}


def test_one_group_per_layer_group_in_order():
    groups = param_groups(lab_net(), lr=1e-3)
    assert [g["name"] for g in groups] == GROUPS
    assert all(g["lr"] == 1e-3 and g["weight_decay"] == 0.0 for g in groups)


def test_backbone_lr_for_all_but_the_head():
    lrs = lr_of(param_groups(lab_net(), lr=1e-2, backbone_lr=1e-4))
    assert lrs["head"] == 1e-2
    assert all(lrs[g] == 1e-4 for g in GROUPS[:-1])


def test_slice_spreads_geometrically():
    lrs = [g["lr"] for g in param_groups(lab_net(), lrs=slice(1e-5, 1e-3))]
    assert lrs[0] == pytest.approx(1e-5) and lrs[-1] == pytest.approx(1e-3)
    ratios = [b / a for a, b in zip(lrs, lrs[1:])]
    assert ratios == pytest.approx([ratios[0]] * len(ratios))


def test_slice_with_only_a_stop_is_fastai_style():
    lrs = lr_of(param_groups(lab_net(), lrs=slice(1e-3)))
    assert lrs["head"] == 1e-3 and lrs["stem"] == pytest.approx(1e-4)


def test_layer_decay_counts_from_the_head():
    lrs = [g["lr"] for g in param_groups(lab_net(), lr=1e-3, layer_decay=0.5)]
    assert lrs == pytest.approx([1e-3 * 0.5 ** (5 - i) for i in range(6)])


def test_lrs_list_needs_one_per_group():
    with pytest.raises(ValueError, match="one per group"):
        param_groups(lab_net(), lrs=[1e-3, 1e-4])


def test_only_one_lr_option_at_a_time():
    with pytest.raises(ValueError, match="at most one"):
        param_groups(lab_net(), backbone_lr=1e-4, layer_decay=0.7)


def test_no_weight_decay_on_1d_tensors():
    groups = param_groups(lab_net(), weight_decay=0.05)
    for g in groups:
        if g["name"].endswith(".no_decay"):
            assert g["weight_decay"] == 0.0 and all(p.ndim <= 1 for p in g["params"])
        else:
            assert g["weight_decay"] == 0.05 and all(p.ndim > 1 for p in g["params"])
    assert {g["layer_group"] for g in groups} == set(GROUPS)


def test_frozen_parameters_are_left_out():
    model = lab_net()
    freeze_to(model, -2, train_bn=False)
    groups = param_groups(model, lr=1e-3, lrs=slice(1e-5, 1e-3))
    assert [g["name"] for g in groups] == ["layer4", "head"]
    held = {id(p) for g in groups for p in g["params"]}
    assert held == {id(p) for p in model.parameters() if p.requires_grad}
    assert groups[0]["lr"] == pytest.approx(1e-5 * 100 ** (4 / 5))  # LR of its place among all 6


@pytest.mark.parametrize("opt_cls", [torch.optim.SGD, torch.optim.AdamW])
def test_any_torch_optimizer_accepts_them(opt_cls):
    model = lab_net()
    opt = opt_cls(param_groups(model, lr=1e-3, backbone_lr=1e-4, weight_decay=0.01))
    loss = nn.functional.cross_entropy(model(torch.randn(4, 1, 28, 28)), torch.tensor([0, 1, 2, 0]))
    loss.backward()
    before = model.fc.weight.detach().clone()
    opt.step()
    assert not torch.equal(model.fc.weight, before)
    assert opt.param_groups[-1]["lr"] == 1e-3


def test_verbose_prints_each_group(capsys):
    param_groups(lab_net(), lr=1e-3, weight_decay=0.1, verbose=True)
    out = capsys.readouterr().out
    assert "layer4.no_decay" in out and "1.00e-03" in out and "params" in out


def test_audit_passes_for_a_matching_optimizer():
    model = lab_net()
    freeze_to(model, -1, train_bn=False)
    report = audit_optimizer(model, torch.optim.AdamW(param_groups(model, lr=1e-3)))
    assert report.trainable_tensors == 2 and "OK" in repr(report)


def test_audit_fails_when_optimizer_was_built_before_replace_head():
    model = lab_net()
    opt = torch.optim.AdamW(model.parameters())
    replace_head(model, 5)
    with pytest.raises(ValueError, match="fc.weight"):
        audit_optimizer(model, opt)


def test_audit_warns_about_frozen_parameters_in_the_optimizer():
    model = lab_net()
    opt = torch.optim.AdamW(model.parameters())
    freeze_to(model, -1, train_bn=False)
    with pytest.warns(UserWarning, match="HINT"):
        report = audit_optimizer(model, opt)
    assert len(report.frozen_in_optimizer) > 0


@pytest.mark.filterwarnings("ignore:Every parameter is frozen")
def test_audit_fails_when_everything_is_frozen():
    model = lab_net()
    opt = torch.optim.AdamW(model.parameters())
    freeze(model, train_bn=False)
    with pytest.raises(ValueError, match="frozen"):
        audit_optimizer(model, opt)
