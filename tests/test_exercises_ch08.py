"""Chapter 08 checker: the reference passes, the stub is "not attempted", wrong counts are named,
and the checker never raises (it hands back a function the notebook can use)."""
from course_utils.exercises.ch08 import check_lora_param_count, reference_lora_param_count


def stub(shapes, r):
    """The notebook's stub, as shipped."""
    raise NotImplementedError("write lora_param_count")


def test_reference_passes_and_is_returned(capsys):
    assert check_lora_param_count(reference_lora_param_count) is reference_lora_param_count
    assert capsys.readouterr().out.startswith("Correct")


def test_reference_matches_peft_count_for_minilm():
    # 6 layers x (query + value), each 384 x 384, r=8: what peft reports (without the head)
    assert reference_lora_param_count([(384, 384)] * 12, r=8) == 73_728


def test_another_right_answer_is_returned_itself(capsys):
    def mine(shapes, r):
        return sum(r * o + r * i for o, i in shapes)
    assert check_lora_param_count(mine) is mine
    assert "Correct" in capsys.readouterr().out


def test_stub_is_not_attempted_and_falls_back(capsys):
    count = check_lora_param_count(stub)
    out = capsys.readouterr().out
    assert "Not attempted yet" in out and "HINT" in out
    assert "Traceback" not in out
    assert count is reference_lora_param_count


def test_full_matrix_count_is_named(capsys):
    count = check_lora_param_count(lambda shapes, r: sum(o * i for o, i in shapes))
    out = capsys.readouterr().out
    assert "frozen weights W" in out
    assert count is reference_lora_param_count


def test_square_assumption_is_named(capsys):
    # right on square layers, wrong on the MLP's 1536 x 384 ones
    check_lora_param_count(lambda shapes, r: sum(2 * r * i for _, i in shapes))
    assert "square" in capsys.readouterr().out


def test_only_one_matrix_is_named(capsys):
    check_lora_param_count(lambda shapes, r: sum(r * i for _, i in shapes))
    assert "only A" in capsys.readouterr().out


def test_missing_rank_is_named(capsys):
    check_lora_param_count(lambda shapes, r: sum(o + i for o, i in shapes))
    assert "rank r is missing" in capsys.readouterr().out


def test_errors_and_non_numbers_never_raise(capsys):
    assert check_lora_param_count(lambda shapes, r: 1 / 0) is reference_lora_param_count
    assert "ZeroDivisionError" in capsys.readouterr().out
    assert check_lora_param_count(lambda shapes, r: "many") is reference_lora_param_count
    assert "one number" in capsys.readouterr().out
    assert check_lora_param_count(lambda shapes, r: None) is reference_lora_param_count
    assert "one number" in capsys.readouterr().out
