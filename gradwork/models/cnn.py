"""Convolutional classifiers: LeNet-5 and a small ResNet for 28x28 images, a 1D CNN for sequences.

* :class:`LeNet`: LeCun et al., "Gradient-based learning applied to document recognition"
  (1998): two 5x5 convolutions, each followed by 2x2 pooling, then three linear layers. As in
  most modern re-implementations it uses ReLU and max pooling rather than the original's scaled
  tanh and trainable subsampling, and pads the first convolution so that 28x28 inputs see the
  32x32 geometry of the paper.
* :class:`ResNet`: He et al., "Deep residual learning for image recognition" (2016): basic
  blocks (two 3x3 convolutions with batch norm) around identity shortcuts, and 1x1 projection
  shortcuts where the width or the resolution changes; global average pooling, a linear head.
* :class:`ConvNet1d`: ``same``-padded 1D convolutions with ReLU and 2x pooling, global average
  pooling over the remaining length, a linear head.

Example:
    >>> import gradwork
    >>> from gradwork.models.cnn import LeNet, ResNet, ResNetConfig
    >>> LeNet()(gradwork.randn(2, 1, 28, 28)).shape
    (2, 10)
    >>> ResNet(ResNetConfig(widths=(4, 8), blocks=(1, 1)))(gradwork.randn(2, 1, 28, 28)).shape
    (2, 10)
"""

from __future__ import annotations

from dataclasses import dataclass

from gradwork import nn
from gradwork.tensor import Tensor

__all__ = [
    "BasicBlock",
    "ConvNet1d",
    "ConvNet1dConfig",
    "LeNet",
    "LeNetConfig",
    "ResNet",
    "ResNetConfig",
]


@dataclass
class LeNetConfig:
    in_channels: int = 1  # image channels
    num_classes: int = 10  # outputs of the last layer
    image_size: int = 28  # height = width of the input; must be divisible by 4
    channels: tuple[int, int] = (6, 16)  # output channels of the two 5x5 convolutions
    hidden: tuple[int, int] = (120, 84)  # widths of the two hidden linear layers


@dataclass
class ResNetConfig:
    in_channels: int = 1  # image channels
    num_classes: int = 10  # outputs of the head
    widths: tuple[int, ...] = (16, 32, 64)  # channels of each stage; stages after the first halve
    blocks: tuple[int, ...] = (1, 1, 1)  # basic blocks per stage (same length as widths)
    stem_stride: int = 1  # stride of the stem convolution; 2 quarters the cost of every stage


@dataclass
class ConvNet1dConfig:
    in_channels: int = 1  # channels per time step; (N, L) inputs count as one channel
    num_classes: int = 10  # outputs of the head
    channels: tuple[int, ...] = (32, 64)  # output channels of each convolution
    kernel_size: int = 5  # odd, so that padding kernel_size // 2 keeps the length


# -- LeNet --------------------------------------------------------------------------------------
class LeNet(nn.Module):
    """LeNet-5: ``conv5x5 -> relu -> maxpool2 -> conv5x5 -> relu -> maxpool2 -> 3 linear``.

    Shape: ``(N, in_channels, image_size, image_size)`` -> ``(N, num_classes)``.
    """

    def __init__(self, config: LeNetConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or LeNetConfig()
        first, second = config.channels
        self.conv1 = nn.Conv2d(config.in_channels, first, 5, padding=2)
        self.conv2 = nn.Conv2d(first, second, 5)
        self.pool = nn.MaxPool2d(2)
        side = (config.image_size // 2 - 4) // 2  # 28 -> 28 -> 14 -> 10 -> 5
        self.fc1 = nn.Linear(second * side * side, config.hidden[0])
        self.fc2 = nn.Linear(config.hidden[0], config.hidden[1])
        self.fc3 = nn.Linear(config.hidden[1], config.num_classes)

    def forward(self, x: Tensor) -> Tensor:
        h = self.pool(self.conv1(x).relu())  # (N, channels[0], 14, 14)
        h = self.pool(self.conv2(h).relu())  # (N, channels[1], 5, 5)
        h = h.flatten(1)  # (N, channels[1] * 5 * 5)
        h = self.fc2(self.fc1(h).relu()).relu()
        return self.fc3(h)


# -- ResNet -------------------------------------------------------------------------------------
class BasicBlock(nn.Module):
    """``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`` with 3x3 convolutions; the
    shortcut is the identity, or ``bn(conv1x1(x))`` when the stride or the width changes.

    Shape: ``(N, in_channels, H, W)`` -> ``(N, out_channels, H / stride, W / stride)``.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        # no biases before batch norm: its shift makes them redundant
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x: Tensor) -> Tensor:
        h = self.bn1(self.conv1(x)).relu()
        h = self.bn2(self.conv2(h))
        return (h + self.shortcut(x)).relu()


class ResNet(nn.Module):
    """A small ResNet: a 3x3 stem, stages of :class:`BasicBlock` (each stage after the first
    halves the resolution with a stride-2 first block), global average pooling, a linear head.

    Shape: ``(N, in_channels, H, W)`` -> ``(N, num_classes)``.
    """

    def __init__(self, config: ResNetConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or ResNetConfig()
        if len(config.widths) != len(config.blocks) or not config.widths:
            raise ValueError(
                f"ResNetConfig: widths {config.widths} and blocks {config.blocks} must be "
                "non-empty and of the same length"
            )
        self.stem = nn.Sequential(
            nn.Conv2d(
                config.in_channels, config.widths[0], 3, config.stem_stride, padding=1, bias=False
            ),
            nn.BatchNorm2d(config.widths[0]),
            nn.ReLU(),
        )
        blocks, in_channels = [], config.widths[0]
        for stage, (width, count) in enumerate(zip(config.widths, config.blocks)):
            for index in range(count):
                stride = 2 if stage > 0 and index == 0 else 1
                blocks.append(BasicBlock(in_channels, width, stride))
                in_channels = width
        self.layers = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_channels, config.num_classes)

    def forward(self, x: Tensor) -> Tensor:
        h = self.layers(self.stem(x))  # (N, widths[-1], H', W')
        h = self.pool(h).flatten(1)  # (N, widths[-1])
        return self.fc(h)


# -- 1D CNN -------------------------------------------------------------------------------------
class ConvNet1d(nn.Module):
    """``[conv1d -> relu -> maxpool2] * len(channels)``, mean over time, a linear head.

    Shape: ``(N, in_channels, L)`` (or ``(N, L)`` when ``in_channels == 1``) ->
    ``(N, num_classes)``; ``L`` must be at least ``2 ** len(channels)``.
    """

    def __init__(self, config: ConvNet1dConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or ConvNet1dConfig()
        if config.kernel_size % 2 == 0:
            raise ValueError(f"ConvNet1dConfig: kernel_size must be odd, got {config.kernel_size}")
        convs, in_channels = [], config.in_channels
        for width in config.channels:
            convs.append(
                nn.Conv1d(in_channels, width, config.kernel_size, padding=config.kernel_size // 2)
            )
            in_channels = width
        self.convs = nn.ModuleList(convs)
        self.pool = nn.MaxPool1d(2)
        self.fc = nn.Linear(in_channels, config.num_classes)

    def forward(self, x: Tensor) -> Tensor:
        h = x.unsqueeze(1) if x.ndim == 2 else x  # (N, in_channels, L)
        for conv in self.convs:
            h = self.pool(conv(h).relu())  # (N, width, L / 2)
        return self.fc(h.mean(dim=-1))  # (N, channels[-1]) -> (N, num_classes)
