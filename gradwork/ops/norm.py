"""Normalisation over batches and groups, as ``torch.nn.functional``: batch, instance, group and
RMS norm.

Batch, instance and group norm all standardise over some dimensions with the fused
:class:`gradwork.ops.nn.LayerNorm` node (which normalises over any dimensions it is given) and
then apply a per-channel affine map; RMS norm has its own fused node. Running statistics are
buffers updated in place, outside the graph, exactly as PyTorch updates them.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from gradwork.autograd.function import Function
from gradwork.autograd.grad_mode import no_grad
from gradwork.ops._util import check, check_floating, check_tensor, format_shape
from gradwork.ops.nn import (
    LayerNorm,
    add_rstd_gradient,
    normalized_input_gradient,
    normalized_input_gradient_array,
)
from gradwork.ops.reduce import sum_last_axis
from gradwork.tensor import Tensor

__all__ = ["batch_norm", "instance_norm", "group_norm", "rms_norm"]


# -- shared pieces --------------------------------------------------------------------------------
def _channel_shape(input: Tensor) -> tuple:
    """``(1, C, 1, ...)``: per-channel vectors broadcast against ``(N, C, *)``."""
    return (1, input.shape[1]) + (1,) * (input.ndim - 2)


def _check_input(op: str, input: Tensor) -> None:
    check_tensor(input, op)
    check_floating(input, op)
    if input.ndim < 2:
        raise ValueError(
            f"{op}: expected input of shape (N, C, *) with at least 2 dimensions, got shape "
            f"{format_shape(input.shape)}"
        )


def _check_channel_vectors(op: str, channels: int, **vectors) -> None:
    for name, vector in vectors.items():
        if vector is None:
            continue
        check_tensor(vector, op, name)
        if vector.shape != (channels,):
            raise RuntimeError(
                f"{op}: expected {name} of shape ({channels},) (one per channel), got "
                f"{format_shape(vector.shape)}"
            )


def _affine(output: Tensor, weight: Tensor | None, bias: Tensor | None, shape: tuple) -> Tensor:
    if weight is not None:
        output = output * weight.reshape(shape)
    if bias is not None:
        output = output + bias.reshape(shape)
    return output


def _normalize_with(input: Tensor, mean: Tensor, var: Tensor, eps: float, shape: tuple):
    """``(x - mean) / sqrt(var + eps)`` with given (constant) statistics: the evaluation path."""
    dtype = input._data.dtype
    mean_array = mean._data.astype(dtype, copy=False).reshape(shape)
    rstd = 1 / np.sqrt(var._data.astype(dtype, copy=False).reshape(shape) + np.asarray(eps, dtype))
    return (input - Tensor._make(mean_array)) * Tensor._make(rstd)


def _evaluated(op: str, when: str, input, running_mean, running_var, weight, bias, eps) -> Tensor:
    """Batch or instance norm with the running statistics (which must be given), then the
    affine map: the evaluation path."""
    check(
        running_mean is not None and running_var is not None,
        op,
        f"running_mean and running_var must be given {when}",
        ValueError,
    )
    shape = _channel_shape(input)
    output = _normalize_with(input, running_mean, running_var, eps, shape)
    return _affine(output, weight, bias, shape)


def _update_running(running: Tensor | None, batch_value: np.ndarray, momentum: float) -> None:
    """``running = (1 - momentum) running + momentum batch_value``, in place, outside the graph."""
    if running is None:
        return
    value = running._data
    with no_grad():
        running.copy_((1 - momentum) * value + momentum * batch_value.astype(value.dtype))


def _normalized_with_statistics(input: Tensor, dims: tuple, eps: float) -> tuple:
    """:class:`LayerNorm` over ``dims``, with the mean and unbiased (Bessel-corrected) variance
    it computed on the way (no second pass over the input for the running averages)."""
    statistics: dict = {}
    output, _ = LayerNorm.apply(input, dims, eps, statistics)
    count = math.prod(input.shape[axis] for axis in dims)
    mean = statistics["mean"].squeeze(dims)
    var = statistics["variance"].squeeze(dims) * (count / max(count - 1, 1))
    return output, mean, var


# -- batch norm -----------------------------------------------------------------------------------
def _channel_rows(array: np.ndarray) -> np.ndarray:
    """``(N, C, *)`` as ``(C, N * prod(*))`` rows, one per channel: a view when the array is
    channel-major in memory (as a convolution's output is), a copy otherwise."""
    axes = (1, 0) + tuple(range(2, array.ndim))  # np.moveaxis, without its Python overhead
    return array.transpose(axes).reshape(array.shape[1], -1)


def _row_dots(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``sum_j a[i, j] b[i, j]`` for each row ``i``: one BLAS dot per row, no product array."""
    return np.matmul(a[:, None, :], b[:, :, None])[:, 0, 0]


def _from_channel_rows(rows: np.ndarray, shape: tuple) -> np.ndarray:
    """Undo :func:`_channel_rows`: an ``(N, C, *)`` view of channel rows."""
    axes = (1, 0) + tuple(range(2, len(shape)))
    return rows.reshape((shape[1], shape[0]) + shape[2:]).transpose(axes)


class BatchNorm(Function):
    """Training-mode batch norm with its affine map, fused: per channel ``c``,
    ``y = (x - mean_c) rstd_c`` over the batch and spatial positions and ``out = y w_c + b_c``.

    ``y`` and ``rstd`` are outputs too (as in :class:`LayerNorm`), so that the backward, written
    in them, is differentiable through this same node: ``g_y = g_out w (+ g_y)``, then layer
    norm's rule; ``dw = sum(g_out y)``, ``db = sum(g_out)``. The arithmetic runs on one contiguous
    row per channel (:func:`_channel_rows`). ``weight`` or ``bias`` may be None; ``statistics``
    (a dict) receives the batch ``mean`` and biased ``variance``, shape ``(C,)``.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, eps, statistics):
        ctx.set_materialize_grads(False)
        array = x._data
        shape, channels = array.shape, array.shape[1]
        rows = _channel_rows(array)
        mean = sum_last_axis(rows) / rows.shape[1]
        centered = rows - mean
        variance = _row_dots(centered, centered) / rows.shape[1]
        statistics["mean"], statistics["variance"] = mean[:, 0], variance
        rstd = 1 / np.sqrt(variance[:, None] + np.asarray(eps, array.dtype))
        centered *= rstd  # now y
        out = centered * weight._data[:, None] if weight is not None else centered.copy()
        if bias is not None:
            out += bias._data[:, None]
        rstd_shape = (1, channels) + (1,) * (len(shape) - 2)
        y = Tensor._make(_from_channel_rows(centered, shape))
        rstd = Tensor._make(rstd.reshape(rstd_shape))
        ctx.dims = (0,) + tuple(range(2, len(shape)))
        ctx.save_for_backward(y, rstd, weight)
        return Tensor._make(_from_channel_rows(out, shape)), y, rstd

    @staticmethod
    def backward(ctx, grad_out, grad_y, grad_rstd):
        y, rstd, weight = ctx.saved_tensors
        dims = ctx.dims
        need_weight, need_bias = ctx.needs_input_grad[1:3]
        grad_weight = grad_bias = None
        if grad_out is not None:
            shape = rstd.shape
            from_out = grad_out * weight.reshape(shape) if weight is not None else grad_out
            grad_y = from_out if grad_y is None else grad_y + from_out
            if need_weight:
                grad_weight = (grad_out * y).sum(dims)
            if need_bias:
                grad_bias = grad_out.sum(dims)
        grad_x = normalized_input_gradient(grad_y, grad_rstd, y, rstd, dims)
        return grad_x, grad_weight, grad_bias, None, None

    @staticmethod
    def fast_backward(ctx, grad_out, grad_y, grad_rstd):
        y, rstd, weight = (None if t is None else t._data for t in ctx.saved_tensors)
        shape, channels = y.shape, y.shape[1]
        y_rows, rstd = _channel_rows(y), rstd.reshape(channels, 1)
        count = y_rows.shape[1]
        grad_x = grad_weight = grad_bias = None
        if grad_out is not None:
            grad_rows = _channel_rows(grad_out)
            sums = sum_last_axis(grad_rows)[:, 0]
            products = _row_dots(grad_rows, y_rows)
            if ctx.needs_input_grad[1]:
                grad_weight = products
            if ctx.needs_input_grad[2]:
                grad_bias = sums
            # rstd (g_y - mean(g_y) - y mean(g_y y)) with g_y = g_out w: the means are sums
            grad_x = y_rows * (products[:, None] / count)
            np.subtract(grad_rows, grad_x, out=grad_x)
            grad_x -= sums[:, None] / count
            grad_x *= rstd if weight is None else weight[:, None] * rstd
        if grad_y is not None:
            rows = _channel_rows(grad_y)
            from_y = normalized_input_gradient_array(rows, None, y_rows, rstd, (1,))
            grad_x = from_y if grad_x is None else grad_x + from_y
        if grad_rstd is not None:
            grad_x = add_rstd_gradient(grad_x, grad_rstd.reshape(channels, 1), rstd, y_rows, (1,))
        if grad_x is not None:
            grad_x = _from_channel_rows(grad_x, shape)
        return grad_x, grad_weight, grad_bias, None, None


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation (Ioffe & Szegedy, 2015): ``(x - E[x]) / sqrt(Var[x] + eps) * w + b``.

    In training, mean and biased variance are taken per channel over the batch and spatial
    dimensions, and the running statistics (when given) are updated in place:
    ``running = (1 - momentum) running + momentum stat``, with the *unbiased* batch variance, as
    PyTorch does. Otherwise the running statistics normalise and take no gradient.

    Args:
        input: floating point tensor ``(N, C, *)``.
        running_mean, running_var: ``(C,)`` buffers, or None (then ``training`` must be True).
        weight, bias: per-channel affine parameters ``(C,)``, or None.
        training: use (and update with) the batch statistics.
        momentum: the weight of the batch statistic in the running average.
        eps: added to the variance.

    Shape: ``(N, C, *)`` -> the same.

    Example:
        >>> import gradwork
        >>> x = gradwork.tensor([[1.0], [3.0]])
        >>> mean, var = gradwork.zeros(1), gradwork.ones(1)
        >>> gradwork.batch_norm(x, mean, var, training=True, eps=0.0)
        tensor([[-1.],
                [ 1.]])
        >>> mean, var  # 0.9 * 0 + 0.1 * 2 and 0.9 * 1 + 0.1 * 2 (unbiased variance of 1, 3)
        (tensor([0.2]), tensor([1.1]))
    """
    op = "batch_norm"
    _check_input(op, input)
    channels = input.shape[1]
    _check_channel_vectors(
        op, channels, running_mean=running_mean, running_var=running_var, weight=weight, bias=bias
    )
    if training:
        dims = (0,) + tuple(range(2, input.ndim))
        count = math.prod(input.shape[axis] for axis in dims)
        if count <= 1:
            raise ValueError(
                f"{op}: expected more than 1 value per channel when training, got input of shape "
                f"{format_shape(input.shape)}"
            )
        statistics: dict = {}
        output, _, _ = BatchNorm.apply(input, weight, bias, eps, statistics)
        if running_mean is not None or running_var is not None:
            unbiased = statistics["variance"] * (count / (count - 1))
            _update_running(running_mean, statistics["mean"], momentum)
            _update_running(running_var, unbiased, momentum)
        return output
    return _evaluated(op, "when not training", input, running_mean, running_var, weight, bias, eps)


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Instance normalisation (Ulyanov et al., 2016): batch norm of each sample on its own.

    Each ``(n, c)`` slice is standardised over its spatial dimensions. With ``use_input_stats``
    the running statistics (when given) move towards the batch average of the per-instance
    mean and unbiased variance; otherwise they normalise, as in :func:`batch_norm`.

    Args:
        input: floating point tensor ``(N, C, *)`` with at least one spatial dimension.
        running_mean, running_var: ``(C,)`` buffers, or None.
        weight, bias: per-channel affine parameters ``(C,)``, or None.
        use_input_stats: normalise with each instance's own statistics.
        momentum: the weight of the batch statistic in the running average.
        eps: added to the variance.

    Shape: ``(N, C, *)`` -> the same.

    Example:
        >>> import gradwork
        >>> gradwork.instance_norm(gradwork.tensor([[[1.0, 3.0]]]), eps=0.0)
        tensor([[[-1.,  1.]]])
    """
    op = "instance_norm"
    _check_input(op, input)
    check(
        input.ndim >= 3,
        op,
        f"expected input of shape (N, C, L, ...) with a spatial dimension, got shape "
        f"{format_shape(input.shape)}",
        ValueError,
    )
    channels = input.shape[1]
    _check_channel_vectors(
        op, channels, running_mean=running_mean, running_var=running_var, weight=weight, bias=bias
    )
    shape = _channel_shape(input)
    if use_input_stats:
        dims = tuple(range(2, input.ndim))
        check(
            math.prod(input.shape[2:]) > 1,
            op,
            f"expected more than 1 spatial element per channel when training, got input of "
            f"shape {format_shape(input.shape)}",
            ValueError,
        )
        output, mean, var = _normalized_with_statistics(input, dims, eps)
        if running_mean is not None or running_var is not None:
            _update_running(running_mean, mean.mean(axis=0), momentum)
            _update_running(running_var, var.mean(axis=0), momentum)
        return _affine(output, weight, bias, shape)
    when = "when use_input_stats=False"
    return _evaluated(op, when, input, running_mean, running_var, weight, bias, eps)


# -- group norm -----------------------------------------------------------------------------------
def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Group normalisation (Wu & He, 2018): standardise each sample's channels in groups.

    The ``C`` channels are split into ``num_groups`` groups; each group of each sample is
    standardised over its channels and spatial positions, ``(x - E[x]) / sqrt(Var[x] + eps)``
    (biased variance), then scaled and shifted per channel. One group is layer norm over
    ``(C, *)``; ``C`` groups is instance norm.

    Args:
        input: floating point tensor ``(N, C, *)``.
        num_groups: divides ``C``.
        weight, bias: per-channel affine parameters ``(C,)``, or None.
        eps: added to the variance.

    Shape: ``(N, C, *)`` -> the same.

    Example:
        >>> import gradwork
        >>> x = gradwork.tensor([[1.0, 3.0, 10.0, 20.0]])
        >>> gradwork.group_norm(x, 2, eps=0.0)
        tensor([[-1.,  1., -1.,  1.]])
    """
    op = "group_norm"
    _check_input(op, input)
    channels = input.shape[1]
    check(
        isinstance(num_groups, numbers.Integral) and num_groups > 0 and channels % num_groups == 0,
        op,
        f"num_groups ({num_groups}) must be a positive divisor of the number of channels "
        f"({channels}) of input of shape {format_shape(input.shape)}",
        ValueError,
    )
    _check_channel_vectors(op, channels, weight=weight, bias=bias)
    batch = input.shape[0]
    grouped = input.reshape((batch, num_groups, -1))  # (N, G, C/G * spatial)
    output, _ = LayerNorm.apply(grouped, (2,), eps)
    output = output.reshape(input.shape)
    return _affine(output, weight, bias, _channel_shape(input))


# -- RMS norm -------------------------------------------------------------------------------------
class RMSNorm(Function):
    """y = x * rstd,  rstd = (mean(x^2) + eps)^-1/2 over ``dims``;
    dx = rstd (g_y - y mean(g_y y)) - g_rstd rstd^2 y / n.

    Fused for speed: one NumPy pass instead of five nodes. As in
    :class:`gradwork.ops.nn.LayerNorm`, ``rstd`` is a second output so that the backward,
    written in ``y`` and ``rstd``, is differentiable through this same node.
    """

    @staticmethod
    def forward(ctx, x, dims, eps):
        ctx.set_materialize_grads(False)
        ctx.dims = dims
        array = x._data
        mean_square = np.mean(array * array, axis=dims, keepdims=True)
        rstd = 1 / np.sqrt(mean_square + np.asarray(eps, array.dtype))
        y, rstd = Tensor._make(array * rstd), Tensor._make(rstd)
        ctx.save_for_backward(y, rstd)
        return y, rstd

    @staticmethod
    def backward(ctx, grad_y, grad_rstd):
        y, rstd = ctx.saved_tensors
        dims = ctx.dims
        grad_x = None
        if grad_y is not None:
            grad_x = rstd * (grad_y - y * (grad_y * y).mean(dims, keepdim=True))
        return add_rstd_gradient(grad_x, grad_rstd, rstd, y, dims), None, None


def rms_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """RMS normalisation (Zhang & Sennrich, 2019): ``x / sqrt(mean(x^2) + eps) * weight``.

    The mean of squares is taken over the last ``len(normalized_shape)`` dimensions; unlike
    layer norm nothing is centred and there is no bias.

    Args:
        input: floating point tensor.
        normalized_shape: the trailing shape to normalise over (an int for one dimension).
        weight: elementwise scale of shape ``normalized_shape``, or None.
        eps: added to the mean square; None means ``finfo(input.dtype).eps``, as PyTorch.

    Shape: ``(*, *normalized_shape)`` -> the same.

    Example:
        >>> import gradwork
        >>> gradwork.rms_norm(gradwork.tensor([[3.0, -4.0, 0.0, 0.0]]), (4,), eps=0.0)
        tensor([[ 1.2, -1.6,  0. ,  0. ]])
    """
    op = "rms_norm"
    check_tensor(input, op)
    check_floating(input, op)
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(size) for size in normalized_shape)
    count = len(normalized_shape)
    check(
        0 < count <= input.ndim and input.shape[input.ndim - count :] == normalized_shape,
        op,
        f"normalized_shape {format_shape(normalized_shape)} must match the last dimensions of "
        f"input of shape {format_shape(input.shape)}",
    )
    if weight is not None:
        check_tensor(weight, op, "weight")
        check(
            weight.shape == normalized_shape,
            op,
            f"expected weight of shape {format_shape(normalized_shape)}, got "
            f"{format_shape(weight.shape)}",
        )
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.ndim - count, input.ndim))
    output, _ = RMSNorm.apply(input, dims, eps)
    return output if weight is None else output * weight
