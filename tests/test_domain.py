"""course_utils.domain: the camera-B transform and AdaBN (adapt_batchnorm)."""
import copy

import pytest
import torch
from torch import nn

from course_utils.domain import Camera, adapt_batchnorm, batchnorm_layers, camera_b
from course_utils.lab_net import LabResNet
from course_utils.surgery import freeze_to


def images(n=8, seed=0):
    return torch.randint(0, 256, (n, 28, 28), dtype=torch.uint8,
                         generator=torch.Generator().manual_seed(seed))


def tiny():
    torch.manual_seed(0)
    return LabResNet(num_classes=3, widths=(4, 4, 8, 8))


# ----- camera_b -----

def test_camera_b_keeps_dtype_shape_and_is_reproducible():
    x = images()
    a, b = camera_b(x, seed=3), camera_b(x, seed=3)
    assert a.dtype == torch.uint8 and a.shape == x.shape and torch.equal(a, b)
    assert not torch.equal(a, camera_b(x, seed=4))  # the noise follows the seed


def test_camera_b_accepts_channel_dim():
    x = images().unsqueeze(1)
    assert camera_b(x).shape == x.shape


def test_camera_b_inverts_contrast():
    x = torch.zeros(1, 8, 8, dtype=torch.uint8)
    x[:, :, 4:] = 255
    clean = Camera(gamma=1.0, blur_sigma=0, noise_std=0)
    assert torch.equal(camera_b(x, camera=clean), 255 - x)


def test_camera_b_without_any_step_is_identity():
    x = images()
    assert torch.equal(camera_b(x, camera=Camera(invert=False, gamma=1.0, blur_sigma=0,
                                                 noise_std=0)), x)


def test_camera_b_turns_a_dark_background_bright_and_noisy():
    y = camera_b(torch.zeros(4, 28, 28, dtype=torch.uint8)).float()
    assert y.mean() > 200 and y.std() > 5  # inverted; sensor noise on top


def test_camera_b_refuses_float_images():
    with pytest.raises(ValueError, match="uint8"):
        camera_b(torch.rand(2, 28, 28))


def test_camera_b_refuses_bad_camera():
    with pytest.raises(ValueError, match="gamma"):
        camera_b(images(), camera=Camera(gamma=0))


# ----- adapt_batchnorm -----

def test_adapt_batchnorm_sets_exact_mean_of_the_data():
    bn = nn.BatchNorm1d(3)
    x = torch.randn(40, 3) * 2 + 5
    adapt_batchnorm(nn.Sequential(nn.Identity(), bn), x, batch_size=40)
    assert torch.allclose(bn.running_mean, x.mean(0), atol=1e-5)
    assert torch.allclose(bn.running_var, x.var(0), atol=1e-4)


def test_adapt_batchnorm_averages_batches_equally_and_restores_momentum():
    bn = nn.BatchNorm1d(2)
    x = torch.randn(30, 2) + 3
    n = adapt_batchnorm(nn.Sequential(bn), x, batch_size=10)
    assert n == 30 and bn.momentum == 0.1 and int(bn.num_batches_tracked) == 3
    means = torch.stack([b.mean(0) for b in x.split(10)]).mean(0)
    assert torch.allclose(bn.running_mean, means, atol=1e-5)


def test_adapt_batchnorm_changes_no_weight_and_restores_modes():
    model = tiny()
    freeze_to(model, -1, train_bn=False)
    model.train()
    model.layer1.eval()
    modes = {n: m.training for n, m in model.named_modules()}
    flags = {n: p.requires_grad for n, p in model.named_parameters()}
    weights = copy.deepcopy(model.state_dict())
    adapt_batchnorm(model, torch.randn(16, 1, 28, 28) + 1, batch_size=8)
    assert {n: m.training for n, m in model.named_modules()} == modes
    assert {n: p.requires_grad for n, p in model.named_parameters()} == flags
    for name, value in model.state_dict().items():
        if "running" not in name and "num_batches" not in name:
            assert torch.equal(value, weights[name]), name
    assert not torch.equal(model.bn1.running_mean, weights["bn1.running_mean"])


def test_adapt_batchnorm_reads_loaders_with_labels_and_a_transform():
    a, b = tiny(), tiny()
    x = torch.randint(0, 256, (12, 28, 28), dtype=torch.uint8)
    to_input = lambda u: u.float().div(255).unsqueeze(1)  # noqa: E731
    adapt_batchnorm(a, [(x[:6], None), (x[6:], None)], transform=to_input)
    adapt_batchnorm(b, x, batch_size=6, transform=to_input)
    assert torch.allclose(a.layer3[0].bn1.running_var, b.layer3[0].bn1.running_var)


def test_adapt_batchnorm_leaves_dropout_in_eval_mode():
    seen = []
    drop = nn.Dropout(0.5)
    drop.register_forward_hook(lambda m, i, o: seen.append(m.training))
    adapt_batchnorm(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2), drop), torch.randn(8, 2))
    assert seen == [False]


def test_adapt_batchnorm_without_batchnorm_is_an_error():
    with pytest.raises(ValueError, match="no BatchNorm"):
        adapt_batchnorm(nn.Linear(2, 2), torch.randn(4, 2))


def test_adapt_batchnorm_empty_data_keeps_the_old_statistics():
    model = tiny()
    before = model.bn1.running_var.clone()
    model.bn1.running_var.fill_(3.0)
    with pytest.raises(ValueError, match="unchanged"):
        adapt_batchnorm(model, [])
    assert torch.equal(model.bn1.running_var, torch.full_like(before, 3.0))
    assert model.bn1.momentum == 0.1


def test_adapt_batchnorm_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        adapt_batchnorm(tiny(), torch.randn(4, 1, 28, 28), batch_size=0)


def test_batchnorm_layers_counts_the_lab_net():
    assert len(batchnorm_layers(LabResNet())) == 20
