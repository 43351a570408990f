"""TensorLoader: batches, device placement, reproducible shuffling, tensor augmentation."""
import pytest
import torch

from course_utils import TensorLoader, random_flip_crop, to_float


def make_data(n=10, size=6):
    images = torch.arange(n * size * size, dtype=torch.int64).remainder(256).to(torch.uint8)
    return images.view(n, size, size), torch.arange(n)


def test_len_and_batch_shapes():
    images, labels = make_data(10)
    loader = TensorLoader(images, labels, batch_size=4, device="cpu")
    assert len(loader) == 3
    assert [len(y) for _, y in loader] == [4, 4, 2]


def test_drop_last_skips_the_small_batch():
    images, labels = make_data(10)
    loader = TensorLoader(images, labels, batch_size=4, device="cpu", drop_last=True)
    assert len(loader) == 2
    assert [len(y) for _, y in loader] == [4, 4]


def test_data_stays_uint8_on_the_device_and_batches_are_float():
    images, labels = make_data(8)
    loader = TensorLoader(images, labels.int(), batch_size=4, device="cpu")
    assert loader.images.dtype == torch.uint8 and loader.images.device.type == "cpu"
    x, y = next(iter(loader))
    assert x.dtype == torch.float32 and x.shape == (4, 1, 6, 6)
    assert y.dtype == torch.int64
    assert torch.allclose(x, images[:4].unsqueeze(1).float() / 255)


def test_without_shuffle_order_is_kept():
    images, labels = make_data(10)
    loader = TensorLoader(images, labels, batch_size=3, device="cpu")
    assert torch.cat([y for _, y in loader]).tolist() == list(range(10))


def test_shuffle_is_a_permutation_new_each_epoch_and_reproducible():
    images, labels = make_data(20)
    a = TensorLoader(images, labels, batch_size=5, shuffle=True, device="cpu", seed=3)
    b = TensorLoader(images, labels, batch_size=5, shuffle=True, device="cpu", seed=3)
    first, second = torch.cat([y for _, y in a]), torch.cat([y for _, y in a])
    assert sorted(first.tolist()) == list(range(20))
    assert not torch.equal(first, second)
    assert torch.equal(first, torch.cat([y for _, y in b]))


def test_images_and_labels_stay_paired_after_shuffle_and_augment():
    images = torch.arange(12, dtype=torch.uint8).view(12, 1, 1).expand(12, 4, 4).contiguous()
    loader = TensorLoader(images, torch.arange(12), batch_size=5, shuffle=True, augment="flip",
                          device="cpu", seed=0)
    for x, y in loader:
        assert torch.equal((x[:, 0, 0, 0] * 255).round().long(), y)


def test_state_dict_resumes_the_same_batches():
    images, labels = make_data(20)
    loader = TensorLoader(images, labels, batch_size=5, shuffle=True, augment="flip_crop",
                          device="cpu", seed=1)
    list(loader)
    state = loader.state_dict()
    expected = [x for x, _ in loader]
    loader.load_state_dict(state)
    assert all(torch.equal(a, b) for a, b in zip(expected, [x for x, _ in loader]))


def test_seed_none_is_drawn_from_the_global_generator():
    images, labels = make_data(20)
    torch.manual_seed(5)
    a = TensorLoader(images, labels, shuffle=True, device="cpu")
    torch.manual_seed(5)
    b = TensorLoader(images, labels, shuffle=True, device="cpu")
    assert a.seed == b.seed


def test_flip_crop_keeps_shape_dtype_and_changes_some_images():
    images, _ = make_data(16)
    out = random_flip_crop(images, pad=2, generator=torch.Generator().manual_seed(0))
    assert out.shape == images.shape and out.dtype == torch.uint8
    assert not torch.equal(out, images)


def test_crop_shifts_each_image_by_at_most_pad_pixels():
    images = torch.zeros(50, 3, 9, 9, dtype=torch.uint8)
    images[:, :, 4, 4] = 255  # one bright pixel in the centre
    out = random_flip_crop(images, pad=2, flip=False, generator=torch.Generator().manual_seed(0))
    rows, cols = torch.nonzero(out[:, 0] == 255, as_tuple=True)[1:]
    assert len(rows) == 50  # the pixel never falls off: pad < distance to the border
    assert rows.min() >= 2 and rows.max() <= 6 and cols.min() >= 2 and cols.max() <= 6
    assert len(set(zip(rows.tolist(), cols.tolist()))) > 5  # the shifts vary
    assert torch.equal(out[:, 0], out[:, 2])  # all channels shifted together


def test_flip_only_mirrors_left_right():
    image = torch.arange(16, dtype=torch.uint8).view(1, 4, 4).expand(64, 4, 4)
    out = random_flip_crop(image, pad=0, generator=torch.Generator().manual_seed(0))
    flipped = [torch.equal(o, image[0].flip(-1)) for o in out]
    kept = [torch.equal(o, image[0]) for o in out]
    assert all(f or k for f, k in zip(flipped, kept)) and 10 < sum(flipped) < 54


def test_callable_augment_and_transform_are_applied_in_order():
    images, labels = make_data(4)
    calls = []
    loader = TensorLoader(images, labels, batch_size=4, device="cpu",
                          augment=lambda b: calls.append(("augment", b.dtype)) or b,
                          transform=lambda b: calls.append(("transform", b.dtype)) or b.float())
    next(iter(loader))
    assert calls == [("augment", torch.uint8), ("transform", torch.uint8)]


def test_to_float_adds_channel_only_to_3d_batches():
    assert to_float(torch.zeros(2, 5, 5, dtype=torch.uint8)).shape == (2, 1, 5, 5)
    assert to_float(torch.zeros(2, 3, 5, 5, dtype=torch.uint8)).shape == (2, 3, 5, 5)


def test_mismatched_lengths_and_unknown_augment_raise():
    images, labels = make_data(4)
    with pytest.raises(ValueError, match="labels"):
        TensorLoader(images, labels[:3], device="cpu")
    with pytest.raises(ValueError, match="flip_crop"):
        TensorLoader(images, labels, augment="rotate", device="cpu")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_loader_keeps_data_and_randomness_on_the_gpu():
    images, labels = make_data(20)
    loader = TensorLoader(images, labels, batch_size=8, shuffle=True, augment="flip_crop",
                          device="cuda", seed=0)
    state = loader.state_dict()
    first = [x for x, _ in loader]
    assert loader.images.is_cuda and loader.images.dtype == torch.uint8
    assert all(x.is_cuda and x.dtype == torch.float32 for x in first)
    loader.load_state_dict(state)
    assert all(torch.equal(a, b) for a, b in zip(first, [x for x, _ in loader]))
