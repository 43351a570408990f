"""The course's lab network: ResNet-18's layout, narrow and small enough to fine-tune on a laptop CPU.

It keeps torchvision's module names (``conv1``, ``bn1``, ``layer1``..``layer4``, ``fc``), so code
written for ``torchvision.models.resnet18`` (``model.layer4.parameters()``, ``model.fc``) works as is.

>>> net = LabResNet(num_classes=7)
>>> net(torch.zeros(2, 1, 28, 28)).shape
torch.Size([2, 7])
"""
from __future__ import annotations

import torch
from torch import nn
from torchvision.models.resnet import BasicBlock


class LabResNet(nn.Module):
    """ResNet-18 layout (2 basic blocks per stage) with widths 16-32-64-128 for 28x28 grayscale.

    Differences from torchvision's resnet18: a 3x3 stride-1 stem and no max-pool (the images are
    small), and 1 input channel. About 0.7 M parameters.

    Args:
        num_classes: outputs of the ``fc`` head.
        widths: channels of layer1..layer4.
        in_channels: 1 for Fashion-MNIST.
    """

    def __init__(self, num_classes: int = 10, widths: tuple[int, ...] = (16, 32, 64, 128),
                 in_channels: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.inplanes = widths[0]
        self.layer1 = self._make_layer(widths[0], stride=1)
        self.layer2 = self._make_layer(widths[1], stride=2)
        self.layer3 = self._make_layer(widths[2], stride=2)
        self.layer4 = self._make_layer(widths[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(widths[3], num_classes)

    def _make_layer(self, planes: int, stride: int) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False),
                                       nn.BatchNorm2d(planes))
        blocks = [BasicBlock(self.inplanes, planes, stride, downsample), BasicBlock(planes, planes)]
        self.inplanes = planes
        return nn.Sequential(*blocks)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Everything but the head: (N, 1, 28, 28) -> (N, 128) features."""
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.avgpool(x), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.forward_features(x))
