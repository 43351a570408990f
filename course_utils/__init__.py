"""course_utils: the small library behind the course "Fine-tuning pretrained models in PyTorch".

Every notebook imports what it needs from here, by name:

>>> from course_utils import get_device
"""
from .device import get_device
from .callbacks import L2SP, BestWeights, Callback, EarlyStopping, GradualUnfreeze, WeightDrift
from .checkpoint import CheckpointError, SaveCheckpoint, load_checkpoint, save_checkpoint
from .loaders import TensorLoader, random_flip_crop, to_float
from .plots import LivePlot, ProgressBar, plot_history, plot_series
from .quiz import QuizFormatError, grade, grade_quiz, load_bank, show_quiz
from .seed import seed_everything
from .training import History, evaluate, fit, show_training_loop

__all__ = sorted([
    "BestWeights",
    "Callback",
    "CheckpointError",
    "EarlyStopping",
    "evaluate",
    "fit",
    "get_device",
    "grade",
    "grade_quiz",
    "GradualUnfreeze",
    "History",
    "L2SP",
    "LivePlot",
    "load_bank",
    "load_checkpoint",
    "plot_history",
    "plot_series",
    "ProgressBar",
    "QuizFormatError",
    "random_flip_crop",
    "save_checkpoint",
    "SaveCheckpoint",
    "seed_everything",
    "show_quiz",
    "show_training_loop",
    "TensorLoader",
    "to_float",
    "WeightDrift",
])
