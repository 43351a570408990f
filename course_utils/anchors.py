"""Callbacks that compare the weights with where they started (w0, the pretrained values):
``WeightDrift`` measures how far each layer group moved; ``L2SP`` pulls the weights back.

How far fine-tuning moves a layer is what decides how much of the source task it forgets, so
both keep a copy of the weights when training starts.

>>> drift, l2sp = WeightDrift(), L2SP(alpha=0.01)   # fit(..., callbacks=[drift, l2sp])
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from .callbacks import Callback
from .layer_groups import group_parameters

if TYPE_CHECKING:
    from .training import FitState


class _Anchored(Callback):
    """Shared by WeightDrift and L2SP: a copy w0 of the weights when training starts."""

    def __init__(self, groups: list[str] | None = None) -> None:
        self.groups = groups
        self.anchors: dict[str, torch.Tensor] = {}
        self.group_of: dict[str, str] = {}

    def on_fit_start(self, state: FitState) -> None:
        if self.anchors:  # resumed from a checkpoint, or a second fit: keep the first w0
            params = dict(state.model.named_parameters())
            self.anchors = {n: w0.to(params[n].device) for n, w0 in self.anchors.items()}
            return
        named = group_parameters(state.model)
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
        self.alpha = alpha

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
