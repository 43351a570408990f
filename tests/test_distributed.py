"""fit() under torchrun: sharding, summed metrics, rank-0-only output, the 1-process result."""
import json
import os
import subprocess
import sys

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from course_utils import TensorLoader, distributed, finetune
from course_utils.distributed import all_reduce_sum, is_main_process, shard_loader, world_size


def test_without_torchrun_everything_is_a_no_op():
    assert world_size() == 1 and is_main_process()
    assert all_reduce_sum(torch.tensor([2.0])).item() == 2.0


@pytest.mark.parametrize("n", [64, 67, 65])  # last batch: divides by 2, does not, too small
def test_shards_together_are_the_single_process_batches(n):
    images, labels = torch.randint(0, 255, (n, 8, 8), dtype=torch.uint8), torch.arange(n)
    loader = TensorLoader(images, labels, batch_size=16, shuffle=True, augment="flip_crop",
                          device="cpu", seed=3)
    whole = list(loader)
    shards = []
    for r in range(2):
        loader.generator.manual_seed(3)  # the same random state as for the whole-batch run
        shards.append(list(loader.sharded(r, 2)))
    assert len(shards[0]) == len(shards[1]) == len(loader.sharded(0, 2))  # same steps everywhere
    assert len(shards[0]) == (4 if n == 65 else len(whole))  # a 1-image last batch is skipped
    for (x0, y0), (x1, y1), (x, y) in zip(*shards, whole):
        assert len(y0) == len(y1)  # equal shares
        assert torch.equal(torch.stack([y0, y1], 1).flatten(), y[:2 * len(y0)])
        assert torch.equal(torch.stack([x0, x1], 1).flatten(0, 1), x[:2 * len(y0)])  # same flips


def test_evaluation_shards_keep_every_image():
    loader = TensorLoader(torch.zeros(7, 2, 2), torch.arange(7), batch_size=4, device="cpu")
    seen = [y for r in range(2) for _, y in loader.sharded(r, 2, even=False)]
    assert sorted(torch.cat(seen).tolist()) == list(range(7))
    assert loader.world_size == 1  # the original loader is unchanged


def test_a_plain_dataloader_under_torchrun_gets_a_hint(monkeypatch):
    monkeypatch.setattr(distributed.dist, "is_initialized", lambda: True)  # as under torchrun
    monkeypatch.setattr(distributed, "world_size", lambda: 2)
    loader = DataLoader(TensorDataset(torch.zeros(4, 1), torch.zeros(4)), batch_size=2)
    with pytest.raises(TypeError, match="DistributedSampler"):
        shard_loader(loader, even=True)


def test_a_batch_that_does_not_split_evenly_is_refused():
    loader = TensorLoader(torch.zeros(4, 2, 2), torch.zeros(4), batch_size=3, device="cpu")
    with pytest.raises(ValueError, match="HINT"):
        loader.sharded(0, 2)


def torchrun(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COURSE_DEVICE": "cpu",
           "PYTHONPATH": os.pathsep.join([os.path.dirname(__file__),
                                          os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                          "--nproc_per_node=2", *args], capture_output=True, text=True, env=env,
                         timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run


def test_two_processes_match_one_process(tmp_path, monkeypatch):
    """The issue's check: torchrun with 2 CPU processes (gloo) against a single-process run."""
    monkeypatch.setenv("COURSE_DEVICE", "cpu")  # the same device and precision as the 2 processes:
    monkeypatch.setenv("COURSE_AMP", "off")     # torchrun on a CPU trains in fp32, so one process does
    # 600 training images (batches of 128 split evenly), 603 validation images (uneven shares)
    args = ["--k", "200", "--val-per-class", "201", "--head-epochs", "1", "--full-epochs", "1"]
    single = finetune.main([*args, "--out", str(tmp_path / "one")])
    run = torchrun("-m", "course_utils.finetune", *args, "--out", str(tmp_path / "two"))
    two = json.loads((tmp_path / "two" / "summary.json").read_text())
    assert two["world_size"] == 2 and single["world_size"] == 1
    # Same batches, same augmentation, BatchNorm statistics frozen: only float rounding differs.
    for a, b in zip(single["stages"], two["stages"]):
        assert a["val_loss"] == pytest.approx(b["val_loss"], abs=2e-3)
        assert a["train_loss"] == pytest.approx(b["train_loss"], abs=2e-3)
    assert abs(single["test_acc"] - two["test_acc"]) < 0.01
    # Only rank 0 prints: every epoch line and the final line appear once.
    assert run.stdout.count("test accuracy") == 1
    assert run.stdout.count("epoch   0  train_loss") == 2  # stage 1 and stage 2, not 4


def test_processes_stay_identical_through_unfreezing_and_stop_together(tmp_path):
    """A group unfrozen mid-run joins gradient averaging; a stop asked by one process stops all."""
    report = tmp_path / "report.json"
    torchrun(os.path.join(os.path.dirname(__file__), "ddp_check_script.py"), str(report))
    result = json.loads(report.read_text())
    assert result["epochs"] == 2  # rank 1 asked to stop after epoch 1; rank 0 did not hang
    assert result["stem_moved"] > 0  # the unfrozen group trained...
    assert result["weight_gap"] < 1e-6  # ...and stayed the same in both processes


def test_ddp_wrapper_is_rebuilt_when_a_layer_is_unfrozen(tmp_path):
    """GradualUnfreeze under DDP: a parameter unfrozen later must join gradient averaging."""
    import torch.distributed as dist

    from course_utils.distributed import DDPWrapper

    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0,
                            world_size=1)
    try:
        model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2))
        model[0].requires_grad_(False)
        wrapper = DDPWrapper(model, torch.device("cpu"))
        first = wrapper()
        assert wrapper() is first  # nothing changed: the same wrapper
        model[0].requires_grad_(True)
        assert wrapper() is not first  # rebuilt: DDP now averages the new layer's gradients too
    finally:
        dist.destroy_process_group()
