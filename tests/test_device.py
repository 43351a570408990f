"""course_utils.device: one choice, reported once, overridable."""
import pytest
import torch

from course_utils import device


def test_cpu_when_no_accelerator(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert device.get_device(verbose=False) == torch.device("cpu")


def test_env_variable_overrides(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert device.get_device(verbose=False).type == "cpu"


def test_reported_once(monkeypatch, capsys):
    monkeypatch.setattr(device, "_reported", False)
    device.get_device()
    device.get_device()
    assert capsys.readouterr().out.count("training on") == 1


@pytest.mark.parametrize("value, match", [("garbage", "is not a device"),
                                          ("cuda:99", "COURSE_DEVICE='cuda:99'")])
def test_a_bad_course_device_names_the_variable(monkeypatch, value, match):
    monkeypatch.setenv("COURSE_DEVICE", value)
    if value == "cuda:99" and not torch.cuda.is_available():
        match = "no cuda device"
    with pytest.raises((ValueError, RuntimeError), match=match):
        device.get_device(verbose=False)
