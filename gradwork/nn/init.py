"""Parameter initialisation, as ``torch.nn.init``: every function fills a tensor in place.

Fans follow PyTorch exactly: for a weight of shape ``(out, in, *kernel)``,
``fan_in = in * prod(kernel)`` and ``fan_out = out * prod(kernel)``. Every function runs under
``no_grad`` (it is an assignment, not part of the model) and takes an optional ``generator``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from gradwork import _backend
from gradwork.autograd.grad_mode import no_grad
from gradwork.random import Generator, _generator
from gradwork.tensor import Tensor

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
]

_LINEAR = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (scales the std of the init).

    ============ =============================================
    nonlinearity gain
    ============ =============================================
    linear/conv  1
    sigmoid      1
    tanh         5/3
    relu         sqrt(2)
    leaky_relu   sqrt(2 / (1 + negative_slope^2)), slope 0.01 by default
    selu         3/4
    ============ =============================================

    Example:
        >>> from gradwork.nn.init import calculate_gain
        >>> calculate_gain("leaky_relu", 0.2)
        1.3867504905630728
    """
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4  # found empirically by PyTorch (pytorch/pytorch#50664)
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight shaped ``(out, in, *kernel)``."""
    if tensor.dim() < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive_field_size = 1
    for size in tensor.shape[2:]:
        receptive_field_size *= int(size)
    fan_in = int(tensor.shape[1]) * receptive_field_size
    fan_out = int(tensor.shape[0]) * receptive_field_size
    return fan_in, fan_out


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(
    tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill with samples from U(a, b).

    Example:
        >>> import gradwork
        >>> w = gradwork.nn.init.uniform_(gradwork.empty(1000), -1.0, 1.0)
        >>> bool(w.numpy().min() >= -1.0) and bool(w.numpy().max() < 1.0)
        True
    """
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill with samples from N(mean, std^2)."""
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def _standard_normal_quantile(p: np.ndarray) -> np.ndarray:
    """Phi^{-1}(p) for p in (0, 1): Acklam's rational approximation, relative error < 1.2e-9.

    NumPy has no ``erfinv``; this replaces the one PyTorch's ``trunc_normal_`` uses.
    """
    a = (
        -3.969683028665376e01,
        2.209460984245205e02,
        -2.759285104469687e02,
        1.383577518672690e02,
        -3.066479806614716e01,
        2.506628277459239e00,
    )
    b = (
        -5.447609879822406e01,
        1.615858368580409e02,
        -1.556989798598866e02,
        6.680131188771972e01,
        -1.328068155288572e01,
    )
    c = (
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e00,
        -2.549732539343734e00,
        4.374664141464968e00,
        2.938163982698783e00,
    )
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)

    def tail(q):  # lower tail; q = sqrt(-2 log p)
        numerator = ((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]
        return numerator / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)

    low = 0.02425
    result = np.empty_like(p)
    lower, upper = p < low, p > 1 - low
    central = ~(lower | upper)
    q = p[central] - 0.5
    r = q * q
    numerator = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
    result[central] = numerator / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    result[lower] = tail(np.sqrt(-2 * np.log(p[lower])))
    result[upper] = -tail(np.sqrt(-2 * np.log1p(-p[upper])))
    return result


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Generator | None = None,
) -> Tensor:
    """Fill with samples from N(mean, std^2) truncated to [a, b] (``a``, ``b`` are absolute values).

    Inverse-CDF sampling, as PyTorch: u ~ U(Phi(alpha), Phi(beta)), x = mean + std * Phi^{-1}(u)
    with alpha = (a - mean) / std, beta = (b - mean) / std. Sampling in the lower tail (mirroring
    the interval when needed) keeps it exact even when [a, b] lies far from the mean, where
    PyTorch warns that its values may be off.

    Example:
        >>> import gradwork
        >>> w = gradwork.nn.init.trunc_normal_(gradwork.empty(1000), std=0.02, a=-0.04, b=0.04)
        >>> bool(abs(w.numpy()).max() <= 0.04)
        True
    """
    alpha, beta = (a - mean) / std, (b - mean) / std
    # Sample the interval lying more in the lower tail, where the CDF keeps its precision.
    flip = alpha + beta > 0
    if flip:
        alpha, beta = -beta, -alpha

    def cdf(x: float) -> float:
        return 0.5 * math.erfc(-x / math.sqrt(2))

    low, high = cdf(alpha), cdf(beta)
    uniform = _generator(generator).uniform(low, high, tuple(tensor.shape), np.float64)
    tiny = np.finfo(np.float64).tiny  # a draw of exactly 0 would map to -inf
    sample = _standard_normal_quantile(np.clip(uniform, tiny, 1 - 1e-16))
    sample = mean + std * (-sample if flip else sample)
    with no_grad():
        return tensor.copy_(_backend.move_to(np.clip(sample, a, b), tensor.device))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with the value ``val``."""
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with ones."""
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros."""
    with no_grad():
        return tensor.zero_()


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity matrix (keeps the identity of inputs in Linear layers).

    Example:
        >>> import gradwork
        >>> gradwork.nn.init.eye_(gradwork.empty(2, 3))
        tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    with no_grad():
        return tensor.copy_(np.eye(*tensor.shape))


def xavier_uniform_(
    tensor: Tensor, gain: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill with U(-bound, bound), bound = gain * sqrt(6 / (fan_in + fan_out)).

    Glorot & Bengio, "Understanding the difficulty of training deep feedforward neural
    networks" (2010).
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std  # U(-b, b) has std b / sqrt(3)
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Fill with N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float | None:
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """Fill with U(-bound, bound), bound = gain * sqrt(3 / fan_mode).

    He et al., "Delving deep into rectifiers" (2015). ``a`` is the negative slope of the
    rectifier (for ``leaky_relu``); ``mode="fan_in"`` keeps the forward variance,
    ``"fan_out"`` the backward one.

    Example:
        >>> import math, gradwork
        >>> w = gradwork.nn.init.kaiming_uniform_(gradwork.empty(64, 16), a=math.sqrt(5))
        >>> bool(abs(w.numpy()).max() <= 1 / math.sqrt(16))
        True
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """Fill with N(0, std^2), std = gain / sqrt(fan_mode) (He et al., 2015)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1, generator: Generator | None = None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix; dimensions after the first are flattened.

    The QR decomposition of a Gaussian matrix, signs fixed so the result is uniform (Haar) over
    orthogonal matrices. Saxe et al., "Exact solutions to the nonlinear dynamics of learning in
    deep linear neural networks" (2013).

    Example:
        >>> import gradwork
        >>> w = gradwork.nn.init.orthogonal_(gradwork.empty(3, 5))
        >>> bool((w @ w.T).allclose(gradwork.eye(3), atol=1e-6))
        True
    """
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = int(tensor.shape[0])
    cols = tensor.numel() // rows
    flattened = _generator(generator).normal(0.0, 1.0, (rows, cols), np.float64)
    if rows < cols:
        flattened = flattened.T
    q, r = np.linalg.qr(flattened)
    q *= np.sign(np.diag(r))  # QR is unique only up to these signs
    if rows < cols:
        q = q.T
    with no_grad():
        return tensor.copy_(_backend.move_to((gain * q).reshape(tensor.shape), tensor.device))
