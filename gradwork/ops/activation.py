"""Activation functions: ReLU and its relatives, GELU, SiLU, softplus.

Each is a primitive with its derivative beside it, except the last few, which are short composites.
"""

from __future__ import annotations

import math

import numpy as np

from gradwork._threads import parallel_for
from gradwork.autograd.function import Function
from gradwork.ops._util import check, check_tensor
from gradwork.ops.elementwise import (
    as_floating,
    clamp,
    exp,
    negative_part,
    positive_part,
    sigmoid,
    sigmoid_array,
    tanh,
    where,
)
from gradwork.ops.special import erfc, erfc_array, erfc_float32_into, erfc_float32_scratch
from gradwork.tensor import Tensor

__all__ = [
    "relu",
    "leaky_relu",
    "elu",
    "gelu",
    "silu",
    "softplus",
    "hardtanh",
    "relu6",
    "mish",
    "softsign",
]

_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_CHUNK = 1 << 17  # elements per part of GELU's passes: its temporaries stay in cache


# -- activations ------------------------------------------------------------------------------
# Fused primitives rather than composites: each is one pass forward and one where() backward, and
# they run on every activation of every layer.
class Relu(Function):
    """y = max(x, 0);  dy/dx = 1 for x > 0, else 0 (0 at x = 0, as PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        y = Tensor._make(positive_part(x._data))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return where(y > 0, grad, 0.0)

    @staticmethod
    def fast_backward(ctx, grad):
        # 3x faster than np.where; naming the dtype skips a slower mixed-type loop (bool x float)
        return np.multiply(grad, ctx.saved_tensors[0]._data > 0, dtype=grad.dtype)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(input, 0)``, elementwise; ``d relu(x)/dx = [x > 0]``.

    ``inplace`` is accepted for PyTorch compatibility (``F.relu(x, inplace=True)``); gradwork
    always returns a new tensor, so use the result.

    Args:
        input: the input tensor.
        inplace: accepted for PyTorch compatibility; the result is always a new tensor.

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> gradwork.relu(gradwork.tensor([-1.0, 0.0, 2.0]))
        tensor([0., 0., 2.])
    """
    check_tensor(input, "relu")
    if input._data.dtype == np.bool_:
        raise RuntimeError("relu: not implemented for bool tensors; convert with .float() first")
    return Relu.apply(input)


class LeakyRelu(Function):
    """y = x for x > 0, else slope * x;  dy/dx = 1 for x > 0, else slope."""

    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        data = x._data
        # max(x, 0) + slope min(x, 0) is the same function without np.where's branching
        return positive_part(data) + negative_part(data) * negative_slope

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return where(x > 0, grad, grad * ctx.negative_slope), None


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` for ``x > 0``, else ``negative_slope * x``; the derivative is 1 or ``negative_slope``.

    Args:
        input: any floating tensor.
        negative_slope: the slope for negative inputs.
        inplace: accepted for PyTorch compatibility; the result is always a new tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.leaky_relu(gradwork.tensor([-2.0, 3.0]), 0.1)
        tensor([-0.2,  3. ])
    """
    return LeakyRelu.apply(as_floating("leaky_relu", input), float(negative_slope))


class Elu(Function):
    """y = x for x > 0, else alpha (e^x - 1);  dy/dx = 1 for x > 0, else alpha e^x."""

    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        data = x._data
        # expm1 only of the non-positive part: no overflow for large x, accuracy near 0
        return positive_part(data) + np.expm1(negative_part(data)) * alpha

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return where(x > 0, grad, grad * exp(clamp(x, max=0.0)) * ctx.alpha), None


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """Exponential linear unit: ``x`` for ``x > 0``, else ``alpha (e^x - 1)``.

    ``d elu(x)/dx = 1`` for ``x > 0``, else ``alpha e^x``. Clevert et al., 2015
    (https://arxiv.org/abs/1511.07289).

    Args:
        input: any floating tensor.
        alpha: the value the function approaches for large negative inputs is ``-alpha``.
        inplace: accepted for PyTorch compatibility; the result is always a new tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.elu(gradwork.tensor([-1.0, 2.0]))
        tensor([-0.6321,  2.    ])
    """
    return Elu.apply(as_floating("elu", input), float(alpha))


class Gelu(Function):
    """y = x Phi(x) = x erfc(-x/sqrt 2)/2;  dy/dx = Phi(x) + x phi(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        data = x._data
        if type(data) is np.ndarray and data.dtype == np.float32 and data.ndim:
            out, cdf = _gelu_float32(data)
        else:
            # erfc(-x/sqrt2) rather than 1 + erf(x/sqrt2): no cancellation for negative x
            cdf = erfc_array(data * -_SQRT1_2)
            cdf *= 0.5
            with np.errstate(invalid="ignore"):  # -inf * 0 is nan, as in PyTorch
                out = data * cdf
        ctx.cdf = cdf  # erf is the costly part: the fast backward reuses it (freed with the node)
        return out

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        cdf = erfc(x * -_SQRT1_2) * 0.5
        pdf = exp(x * x * -0.5) * _INV_SQRT_2PI
        return grad * (cdf + x * pdf)

    @staticmethod
    def fast_backward(ctx, grad):
        x = ctx.saved_tensors[0]._data
        out = np.empty_like(x, order="C")  # so that its flat view is a view, whatever x's layout
        flat_x, flat_out = x.reshape(-1), out.reshape(-1)
        flat_cdf, flat_grad = ctx.cdf.reshape(-1), grad.reshape(-1)

        def part(start, stop):  # in place in a cache-sized part of out: one buffer, not six
            values, result = flat_x[start:stop], flat_out[start:stop]
            np.multiply(values, values, out=result)
            result *= -0.5
            np.exp(result, out=result)
            result *= values
            result *= _INV_SQRT_2PI  # x phi(x)
            result += flat_cdf[start:stop]
            result *= flat_grad[start:stop]

        parallel_for(x.size, part, chunk=_CHUNK)
        return out


def _gelu_float32(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(x Phi(x), Phi(x))`` of a float32 array, by cache-sized parts split over gradwork's
    threads; Phi(x) = erfc(-x/sqrt 2)/2, which has no cancellation for negative x."""
    flat = x.reshape(-1)
    out, cdf = np.empty_like(flat), np.empty_like(flat)

    def part(start, stop):
        scratch = erfc_float32_scratch(stop - start)
        for begin in range(start, stop, _CHUNK):
            end = min(begin + _CHUNK, stop)
            values, phi = flat[begin:end], cdf[begin:end]
            np.multiply(values, np.float32(-_SQRT1_2), out=phi)
            erfc_float32_into(phi, phi, scratch)
            phi *= np.float32(0.5)
            with np.errstate(invalid="ignore"):  # -inf * 0 is nan, as in PyTorch
                np.multiply(values, phi, out=out[begin:end])

    parallel_for(flat.size, part)
    return out.reshape(x.shape), cdf.reshape(x.shape)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit ``x Phi(x)``, with ``Phi`` the standard normal CDF.

    ``d gelu(x)/dx = Phi(x) + x phi(x)``. ``approximate="tanh"`` uses
    ``x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`` (a composite, differentiated by autograd).
    Hendrycks and Gimpel, 2016 (https://arxiv.org/abs/1606.08415).

    Args:
        input: any floating tensor.
        approximate: ``"none"`` (exact, through erf) or ``"tanh"``.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.gelu(gradwork.tensor([-1.0, 0.0, 1.0]))
        tensor([-0.1587,  0.    ,  0.8413])
    """
    input = as_floating("gelu", input)
    if approximate == "none":
        return Gelu.apply(input)
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2.0 / math.pi)
        return input * 0.5 * (tanh(inner) + 1)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


class Silu(Function):
    """y = x sigmoid(x);  dy/dx = s (1 + x (1 - s)) with s = sigmoid(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):  # -inf * 0 is nan, as in PyTorch
            return x._data * sigmoid_array(x._data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        s = sigmoid(x)
        return grad * s * (x * (1 - s) + 1)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """Sigmoid linear unit (swish) ``x sigmoid(x)``; ``dy/dx = s (1 + x (1 - s))``, s = sigmoid(x).

    Args:
        input: the input tensor.
        inplace: accepted for PyTorch compatibility; the result is always a new tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.silu(gradwork.tensor([-1.0, 0.0, 1.0]))
        tensor([-0.2689,  0.    ,  0.7311])
    """
    return Silu.apply(as_floating("silu", input))


class Softplus(Function):
    """y = log(1 + e^(beta x)) / beta (x where beta x > threshold);  dy/dx = sigmoid(beta x)."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        data = x._data
        scaled = data * beta if beta != 1 else data
        # log(1 + e^z) = log1p(e^-|z|) + max(z, 0): e^-|z| never overflows
        soft = np.log1p(np.exp(-np.abs(scaled))) + positive_part(scaled)
        if beta != 1:
            soft = soft / beta
        return np.where(scaled > threshold, data, soft)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        scaled = x * ctx.beta if ctx.beta != 1 else x
        return where(scaled > ctx.threshold, grad, grad * sigmoid(scaled)), None, None


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + e^(beta x)) / beta``, a smooth relu; ``x`` itself where ``beta x > threshold``.

    ``d softplus(x)/dx = sigmoid(beta x)``. Stable for any ``|x|``.

    Args:
        input: any floating tensor.
        beta: the sharpness.
        threshold: above ``beta x > threshold`` the function is the identity.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.softplus(gradwork.tensor([-1e4, 0.0, 1e4]))
        tensor([0.0000e+00, 6.9315e-01, 1.0000e+04])
    """
    return Softplus.apply(as_floating("softplus", input), float(beta), float(threshold))


# -- composites ----------------------------------------------------------------
def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``clamp(x, min_val, max_val)``; gradient 1 strictly inside ``(min_val, max_val)``, else 0.

    Example:
        >>> import gradwork
        >>> gradwork.hardtanh(gradwork.tensor([-2.0, 0.5, 2.0]))
        tensor([-1. ,  0.5,  1. ])
    """
    check_tensor(input, "hardtanh")
    check(min_val <= max_val, "hardtanh", "min_val cannot be greater than max_val", ValueError)
    inside = (input > min_val) & (input < max_val)
    # PyTorch's gradient is 0 at the boundaries, where clamp's would be 1
    return where(inside, input, input.detach().clamp(min_val, max_val))


def relu6(input: Tensor) -> Tensor:
    """``min(max(0, x), 6)``, i.e. :func:`hardtanh` on ``[0, 6]``.

    Example:
        >>> import gradwork
        >>> gradwork.relu6(gradwork.tensor([-1.0, 3.0, 7.0]))
        tensor([0., 3., 6.])
    """
    return hardtanh(input, 0.0, 6.0)


def mish(input: Tensor) -> Tensor:
    """Mish (Misra, 2019): ``x tanh(softplus(x))``, composed of stable primitives.

    Example:
        >>> import gradwork
        >>> gradwork.mish(gradwork.tensor([0.0, 1.0]))
        tensor([0.    , 0.8651])
    """
    return input * tanh(softplus(input))


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``.

    Example:
        >>> import gradwork
        >>> gradwork.softsign(gradwork.tensor([-3.0, 1.0]))
        tensor([-0.75,  0.5 ])
    """
    return input / (input.abs() + 1)
