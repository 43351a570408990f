"""course_utils.exercises.ch10: AdaBN by hand, and the camera-B decision the checker runs."""
from torch.nn.modules.batchnorm import _BatchNorm

from course_utils.exercises.ch10 import CHOICE_BAR, adabn_problems, reference_reestimate_bn
from exercise_helpers import is_reference, run_check


def test_reference_passes(capsys):
    returned, out = run_check(capsys, "10.adabn", reference_reestimate_bn)
    assert returned is reference_reestimate_bn and out.startswith("✅")


def test_stub_is_not_attempted_and_falls_back(capsys):
    def reestimate_bn(model, batches):
        raise NotImplementedError

    returned, out = run_check(capsys, "10.adabn", reestimate_bn)
    assert "not attempted yet" in out and is_reference("10.adabn", returned)


def test_forgetting_the_reset_is_named():
    def no_reset(model, batches):
        for m in model.modules():
            if isinstance(m, _BatchNorm):
                m.train()
        for x in batches:
            model(x)
        model.train()

    problems = adabn_problems(no_reset)
    assert any("reset_running_stats" in p for p in problems)


def test_no_forward_pass_is_named():
    problems = adabn_problems(lambda model, batches: None)
    assert len(problems) == 1 and "never saw the batches" in problems[0]


def test_leaving_eval_mode_is_named():
    def leaves_eval(model, batches):
        reference_reestimate_bn(model, batches)
        model.eval()

    assert any("train mode" in p for p in adabn_problems(leaves_eval))


def test_momentum_not_restored_is_named():
    def keeps_none(model, batches):
        reference_reestimate_bn(model, batches)
        for m in model.modules():
            if isinstance(m, _BatchNorm):
                m.momentum = None

    assert any("momentum" in p for p in adabn_problems(keeps_none))


def test_choice_runs_the_decision_and_compares_with_the_bar(capsys):
    calls = []

    def run(choice, seed):
        calls.append((choice, seed))
        return {"full": CHOICE_BAR + 0.05, "head": CHOICE_BAR - 0.3}.get(choice, 0.0)

    returned, out = run_check(capsys, "10.choose", "full", run=run)
    assert returned == "full" and "Bar met" in out and calls == [("full", 3)]
    returned, out = run_check(capsys, "10.choose", "head", run=run)
    assert "Not yet" in out and is_reference("10.choose", returned)


def test_choice_rejects_unknown_names_without_training(capsys):
    returned, out = run_check(capsys, "10.choose", "everything", run=None)
    assert "choose one of" in out and is_reference("10.choose", returned)


def test_choice_not_attempted(capsys):
    returned, out = run_check(capsys, "10.choose", ...)
    assert "not attempted yet" in out and returned == "full"
