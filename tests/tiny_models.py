"""The tiny network the training tests share: three layer groups, trains in milliseconds."""
from torch import nn

QUIET = {"live_plot": False, "progress": False}  # fit() without plot or progress bar


class TinyNet(nn.Module):
    """Layer groups (the library's fallback rules): stem, block, head.

    Args:
        num_classes: outputs of the head.
        dropout: dropout before the head (it draws from the global RNG, which resume tests need).
    """

    def __init__(self, num_classes: int = 2, dropout: float = 0.0) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU())
        self.block = nn.Sequential(nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.ReLU(),
                                   nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Dropout(dropout))
        self.head = nn.Linear(32, num_classes)

    def forward(self, x):
        return self.head(self.block(self.stem(x)))
