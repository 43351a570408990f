"""Training curves: a live plot updated in place, a quiet progress bar, and static figures.

The live plot does what d2l's ``ProgressBoard`` and livelossplot do, without their flaw: they
redraw with ``clear_output(wait=True)``, which also wipes everything else the cell printed.
``LivePlot`` displays ONE output with ``display(..., display_id=True)`` and replaces only that
output with ``handle.update(...)``, at most about once a second. Its last update is a static PNG
figure, so the curve stays in the saved notebook (GitHub, nbval, exported HTML show it).

Where figures come from, one rule: figures the library returns (the live plot,
``plot_history``, ``plot_series``) are drawn with matplotlib's object API (``Figure``, Agg
canvas), never ``pyplot``, so nothing is shown twice and no global state changes. Functions that
draw on an Axes (``plot_lrs``, ``LRFindResult.plot``, ``race.plot_curves``) take yours, or get a
new one from :func:`new_axes`, the one place that asks pyplot for a figure (so it shows like any
``plt`` plot and composes with your own ``plt`` calls).

>>> from course_utils import plot_series
>>> fig = plot_series({"head": [0.0, 0.1, 0.2]}, ylabel="drift")
>>> fig.axes[0].get_ylabel()
'drift'
"""
from __future__ import annotations

import io
import math
import sys
import time
from typing import TYPE_CHECKING, Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .callbacks import Callback
from .checks import check_instance, check_int, env_flag

if TYPE_CHECKING:  # only for type hints: training.py imports this module
    from .fit_state import FitState


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, VS Code, Colab, and nbval, which runs one)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in shell.config


def progress_enabled() -> bool:
    """Whether ``fit`` shows a progress bar. The rule, in order:

    1. ``COURSE_PROGRESS=0`` (or no/off/false) turns bars off, ``1`` (yes/on/true) on.
    2. In a Jupyter kernel: on. ``tqdm.auto`` draws a widget that updates in place (under
       nbval it is one output plus widget messages, never a line per step).
    3. Elsewhere: on only when stderr is a terminal, so pytest, CI logs and pipes get no bar
       (``LivePlot`` prints one line per epoch there instead).
    """
    setting = env_flag("COURSE_PROGRESS")
    return setting if setting is not None else in_notebook() or sys.stderr.isatty()


def new_axes(ax: Any = None, figsize: tuple[float, float] = (6, 3.5)) -> Any:
    """``ax`` when you give one; else the Axes of a new pyplot figure of size ``figsize``."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.figure(figsize=figsize, layout="constrained").add_subplot()


def figure_to_png(fig: Figure, dpi: int = 90) -> bytes:
    """Render a Figure to PNG bytes with the Agg backend."""
    buffer = io.BytesIO()
    FigureCanvasAgg(fig)  # attach an Agg canvas: no GUI, no pyplot
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def displayable(fig: Figure) -> Figure:
    """Let a notebook show ``fig`` as a PNG when it is a cell's last value (returns ``fig``).

    A pyplot-free ``Figure`` has no notebook display of its own; this registers one, once.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return fig
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["image/png"].for_type(Figure, figure_to_png)
    return fig


def plot_series(series: dict[str, list[float]], ylabel: str = "", title: str = "",
                xlabel: str = "epoch") -> Figure:
    """One line per named series against its index; returns a matplotlib Figure."""
    if not isinstance(series, dict):
        raise TypeError(f"series={series!r:.60}: give {{name: [value per epoch]}}. HINT: "
                        "plot_series({'val_acc': history.val_acc}).")
    fig = Figure(figsize=(5, 3.2), layout="constrained")
    ax = fig.add_subplot()
    for name, values in series.items():
        ax.plot(range(len(values)), values, marker="o", markersize=3, label=name)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if len(series) > 1:
        ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return displayable(fig)


def plot_history(history: Any, max_epochs: int | None = None) -> Figure:
    """Loss and accuracy (train and validation) per epoch, the best epoch marked.

    Args:
        history: a :class:`~course_utils.History`.
        max_epochs: fix the x axis to this many epochs (the live plot uses the planned total).
    """
    from .history import History

    check_instance("history", history, History, "pass what fit() returned: "
                   "plot_history(fit(...)), or History.from_dict(d) for a saved dict.")
    if max_epochs is not None:
        max_epochs = check_int("max_epochs", max_epochs, min=1, example=10)
    fig = Figure(figsize=(9, 3.2), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, metric in zip(axes, ("loss", "acc")):
        for split, style in (("train", "-o"), ("val", "-s")):
            values = getattr(history, f"{split}_{metric}")
            if values and not all(math.isnan(v) for v in values):
                ax.plot(history.epoch, values, style, markersize=3, label=split)
        best = history.best_epoch
        if best is not None:
            ax.axvline(best, color="gray", linestyle=":", label=f"best (epoch {best})")
        if max_epochs:
            ax.set_xlim(-0.5, max_epochs - 0.5)
        ax.set(xlabel="epoch", ylabel="accuracy" if metric == "acc" else "loss")
        losses = [v for v in history.train_loss + history.val_loss if math.isfinite(v) and v > 0]
        if metric == "loss" and losses and max(losses) > 30 * min(losses):
            ax.set_yscale("log")  # a blow-up would squash the rest of the curve flat
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    if history.stop_reason not in ("", "completed"):
        fig.suptitle(f"stopped: {history.stop_reason}", fontsize="small")
    return displayable(fig)


class LivePlot(Callback):
    """Live training curves in a notebook; one line per epoch outside one (``fit`` adds it).

    Args:
        min_interval: seconds between redraws (the last epoch is always drawn).
        dpi: resolution of the PNG.
    """

    order = 90

    def __init__(self, min_interval: float = 1.0, dpi: int = 90) -> None:
        self.min_interval, self.dpi = min_interval, dpi
        self.handle: Any = None
        self.last_draw = -math.inf
        self.notebook = False

    def on_fit_start(self, state: FitState) -> None:
        self.notebook = in_notebook()
        self.handle, self.last_draw = None, -math.inf  # a new output for every fit

    def on_epoch_end(self, state: FitState) -> None:
        if not self.notebook:
            from tqdm.auto import tqdm

            tqdm.write(state.history.line(-1))
        elif time.monotonic() - self.last_draw >= self.min_interval:
            self.draw(state)

    def on_fit_end(self, state: FitState) -> None:
        if self.notebook and len(state.history):
            self.draw(state)  # the static final figure that stays in the notebook

    def draw(self, state: Any) -> None:
        """Render the history to a PNG and show it in this fit's one output."""
        from IPython.display import Image, display

        fig = plot_history(state.history, max_epochs=state.epochs)
        image = Image(data=figure_to_png(fig, self.dpi), format="png")
        if self.handle is None:
            self.handle = display(image, display_id=True)
        else:
            self.handle.update(image)
        self.last_draw = time.monotonic()


class ProgressBar(Callback):
    """One tqdm bar per ``fit`` over all its batches; see :func:`progress_enabled` for when.

    The bar redraws at most once a second (``mininterval=1``); after each epoch its postfix
    shows the epoch's metrics (read from the history: no extra device sync). In a notebook the
    widget is shown through a display handle and updated once more when training ends, so a
    saved notebook's text version of the bar shows the finished bar, not "0%".
    """

    order = 95

    def __init__(self) -> None:
        self.bar: Any = None
        self.handle: Any = None

    def on_fit_start(self, state: FitState) -> None:
        self.bar = self.handle = None
        if not progress_enabled():
            return
        try:
            total = (state.epochs - state.start_epoch) * len(state.train_loader)
        except TypeError:  # a loader without len()
            total = None
        options = {"total": total, "unit": "batch", "mininterval": 1.0, "dynamic_ncols": True}
        if in_notebook():
            try:
                from IPython.display import display
                from tqdm.notebook import tqdm as notebook_tqdm

                self.bar = notebook_tqdm(**options, display=False)
                self.handle = display(self.bar.container, display_id=True)
                return
            except ImportError:  # no ipywidgets: fall back to the text bar
                pass
        from tqdm import tqdm

        self.bar = tqdm(**options)

    def on_batch_end(self, state: FitState) -> None:
        if self.bar is not None:
            self.bar.update()

    def on_epoch_end(self, state: FitState) -> None:
        if self.bar is not None:
            h = state.history
            self.bar.set_description(f"epoch {state.epoch}", refresh=False)
            metrics = {k: round(h.last(k), 4) for k in ("train_loss", "val_loss", "val_acc")}
            self.bar.set_postfix({k: v for k, v in metrics.items() if not math.isnan(v)},
                                 refresh=False)

    def on_fit_end(self, state: FitState) -> None:
        if self.bar is not None:
            self.bar.close()
            if self.handle is not None:
                self.handle.update(self.bar.container)  # the saved text shows the final bar
            self.bar = self.handle = None
