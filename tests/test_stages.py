"""stages.py: stage_optimizer freezes and groups what each stage says."""
from course_utils.batchnorm import bn_policies
from course_utils.models import pretrained
from course_utils.stages import stage_optimizer


def test_stages_freeze_what_they_say():
    model = pretrained("lab_resnet.fmnist_source", num_classes=3)
    head = stage_optimizer(model, "head", lr=1e-3, lr_lo=1e-5)
    assert sum(len(g["params"]) for g in head.param_groups) == 2  # the head's weight and bias
    full = stage_optimizer(model, "full", lr=1e-3, lr_lo=1e-5)
    lrs = [g["lr"] for g in full.param_groups]
    assert min(lrs) == 1e-5 and max(lrs) == 1e-3
    assert all(p.requires_grad for p in model.parameters())
    assert set(bn_policies(model).values()) == {"eval"}  # BatchNorm statistics are kept
