"""Callbacks that compare the weights with where they started (w0, the pretrained values):
``WeightDrift`` measures how far each layer group moved; ``L2SP`` and ``EWC`` pull the weights
back (every weight alike, or each by how much the source task needs it).

How far fine-tuning moves a layer is what decides how much of the source task it forgets, so
all three keep a copy of the weights when training starts.

>>> drift, l2sp = WeightDrift(), L2SP(alpha=0.01)   # fit(..., callbacks=[drift, l2sp])
"""
from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.func import functional_call, grad, vmap

from .callbacks import Callback
from .checks import check_number
from .batches import to_device
from .layer_groups import group_parameters

if TYPE_CHECKING:
    from .fit_state import FitState


class _Anchored(Callback):
    """Shared by WeightDrift and L2SP: a copy w0 of the weights when training starts."""

    def __init__(self, groups: list[str] | None = None) -> None:
        if isinstance(groups, str):
            raise TypeError(f"groups={groups!r}: give a list of layer group names, e.g. "
                            f"groups=[{groups!r}] (see layer_groups(model)).")
        self.groups = groups
        self.anchors: dict[str, torch.Tensor] = {}
        self.group_of: dict[str, str] = {}

    def on_fit_start(self, state: FitState) -> None:
        if self.anchors:  # resumed from a checkpoint, or a second fit: keep the first w0
            params = dict(state.model.named_parameters())
            self.anchors = {n: w0.to(params[n].device) for n, w0 in self.anchors.items()}
            return
        named = group_parameters(state.model)
        unknown = [g for g in self.groups or [] if g not in named]
        if unknown:
            raise KeyError(f"groups: {unknown} are not layer groups of this model. HINT: its "
                           f"groups are {list(named)} (layer_groups(model)).")
        for group in self.groups or list(named):
            for pname, p in named[group]:
                self.anchors[pname] = p.detach().clone()
                self.group_of[pname] = group

    def pairs(self, model: nn.Module) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
        params = dict(model.named_parameters())
        return [(self.group_of[n], params[n], w0) for n, w0 in self.anchors.items()]

    def state_dict(self) -> dict:
        return {"anchors": self.anchors, "group_of": self.group_of}

    def load_state_dict(self, state: dict) -> None:
        self.anchors, self.group_of = state["anchors"], state["group_of"]


class WeightDrift(_Anchored):
    """Record, per layer group and epoch, how far the weights moved: ||w - w0|| / ||w0||.

    ``drift`` maps group name -> one value per epoch. ``table()`` and ``plot()`` show it.

    >>> drift = WeightDrift()                        # fit(..., callbacks=[drift]); drift.plot()
    """

    def __init__(self, groups: list[str] | None = None) -> None:
        super().__init__(groups)
        self.drift: dict[str, list[float]] = {}

    def on_epoch_end(self, state: FitState) -> None:
        with torch.no_grad():
            sq_diff: dict[str, torch.Tensor] = {}
            sq_w0: dict[str, torch.Tensor] = {}
            for group, w, w0 in self.pairs(state.model):
                sq_diff[group] = sq_diff.get(group, 0) + (w.float() - w0.float()).pow(2).sum()
                sq_w0[group] = sq_w0.get(group, 0) + w0.float().pow(2).sum()
            ratios = torch.stack([(sq_diff[g] / sq_w0[g].clamp_min(1e-30)).sqrt() for g in sq_diff])
        for group, value in zip(sq_diff, ratios.tolist()):  # one host sync per epoch
            self.drift.setdefault(group, []).append(value)

    def table(self) -> str:
        """Relative drift per group (rows) after each epoch (columns)."""
        epochs = max((len(v) for v in self.drift.values()), default=0)
        lines = ["group".ljust(12) + "".join(f"{'ep ' + str(e):>9}" for e in range(epochs))]
        lines += [g.ljust(12) + "".join(f"{v:9.4f}" for v in values)
                  for g, values in self.drift.items()]
        return "\n".join(lines)

    def plot(self) -> Any:
        """A matplotlib Figure: drift per group against epoch."""
        from .plots import plot_series

        return plot_series(self.drift, ylabel="||w - w0|| / ||w0||", title="weight drift")

    def state_dict(self) -> dict:
        return {**super().state_dict(), "drift": self.drift}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.drift = state["drift"]


class L2SP(_Anchored):
    """L2-SP (Li et al., 2018): add ``alpha / 2 * ||w - w0||^2`` to the loss, w0 = starting weights.

    Plain weight decay pulls weights toward 0, forgetting what pretraining learned; L2-SP pulls
    them back toward the pretrained values instead. By default every layer group except the
    last one (the new ``head``, which has no pretrained values) is anchored; only trainable
    parameters contribute. The penalty is added in ``on_loss`` (not counted in ``train_loss``).

    >>> l2sp = L2SP(alpha=0.01)                      # fit(..., callbacks=[l2sp])
    """

    def __init__(self, alpha: float = 0.01, groups: list[str] | None = None) -> None:
        super().__init__(groups)
        self.alpha = check_number("alpha", alpha, low=0.0, example=0.01)

    def on_fit_start(self, state: FitState) -> None:
        if self.groups is None:
            self.groups = list(group_parameters(state.model))[:-1]
        super().on_fit_start(state)

    def penalty(self, model: nn.Module) -> torch.Tensor:
        """``alpha / 2 * sum ||w - w0||^2`` over the anchored, trainable parameters."""
        terms = [(w - w0).pow(2).sum() for _, w, w0 in self.pairs(model) if w.requires_grad]
        return self.alpha / 2 * torch.stack(terms).sum() if terms else torch.zeros(())

    def on_loss(self, state: FitState) -> None:
        state.loss = state.loss + self.penalty(state.model).to(state.loss.device)


def diagonal_fisher(model: nn.Module, loader: Iterable, max_batches: int | None = None,
                    ) -> dict[str, torch.Tensor]:
    """The diagonal of the empirical Fisher information of ``model`` on ``loader``'s images.

    For each parameter: the mean over images of (d log p(y | x) / d w)^2, with y the true label,
    from per-image gradients (``torch.func.vmap``), BatchNorm in eval mode. A large value means
    that the task behind ``loader`` depends on that weight; a value near 0, that it does not.

    >>> net = nn.Sequential(nn.Linear(2, 3))
    >>> fisher = diagonal_fisher(net, [(torch.randn(4, 2), torch.tensor([0, 1, 2, 0]))])
    >>> sorted(fisher), tuple(fisher["0.weight"].shape), bool((fisher["0.weight"] >= 0).all())
    (['0.bias', '0.weight'], (3, 2), True)
    """
    model = copy.deepcopy(model).eval()
    device = next(model.parameters()).device
    params = {n: p.detach() for n, p in model.named_parameters()}
    buffers = {n: b.detach() for n, b in model.named_buffers()}

    def log_likelihood(p: dict, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        logits = functional_call(model, (p, buffers), (x.unsqueeze(0),))
        return torch.log_softmax(logits.float(), dim=1)[0].gather(0, y.view(1)).sum()

    per_image = vmap(grad(log_likelihood), in_dims=(None, 0, 0))
    total = {n: torch.zeros_like(p, dtype=torch.float32) for n, p in params.items()}
    count = 0
    for i, batch in enumerate(loader):
        if max_batches is not None and i >= max_batches:
            break
        x, y = to_device(batch, device)
        grads = per_image(params, x, y)
        for n, g in grads.items():
            total[n] += g.float().pow(2).sum(dim=0)
        count += len(y)
    if count == 0:
        raise ValueError("diagonal_fisher: the loader gave no images. HINT: pass a loader of the "
                         "source task's images with their labels.")
    return {n: t / count for n, t in total.items()}


class EWC(_Anchored):
    """EWC (Kirkpatrick et al., 2017): add ``lam / 2 * sum F * (w - w0)^2`` to the loss.

    Like :class:`L2SP`, it pulls the weights back to w0, but each weight by its own strength
    F: the diagonal Fisher information on the SOURCE task (:func:`diagonal_fisher`). Weights
    the source task depends on are held firmly; the others are free to learn the target.
    The penalty is added in ``on_loss`` (not counted in ``train_loss``). Build it with
    :meth:`from_source` before training, while the backbone still has its pretrained weights.

    >>> net = nn.Sequential(nn.Linear(2, 2))
    >>> ewc = EWC({"0.weight": torch.ones(2, 2)}, lam=10.0)   # fit(..., callbacks=[ewc])
    """

    def __init__(self, fisher: dict[str, torch.Tensor], lam: float = 100.0) -> None:
        super().__init__()
        if not lam >= 0:
            raise ValueError(f"EWC: lam={lam!r} must be a number >= 0. HINT: try 10 to 1000 and "
                             "measure; lam=0 is plain fine-tuning.")
        self.fisher, self.lam = fisher, lam

    @classmethod
    def from_source(cls, model: nn.Module, source_loader: Iterable,
                    source_head: nn.Module | None = None, lam: float = 100.0,
                    max_batches: int | None = None) -> EWC:
        """An EWC whose Fisher is measured on the source task, for every parameter but the head's.

        ``model`` is the network to fine-tune; when its head was already replaced, pass the
        source head: the Fisher is then computed on a copy with ``source_head`` put back
        (``model`` is not changed). Without ``source_head``, ``model`` must still have it.
        """
        from .surgery import head_path

        net, head = model, head_path(model)
        if source_head is not None:
            net = copy.deepcopy(model)
            device = next(model.parameters()).device
            net.set_submodule(head, copy.deepcopy(source_head).to(device))
        fisher = diagonal_fisher(net, source_loader, max_batches)
        return cls({n: f for n, f in fisher.items() if not n.startswith(head + ".")}, lam)

    def on_fit_start(self, state: FitState) -> None:
        if not self.anchors:
            params = dict(state.model.named_parameters())
            unknown = sorted(set(self.fisher) - set(params))
            if unknown:
                raise ValueError(f"EWC: the Fisher names parameters the model does not have: "
                                 f"{unknown[:3]}. HINT: build it with EWC.from_source(model, ...) "
                                 "on the model you fine-tune.")
            group_of = {n: g for g, pairs in group_parameters(state.model).items()
                        for n, _ in pairs}
            for n in self.fisher:
                self.anchors[n] = params[n].detach().clone()
                self.group_of[n] = group_of[n]
        super().on_fit_start(state)
        device = next(state.model.parameters()).device
        self.fisher = {n: f.to(device) for n, f in self.fisher.items()}

    def penalty(self, model: nn.Module) -> torch.Tensor:
        """``lam / 2 * sum F * (w - w0)^2`` over the anchored, trainable parameters."""
        params = dict(model.named_parameters())
        terms = [(self.fisher[n] * (params[n] - w0).pow(2)).sum()
                 for n, w0 in self.anchors.items() if params[n].requires_grad]
        return self.lam / 2 * torch.stack(terms).sum() if terms else torch.zeros(())

    def on_loss(self, state: FitState) -> None:
        state.loss = state.loss + self.penalty(state.model).to(state.loss.device)

    def state_dict(self) -> dict:
        return {**super().state_dict(), "fisher": self.fisher, "lam": self.lam}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.fisher, self.lam = state["fisher"], state["lam"]
