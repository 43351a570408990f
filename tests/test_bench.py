"""course_utils.bench runs and reports; it asserts no timings (docs/performance.md has them)."""
import math

from course_utils import bench
from course_utils.lab_net import LabResNet


def test_bench_reports_rates_share_and_speedup(capsys):
    result = bench.main(["--images", "512", "--seconds", "0.5"])
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].startswith("speedup: ")
    assert result["tutorial_img_s"] > 0 and result["fit_img_s"] > 0
    assert result["fit_gflop_s"] > 0 and "ceiling" not in out  # no peak claimed from one machine
    assert abs(result["speedup"] - result["fit_img_s"] / result["tutorial_img_s"]) < 1e-9


def test_flop_count_is_about_three_forward_passes():
    model = LabResNet(num_classes=10)
    train = bench.flops_per_training_image(model, (1, 28, 28))
    assert 0.1e9 < train < 0.3e9  # ~0.17 GFLOP: forward + twice that for backward
    assert all(p.grad is None for p in model.parameters())


def test_per_epoch_work_counts_steps_and_syncs_without_a_clock():
    work = bench.per_epoch_work(1000)
    assert work == {"tutorial_steps": 32, "tutorial_syncs": 32, "fit_steps": 8, "fit_syncs": 1}


def test_bench_reports_torch_compile(capsys):
    result = bench.main(["--images", "384", "--seconds", "0.2", "--compile"])
    out = capsys.readouterr().out
    assert "(b') fit(compile_model=True)" in out
    # reported, not judged: the compile time is a difference of two timings and may be tiny or
    # even negative when the compiler cache is warm or the machine is busy
    assert result["compiled_img_s"] > 0 and math.isfinite(result["compile_seconds"])


def test_layout_speeds_cover_both_models_and_layouts():
    rates = bench.layout_speeds(seconds=0.05)
    assert sorted(rates) == ["efficientnet_lite0 channels_last",
                             "efficientnet_lite0 contiguous_format",
                             "lab_resnet channels_last", "lab_resnet contiguous_format"]
    assert all(rate > 0 for rate in rates.values())
