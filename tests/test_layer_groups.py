"""course_utils.layer_groups: regex layer groups from input to output."""
import pytest
import torchvision
from torch import nn

from course_utils.layer_groups import group_parameters, layer_groups
from course_utils.surgery import freeze

from tiny_models import lab_net, lite0, tiny_bert, tiny_vit


RESNET_GROUPS = ["stem", "layer1", "layer2", "layer3", "layer4", "head"]


BERT_GROUPS = ["embeddings", "layer.0", "layer.1", "head"]


def test_resnet_groups_in_order():
    groups = layer_groups(torchvision.models.resnet18(weights=None))
    assert list(groups) == RESNET_GROUPS
    assert groups["stem"] == ["conv1", "bn1"] and groups["head"] == ["fc"]


def test_lab_net_has_the_resnet_groups():
    groups = layer_groups(lab_net())
    assert list(groups) == RESNET_GROUPS
    assert groups["layer4"] == ["layer4"]


def test_efficientnet_groups():
    groups = layer_groups(lite0())
    assert list(groups) == ["stem"] + [f"blocks.{i}" for i in range(7)] + ["head"]
    assert groups["stem"] == ["conv_stem", "bn1"]
    assert groups["head"] == ["conv_head", "bn2", "classifier"]


def test_vit_groups():
    groups = layer_groups(tiny_vit())
    assert list(groups) == ["stem", "encoder_layer_0", "encoder_layer_1", "head"]
    assert set(groups["stem"]) == {"class_token", "conv_proj", "encoder.pos_embedding"}
    assert groups["head"] == ["encoder.ln", "heads"]


@pytest.mark.parametrize("build", [lab_net, tiny_vit, lite0])
def test_every_parameter_in_exactly_one_group(build):
    model = build()
    names = [n for ps in group_parameters(model).values() for n, _ in ps]
    assert sorted(names) == sorted(n for n, _ in model.named_parameters())


def test_unknown_model_falls_back_to_top_level_children():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
    assert layer_groups(model) == {"0": ["0"], "2": ["2"]}


def test_regex_rules_do_not_match_substrings():
    model = nn.Module()
    model.fc = nn.Linear(2, 2)
    model.fc_extra = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="fc_extra.weight"):
        group_parameters(model, rules=[("head", r"^fc\b")])


def test_unknown_group_name_lists_the_groups():
    with pytest.raises(KeyError, match="layer4"):
        freeze(lab_net(), "layer5")


def test_bert_groups_embeddings_layers_head():
    model = tiny_bert()
    groups = group_parameters(model)
    assert list(groups) == BERT_GROUPS
    head = [name for name, _ in groups["head"]]
    assert head == ["bert.pooler.dense.weight", "bert.pooler.dense.bias",
                    "classifier.weight", "classifier.bias"]
    assert layer_groups(model)["layer.1"] == ["bert.encoder.layer.1"]
    assert sum(len(ps) for ps in groups.values()) == len(list(model.parameters()))
