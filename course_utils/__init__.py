"""course_utils: the small library behind the course "Fine-tuning pretrained models in PyTorch".

Every notebook imports what it needs from here, by name:

>>> from course_utils import get_device
"""
from .data import DataError, fashion_mnist, k_per_class, select_classes, train_val_split
from .device import get_device
from .lab_net import LabResNet
from .models import (PretrainedCfg, UnknownModelError, WeightsUnavailableError, imagenet_classes,
                     list_pretrained, pretrained)
from .callbacks import L2SP, BestWeights, Callback, EarlyStopping, GradualUnfreeze, WeightDrift
from .checkpoint import CheckpointError, SaveCheckpoint, load_checkpoint, save_checkpoint
from .loaders import TensorLoader, random_flip_crop, to_float
from .lr_finder import LRFindResult, lr_find
from .param_groups import audit_optimizer, param_groups
from .schedules import LRRecorder, constant_lr, one_cycle, plot_lrs, preview_schedule, warmup_cosine
from .surgery import (apply_bn_policy, bn_policies, freeze, freeze_state, freeze_to, group_parameters,
                      layer_groups, load_freeze_state, replace_head, set_bn_policy,
                      trainable_summary, unfreeze)
from .plots import LivePlot, ProgressBar, plot_history, plot_series
from .quiz import QuizFormatError, grade, grade_quiz, load_bank, show_quiz
from .seed import seed_everything
from .training import History, evaluate, fit, show_training_loop

__all__ = sorted([
    "DataError",
    "fashion_mnist",
    "imagenet_classes",
    "k_per_class",
    "LabResNet",
    "list_pretrained",
    "pretrained",
    "PretrainedCfg",
    "select_classes",
    "train_val_split",
    "UnknownModelError",
    "WeightsUnavailableError",
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
    "LRFindResult",
    "lr_find",
    "audit_optimizer",
    "param_groups",
    "LRRecorder",
    "constant_lr",
    "one_cycle",
    "plot_lrs",
    "preview_schedule",
    "warmup_cosine",
    "apply_bn_policy",
    "bn_policies",
    "freeze",
    "freeze_state",
    "freeze_to",
    "group_parameters",
    "layer_groups",
    "load_freeze_state",
    "replace_head",
    "set_bn_policy",
    "trainable_summary",
    "unfreeze",
])
