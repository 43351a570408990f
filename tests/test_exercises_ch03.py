"""course_utils.exercises.ch03: the "freeze everything except layer4 and the head" checker."""
import torch
from torch import nn

from course_utils.exercises.ch03 import check_layer4_and_head, layer4_and_head_problems
from course_utils.lab_net import LabResNet
from course_utils.surgery import freeze, freeze_to, replace_head


def tiny():
    torch.manual_seed(0)
    return LabResNet(num_classes=5, widths=(4, 4, 8, 8))


def right_answer(model):
    for p in model.parameters():
        p.requires_grad = False
    for p in model.layer4.parameters():
        p.requires_grad = True
    for p in model.fc.parameters():
        p.requires_grad = True
    return model


def trainable_params(model):
    return [p for p in model.parameters() if p.requires_grad]


def test_right_answer_passes(capsys):
    model = right_answer(tiny())
    optimizer = torch.optim.AdamW(trainable_params(model), lr=1e-3)
    assert check_layer4_and_head(model, optimizer) is True
    assert capsys.readouterr().out.startswith("✅ Correct")


def test_freeze_to_with_frozen_bn_passes_without_bn_note(capsys):
    model = tiny()
    freeze_to(model, -2, train_bn=False)
    assert check_layer4_and_head(model) is True
    assert "Note:" not in capsys.readouterr().out


def test_plain_requires_grad_answer_gets_bn_note(capsys):
    check_layer4_and_head(right_answer(tiny()))
    assert "running statistics" in capsys.readouterr().out


def test_nothing_frozen_fails(capsys):
    assert check_layer4_and_head(tiny()) is False
    assert "Nothing is frozen" in capsys.readouterr().out


def test_everything_frozen_is_named():
    problems = layer4_and_head_problems(tiny().requires_grad_(False))
    assert len(problems) == 1 and "Every parameter is frozen" in problems[0]


def test_frozen_head_is_named():
    model = tiny()
    for p in model.fc.parameters():  # wrong order: unfreeze head, then freeze everything else
        p.requires_grad = True
    model.requires_grad_(False)
    model.layer4.requires_grad_(True)
    problems = layer4_and_head_problems(model)
    assert len(problems) == 1 and "The head is frozen" in problems[0]


def test_head_only_names_layer4():
    model = tiny().requires_grad_(False)
    model.fc.requires_grad_(True)
    problems = layer4_and_head_problems(model)
    assert len(problems) == 1 and "of layer4's" in problems[0]


def test_trainable_bn_of_frozen_groups_is_explained():
    model = tiny()
    freeze_to(model, -2)  # train_bn=True keeps BatchNorm of stem..layer3 trainable
    problems = layer4_and_head_problems(model)
    assert len(problems) == 1 and "BatchNorm" in problems[0] and "train_bn=False" in problems[0]


def test_optimizer_built_before_replace_head_is_caught():
    model = right_answer(tiny())
    optimizer = torch.optim.AdamW(trainable_params(model), lr=1e-3)
    replace_head(model, 3)
    problems = layer4_and_head_problems(model, optimizer)
    assert any("trainable tensors missing from the optimizer (never updated): fc.weight, fc.bias"
               in p for p in problems)
    assert any("not in the model" in p for p in problems)


def test_optimizer_with_frozen_tensors_is_caught():
    model = right_answer(tiny())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    problems = layer4_and_head_problems(model, optimizer)
    assert len(problems) == 1 and "frozen tensors in the optimizer" in problems[0]


def test_non_resnet_model_gets_a_clear_message():
    problems = layer4_and_head_problems(nn.Linear(2, 2))
    assert "layer4" in problems[0] and "Linear" in problems[0]


def test_freeze_helper_answer_passes():
    model = tiny()
    freeze(model, ["stem", "layer1", "layer2", "layer3"], train_bn=False)
    assert layer4_and_head_problems(model) == []


# ----- the exercise through check(): reference, stub, wrong answers -----
from exercise_helpers import run_check  # noqa: E402

from course_utils.exercises.ch03 import reference_freeze_layer4_and_head  # noqa: E402


def test_03_reference_passes_on_a_fresh_and_a_given_model(capsys):
    returned, out = run_check(capsys, "03.freeze", reference_freeze_layer4_and_head)
    assert returned is reference_freeze_layer4_and_head and "✅ Correct" in out
    model = tiny()
    returned, out = run_check(capsys, "03.freeze", reference_freeze_layer4_and_head, model=model)
    assert "✅ Correct" in out and all(p.requires_grad for p in model.parameters())  # a copy


def test_03_stub_is_not_attempted(capsys):
    def freeze_layer4_and_head(model, lr):
        """Freeze all but layer4 and fc; return the optimizer."""
        ...

    returned, out = run_check(capsys, "03.freeze", freeze_layer4_and_head)
    assert "not attempted yet" in out and returned is reference_freeze_layer4_and_head


def test_03_frozen_head_is_named(capsys):
    def head_frozen(model, lr):
        for p in model.parameters():
            p.requires_grad = False
        for p in model.layer4.parameters():
            p.requires_grad = True
        return torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)

    _, out = run_check(capsys, "03.freeze", head_frozen)
    assert "The head is frozen" in out


def test_03_optimizer_over_everything_is_named(capsys):
    def all_in_optimizer(model, lr):
        right_answer(model)
        return torch.optim.AdamW(model.parameters(), lr=lr)

    _, out = run_check(capsys, "03.freeze", all_in_optimizer)
    assert "frozen tensors in the optimizer" in out


def test_03_forgetting_to_return_the_optimizer_is_named(capsys):
    def no_return(model, lr):
        right_answer(model)
        torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)

    _, out = run_check(capsys, "03.freeze", no_return)
    assert "returned a NoneType" in out


# ----- the judgement exercise 03.choose: the checker runs the choice -----
from types import SimpleNamespace  # noqa: E402

from course_utils.exercises.ch03 import reference_choice  # noqa: E402


def fake_run(val_acc, source_acc):
    """A stand-in for the notebook's fine_tune: records its calls, returns fixed numbers."""
    calls = []

    def run(n, lr_scale, seed, show):
        calls.append((n, lr_scale, seed, show))
        history = SimpleNamespace(val_acc=[0.4, val_acc], best_epoch=1, train_acc=[0.5, 0.99])
        return {"history": history, "source_acc": source_acc}

    return run, calls


def test_03_choose_runs_the_choice_on_an_unseen_seed(capsys):
    run, calls = fake_run(0.72, 0.85)
    returned, out = run_check(capsys, "03.choose", (-2, 1.0), run=run)
    assert calls == [(-2, 1.0, 2, False)] and "✅ Bar met" in out and returned == (-2, 1.0)


def test_03_choose_any_choice_meeting_the_bar_passes(capsys):
    run, _ = fake_run(0.70, 0.82)
    assert run_check(capsys, "03.choose", (0, 0.1), run=run)[0] == (0, 0.1)


def test_03_choose_stub_is_not_attempted_and_nothing_runs(capsys):
    run, calls = fake_run(0.72, 0.85)
    returned, out = run_check(capsys, "03.choose", ..., run=run)
    assert "not attempted yet" in out and calls == [] and returned == reference_choice()


def test_03_choose_forgetting_and_underfitting_are_named(capsys):
    run, _ = fake_run(0.74, 0.52)          # full fine-tuning: fits, forgets
    _, out = run_check(capsys, "03.choose", (0, 1.0), run=run)
    assert "forgot its source task" in out and "validation accuracy" not in out.split("Not yet")[1]
    run, _ = fake_run(0.48, 0.965)         # head only: keeps the source, cannot fit
    _, out = run_check(capsys, "03.choose", (-1, 1.0), run=run)
    assert "0.480 < 0.62" in out and "Unfreeze more" in out


def test_03_choose_a_malformed_choice_is_named_without_running(capsys):
    run, calls = fake_run(0.72, 0.85)
    _, out = run_check(capsys, "03.choose", "layer4", run=run)
    assert "give a pair (n, lr_scale)" in out and calls == []
    _, out = run_check(capsys, "03.choose", (-9, 1.0), run=run)
    assert "freeze_to takes -6 .. 5" in out and calls == []
