"""Chapter 06 checkers: a right answer passes, each typical wrong answer fails with its reason."""
import statistics

import numpy as np
import pytest
import torch

from course_utils.exercises.ch06 import check_beyond_noise, check_layer_decay_lrs, check_mean_std


def right_lrs(n, head_lr, decay):
    return [head_lr * decay ** (n - 1 - i) for i in range(n)]


def test_layer_decay_right_answer_passes(capsys):
    assert check_layer_decay_lrs(right_lrs) is True
    assert capsys.readouterr().out.startswith("✅")


def test_layer_decay_reversed_order_is_named(capsys):
    assert check_layer_decay_lrs(lambda n, lr, d: right_lrs(n, lr, d)[::-1]) is False
    assert "reversed" in capsys.readouterr().out


def test_layer_decay_off_by_one_exponent_is_named(capsys):
    assert check_layer_decay_lrs(lambda n, lr, d: [lr * d ** (n - i) for i in range(n)]) is False
    assert "head_lr itself" in capsys.readouterr().out


def test_layer_decay_wrong_length_is_named(capsys):
    assert check_layer_decay_lrs(lambda n, lr, d: right_lrs(n, lr, d)[:-1] or [0.0, 0.0]) is False
    assert "exactly one per" in capsys.readouterr().out


def test_mean_std_accepts_numpy_and_torch(capsys):
    assert check_mean_std(lambda xs: (np.mean(xs), np.std(xs, ddof=1))) is True
    assert check_mean_std(lambda xs: (torch.tensor(xs).mean(), torch.tensor(xs).std())) is True


def test_mean_std_population_std_is_named(capsys):
    assert check_mean_std(lambda xs: (np.mean(xs), np.std(xs))) is False
    assert "population std" in capsys.readouterr().out


def test_mean_std_variance_is_named(capsys):
    assert check_mean_std(lambda xs: (statistics.mean(xs), statistics.variance(xs))) is False
    assert "variance" in capsys.readouterr().out


def test_mean_std_not_a_pair_is_named(capsys):
    assert check_mean_std(lambda xs: statistics.mean(xs)) is False
    assert "two numbers" in capsys.readouterr().out


def right_verdict(a, b):
    return abs(statistics.mean(a) - statistics.mean(b)) > statistics.stdev(a) + statistics.stdev(b)


def test_beyond_noise_right_answer_passes(capsys):
    assert check_beyond_noise(right_verdict) is True
    assert "both orders" in capsys.readouterr().out


def test_beyond_noise_means_only_is_named(capsys):
    assert check_beyond_noise(lambda a, b: abs(np.mean(a) - np.mean(b)) > 0.01) is False
    assert "compare only the means" in capsys.readouterr().out


def test_beyond_noise_signed_difference_is_named(capsys):
    def signed(a, b):
        return statistics.mean(a) - statistics.mean(b) > statistics.stdev(a) + statistics.stdev(b)

    assert check_beyond_noise(signed) is False
    assert "absolute difference" in capsys.readouterr().out


# ----- the exercises through check(): reference, stub, wrong answers -----
from exercise_helpers import run_check  # noqa: E402

from course_utils.exercises.ch06 import (reference_beyond_noise, reference_layer_decay_lrs,  # noqa: E402
                                         reference_mean_std)


def test_every_checker_uses_the_one_verdict_format(capsys):
    check_mean_std(lambda xs: (np.mean(xs), np.std(xs)))
    assert capsys.readouterr().out.startswith("❌ Not yet:\n  - ")


@pytest.mark.parametrize("exercise_id, reference", [
    ("06.layer_decay", reference_layer_decay_lrs), ("06.mean_std", reference_mean_std),
    ("06.beyond_noise", reference_beyond_noise)])
def test_06_references_pass_and_stubs_are_not_attempted(capsys, exercise_id, reference):
    returned, out = run_check(capsys, exercise_id, reference)
    assert returned is reference and out.startswith("✅")

    def stub(*args):
        """Your code here."""
        raise NotImplementedError

    returned, out = run_check(capsys, exercise_id, stub)
    assert "not attempted yet" in out and returned is reference
    returned, out = run_check(capsys, exercise_id, ...)
    assert "not attempted yet" in out and returned is reference


@pytest.mark.parametrize("exercise_id, wrong, message", [
    ("06.layer_decay", lambda n, lr, d: right_lrs(n, lr, d)[::-1], "reversed"),
    ("06.layer_decay", lambda n, lr, d: [lr * d ** (n - i) for i in range(n)], "head_lr itself"),
    ("06.mean_std", lambda xs: (np.mean(xs), np.std(xs)), "population std"),
    ("06.mean_std", lambda xs: (statistics.mean(xs), statistics.variance(xs)), "variance"),
    ("06.beyond_noise", lambda a, b: abs(np.mean(a) - np.mean(b)) > 0.01, "compare only the means"),
    ("06.beyond_noise", lambda a, b: statistics.mean(a) - statistics.mean(b)
     > statistics.stdev(a) + statistics.stdev(b), "absolute difference"),
])
def test_06_wrong_answers_get_their_feedback(capsys, exercise_id, wrong, message):
    returned, out = run_check(capsys, exercise_id, wrong)
    assert message in out and returned is not wrong


# ----- 06.protect: the judgement exercise; the checker RUNS the strategy through a harness -----
from course_utils.exercises.ch06 import (RETENTION_BAR, TARGET_BAR,  # noqa: E402
                                         check_protect, reference_protect)


def single_lr(model, loader, cfg, **kw):
    """The plain fine-tune: learns the target, forgets the source."""
    return ["trained at one LR"]


def frozen_solid(model, loader, cfg, callbacks=(), **kw):
    """A penalty so strong that the backbone cannot move: keeps the source, learns little."""
    return ["L2SP(alpha=1000)"]


def harness(numbers):
    """A stand-in for the chapter's run(): what each strategy measured in the chapter's runs
    (target validation accuracy, retention); it calls the strategy as run() does."""
    def run(name, seed, cfg, train):
        train(model=None, loader=None, cfg=cfg, callbacks=[])
        acc, ret = numbers[train.__wrapped__ if hasattr(train, "__wrapped__") else train][seed]
        return {"val_acc": acc, "retention": ret}
    return run


NUMBERS = {reference_protect: {0: (TARGET_BAR + 0.02, RETENTION_BAR + 0.05),
                               1: (TARGET_BAR + 0.01, RETENTION_BAR + 0.03)},
           single_lr: {0: (0.70, 0.48), 1: (0.71, 0.74)},
           frozen_solid: {0: (0.52, 0.95), 1: (0.55, 0.94)}}


def test_protect_reference_passes_and_stub_is_not_attempted(capsys):
    ran = []

    def run(name, seed, cfg, train):
        ran.append(seed)
        return {"val_acc": TARGET_BAR + 0.02, "retention": RETENTION_BAR + 0.05}

    returned, out = run_check(capsys, "06.protect", lambda model, loader, cfg, **kw: ["ok"],
                              run=run, cfg=None)
    assert out.startswith("✅ the bar is met") and ran == [0, 1]

    def protect(model, loader, cfg, **kw):
        """Your code here."""
        raise NotImplementedError

    def run_stub(name, seed, cfg, train):
        return train(None, None, cfg)   # the stub raises inside the harness, as in the notebook

    returned, out = run_check(capsys, "06.protect", protect, run=run_stub, cfg=None)
    assert "not attempted yet" in out and returned is reference_protect


def test_protect_plain_fine_tune_is_told_it_forgot(capsys):
    ok = check_protect(single_lr, harness(NUMBERS), cfg=None)
    out = capsys.readouterr().out
    assert ok is False and "source retention 0.610 is below the bar" in out
    assert "move it less" in out
    assert f"below the bar {TARGET_BAR:g}" not in out   # its target accuracy is fine


def test_protect_frozen_backbone_is_told_it_learned_too_little(capsys):
    ok = check_protect(frozen_solid, harness(NUMBERS), cfg=None)
    out = capsys.readouterr().out
    assert ok is False and "target validation accuracy 0.535 is below the bar" in out
    assert "held too still" in out and f"below the bar {RETENTION_BAR:g}" not in out


def test_protect_error_in_the_strategy_is_feedback_not_a_traceback(capsys):
    def broken(model, loader, cfg, **kw):
        return undefined_fit(model)  # noqa: F821  (a typo in the student's code)

    def run(name, seed, cfg, train):
        return train(None, None, cfg)

    returned, out = run_check(capsys, "06.protect", broken, run=run, cfg=None)
    assert "your code raised NameError" in out and returned is reference_protect


def test_reference_protect_trains_with_l2sp_and_keeps_the_harness_callbacks():
    from types import SimpleNamespace

    import torch
    from tiny_models import QUIET, TinyNet

    from course_utils.callbacks import Callback
    from course_utils.loaders import TensorLoader

    seen = []

    class Spy(Callback):
        def on_fit_start(self, state):
            seen.append({type(cb).__name__ for cb in state.callbacks})

    x, y = torch.randn(16, 1, 8, 8), torch.arange(16) % 2
    histories = reference_protect(TinyNet(), TensorLoader(x, y, batch_size=8, device="cpu"),
                                  SimpleNamespace(epochs=1, head_lr=1e-3), callbacks=[Spy()],
                                  **QUIET)
    assert len(histories) == 1 and "L2SP" in seen[0] and "Spy" in seen[0]
