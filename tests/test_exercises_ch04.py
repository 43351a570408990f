"""course_utils.exercises.ch04: the head-at-10x param-groups checker accepts right answers and
names the mistake in wrong ones."""
import torch

from course_utils.exercises.ch04 import check_head_lr_groups
from course_utils.lab_net import LabResNet
from course_utils.param_groups import param_groups
from course_utils.surgery import freeze_to

LR = 1e-4


def model():
    torch.manual_seed(0)
    net = LabResNet(num_classes=3, widths=(4, 4, 8, 8))
    freeze_to(net, -2, train_bn=False)  # layer4 + head trainable
    return net


def trainable(module):
    return [p for p in module.parameters() if p.requires_grad]


def test_param_groups_answer_passes(capsys):
    net = model()
    assert check_head_lr_groups(net, param_groups(net, lr=10 * LR, backbone_lr=LR), LR)
    assert "Correct" in capsys.readouterr().out


def test_hand_written_groups_and_optimizer_pass():
    net = model()
    groups = [{"params": trainable(net.layer4), "lr": LR}, {"params": trainable(net.fc), "lr": 10 * LR}]
    assert check_head_lr_groups(net, groups, LR)
    assert check_head_lr_groups(net, torch.optim.AdamW(groups), LR)


def test_head_at_same_lr_fails_and_says_so(capsys):
    net = model()
    assert not check_head_lr_groups(net, param_groups(net, lr=LR), LR)
    assert "same as the backbone" in capsys.readouterr().out


def test_inverted_ratio_is_named(capsys):
    net = model()
    assert not check_head_lr_groups(net, [{"params": trainable(net.layer4), "lr": LR},
                                          {"params": trainable(net.fc), "lr": LR / 10}], LR)
    assert "upside down" in capsys.readouterr().out


def test_missing_head_is_reported(capsys):
    net = model()
    assert not check_head_lr_groups(net, [{"params": trainable(net.layer4), "lr": LR}], LR)
    assert "fc.weight" in capsys.readouterr().out


def test_generator_params_are_reported(capsys):
    net = model()
    groups = [{"params": trainable(net.layer4), "lr": LR}, {"params": net.fc.parameters(), "lr": 10 * LR}]
    assert not check_head_lr_groups(net, groups, LR)
    assert "generator" in capsys.readouterr().out


def test_frozen_parameters_are_reported(capsys):
    net = model()
    assert not check_head_lr_groups(net, [{"params": list(net.layer3.parameters()), "lr": LR},
                                          {"params": trainable(net.layer4), "lr": LR},
                                          {"params": trainable(net.fc), "lr": 10 * LR}], LR)
    assert "frozen" in capsys.readouterr().out


def test_plain_parameter_iterator_is_reported(capsys):
    net = model()
    assert not check_head_lr_groups(net, net.parameters(), LR)
    assert "ONE learning rate" in capsys.readouterr().out


def test_parameter_in_two_groups_is_reported(capsys):
    net = model()
    head = trainable(net.fc)
    assert not check_head_lr_groups(net, [{"params": trainable(net.layer4) + head, "lr": LR},
                                          {"params": head, "lr": 10 * LR}], LR)
    assert "two groups" in capsys.readouterr().out


# ----- the exercise through check(): reference, stub, wrong answers -----
from exercise_helpers import run_check  # noqa: E402

from course_utils.exercises.ch04 import reference_head_10x_groups  # noqa: E402


def test_04_reference_passes(capsys):
    returned, out = run_check(capsys, "04.lr_groups", reference_head_10x_groups)
    assert returned is reference_head_10x_groups and out.startswith("✅")
    returned, out = run_check(capsys, "04.lr_groups", reference_head_10x_groups, model=model(),
                              backbone_lr=3e-5)
    assert out.startswith("✅")


def test_04_stub_is_not_attempted(capsys):
    def head_10x_groups(model, backbone_lr):
        """Parameter groups: the head at 10x the backbone's LR."""
        raise NotImplementedError

    returned, out = run_check(capsys, "04.lr_groups", head_10x_groups)
    assert "not attempted yet" in out and returned is reference_head_10x_groups


def test_04_one_lr_for_everything_is_named(capsys):
    _, out = run_check(capsys, "04.lr_groups", lambda m, lr: param_groups(m, lr=lr))
    assert "same as the backbone" in out


def test_04_generator_is_named(capsys):
    def with_generator(model, backbone_lr):
        return [{"params": trainable(model.layer3) + trainable(model.layer4), "lr": backbone_lr},
                {"params": model.fc.parameters(), "lr": 10 * backbone_lr}]

    _, out = run_check(capsys, "04.lr_groups", with_generator)
    assert "generator" in out
