"""Shared by the tests of the exercises: run ``check`` and capture what it printed."""
from course_utils.exercises import check, get


def run_check(capsys, exercise_id, answer, **context):
    """``(what check returned, what it printed)``; attempts are not recorded."""
    capsys.readouterr()
    returned = check(exercise_id, answer, record=False, **context)
    return returned, capsys.readouterr().out


def is_reference(exercise_id, returned):
    """True when ``returned`` is the exercise's reference answer (the function, or its value)."""
    exercise = get(exercise_id)
    return returned == exercise.reference() if exercise.value else returned is exercise.reference
