"""Auto-graded chapter quizzes: banks in ``quizzes/*.yaml``, graded in Python.

Load and validate (``bank``), grade (``grading``), show in a notebook (``widget``) or as
text (``text``), save results per student (``results``, ``identity``), gather them
(``report``), and check banks (``lint``).

>>> from course_utils.quiz import grade, load_bank
>>> bank = load_bank("03")  # doctest: +SKIP
>>> grade(bank.questions[0], 1).correct  # doctest: +SKIP
True
"""
from .bank import Bank, Option, Question, QuizFormatError, load_bank, quiz_dir
from .grading import QuizResult, Result, grade, grade_quiz, shuffled_order
from .lint import LintReport, lint
from .report import gather_results, load_banks, write_report
from .results import past_results, record_attempts
from .show import show_quiz
from .text import TextQuiz, answer

__all__ = [
    "Bank",
    "LintReport",
    "Option",
    "Question",
    "QuizFormatError",
    "QuizResult",
    "Result",
    "TextQuiz",
    "answer",
    "gather_results",
    "grade",
    "grade_quiz",
    "lint",
    "load_bank",
    "load_banks",
    "past_results",
    "quiz_dir",
    "record_attempts",
    "show_quiz",
    "shuffled_order",
    "write_report",
]
