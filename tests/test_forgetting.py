"""forgetting.py: a fresh model with its source head kept; retention measured on a copy."""
from __future__ import annotations

import torch

from course_utils.data import fashion_mnist, k_per_class, select_classes
from course_utils.forgetting import fresh_model, source_retention
from course_utils.loaders import TensorLoader


def source_loader(model):
    fm, meta = fashion_mnist(), model.course_cfg.meta
    x, y = select_classes(fm.test_images, fm.test_labels, meta["source_classes"])
    x, y = k_per_class(x, y, 30, seed=0)
    return TensorLoader(x, y, batch_size=256, transform=model.course_cfg.preprocess, device="cpu")


def test_fresh_model_has_a_new_head_and_keeps_the_source_head():
    model, source_head = fresh_model(num_classes=3, seed=0)
    assert model.fc.out_features == 3 and source_head.out_features == 7
    again, _ = fresh_model(num_classes=3, seed=0)
    assert torch.equal(model.fc.weight, again.fc.weight)  # same seed, same new head


def test_retention_of_the_untouched_backbone_is_the_source_accuracy_and_model_unchanged():
    model, source_head = fresh_model(num_classes=3, seed=0)
    loader = source_loader(model)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    retention = source_retention(model, source_head, loader)
    assert retention > 0.8  # the lab checkpoint scores about 0.9+ on its own classes
    assert model.fc.out_features == 3
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    with torch.no_grad():  # a backbone wrecked by "fine-tuning" forgets the source task
        for p in model.layer1.parameters():
            p.normal_()
    assert source_retention(model, source_head, loader) < retention - 0.3
