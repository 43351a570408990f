"""course_utils.budget_map: the step budget, the summary, the heat map and one real run."""
import json

import pytest

from course_utils import budget_map as bm
from course_utils.budget_map import (BudgetConfig, best_strategy, load_budget_map,
                                     plot_budget_map, steps_for, summarise)


def fake_result():
    acc = {("target", "head"): 0.5, ("target", "layer4"): 0.7, ("target", "full"): 0.72,
           ("camera_b", "head"): 0.3, ("camera_b", "layer4"): 0.6, ("camera_b", "full"): 0.8}
    runs = [{"task": t, "strategy": s, "k": k, "seed": seed, "test_acc": a + 0.01 * seed + k / 1e4}
            for (t, s), a in acc.items() for k in (10, 200) for seed in (0, 1, 2)]
    return {"config": {}, "runs": runs}


def test_steps_for_small_sets_get_more_passes_large_sets_one():
    cfg = BudgetConfig(batch_size=64, epochs=8, min_steps=30, max_steps=80)
    assert steps_for(cfg, 30) == 30          # 1 batch per epoch: 30 epochs
    assert steps_for(cfg, 600) == 80         # 10 batches per epoch: 8 epochs
    assert steps_for(cfg, 7000) == 110       # above max_steps: still one whole pass
    assert all(steps_for(cfg, n) % -(-n // 64) == 0 for n in (30, 150, 600, 3000))  # whole epochs


def test_summarise_means_and_spread_per_cell():
    table = summarise(fake_result())
    cell = table["target", "full", 10]
    assert cell["n"] == 3 and cell["min"] < cell["mean"] < cell["max"]
    assert cell["mean"] == pytest.approx(0.72 + 0.01 + 0.001)


def test_best_strategy_per_column():
    assert best_strategy(fake_result(), "target", 10) == "full"
    assert best_strategy(fake_result(), "camera_b", 200) == "full"


def test_plot_budget_map_one_panel_per_task_best_framed():
    fig = plot_budget_map(fake_result())
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == 2
    assert [len(ax.patches) for ax in panels] == [2, 2]  # one frame per column
    assert len(panels[0].texts) == 6                     # 3 strategies x 2 budgets


def test_load_budget_map_missing_file_says_how_to_make_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m course_utils.budget_map"):
        load_budget_map(tmp_path / "nope.json")


def test_load_budget_map_reads_json(tmp_path):
    path = tmp_path / "map.json"
    path.write_text(json.dumps(fake_result()))
    assert len(load_budget_map(path)["runs"]) == 36


def test_adapt_unknown_strategy():
    with pytest.raises(ValueError, match="strategy"):
        bm.adapt("target", "everything", 10, 0)


def test_adapt_unknown_task():
    with pytest.raises(ValueError, match="task"):
        bm.task_data("camera_c", 10, 0)


def test_camera_b_task_data_is_distorted_and_balanced():
    (x, y), (tx, ty) = bm.task_data("camera_b", 3, seed=0, test_per_class=2)
    assert x.dtype.is_floating_point is False and len(y) == 3 * 7 and len(ty) == 2 * 7
    assert x.float().mean() > 128  # inverted: the dark background became bright


def test_one_tiny_run_trains_only_what_the_strategy_says():
    cfg = BudgetConfig(batch_size=8, epochs=1, min_steps=1, max_steps=1, test_per_class=5)
    run = bm.adapt("target", "layer4", k=2, seed=0, cfg=cfg)
    trainable = {n.split(".")[0] for n, p in run["model"].named_parameters() if p.requires_grad}
    assert trainable == {"layer4", "fc"} and run["steps"] == 1
    assert 0.0 <= run["test_acc"] <= 1.0


def test_plot_budget_map_with_a_missing_cell_frames_the_measured_best():
    result = fake_result()
    result["runs"] = [r for r in result["runs"] if not (r["strategy"] == "full" and r["k"] == 200)]
    fig = plot_budget_map(result)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [len(ax.patches) for ax in panels] == [2, 2] and len(panels[0].texts) == 5
