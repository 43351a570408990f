"""The chapters' "Your turn" exercises: ``check``, ``hint`` and ``solution``, by exercise id.

Each chapter module (``ch01`` ... ``ch08``) holds its checkers and reference solutions and
registers its exercises; :mod:`.framework` is the machinery. In a notebook::

    from course_utils.exercises import check, hint, solution
    train_step = check("02.train_step", train_step)   # feedback; the reference if not done yet
    hint("02.train_step")                              # one more hint per call
    solution("02.train_step")                          # the reference solution, when you want it
"""
from .framework import REGISTRY, Exercise, NotAttempted, check, get, hint, solution


def exercise_ids() -> list[str]:
    """Every exercise id, in chapter order.

    >>> exercise_ids()[:2]
    ['01.gray', '01.head']
    """
    get("01.head")  # imports every chapter module, which registers its exercises
    return sorted(REGISTRY)


__all__ = ["REGISTRY", "Exercise", "NotAttempted", "check", "exercise_ids", "get", "hint",
           "solution"]
