"""export: one file with weights, classes, preprocessing and metrics; read back with
weights_only=True; the same predictions in this process and in a fresh one."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from course_utils.export import export_model, load_exported
from course_utils.image_folder import folder_transforms
from course_utils.models import pretrained

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def model():
    torch.manual_seed(0)
    return pretrained("lab_resnet.fmnist_source", num_classes=3, weights=None).eval()


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    paths = []
    for i in range(4):
        path = tmp_path / f"img{i}.png"
        Image.fromarray(rng.integers(0, 255, (28, 28), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def test_file_holds_plain_data_only(tmp_path, model):
    path = export_model(tmp_path / "sub" / "m.pt", model, ["a", "b", "c"], {"val_acc": 0.5})
    bundle = torch.load(path, weights_only=True)  # would refuse pickled code
    assert bundle["classes"] == ["a", "b", "c"] and bundle["metrics"] == {"val_acc": 0.5}
    assert bundle["arch"] == "lab_resnet.fmnist_source"
    assert bundle["preprocess"] == {"input_size": [1, 28, 28], "mean": [0.286], "std": [0.353]}
    assert [p.name for p in path.parent.iterdir()] == ["m.pt"]  # no temporary file left


def test_reloaded_model_has_the_same_weights_and_predictions(tmp_path, model, files):
    path = export_model(tmp_path / "m.pt", model, ["a", "b", "c"])
    loaded = load_exported(path)
    for key, value in model.state_dict().items():
        assert torch.equal(value, loaded.model.state_dict()[key]), key
    transform = folder_transforms(model.course_cfg, train=False)
    with torch.no_grad():
        probs = torch.softmax(model(torch.stack([transform(Image.open(f)) for f in files])), 1)
    predictions = loaded.predict_files(files)
    assert [p.label for p in predictions] == [["a", "b", "c"][i] for i in probs.argmax(1)]
    assert [p.probability for p in predictions] == pytest.approx(probs.max(1).values.tolist())


def test_fresh_process_predicts_the_same(tmp_path, model, files):
    path = export_model(tmp_path / "m.pt", model, ["a", "b", "c"])
    here = [p.label for p in load_exported(path).predict_files(files)]
    out = subprocess.run([sys.executable, "-m", "course_utils.export", str(path),
                          *map(str, files)], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    there = [json.loads(line)["label"] for line in out.stdout.splitlines()]
    assert there == here


def test_wrong_number_of_class_names_is_refused(tmp_path, model):
    with pytest.raises(ValueError, match="predicts 3 classes but 2 class names"):
        export_model(tmp_path / "m.pt", model, ["a", "b"])
    assert not (tmp_path / "m.pt").exists()


def test_model_without_course_cfg_is_refused(tmp_path):
    with pytest.raises(TypeError, match="course_cfg"):
        export_model(tmp_path / "m.pt", torch.nn.Linear(3, 2), ["a", "b"])


def test_non_finite_metric_is_refused(tmp_path, model):
    with pytest.raises(ValueError, match="not finite"):
        export_model(tmp_path / "m.pt", model, ["a", "b", "c"], {"val_loss": float("nan")})


def test_other_files_are_refused_with_a_hint(tmp_path):
    other = tmp_path / "state.pt"
    torch.save({"state_dict": {}}, other)
    with pytest.raises(ValueError, match="not a file written by export_model"):
        load_exported(other)
    with pytest.raises(FileNotFoundError, match="No exported model"):
        load_exported(tmp_path / "missing.pt")


def test_unreadable_image_is_named(tmp_path, model):
    path = export_model(tmp_path / "m.pt", model, ["a", "b", "c"])
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    with pytest.raises(ValueError, match="bad.png could not be read"):
        load_exported(path).predict_files([bad])
