"""course_utils.schedules: per-batch schedules that keep each group's LR, recorded per step."""
import functools

import pytest
import torch

from course_utils.schedules import (
    LRRecorder, constant_lr, one_cycle, plot_lrs, preview_schedule, warmup_cosine,
)


def optimizer(cls=torch.optim.AdamW, **kwargs):
    groups = [{"params": [torch.zeros(2, requires_grad=True)], "lr": 1e-4, "name": "body"},
              {"params": [torch.zeros(2, requires_grad=True)], "lr": 1e-2, "name": "head"}]
    return cls(groups, **kwargs)


def run(opt, sched, steps):
    recorder = LRRecorder(opt)
    for _ in range(steps):
        recorder.record()
        opt.step()
        sched.step()
    return recorder.lrs


def test_warmup_rises_linearly_to_the_peak():
    opt = optimizer()
    lrs = run(opt, warmup_cosine(opt, total_steps=20, warmup_steps=4), 20)["head"]
    assert lrs[:4] == pytest.approx([0.0025, 0.005, 0.0075, 0.01])


def test_cosine_decays_to_the_minimum_at_the_last_step():
    opt = optimizer()
    lrs = run(opt, warmup_cosine(opt, total_steps=20, warmup_steps=4, min_lr_ratio=0.1), 20)["head"]
    assert all(a >= b for a, b in zip(lrs[3:], lrs[4:]))
    assert lrs[-1] == pytest.approx(1e-3)


def test_warmup_cosine_keeps_the_groups_ratio():
    opt = optimizer()
    lrs = run(opt, warmup_cosine(opt, total_steps=20, warmup_steps=4), 19)
    assert [h / b for b, h in zip(lrs["body"], lrs["head"])] == pytest.approx([100.0] * 19)


def test_one_cycle_peaks_at_each_groups_own_lr():
    opt = optimizer()
    lrs = run(opt, one_cycle(opt, total_steps=40), 40)
    assert max(lrs["body"]) == pytest.approx(1e-4) and max(lrs["head"]) == pytest.approx(1e-2)
    assert lrs["head"].index(max(lrs["head"])) == pytest.approx(10, abs=1)  # pct_start=0.25
    assert lrs["head"][-1] < 1e-2 / 1e4


def test_one_cycle_single_max_lr_warns_over_different_group_lrs():
    opt = optimizer()
    with pytest.warns(UserWarning, match="HINT"):
        one_cycle(opt, total_steps=10, max_lr=1e-3)


def test_one_cycle_works_with_plain_sgd():
    opt = optimizer(torch.optim.SGD, lr=0.1)  # no momentum to cycle
    lrs = run(opt, one_cycle(opt, total_steps=10), 10)
    assert max(lrs["head"]) == pytest.approx(1e-2, rel=0.05)


def test_constant_keeps_the_lr():
    opt = optimizer()
    assert run(opt, constant_lr(opt), 5)["body"] == [1e-4] * 5


def test_recorder_names_unnamed_groups_by_index():
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    recorder = LRRecorder(opt)
    recorder.record()
    assert recorder.lrs == {"group0": [0.1]}


def test_preview_leaves_the_real_groups_alone():
    opt = optimizer()
    factory = functools.partial(warmup_cosine, warmup_steps=5)
    recorder = preview_schedule(opt, factory, total_steps=30)
    assert len(recorder.lrs["head"]) == 30 and max(recorder.lrs["head"]) == pytest.approx(1e-2)
    assert [g["lr"] for g in opt.param_groups] == [1e-4, 1e-2]


def test_plot_lrs_draws_one_line_per_group():
    opt = optimizer()
    ax = plot_lrs(preview_schedule(opt, one_cycle, total_steps=10))
    assert len(ax.get_lines()) == 2 and ax.get_yscale() == "log"
