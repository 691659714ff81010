"""Activation layers: each wraps the functional op of the same name, with PyTorch's arguments
and repr.

``inplace=True`` is accepted for compatibility with PyTorch code, but the result is always a new
tensor (the input is left unchanged), which is never wrong for autograd, only less frugal.
"""

from __future__ import annotations

from gradwork.nn.module import Module
from gradwork.ops import activation, elementwise
from gradwork.ops.nn import log_softmax, softmax
from gradwork.tensor import Tensor

__all__ = [
    "ReLU",
    "ReLU6",
    "LeakyReLU",
    "ELU",
    "GELU",
    "SiLU",
    "Mish",
    "Sigmoid",
    "Tanh",
    "Hardtanh",
    "Softplus",
    "Softsign",
    "Softmax",
    "LogSoftmax",
]


def _inplace_repr(inplace: bool) -> str:
    return "inplace=True" if inplace else ""


class ReLU(Module):
    """``ReLU(x) = max(0, x)``.

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.ReLU()(gradwork.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return activation.relu(input)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class ReLU6(Module):
    """``ReLU6(x) = min(max(0, x), 6)``.

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.ReLU6()(gradwork.tensor([-1.0, 7.0]))
        tensor([0., 6.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return activation.relu6(input)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class LeakyReLU(Module):
    """``LeakyReLU(x) = x`` for ``x >= 0``, else ``negative_slope * x``.

    Args:
        negative_slope: the slope for negative inputs. Default: 0.01.
        inplace: accepted for compatibility (see the module docstring).

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.LeakyReLU(0.1)(gradwork.tensor([-1.0, 2.0]))
        tensor([-0.1,  2. ])
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return activation.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """``ELU(x) = x`` for ``x > 0``, else ``alpha (exp(x) - 1)`` (Clevert et al., 2015).

    Args:
        alpha: the value approached for large negative inputs is ``-alpha``. Default: 1.
        inplace: accepted for compatibility (see the module docstring).

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.ELU()(gradwork.tensor([-1.0, 2.0]))
        tensor([-0.6321,  2.    ])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return activation.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """``GELU(x) = x Phi(x)``, ``Phi`` the standard normal CDF (Hendrycks & Gimpel, 2016).

    Args:
        approximate: ``'none'`` (exact) or ``'tanh'``
            (``x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``).

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.GELU(approximate="tanh")
        GELU(approximate='tanh')
        >>> nn.GELU()(gradwork.tensor([0.0, 1.0]))
        tensor([0.    , 0.8413])
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return activation.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """``SiLU(x) = x sigmoid(x)`` (swish; Elfwing et al., 2017).

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.SiLU()(gradwork.tensor([0.0, 1.0]))
        tensor([0.    , 0.7311])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return activation.silu(input)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class Mish(Module):
    """``Mish(x) = x tanh(softplus(x))`` (Misra, 2019).

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.Mish()(gradwork.tensor([0.0, 1.0]))
        tensor([0.    , 0.8651])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return activation.mish(input)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class Sigmoid(Module):
    """``Sigmoid(x) = 1 / (1 + exp(-x))``.

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.Sigmoid()(gradwork.tensor([0.0]))
        tensor([0.5])
    """

    def forward(self, input: Tensor) -> Tensor:
        return elementwise.sigmoid(input)


class Tanh(Module):
    """``Tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x))``.

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.Tanh()(gradwork.tensor([0.0]))
        tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return elementwise.tanh(input)


class Hardtanh(Module):
    """``Hardtanh(x) = clamp(x, min_val, max_val)``.

    Args:
        min_val, max_val: the range. Default: -1, 1.
        inplace: accepted for compatibility (see the module docstring).

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.Hardtanh(-2.0, 2.0)(gradwork.tensor([-3.0, 1.0]))
        tensor([-2.,  1.])
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if max_val <= min_val:
            raise ValueError(f"Hardtanh: max_val ({max_val}) must be greater than min_val")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return activation.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"min_val={self.min_val}, max_val={self.max_val}{inplace}"


class Softplus(Module):
    """``Softplus(x) = log(1 + exp(beta x)) / beta``, linear where ``beta x > threshold``.

    Args:
        beta: the sharpness. Default: 1.
        threshold: above it (in ``beta x``) the function is the identity. Default: 20.

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.Softplus()
        Softplus(beta=1.0, threshold=20.0)
        >>> nn.Softplus()(gradwork.tensor([0.0]))
        tensor([0.6931])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        return activation.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    """``Softsign(x) = x / (1 + |x|)``.

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.Softsign()(gradwork.tensor([1.0]))
        tensor([0.5])
    """

    def forward(self, input: Tensor) -> Tensor:
        return activation.softsign(input)


class Softmax(Module):
    """``Softmax(x)_i = exp(x_i) / sum_j exp(x_j)`` along ``dim`` (stable for any logits).

    Args:
        dim: the dimension that sums to one.

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.Softmax(dim=1)(gradwork.zeros(1, 4))
        tensor([[0.25, 0.25, 0.25, 0.25]])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """``LogSoftmax(x)_i = x_i - log sum_j exp(x_j)`` along ``dim`` (stable for any logits).

    Args:
        dim: the dimension to normalise along.

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.LogSoftmax(dim=0)(gradwork.tensor([0.0, 0.0])).exp()
        tensor([0.5, 0.5])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
