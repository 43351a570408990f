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


# ----- the judgement exercise 04.choose_lrs: the checker trains with the chosen LRs -----
from course_utils.exercises.ch04 import (LRS_RETENTION_BAR, LRS_TARGET_BAR,  # noqa: E402
                                         reference_lrs)


def fake_training(target, retention):
    """A stand-in for the notebook's train_with_lrs: records its calls, returns fixed numbers."""
    calls = []

    def run(head_lr, backbone_lr, seed):
        calls.append((head_lr, backbone_lr, seed))
        return {"target": target, "retention": retention}

    return run, calls


def test_04_choose_lrs_reference_passes_on_an_unseen_seed(capsys):
    run, calls = fake_training(0.74, 0.79)    # what the reference measured (seeds 0-4: see ch04.py)
    returned, out = run_check(capsys, "04.choose_lrs", reference_lrs(), run=run, seed=5)
    assert calls == [(3e-3, 3e-4, 5)] and "✅ Bar met" in out and returned == reference_lrs()


def test_04_choose_lrs_stub_is_not_attempted_and_nothing_trains(capsys):
    run, calls = fake_training(0.74, 0.79)
    returned, out = run_check(capsys, "04.choose_lrs", ..., run=run)
    assert "not attempted yet" in out and calls == [] and returned == reference_lrs()


def test_04_choose_lrs_one_high_lr_for_everything_is_told_to_lower_the_backbone(capsys):
    run, _ = fake_training(0.72, 0.20)        # 1e-2 everywhere: fits the target, forgets the source
    _, out = run_check(capsys, "04.choose_lrs", (1e-2, 1e-2), run=run)
    verdict = out.split("Not yet")[1]
    assert f"source retention 0.200 < {LRS_RETENTION_BAR}" in verdict
    assert "Lower the backbone's LR" in verdict and "target validation" not in verdict


def test_04_choose_lrs_tiny_and_upside_down_lrs_get_their_own_advice(capsys):
    run, _ = fake_training(0.50, 0.95)        # too small to learn in 100 steps
    _, out = run_check(capsys, "04.choose_lrs", (1e-5, 1e-6), run=run)
    assert f"0.500 < {LRS_TARGET_BAR}" in out and "raise the head's LR" in out
    run, _ = fake_training(0.55, 0.40)        # backbone faster than the head
    _, out = run_check(capsys, "04.choose_lrs", (3e-4, 3e-3), run=run)
    assert "backbone's LR is above the head's" in out and "source retention 0.400" in out


def test_04_choose_lrs_malformed_choice_is_named_without_training(capsys):
    run, calls = fake_training(0.74, 0.79)
    _, out = run_check(capsys, "04.choose_lrs", 3e-3, run=run)
    assert "give a pair of numbers (head_lr, backbone_lr)" in out and calls == []
    _, out = run_check(capsys, "04.choose_lrs", (3e-3, 0.0), run=run)
    assert "must be in (0, 1]" in out and calls == []
