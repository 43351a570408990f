"""course_utils.models: real ImageNet weights offline, the lab checkpoint, clear errors."""
import numpy as np
import pytest
import torch
from sklearn.datasets import load_sample_images

from course_utils import models
from course_utils.data import fashion_mnist, select_classes
from course_utils.models import (UnknownModelError, WeightsUnavailableError, list_pretrained,
                                 pretrained)

BUILDING_CLASSES = {"bell cote", "palace", "monastery", "church", "dome", "boathouse", "mosque",
                    "castle", "stupa", "triumphal arch", "library", "lakeside"}


def _top(model, image: np.ndarray, k: int) -> list[str]:
    cfg = model.course_cfg
    x = torch.from_numpy(image.copy()).permute(2, 0, 1).unsqueeze(0)
    with torch.no_grad():
        logits = model(cfg.preprocess(x))
    return [cfg.classes[i] for i in logits.topk(k).indices[0].tolist()]


@pytest.fixture(scope="module")
def lite0():
    return pretrained("efficientnet_lite0.imagenet")


@pytest.fixture(scope="module")
def photos():
    china, flower = load_sample_images().images
    return {"china": china, "flower": flower}


def test_imagenet_model_sees_a_building_in_china_jpg(lite0, photos):
    top3 = _top(lite0, photos["china"], 3)
    assert BUILDING_CLASSES & set(top3), top3


def test_imagenet_model_sees_a_daisy_in_flower_jpg(lite0, photos):
    assert _top(lite0, photos["flower"], 1) == ["daisy"]


def test_random_weights_do_not_know_the_photo(photos):
    random_model = pretrained("efficientnet_lite0.imagenet", weights=None)
    assert "daisy" not in _top(random_model, photos["flower"], 5)


def test_imagenet_cfg_has_1000_classes_and_its_normalisation(lite0):
    cfg = lite0.course_cfg
    assert len(cfg.classes) == 1000 and cfg.mean == (0.5, 0.5, 0.5) and cfg.input_size == (3, 224, 224)


def test_num_classes_replaces_the_head():
    model = pretrained("efficientnet_lite0.imagenet", num_classes=3)
    assert model(torch.zeros(1, 3, 64, 64)).shape == (1, 3)


def test_corrupt_lite0_file_is_refused(monkeypatch):
    monkeypatch.setattr(models, "LITE0_SHA256", "0" * 64)
    with pytest.raises(WeightsUnavailableError, match="damaged.*force-reinstall"):
        pretrained("efficientnet_lite0.imagenet")


def test_lab_checkpoint_reaches_its_recorded_source_accuracy():
    from course_utils.pretrain import accuracy

    model = pretrained("lab_resnet.fmnist_source")
    meta = model.course_cfg.meta
    fm = fashion_mnist(download=False)
    x, y = select_classes(fm.test_images, fm.test_labels, meta["source_classes"])
    measured = accuracy(model, x, y)
    assert abs(measured - meta["source_test_accuracy"]) <= 0.01
    assert measured > 0.9
    assert {"seed", "settings", "torch_version", "target_classes"} <= set(meta)


def test_lab_model_keeps_torchvision_names():
    model = pretrained("lab_resnet.fmnist_source", num_classes=3)
    names = {name for name, _ in model.named_children()}
    assert {"conv1", "bn1", "layer1", "layer2", "layer3", "layer4", "fc"} <= names
    assert model.fc.out_features == 3


def test_lab_preprocess_matches_the_pretraining_normalisation():
    from course_utils.data import normalise_fashion

    images = torch.randint(0, 256, (4, 28, 28), dtype=torch.uint8)
    cfg = pretrained("lab_resnet.fmnist_source", weights=None).course_cfg
    assert torch.allclose(cfg.preprocess(images), normalise_fashion(images))


def test_missing_lab_checkpoint_says_how_to_recreate_it(monkeypatch, tmp_path):
    monkeypatch.setattr(models, "LAB_CHECKPOINT", tmp_path / "missing.pt")
    with pytest.raises(WeightsUnavailableError, match="python -m course_utils.pretrain"):
        pretrained("lab_resnet.fmnist_source")


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(UnknownModelError) as err:
        pretrained("resnet18")
    for name in list_pretrained():
        assert name in str(err.value)
    assert "Did you mean 'resnet18.imagenet'" in str(err.value)


def test_offline_torchvision_weights_name_the_offline_model(monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("Network is unreachable")

    monkeypatch.setattr("torchvision.models._api.load_state_dict_from_url", offline)
    with pytest.raises(WeightsUnavailableError, match="efficientnet_lite0.imagenet"):
        pretrained("resnet18.imagenet")


def test_preprocess_resizes_grayscale_to_colour():
    cfg = pretrained("efficientnet_lite0.imagenet", weights=None).course_cfg.resized(64)
    x = cfg.preprocess(torch.full((2, 28, 28), 255, dtype=torch.uint8))
    assert x.shape == (2, 3, 64, 64) and torch.allclose(x, torch.ones_like(x))


def test_timm_keeps_its_own_pretrained_cfg_beside_the_course_cfg():
    import timm.data

    model = pretrained("efficientnet_lite0.imagenet", weights=None)
    config = timm.data.resolve_data_config(model=model)  # reads timm's dict, untouched
    assert config["input_size"][0] == 3 and model.course_cfg.input_size == (3, 224, 224)
