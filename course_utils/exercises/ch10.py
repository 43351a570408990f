"""Chapter 10 exercises: AdaBN by hand, and a decision the checker runs.

``10.adabn``: write ``reestimate_bn(model, batches)``, which re-estimates every BatchNorm
layer's running statistics on unlabelled batches (AdaBN) and changes nothing else. The checker
compares your statistics with :func:`course_utils.domain.adapt_batchnorm` on a small network.

``10.choose``: camera B, a fixed number of labelled images per class: choose a strategy. The
checker trains your choice on a seed the chapter did not use and compares it with the bar.

>>> from course_utils.exercises.ch10 import adabn_problems, reference_reestimate_bn
>>> adabn_problems(reference_reestimate_bn)
[]
"""
from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn

from ..domain import adapt_batchnorm, batchnorm_layers
from ..seed import seeded
from .framework import report


def reference_reestimate_bn(model: nn.Module, batches: list[torch.Tensor]) -> nn.Module:
    """AdaBN: reset each BatchNorm layer's statistics and average them over ``batches``."""
    layers = batchnorm_layers(model)                    # course_utils.domain, imported above
    modes = {m: m.training for m in model.modules()}   # to put every mode back afterwards
    momenta = [bn.momentum for bn in layers]
    model.eval()                                        # dropout & co. stay in eval mode
    for bn in layers:
        bn.reset_running_stats()
        bn.momentum = None                              # cumulative average, not an EMA
        bn.train()                                      # only BatchNorm updates statistics
    with torch.no_grad():                               # no gradients: no weight changes
        for x in batches:
            model(x)
    for bn, momentum in zip(layers, momenta):
        bn.momentum = momentum
    for module, training in modes.items():
        module.train(training)
    return model


def _tiny() -> tuple[nn.Module, list[torch.Tensor]]:
    """A small lab net with made-up statistics, and two batches of "target" images."""
    from ..lab_net import LabResNet

    with seeded(0):
        model = LabResNet(num_classes=3, widths=(4, 4, 8, 8))
        for bn in batchnorm_layers(model):  # pretend pretraining left its statistics
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
    generator = torch.Generator().manual_seed(1)
    batches = [2.0 + 0.5 * torch.randn(16, 1, 12, 12, generator=generator) for _ in range(2)]
    return model, batches


def adabn_problems(fn: Callable[..., object]) -> list[str]:
    """What is wrong with ``fn(model, batches)`` as AdaBN (``[]``: nothing), on a small net."""
    model, batches = _tiny()
    model.train()                            # fn must give back the mode it was handed
    expected = copy.deepcopy(model)
    adapt_batchnorm(expected, batches)
    weights = {n: p.detach().clone() for n, p in model.named_parameters()}
    fn(model, [b.clone() for b in batches])
    problems = []
    if any(not torch.equal(weights[n], p) for n, p in model.named_parameters()):
        problems.append("Some weights changed. AdaBN trains nothing: no optimizer, no "
                        "backward; run the forward passes under torch.no_grad().")
    got, want = batchnorm_layers(model), batchnorm_layers(expected)
    close = all(torch.allclose(g.running_mean, w.running_mean, atol=1e-4)
                and torch.allclose(g.running_var, w.running_var, atol=1e-4)
                for g, w in zip(got, want))
    if not close:
        unchanged = all(int(g.num_batches_tracked) == 0 for g in got)
        problems.append(
            "The BatchNorm layers never saw the batches (no forward pass in train mode?): "
            "put the BatchNorm layers in train mode, then run the model on every batch."
            if unchanged else
            "The running statistics differ from the average over the batches. Reset them "
            "first (bn.reset_running_stats()) and set bn.momentum = None, so that every batch "
            "counts the same; with momentum 0.1 the old statistics still weigh in.")
    if any(bn.momentum != 0.1 for bn in got):
        problems.append("A BatchNorm momentum was not put back (it was 0.1); later training "
                        "would average its statistics differently.")
    if not model.training or any(not m.training for m in model.modules()):
        problems.append("The model was in train mode when you got it and is not any more: "
                        "remember each module's mode and restore it at the end.")
    return problems


def _check_adabn(fn: Callable[..., object]) -> bool:
    return report(adabn_problems(fn), "Correct: your statistics equal adapt_batchnorm's on a "
                  "test network; weights, momenta and modes are as they were.")


# ----- a judgement exercise: choose the adaptation for camera B; the checker RUNS it -----

CHOICES = ("head", "adabn + head", "layer4", "full")
CHOICE_K = 50        # labelled camera-B images per class
CHOICE_BAR = 0.75    # test accuracy on camera B, at least


def reference_choice() -> str:
    """The strategy for camera B with 50 labelled images per class."""
    return "full"  # the new camera changes the first layers' input: they must adapt too


def _check_choice(choice: object, run: Callable[[str, int], float] | None = None,
                  seed: int = 3) -> bool:
    if choice not in CHOICES:
        return report([f"choose one of {CHOICES}; got {choice!r}."], "")
    if run is None:
        raise ValueError("The notebook passes run=..., the function that trains one strategy.")
    print(f"Training {choice!r} on camera B with k={CHOICE_K} on seed {seed}, a draw the "
          "chapter did not use ...")
    acc = run(choice, seed)
    problems = [] if acc >= CHOICE_BAR else [
        f"test accuracy {acc:.3f} < {CHOICE_BAR}. Look at the k={CHOICE_K} comparison again: "
        "which parts of the network does the new camera affect?"]
    return report(problems, f"Bar met on a new seed: test accuracy {acc:.3f} (>= {CHOICE_BAR}).")


def _register() -> None:
    from .framework import Exercise, register

    register(Exercise(
        "10.adabn", "reestimate_bn(model, batches): AdaBN by hand", _check_adabn,
        reference_reestimate_bn,
        ["Only BatchNorm layers have running statistics: batchnorm_layers(model) (imported at "
         "the top) lists them, as would isinstance(m, torch.nn.BatchNorm2d) over "
         "model.modules(); put the model in eval mode and only them in train mode.",
         "For each: bn.reset_running_stats() and bn.momentum = None (a plain average over the "
         "batches); then run model(x) for every batch under torch.no_grad().",
         "Afterwards put back what you changed: each momentum, and each module's mode "
         "(remember {m: m.training for m in model.modules()} first)."]))
    register(Exercise(
        "10.choose", f"MY_CHOICE: one of {CHOICES} for camera B with k={CHOICE_K}",
        _check_choice, reference_choice,
        ["Look at the k=50 table: which strategies reached the bar on every seed?",
         "Head only (with or without AdaBN) keeps every convolution as it was; camera B "
         "inverted the contrast, which the first convolution sees directly.",
         "Train the whole network: 'full'."],
        value=True))


_register()
