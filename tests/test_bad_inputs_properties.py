"""Property-based tests (hypothesis) of the data helpers and parameter groups.

For any input a user could give, the helpers either do exactly what they promise or refuse
with an error naming the argument; they never return something else. The "images" are the
indices 0..N-1, so every returned example can be traced back to its label.
"""
from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from course_utils import freeze, k_per_class, param_groups, select_classes, train_val_split
from course_utils.param_groups import group_lrs
from tiny_models import TinyNet

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
labels_lists = st.lists(st.integers(0, 5), min_size=1, max_size=60)


def as_data(labels: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.arange(len(labels)), torch.tensor(labels)


@SETTINGS
@given(labels=labels_lists, k=st.integers(-3, 8), seed=st.integers(0, 2**31))
def test_k_per_class_gives_exactly_k_distinct_examples_of_each_class_or_refuses(labels, k, seed):
    x, y = as_data(labels)
    counts = torch.bincount(y)
    classes = (counts > 0).nonzero().flatten()
    if k < 1 or k > int(counts[classes].min()):
        with pytest.raises(ValueError, match=f"k={k}"):
            k_per_class(x, y, k, seed=seed)
        return
    xs, ys = k_per_class(x, y, k, seed=seed)
    assert torch.equal(y[xs], ys)                          # each example keeps its own label
    assert len(set(xs.tolist())) == len(xs)                # no example twice
    per_class = torch.bincount(ys, minlength=len(counts))
    assert per_class[classes].tolist() == [k] * len(classes)   # k of every class
    assert int(per_class.sum()) == k * len(classes)            # and nothing else
    again = k_per_class(x, y, k, seed=seed)
    assert torch.equal(again[0], xs)                       # reproducible from the seed


@SETTINGS
@given(labels=labels_lists, data=st.data(), relabel=st.booleans())
def test_select_classes_keeps_exactly_the_chosen_classes(labels, data, relabel):
    x, y = as_data(labels)
    present = sorted(set(labels))
    classes = data.draw(st.lists(st.sampled_from(present), min_size=1, unique=True))
    xs, ys = select_classes(x, y, classes, relabel=relabel)
    original = y[xs]
    assert sorted(xs.tolist()) == [i for i, c in enumerate(labels) if c in classes]
    if relabel:
        assert [classes[i] for i in ys.tolist()] == original.tolist()  # label i is classes[i]
        assert set(ys.tolist()) == set(range(len(classes)))             # every label used
    else:
        assert torch.equal(ys, original)


@SETTINGS
@given(labels=labels_lists, extra=st.lists(st.integers(-3, 12), min_size=1, max_size=3))
def test_select_classes_refuses_duplicates_and_absent_classes(labels, extra):
    x, y = as_data(labels)
    classes = sorted(set(labels))[:1] + extra
    assume(len(set(classes)) != len(classes) or not set(classes) <= set(labels))
    with pytest.raises(ValueError, match="classes="):
        select_classes(x, y, classes)


@SETTINGS
@given(labels=labels_lists, fraction=st.one_of(st.floats(-0.5, 1.5), st.just(float("nan"))),
       seed=st.integers(0, 2**31))
def test_train_val_split_is_a_stratified_partition_or_refuses(labels, fraction, seed):
    x, y = as_data(labels)
    counts = [labels.count(c) for c in set(labels)]
    if not (0 < fraction < 1 and all(0 < round(n * fraction) < n for n in counts)):
        with pytest.raises(ValueError, match="val_fraction="):  # a split would be empty
            train_val_split(x, y, fraction, seed=seed)
        return
    (xt, yt), (xv, yv) = train_val_split(x, y, fraction, seed=seed)
    assert sorted(xt.tolist() + xv.tolist()) == list(range(len(labels)))  # a partition
    assert torch.equal(y[xt], yt) and torch.equal(y[xv], yv)
    for c in set(labels):
        n, n_val = labels.count(c), int((yv == c).sum())
        assert n_val == round(n * fraction)  # every class keeps its share, in both splits


options = st.one_of(
    st.just({}),
    st.builds(lambda b: {"backbone_lr": b}, st.floats(1e-6, 1e-3)),
    st.builds(lambda d: {"layer_decay": d}, st.floats(0.01, 1.0)),
    st.builds(lambda lo, r: {"lrs": slice(lo, lo * r)}, st.floats(1e-6, 1e-3),
              st.floats(1.0, 1e3)),
    st.builds(lambda hi: {"lrs": slice(hi)}, st.floats(1e-6, 1e-1)),
)


@SETTINGS
@given(frozen=st.lists(st.sampled_from(["stem", "block"]), unique=True), option=options,
       lr=st.floats(1e-6, 1.0), weight_decay=st.sampled_from([0.0, 0.05]))
def test_param_groups_hold_every_trainable_parameter_once_with_ordered_positive_lrs(
        frozen, option, lr, weight_decay):
    model = TinyNet()
    if frozen:
        freeze(model, frozen, train_bn=False)
    groups = param_groups(model, lr, weight_decay=weight_decay, **option)
    held = [id(p) for g in groups for p in g["params"]]
    trainable = [id(p) for p in model.parameters() if p.requires_grad]
    assert sorted(held) == sorted(trainable)           # each trainable tensor exactly once
    lrs = [g["lr"] for g in groups]
    assert all(v > 0 for v in lrs)
    order = ["stem", "block", "head"]
    by_group = {g["layer_group"]: g["lr"] for g in groups}
    ordered = [by_group[name] for name in order if name in by_group]
    if "layer_decay" in option or "lrs" in option:
        assert ordered == sorted(ordered)              # LRs grow from input to output
    if "lrs" not in option:
        assert by_group["head"] == pytest.approx(lr)   # the head gets lr itself


@SETTINGS
@given(n=st.integers(1, 30), lr=st.floats(1e-6, 1.0), decay=st.floats(-1.0, 2.0))
def test_layer_decay_gives_positive_growing_lrs_or_refuses(n, lr, decay):
    names = [f"g{i}" for i in range(n)]
    if not 0 < decay <= 1:
        with pytest.raises(ValueError, match="layer_decay="):
            group_lrs(names, lr, layer_decay=decay)
        return
    lrs = group_lrs(names, lr, layer_decay=decay)
    assert len(lrs) == n and lrs[-1] == pytest.approx(lr)
    assert all(0 <= a <= b for a, b in zip(lrs, lrs[1:]))
