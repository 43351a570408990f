"""course_utils: the small library behind the course "Fine-tuning pretrained models in PyTorch".

Every notebook imports what it needs from here, by name:

>>> from course_utils import get_device
"""
from .anchors import L2SP, WeightDrift
from .callbacks import BestWeights, Callback, EarlyStopping
from .checkpoint import CheckpointError, SaveCheckpoint, load_checkpoint, save_checkpoint
from .clipping import ClipGradNorm
from .data import DataError, fashion_mnist, k_per_class, select_classes, train_val_split
from .device import get_device
from .history import History
from .lab_net import LabResNet
from .loaders import TensorLoader, random_flip_crop, to_float
from .lr_finder import LRFindResult, lr_find
from .models import (
    PretrainedCfg,
    UnknownModelError,
    WeightsUnavailableError,
    imagenet_classes,
    list_pretrained,
    pretrained,
)
from .param_groups import audit_optimizer, param_groups
from .plots import LivePlot, ProgressBar, plot_history, plot_series
from .quiz import QuizFormatError, grade, grade_quiz, load_bank, show_quiz
from .schedules import LRRecorder, constant_lr, one_cycle, plot_lrs, preview_schedule, warmup_cosine
from .seed import seed_everything
from .batchnorm import apply_bn_policy, bn_policies, set_bn_policy
from .layer_groups import group_parameters, layer_groups
from .surgery import (
    freeze,
    freeze_state,
    freeze_to,
    load_freeze_state,
    replace_head,
    trainable_summary,
    unfreeze,
)
from .training import evaluate, fit, show_training_loop
from .unfreezing import GradualUnfreeze, add_param_group

__all__ = [
    "BestWeights",
    "Callback",
    "CheckpointError",
    "ClipGradNorm",
    "DataError",
    "EarlyStopping",
    "GradualUnfreeze",
    "History",
    "L2SP",
    "LRFindResult",
    "LRRecorder",
    "LabResNet",
    "LivePlot",
    "PretrainedCfg",
    "ProgressBar",
    "QuizFormatError",
    "SaveCheckpoint",
    "TensorLoader",
    "UnknownModelError",
    "WeightDrift",
    "WeightsUnavailableError",
    "add_param_group",
    "apply_bn_policy",
    "audit_optimizer",
    "bn_policies",
    "constant_lr",
    "evaluate",
    "fashion_mnist",
    "fit",
    "freeze",
    "freeze_state",
    "freeze_to",
    "get_device",
    "grade",
    "grade_quiz",
    "group_parameters",
    "imagenet_classes",
    "k_per_class",
    "layer_groups",
    "list_pretrained",
    "load_bank",
    "load_checkpoint",
    "load_freeze_state",
    "lr_find",
    "one_cycle",
    "param_groups",
    "plot_history",
    "plot_lrs",
    "plot_series",
    "pretrained",
    "preview_schedule",
    "random_flip_crop",
    "replace_head",
    "save_checkpoint",
    "seed_everything",
    "select_classes",
    "set_bn_policy",
    "show_quiz",
    "show_training_loop",
    "to_float",
    "train_val_split",
    "trainable_summary",
    "unfreeze",
    "warmup_cosine",
]
