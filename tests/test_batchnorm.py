"""course_utils.batchnorm: the BatchNorm policy and fit()'s re-application of it."""
import pytest
import torch

from course_utils.batchnorm import apply_bn_policy, set_bn_policy

from tiny_models import bns, lab_net, train_steps


def test_frozen_bn_keeps_running_stats_through_model_train():
    model = lab_net()
    set_bn_policy(model, "frozen")
    before = model.layer1[0].bn1.running_mean.clone()
    train_steps(model)
    assert torch.equal(model.layer1[0].bn1.running_mean, before)


def test_train_bn_updates_running_stats():
    model = lab_net()
    set_bn_policy(model, "train")
    before = model.layer1[0].bn1.running_mean.clone()
    train_steps(model)
    assert not torch.equal(model.layer1[0].bn1.running_mean, before)


def test_frozen_policy_freezes_affine_parameters():
    model = lab_net()
    set_bn_policy(model, "frozen", groups="layer2")
    bn = model.layer2[0].bn1
    assert not bn.weight.requires_grad and not bn.bias.requires_grad
    assert model.layer3[0].bn1.weight.requires_grad


def test_eval_policy_keeps_affine_trainable_but_layer_in_eval():
    model = lab_net()
    set_bn_policy(model, "eval")
    model.train()
    apply_bn_policy(model)
    assert all(not bn.training and bn.weight.requires_grad for bn in bns(model))
    assert model.layer1[0].conv1.training


def test_apply_bn_policy_is_a_no_op_without_policy():
    model = lab_net().train()
    apply_bn_policy(model)
    assert all(m.training for m in model.modules())


def test_unknown_policy_raises():
    with pytest.raises(ValueError, match="frozen"):
        set_bn_policy(lab_net(), "freeze")
