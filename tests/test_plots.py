"""Live plot (one display handle, throttled, static final PNG), progress bar rules, figures."""
from types import SimpleNamespace

import IPython.display
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from course_utils import History, LivePlot, ProgressBar, TensorLoader, fit, plot_history
from course_utils import plots
from course_utils.plots import figure_to_png, progress_enabled

PNG = b"\x89PNG\r\n\x1a\n"


class FakeHandle:
    def __init__(self, log):
        self.log = log

    def update(self, obj):
        self.log.append(("update", obj))


@pytest.fixture
def notebook(monkeypatch):
    """Pretend to run in Jupyter; record display calls; fail on clear_output."""
    log = []

    def display(obj, display_id=None):
        log.append(("display", obj, display_id))
        return FakeHandle(log)

    def clear_output(*args, **kwargs):
        raise AssertionError("clear_output wipes the cell's other output")

    monkeypatch.setattr(plots, "in_notebook", lambda: True)
    monkeypatch.setattr(IPython.display, "display", display)
    monkeypatch.setattr(IPython.display, "clear_output", clear_output)
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    return log


def train(epochs, callbacks=(), live_plot=False):
    torch.manual_seed(0)
    x, y = torch.randint(0, 256, (32, 4, 4), dtype=torch.uint8), torch.arange(32) % 2
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    loader = TensorLoader(x, y, batch_size=16, device="cpu", seed=0)
    return fit(model, loader, epochs, callbacks=callbacks, live_plot=live_plot, progress=False)


def small_history(epochs=3, stop_reason="completed"):
    history = History(stop_reason=stop_reason)
    for e in range(epochs):
        train, val = {"loss": 1.0 / (e + 1), "acc": 0.5}, {"loss": 1.2 / (e + 1), "acc": 0.4}
        history.add(e, train, val, 1.0)
    return history


def test_live_plot_uses_one_display_handle_and_ends_with_a_png(notebook):
    train(3, callbacks=[LivePlot(min_interval=0)])
    displays = [entry for entry in notebook if entry[0] == "display"]
    assert len(displays) == 1 and displays[0][2] is True  # display_id=True: one output
    assert [entry[0] for entry in notebook[1:]] == ["update"] * 3  # epochs 1, 2 + final
    final = notebook[-1][1]
    assert isinstance(final, IPython.display.Image) and final.data.startswith(PNG)


def test_live_plot_is_throttled_but_always_draws_the_last_epoch(notebook):
    train(4, callbacks=[LivePlot(min_interval=3600)])
    assert [entry[0] for entry in notebook] == ["display", "update"]  # first epoch, final


def test_fit_adds_a_live_plot_by_default_in_a_notebook(notebook):
    train(2, live_plot=True)
    assert notebook and notebook[0][0] == "display"


def test_outside_a_notebook_it_prints_one_line_per_epoch(capsys, monkeypatch):
    monkeypatch.setattr(plots, "in_notebook", lambda: False)
    train(2, live_plot=True)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch")]
    assert len(lines) == 2 and "train_loss" in lines[0]


def test_progress_rule_follows_course_progress(monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    assert not progress_enabled()
    monkeypatch.setenv("COURSE_PROGRESS", "1")
    assert progress_enabled()
    monkeypatch.delenv("COURSE_PROGRESS")
    monkeypatch.setattr(plots, "in_notebook", lambda: False)
    assert not progress_enabled()  # pytest's stderr is not a terminal
    monkeypatch.setattr(plots, "in_notebook", lambda: True)
    assert progress_enabled()


def test_progress_bar_counts_batches_and_is_off_when_disabled(monkeypatch):
    state = SimpleNamespace(epochs=3, start_epoch=1, train_loader=[0] * 5, epoch=1,
                            history=small_history(2))
    monkeypatch.setenv("COURSE_PROGRESS", "1")
    bar = ProgressBar()
    bar.on_fit_start(state)
    for _ in range(4):
        bar.on_batch_end(state)
    bar.on_epoch_end(state)
    assert bar.bar.total == 10 and bar.bar.n == 4
    bar.on_fit_end(state)
    assert bar.bar is None
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    bar.on_fit_start(state)
    assert bar.bar is None


def test_plot_history_draws_loss_and_accuracy_and_the_best_epoch():
    fig = plot_history(small_history(), max_epochs=10)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    loss_ax = fig.axes[0]
    assert len(loss_ax.lines) == 3  # train, val, best-epoch marker
    assert loss_ax.get_xlim()[1] == pytest.approx(9.5)


def test_plot_history_says_why_training_stopped():
    fig = plot_history(small_history(stop_reason="early stopping: val_loss"))
    assert "early stopping" in fig._suptitle.get_text()


def test_figure_to_png_renders_with_agg():
    assert figure_to_png(plot_history(small_history())).startswith(PNG)


def test_notebook_progress_bar_is_one_output_updated_to_its_final_state(notebook, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", "1")
    train(2, callbacks=[ProgressBar()])
    assert [entry[0] for entry in notebook] == ["display", "update"]
    final = notebook[-1][1]
    assert "100%" in repr(final) and "4/4" in repr(final)  # the text a saved notebook shows
