"""A multilayer perceptron with optional normalisation, dropout and residual connections.

Each hidden block is ``h = dropout(activation(norm(W h + b)))``; with ``residual`` a block whose
input and output widths agree adds its input back, ``h = h + block(h)`` (He et al., "Deep
residual learning for image recognition", 2016), which keeps deep stacks trainable. The last
layer is a plain linear read-out.

Example:
    >>> import gradwork
    >>> from gradwork.models.mlp import MLP, MLPConfig
    >>> model = MLP(MLPConfig(sizes=(4, 16, 16, 3), norm="layer", residual=True))
    >>> model(gradwork.randn(8, 4)).shape
    (8, 3)
"""

from __future__ import annotations

from dataclasses import dataclass

from gradwork import nn
from gradwork.tensor import Tensor

__all__ = ["MLP", "MLPBlock", "MLPConfig"]

_ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh, "silu": nn.SiLU}
_NORMS = {None: None, "layer": nn.LayerNorm, "batch": nn.BatchNorm1d}


@dataclass
class MLPConfig:
    sizes: tuple[int, ...] = (784, 256, 256, 10)  # input width, hidden widths..., output width
    activation: str = "relu"  # 'relu', 'gelu', 'tanh' or 'silu', after each hidden layer
    norm: str | None = None  # None, 'layer' (LayerNorm) or 'batch' (BatchNorm1d) before it
    residual: bool = False  # add each hidden block's input to its output when widths agree
    dropout: float = 0.0  # dropout probability after each hidden activation

    def __post_init__(self) -> None:
        if len(self.sizes) < 2 or min(self.sizes) < 1:
            raise ValueError(f"MLPConfig: sizes needs >= 2 positive widths, got {self.sizes}")
        if self.activation not in _ACTIVATIONS:
            raise ValueError(
                f"MLPConfig: activation must be one of {list(_ACTIVATIONS)}, "
                f"got {self.activation!r}"
            )
        if self.norm not in _NORMS:
            raise ValueError(f"MLPConfig: norm must be None, 'layer' or 'batch', got {self.norm!r}")


class MLPBlock(nn.Module):
    """One hidden layer: ``dropout(activation(norm(linear(x))))``, plus ``x`` when residual.

    Args:
        in_features, out_features: widths of the input and the output.
        config: the model's configuration (activation, norm, residual, dropout).

    Shape: ``(N, in_features)`` -> ``(N, out_features)``.
    """

    def __init__(self, in_features: int, out_features: int, config: MLPConfig) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        norm = _NORMS[config.norm]
        self.norm = norm(out_features) if norm is not None else nn.Identity()
        self.activation = _ACTIVATIONS[config.activation]()
        self.dropout = nn.Dropout(config.dropout)
        # a shortcut only where it needs no projection: the residual branch stays an identity
        self.residual = config.residual and in_features == out_features

    def forward(self, x: Tensor) -> Tensor:
        h = self.dropout(self.activation(self.norm(self.linear(x))))
        return x + h if self.residual else h


class MLP(nn.Module):
    """Hidden :class:`MLPBlock` s then a linear read-out, from ``MLPConfig.sizes``.

    Inputs with more than two dimensions (images) are flattened after the batch dimension.

    Shape: ``(N, *)`` with ``prod(*) == sizes[0]`` -> ``(N, sizes[-1])``.
    """

    def __init__(self, config: MLPConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or MLPConfig()
        widths = config.sizes
        self.blocks = nn.ModuleList(
            [MLPBlock(widths[i], widths[i + 1], config) for i in range(len(widths) - 2)]
        )
        self.head = nn.Linear(widths[-2], widths[-1])

    def forward(self, x: Tensor) -> Tensor:
        h = x.flatten(1)  # (N, sizes[0])
        for block in self.blocks:
            h = block(h)
        return self.head(h)
