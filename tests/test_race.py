"""race.py and its command line time_to_accuracy: they run and report; no timing is asserted
(timings go into docs/performance.md)."""
from course_utils import race
from course_utils import time_to_accuracy as tta


def test_race_reports_every_strategy_and_target(tmp_path, capsys):
    figure = tmp_path / "tta.png"
    result = tta.main(["--k", "20", "--budget", "1", "--targets", "0.4", "0.99",
                       "--plot", str(figure)])
    out = capsys.readouterr().out
    assert figure.stat().st_size > 0
    for strategy in race.STRATEGIES:
        curve = result["curves"][strategy]
        assert curve and all(b[0] > a[0] for a, b in zip(curve, curve[1:]))  # time moves on
        assert f"{strategy} fine-tuning to 99% validation accuracy: not reached" in out
        assert curve[-1][0] > 1  # it ran until the 1-second budget was spent
        assert result["seconds"][(strategy, 0.99)] is None
    assert "FLOPs per training image" in out and result["flops"]["head"] < result["flops"]["full"]


class FakeState:
    def __init__(self, val_acc):
        self.history = type("H", (), {"val_acc": [val_acc]})()
        self.stop, self.stop_reason = False, "completed"


def test_stopwatch_stops_at_the_target_and_not_before():
    watch = race.Stopwatch(target=0.8, budget=60)
    watch.on_fit_start(None)
    below, above = FakeState(0.79), FakeState(0.81)
    watch.on_epoch_end(below)
    watch.on_epoch_end(above)
    assert not below.stop and above.stop and "reached 0.810" in above.stop_reason
    assert [acc for _, acc in watch.curve] == [0.79, 0.81]


def test_reached_is_the_first_crossing():
    assert race.reached([(1.0, 0.7), (2.0, 0.6), (3.0, 0.8)], 0.65) == 1.0


def test_stopwatch_keeps_going_until_min_epochs_even_past_the_budget():
    watch = race.Stopwatch(target=0.9, budget=0.0, min_epochs=3)
    watch.on_fit_start(None)
    states = [FakeState(0.5) for _ in range(3)]
    for state in states:
        watch.on_epoch_end(state)
    assert [s.stop for s in states] == [False, False, True]
    assert "time budget spent" in states[-1].stop_reason


def test_epochs_to_counts_from_one():
    curve = [(1.0, 0.5), (2.0, 0.7), (3.0, 0.9)]
    assert race.epochs_to(curve, 0.7) == 2 and race.epochs_to(curve, 0.95) is None


def test_head_only_costs_fewer_flops_than_full():
    head, full = race.training_flops("head"), race.training_flops("full")
    assert 0 < head < 0.7 * full  # no backward pass through the frozen backbone
