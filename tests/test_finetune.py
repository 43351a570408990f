"""The two-stage recipe script (its torchrun run is tested in test_distributed.py)."""
import json

from course_utils import finetune


def test_one_process_run_writes_a_summary_and_a_checkpoint(tmp_path):
    summary = finetune.main(["--k", "20", "--val-per-class", "20", "--head-epochs", "1",
                             "--full-epochs", "0", "--out", str(tmp_path)])
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    assert (tmp_path / "model.pt").exists()
    assert [s["stage"] for s in summary["stages"]] == ["head"]
    assert 0 <= summary["test_acc"] <= 1 and summary["train_images"] == 60
