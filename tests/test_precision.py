import pytest
import torch

from course_utils import precision
from course_utils.precision import amp_dtype, probe_cpu_bf16

CPU, CUDA = torch.device("cpu"), torch.device("cuda")


@pytest.fixture
def fresh_probe(monkeypatch):
    """Forget the probe's cached answer; no COURSE_AMP or torchrun from the environment."""
    monkeypatch.setattr(precision, "_cpu_choice", "unset")
    monkeypatch.delenv("COURSE_AMP", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)


def test_explicit_choices():
    assert amp_dtype("off", CUDA) is None
    assert amp_dtype(False, CPU) is None
    assert amp_dtype("bf16", CPU) == torch.bfloat16
    with pytest.raises(ValueError, match="amp='fp8'"):
        amp_dtype("fp8", CPU)


@pytest.mark.parametrize("bf16_rate, expected", [(2.0, torch.bfloat16), (1.05, None)])
def test_auto_on_a_cpu_follows_the_probe_runs_it_once_and_says_so(
        fresh_probe, monkeypatch, capsys, bf16_rate, expected):
    calls = []

    def fake_probe():
        calls.append(1)
        return {"fp32": 1.0, "bf16": bf16_rate}

    monkeypatch.setattr(precision, "probe_cpu_bf16", fake_probe)
    assert amp_dtype("auto", CPU) == expected
    assert amp_dtype("auto", CPU) == expected
    assert len(calls) == 1
    out = capsys.readouterr().out
    assert out.count("course_utils:") == 1 and "COURSE_AMP" in out


def test_environment_variable_forces_and_garbage_names_it(fresh_probe, monkeypatch):
    monkeypatch.setattr(precision, "probe_cpu_bf16", lambda: pytest.fail("probe must not run"))
    monkeypatch.setenv("COURSE_AMP", "BF16")
    assert amp_dtype("auto", CPU) == torch.bfloat16
    monkeypatch.setenv("COURSE_AMP", "off")
    assert amp_dtype("auto", CPU) is None
    monkeypatch.setenv("COURSE_AMP", "garbage")
    with pytest.raises(ValueError, match="COURSE_AMP='garbage'.*bf16, off or auto"):
        amp_dtype("auto", CPU)
    assert amp_dtype("off", CPU) is None  # an explicit argument does not read the variable


def test_no_probe_under_torchrun_so_processes_agree(fresh_probe, monkeypatch):
    monkeypatch.setattr(precision, "probe_cpu_bf16", lambda: pytest.fail("probe must not run"))
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert amp_dtype("auto", CPU) is None


def test_the_real_probe_measures_both_formats():
    rates = probe_cpu_bf16(steps=2, batch=8)
    assert set(rates) == {"fp32", "bf16"}
    assert all(rate > 0 for rate in rates.values())


@pytest.mark.parametrize("context", [torch.no_grad, torch.inference_mode])
def test_the_probe_works_inside_no_grad_as_evaluate_calls_it(fresh_probe, context):
    with context():
        assert amp_dtype("auto", CPU) in (None, torch.bfloat16)
