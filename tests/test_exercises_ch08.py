"""Chapter 08 exercises through check(): the references pass, the stubs are "not attempted",
realistic wrong answers get specific feedback, and check() never raises (it hands back the
reference so the notebook runs on)."""
import numpy as np

from exercise_helpers import is_reference, run_check

from course_utils.exercises.ch08 import reference_compute_metrics, reference_lora_param_count


# ----- 08.lora_count -----

def test_lora_reference_passes_and_is_returned(capsys):
    returned, out = run_check(capsys, "08.lora_count", reference_lora_param_count)
    assert returned is reference_lora_param_count and out.startswith("✅ Correct")


def test_lora_reference_matches_peft_count_for_minilm():
    # 6 layers x (query + value), each 384 x 384, r=8: what peft reports (without the head)
    assert reference_lora_param_count([(384, 384)] * 12, r=8) == 73_728


def test_lora_another_right_answer_is_returned_itself(capsys):
    def mine(shapes, r):
        return sum(r * o + r * i for o, i in shapes)
    returned, out = run_check(capsys, "08.lora_count", mine)
    assert returned is mine and "✅ Correct" in out


def test_lora_stub_is_not_attempted_and_falls_back(capsys):
    def lora_param_count(shapes, r):
        """The notebook's stub, as shipped."""
        raise NotImplementedError("YOUR TURN: write lora_param_count")

    returned, out = run_check(capsys, "08.lora_count", lora_param_count)
    assert "not attempted yet" in out and "Traceback" not in out
    assert is_reference("08.lora_count", returned)


def test_lora_full_matrix_count_is_named(capsys):
    returned, out = run_check(capsys, "08.lora_count",
                              lambda shapes, r: sum(o * i for o, i in shapes))
    assert "frozen weights W" in out and returned is reference_lora_param_count


def test_lora_square_assumption_is_named(capsys):
    # right on square layers, wrong on the MLP's 1536 x 384 ones
    _, out = run_check(capsys, "08.lora_count", lambda shapes, r: sum(2 * r * i for _, i in shapes))
    assert "square" in out


def test_lora_one_matrix_and_missing_rank_are_named(capsys):
    _, out = run_check(capsys, "08.lora_count", lambda shapes, r: sum(r * i for _, i in shapes))
    assert "only A" in out
    _, out = run_check(capsys, "08.lora_count", lambda shapes, r: sum(o + i for o, i in shapes))
    assert "rank r is missing" in out


def test_lora_errors_and_non_numbers_never_raise(capsys):
    returned, out = run_check(capsys, "08.lora_count", lambda shapes, r: 1 / 0)
    assert "ZeroDivisionError" in out and returned is reference_lora_param_count
    _, out = run_check(capsys, "08.lora_count", lambda shapes, r: "many")
    assert "one number" in out


# ----- 08.accuracy -----

def test_accuracy_reference_passes(capsys):
    returned, out = run_check(capsys, "08.accuracy", reference_compute_metrics)
    assert returned is reference_compute_metrics and "✅ Correct" in out


def test_accuracy_with_scikit_learn_passes(capsys):
    from sklearn.metrics import accuracy_score

    def compute_metrics(eval_pred):
        logits, labels = eval_pred
        return {"accuracy": accuracy_score(labels, logits.argmax(-1))}

    returned, out = run_check(capsys, "08.accuracy", compute_metrics)
    assert returned is compute_metrics and "✅ Correct" in out


def test_accuracy_stub_is_not_attempted(capsys):
    def compute_metrics(eval_pred):
        """Return {"accuracy": ...}."""
        ...

    returned, out = run_check(capsys, "08.accuracy", compute_metrics)
    assert "not attempted yet" in out and returned is reference_compute_metrics


def test_accuracy_a_bare_float_is_named(capsys):
    _, out = run_check(capsys, "08.accuracy",
                       lambda p: float((p[0].argmax(-1) == p[1]).mean()))
    assert "dict of named numbers" in out and "float" in out


def test_accuracy_argmax_over_the_wrong_axis_is_named(capsys):
    _, out = run_check(capsys, "08.accuracy",
                       lambda p: {"accuracy": float((np.argmax(p[0], axis=0) == p[1]).mean())})
    assert "axis 0" in out and "axis=-1" in out


def test_accuracy_count_instead_of_mean_is_named(capsys):
    _, out = run_check(capsys, "08.accuracy",
                       lambda p: {"accuracy": int((p[0].argmax(-1) == p[1]).sum())})
    assert "count of right answers" in out


def test_accuracy_another_key_is_named(capsys):
    _, out = run_check(capsys, "08.accuracy",
                       lambda p: {"acc": float((p[0].argmax(-1) == p[1]).mean())})
    assert "['acc']" in out and "metric_for_best_model" in out
