"""The four MNIST-1D baselines of Greydanus, "Scaling down deep learning" (2020, arXiv:2011.14439).

Logistic regression, an MLP, a CNN and a bidirectional GRU, with the architectures of the
reference repository (github.com/greydanus/mnist1d, ``notebooks/models.py``): the same layers,
widths, kernel sizes, strides and paddings, so the parameter counts match the reference's
(410, 15,210, 5,210 and 5,134). Every model maps a batch of signals ``(N, 40)`` to class logits
``(N, 10)``. Each model has its own ``Config`` dataclass, first, and is built from it.

Example:
    >>> import gradwork
    >>> from gradwork.models.mnist1d import build_model
    >>> model = build_model("cnn")
    >>> model(gradwork.randn(8, 40)).shape, model.num_parameters()
    ((8, 10), 5210)
"""

from __future__ import annotations

from dataclasses import dataclass

from gradwork import nn
from gradwork.tensor import Tensor

__all__ = [
    "ConvNet",
    "ConvNetConfig",
    "GRUClassifier",
    "GRUConfig",
    "LogisticRegression",
    "LogisticRegressionConfig",
    "MLP",
    "MLPConfig",
    "MODELS",
    "build_model",
]


class _Classifier(nn.Module):
    """Shared only for ``num_parameters``: each model below is written out in full."""

    def num_parameters(self) -> int:
        """The number of trainable scalars (the reference prints it when a model is built)."""
        return sum(parameter.numel() for parameter in self.parameters())


# -- logistic regression ------------------------------------------------------------------------
@dataclass
class LogisticRegressionConfig:
    input_size: int = 40  # points per signal
    output_size: int = 10  # classes


class LogisticRegression(_Classifier):
    """Multinomial logistic regression: ``logits = x W^T + b`` (the reference's ``LinearBase``).

    Shape: ``(N, input_size)`` -> ``(N, output_size)``.
    """

    def __init__(self, config: LogisticRegressionConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or LogisticRegressionConfig()
        self.linear = nn.Linear(config.input_size, config.output_size)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x)


# -- MLP ----------------------------------------------------------------------------------------
@dataclass
class MLPConfig:
    input_size: int = 40  # points per signal
    output_size: int = 10  # classes
    hidden_size: int = 100  # width of both hidden layers


class MLP(_Classifier):
    """Two ReLU layers, the second one residual: ``h1 = relu(W1 x)``, ``h2 = h1 + relu(W2 h1)``,
    ``logits = W3 h2`` (biases omitted; the reference's ``MLPBase``).

    Shape: ``(N, input_size)`` -> ``(N, output_size)``.
    """

    def __init__(self, config: MLPConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or MLPConfig()
        self.linear1 = nn.Linear(config.input_size, config.hidden_size)
        self.linear2 = nn.Linear(config.hidden_size, config.hidden_size)
        self.linear3 = nn.Linear(config.hidden_size, config.output_size)

    def forward(self, x: Tensor) -> Tensor:
        h = self.linear1(x).relu()
        h = h + self.linear2(h).relu()
        return self.linear3(h)


# -- CNN ----------------------------------------------------------------------------------------
@dataclass
class ConvNetConfig:
    input_size: int = 40  # points per signal
    output_size: int = 10  # classes
    channels: int = 25  # feature maps of each of the three convolutions


def _conv_length(length: int, kernel_size: int, stride: int, padding: int) -> int:
    return (length + 2 * padding - kernel_size) // stride + 1


class ConvNet(_Classifier):
    """Three strided ReLU convolutions and a linear read-out (the reference's ``ConvBase``).

    Kernel sizes 5, 3, 3, stride 2 and padding 1 each: a 40-point signal shrinks to 19, 10, then
    5 points, so the read-out sees ``channels * 5 = 125`` features.

    Shape: ``(N, input_size)`` -> ``(N, output_size)``.
    """

    def __init__(self, config: ConvNetConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or ConvNetConfig()
        channels = config.channels
        self.conv1 = nn.Conv1d(1, channels, 5, stride=2, padding=1)
        self.conv2 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.conv3 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        length = config.input_size
        for kernel_size in (5, 3, 3):
            length = _conv_length(length, kernel_size, stride=2, padding=1)
        self.linear = nn.Linear(channels * length, config.output_size)

    def forward(self, x: Tensor) -> Tensor:
        h = x.reshape(x.shape[0], 1, x.shape[-1])  # (N, 1, L): one input channel
        h = self.conv1(h).relu()
        h = self.conv2(h).relu()
        h = self.conv3(h).relu()
        h = h.flatten(1)  # (N, channels * 5)
        return self.linear(h)


# -- GRU ----------------------------------------------------------------------------------------
@dataclass
class GRUConfig:
    input_size: int = 40  # points per signal: the sequence length, one scalar per step
    output_size: int = 10  # classes
    hidden_size: int = 6  # GRU state size per direction
    bidirectional: bool = True  # also read the signal right to left


class GRUClassifier(_Classifier):
    """A GRU reads the signal one point at a time; a linear layer reads all its hidden states,
    flattened over time and both directions (the reference's ``GRUBase``).

    Shape: ``(N, input_size)`` -> ``(N, output_size)``.
    """

    def __init__(self, config: GRUConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or GRUConfig()
        self.gru = nn.GRU(
            1, config.hidden_size, batch_first=True, bidirectional=config.bidirectional
        )
        directions = 2 if config.bidirectional else 1
        self.linear = nn.Linear(
            directions * config.hidden_size * config.input_size, config.output_size
        )

    def forward(self, x: Tensor) -> Tensor:
        h = x.reshape(x.shape[0], x.shape[1], 1)  # (N, L, 1): one scalar per time step
        h, _ = self.gru(h)  # (N, L, directions * hidden_size); h_0 is zeros, as the reference's
        h = h.reshape(h.shape[0], -1)  # (N, L * directions * hidden_size)
        return self.linear(h)


MODELS = {
    "logistic": (LogisticRegression, LogisticRegressionConfig),
    "mlp": (MLP, MLPConfig),
    "cnn": (ConvNet, ConvNetConfig),
    "gru": (GRUClassifier, GRUConfig),
}


def build_model(name: str, **config) -> _Classifier:
    """Build the MNIST-1D model ``name`` (``logistic``, ``mlp``, ``cnn`` or ``gru``).

    Args:
        name: a key of ``MODELS``.
        **config: fields of that model's ``Config`` to change from their defaults.

    Example:
        >>> build_model("mlp", hidden_size=32).num_parameters()
        2698
    """
    if name not in MODELS:
        raise ValueError(f"build_model: unknown model {name!r}; expected one of {list(MODELS)}")
    model_class, config_class = MODELS[name]
    return model_class(config_class(**config))
