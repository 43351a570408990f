"""History: one entry per epoch, round trip through plain data, the best epoch."""
import math

from course_utils import History


def test_history_round_trip_and_table_marks_best():
    history = History()
    history.add(0, {"loss": 1.0, "acc": 0.5}, {"loss": 0.9, "acc": 0.6}, 1.0)
    history.add(1, {"loss": 0.8, "acc": 0.7}, {"loss": 0.7, "acc": 0.8}, 1.0)
    assert History.from_dict(history.to_dict()) == history
    assert history.best_epoch == 1
    assert history.table().splitlines()[1].endswith("*")
    assert len(history.plot().axes) == 2


def test_without_validation_the_best_epoch_follows_the_training_loss():
    history = History()
    history.add(0, {"loss": 0.5, "acc": 0.5}, {}, 1.0)
    history.add(1, {"loss": 0.7, "acc": 0.6}, {}, 1.0)
    assert math.isnan(history.last("val_loss"))
    assert history.best_epoch == 0
