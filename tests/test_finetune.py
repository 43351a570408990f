"""The two-stage recipe script (its torchrun run is tested in test_distributed.py)."""
import json

from course_utils import bn_policies, finetune, pretrained


def test_stages_freeze_what_they_say():
    model = pretrained("lab_resnet.fmnist_source", num_classes=3)
    head = finetune.stage_optimizer(model, "head", lr=1e-3, lr_lo=1e-5)
    assert sum(len(g["params"]) for g in head.param_groups) == 2  # the head's weight and bias
    full = finetune.stage_optimizer(model, "full", lr=1e-3, lr_lo=1e-5)
    lrs = [g["lr"] for g in full.param_groups]
    assert min(lrs) == 1e-5 and max(lrs) == 1e-3
    assert all(p.requires_grad for p in model.parameters())
    assert set(bn_policies(model).values()) == {"eval"}  # BatchNorm statistics are kept


def test_one_process_run_writes_a_summary_and_a_checkpoint(tmp_path):
    summary = finetune.main(["--k", "20", "--val-per-class", "20", "--head-epochs", "1",
                             "--full-epochs", "0", "--out", str(tmp_path)])
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    assert (tmp_path / "model.pt").exists()
    assert [s["stage"] for s in summary["stages"]] == ["head"]
    assert 0 <= summary["test_acc"] <= 1 and summary["train_images"] == 60
