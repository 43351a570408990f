"""leakage: photo_views keeps track of the item behind each photo, find_near_duplicates finds
copies across splits (and only those above the threshold), embed gives the head's input."""
import pytest
import torch

from course_utils.lab_net import LabResNet
from course_utils.leakage import embed, find_near_duplicates, photo_views, pixel_vectors


def items(n=6, size=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, size, size), generator=g, dtype=torch.uint8)


def test_photo_views_groups_name_the_item_of_every_photo():
    photos, groups = photo_views(items(4), views=3, seed=0)
    assert photos.shape == (12, 12, 12) and photos.dtype == torch.uint8
    assert groups.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]


def test_photo_views_differ_but_stay_closest_to_their_own_item():
    base = items(6)
    photos, groups = photo_views(base, views=4, seed=1, shift=0, brightness=0.2)
    assert not torch.equal(photos[0], photos[1])  # brightness differs
    report = find_near_duplicates(pixel_vectors(photos), pixel_vectors(base), threshold=0.9)
    assert torch.equal(report.match, groups)  # without shifts, every photo matches its item


def test_photo_views_are_reproducible_and_seeded():
    a, _ = photo_views(items(), views=3, seed=5)
    b, _ = photo_views(items(), views=3, seed=5)
    c, _ = photo_views(items(), views=3, seed=6)
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("views", [0, 2.5, True])
def test_photo_views_bad_count_is_named(views):
    with pytest.raises(ValueError, match="views="):
        photo_views(items(), views=views)


def test_photo_views_wants_uint8():
    with pytest.raises(ValueError, match="uint8"):
        photo_views(items().float(), views=2)


def test_exact_copies_are_found_and_others_are_not():
    reference = pixel_vectors(items(20, seed=0))
    query = torch.cat([reference[[3, 7]], pixel_vectors(items(5, seed=1))])
    report = find_near_duplicates(query, reference, threshold=0.99)
    assert report.query.tolist() == [0, 1] and report.match.tolist() == [3, 7]
    assert len(report) == 2 and report.share == pytest.approx(2 / 7)
    assert report.best.shape == (7,) and (report.best[2:] < 0.99).all()
    assert "2 of 7 query items (28.6%)" in str(report)


def test_chunking_does_not_change_the_answer():
    reference, query = pixel_vectors(items(30, seed=0)), pixel_vectors(items(25, seed=1))
    one = find_near_duplicates(query, reference, threshold=0.0, chunk=1000)
    many = find_near_duplicates(query, reference, threshold=0.0, chunk=4)
    assert torch.equal(one.match, many.match) and torch.allclose(one.best, many.best)


def test_pixel_vectors_ignore_brightness():
    image = items(1)
    brighter = (image.float() * 0.5).round().to(torch.uint8)
    best = find_near_duplicates(pixel_vectors(brighter), pixel_vectors(image)).best
    assert best.item() > 0.99


def test_shapes_that_do_not_fit_are_named():
    with pytest.raises(ValueError, match="same number of features"):
        find_near_duplicates(torch.zeros(3, 4), torch.zeros(3, 5))
    with pytest.raises(ValueError, match="reference is empty"):
        find_near_duplicates(torch.zeros(3, 4), torch.zeros(0, 4))
    with pytest.raises(ValueError, match="threshold=2"):
        find_near_duplicates(torch.zeros(3, 4), torch.ones(3, 4), threshold=2)


def test_embed_returns_the_heads_input():
    torch.manual_seed(0)
    model = LabResNet(num_classes=3).eval()
    x = items(5, size=28)
    pre = lambda batch: batch.float()[:, None] / 255
    features = embed(model, x, pre, batch_size=2)
    assert features.shape == (5, 128)
    assert torch.allclose(model.fc(features), model(pre(x)), atol=1e-5)


def test_embed_needs_forward_features():
    with pytest.raises(TypeError, match="forward_features"):
        embed(torch.nn.Linear(4, 2), torch.zeros(2, 4), lambda b: b)
