"""Pooling on grids: max, average and adaptive average, in 1-D and 2-D.

Built on an adjoint pair of primitives: ``WindowSum`` (a weighted sum over each window: the mean,
or a one-hot selection of the max) and ``WindowScatter`` (its adjoint, which routes gradients
back), both kH*kW passes over strided views with no Python loop over positions. Internally every
op is 2-D; the 1-D ops add a height of 1.
"""

from __future__ import annotations

import numbers

import numpy as np

from gradwork.autograd.function import Function
from gradwork.ops._grid import (
    as_4d,
    check_positive,
    from_4d,
    int_tuple,
    lift_to_2d,
    padded_canvas,
    window_span,
    window_view,
)
from gradwork.ops._util import check, check_tensor, format_shape
from gradwork.ops.linalg import matmul
from gradwork.tensor import Tensor

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
]


# -- pooling ----------------------------------------------------------------------------------
def _pool_blocks(op, size, kernel, stride, pad, dilation, ceil_mode) -> tuple:
    """Output size per dim; in ceil mode the last window must start inside the input or the
    left padding (PyTorch's rule)."""
    blocks = []
    for k in range(2):
        extent = size[k] + 2 * pad[k] - dilation[k] * (kernel[k] - 1) - 1
        count = (extent + (stride[k] - 1 if ceil_mode else 0)) // stride[k] + 1
        if ceil_mode and (count - 1) * stride[k] >= size[k] + pad[k]:
            count -= 1
        blocks.append(count)
    return tuple(blocks)


def _pool_setup(op, dims, input, kernel_size, stride, padding, dilation, ceil_mode):
    check_tensor(input, op)
    x, unbatched = as_4d(op, input, dims)
    kernel = lift_to_2d(int_tuple(kernel_size, dims, "kernel_size", op), dims, 1)
    stride = (
        kernel
        if stride is None or stride == [] or stride == ()
        else lift_to_2d(int_tuple(stride, dims, "stride", op), dims, 1)
    )
    pad = lift_to_2d(int_tuple(padding, dims, "padding", op), dims, 0)
    dilation = lift_to_2d(int_tuple(dilation, dims, "dilation", op), dims, 1)
    check_positive(op, kernel_size=kernel, stride=stride, dilation=dilation)
    check(
        all(0 <= pad[k] <= kernel[k] // 2 for k in range(2)),
        op,
        f"pad should be at most half of kernel size, but got padding={padding} and "
        f"kernel_size={kernel_size}",
        ValueError,
    )
    size = x._data.shape[2:]
    blocks = _pool_blocks(op, size, kernel, stride, pad, dilation, ceil_mode)
    check(
        blocks[0] > 0 and blocks[1] > 0,
        op,
        f"input of shape {format_shape(input._data.shape)} is too small: the computed output "
        f"size {blocks[2 - dims :]} is not positive",
    )
    return x, unbatched, (kernel, dilation, stride, pad, blocks)


def _offsets(kernel) -> list:
    return [(i, j) for i in range(kernel[0]) for j in range(kernel[1])]


class WindowSum(Function):
    """out[l] = sum_k w_k[l] x[window l, offset k], a weighted sum over each window with
    ``rule = ("avg", divisor)`` (w_k = 1 / divisor) or ``("max", masks)`` (w_k = masks[k], a
    one-hot selection);  its gradient is :class:`WindowScatter`, its adjoint."""

    @staticmethod
    def forward(ctx, x, geometry, rule):
        ctx.geometry, ctx.size, ctx.rule = geometry, x._data.shape[2:], rule
        view = window_view(padded_canvas(x._data, geometry, 0), geometry)  # (N, C, kH, kW, bh, bw)
        kind, data = rule
        # kH*kW passes over strided views: no copy of the windows, no reduction over them
        if kind == "avg":
            out = view[:, :, 0, 0].copy()
            for i, j in _offsets(geometry[0])[1:]:
                out += view[:, :, i, j]
            out /= data
            return out
        out = np.zeros(view.shape[:2] + view.shape[4:], dtype=x._data.dtype)
        for k, (i, j) in enumerate(_offsets(geometry[0])):
            np.copyto(out, view[:, :, i, j], where=data[k])
        return out

    @staticmethod
    def backward(ctx, grad):
        return WindowScatter.apply(grad, ctx.geometry, ctx.size, ctx.rule), None, None


class WindowScatter(Function):
    """x[window l, offset k] += w_k[l] g[l], summed where windows overlap (the adjoint of
    :class:`WindowSum`, which is also its gradient)."""

    @staticmethod
    def forward(ctx, g, geometry, size, rule):
        ctx.geometry, ctx.rule = geometry, rule
        kernel, dilation, stride, pad, blocks = geometry
        array = g._data
        kind, data = rule
        height = max(window_span(kernel[0], dilation[0], stride[0], blocks[0]), pad[0] + size[0])
        width = max(window_span(kernel[1], dilation[1], stride[1], blocks[1]), pad[1] + size[1])
        canvas = np.zeros(array.shape[:2] + (height, width), dtype=array.dtype)
        rows_end = (blocks[0] - 1) * stride[0] + 1
        cols_end = (blocks[1] - 1) * stride[1] + 1
        if kind == "avg":
            share = array / data
        # windows that cannot overlap write their offset's values instead of adding them
        disjoint = dilation == (1, 1) and stride[0] >= kernel[0] and stride[1] >= kernel[1]
        for k, (i, j) in enumerate(_offsets(kernel)):
            top, left = i * dilation[0], j * dilation[1]
            target = canvas[
                :, :, top : top + rows_end : stride[0], left : left + cols_end : stride[1]
            ]
            if kind == "avg":
                target += share
            elif disjoint:
                np.multiply(array, data[k], out=target, dtype=array.dtype)
            else:
                target += np.multiply(array, data[k], dtype=array.dtype)
        if (height, width) != tuple(size):
            canvas = canvas[:, :, pad[0] : pad[0] + size[0], pad[1] : pad[1] + size[1]]
        return canvas

    @staticmethod
    def backward(ctx, grad):
        return WindowSum.apply(grad, ctx.geometry, ctx.rule), None, None, None


class MaxPool(Function):
    """out = max of x over each window;  dx = the gradient scattered to the (first) arg max of
    each window (:class:`WindowScatter` with the one-hot masks fixed: differentiable again).

    The max is ``kH*kW - 1`` elementwise maxima of strided views, one per kernel offset (a
    reduction over a short strided axis is slow); the masks are as many comparisons.
    """

    @staticmethod
    def forward(ctx, x, geometry, return_indices):
        array = x._data
        width = array.shape[3]
        kernel, dilation, stride, pad, blocks = geometry
        low = -np.inf if array.dtype.kind == "f" else np.iinfo(array.dtype).min
        view = window_view(padded_canvas(array, geometry, low), geometry)  # (N, C, kH, kW, bh, bw)
        offsets = [view[:, :, i, j] for i, j in _offsets(kernel)]
        out = offsets[0].copy()
        for window in offsets[1:]:
            np.maximum(out, window, out=out)  # propagates NaN, as PyTorch does
        ctx.geometry, ctx.size = geometry, array.shape[2:]
        if not (ctx.needs_input_grad or return_indices):
            return out
        # one-hot masks of the first maximum in row-major window order (PyTorch's choice)
        nan = array.dtype.kind == "f" and bool(np.isnan(out).any())
        masks = np.empty((len(offsets),) + out.shape, dtype=bool)
        for mask, window in zip(masks, offsets):
            np.equal(window, out, out=mask)
            if nan:
                mask |= np.isnan(window)
        taken = masks[0].copy()
        for k in range(1, len(offsets)):
            masks[k] &= ~taken
            taken |= masks[k]
        ctx.masks = masks
        if not return_indices:
            return out
        # flat index into the unpadded H * W plane, as PyTorch returns
        arg = np.argmax(masks, axis=0)
        offset_h, offset_w = np.divmod(arg, kernel[1])
        row = np.arange(blocks[0])[:, None] * stride[0] - pad[0] + offset_h * dilation[0]
        col = np.arange(blocks[1]) * stride[1] - pad[1] + offset_w * dilation[1]
        return out, (row * width + col).astype(np.int64)

    @staticmethod
    def backward(ctx, grad, *unused):
        rule = ("max", ctx.masks)
        return WindowScatter.apply(grad, ctx.geometry, ctx.size, rule), None, None


def _max_pool(op, dims, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    x, unbatched, geometry = _pool_setup(
        op, dims, input, kernel_size, stride, padding, dilation, ceil_mode
    )
    result = MaxPool.apply(x, geometry, bool(return_indices))
    if return_indices:
        out, indices = result
        return from_4d(out, dims, unbatched), from_4d(indices, dims, unbatched)
    return from_4d(result, dims, unbatched)


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """2-D max pooling: ``out[n, c, h, w] = max_{i, j} x[n, c, s h + d i - p, s w + d j - p]``.

    Padding is implicit -inf; the gradient goes to the first maximum of each window.

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        kernel_size: an int or a pair.
        stride: defaults to ``kernel_size``.
        padding: at most half the kernel size.
        dilation: spacing between window elements.
        ceil_mode: round the output size up (windows may run past the bottom/right edge).
        return_indices: also return the flat ``h * W + w`` index of each maximum (int64).

    Shape: ``(N, C, H, W) -> (N, C, H_out, W_out)``,
    ``H_out = (H + 2 p - d (k - 1) - 1) / s + 1`` rounded down (up with ``ceil_mode``).

    Example:
        >>> import gradwork
        >>> x = gradwork.arange(16.0).reshape(1, 1, 4, 4)
        >>> gradwork.max_pool2d(x, 2)
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """
    return _max_pool(
        "max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """1-D max pooling: ``out[n, c, t] = max_k x[n, c, s t + d k - p]``.

    Args:
        input: ``(N, C, L)`` or unbatched ``(C, L)``.
        kernel_size, stride, padding, dilation, ceil_mode, return_indices: as for
            :func:`max_pool2d` (ints or 1-tuples; indices index ``L``).

    Shape: ``(N, C, L) -> (N, C, L_out)``.

    Example:
        >>> import gradwork
        >>> gradwork.max_pool1d(gradwork.tensor([[1.0, 3.0, 2.0, 5.0, 4.0]]), 2)
        tensor([[3., 5.]])
    """
    return _max_pool(
        "max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def _avg_divisor(size, geometry, count_include_pad, divisor_override, dtype) -> np.ndarray:
    """PyTorch's divisor per output position (bh, bw): the window clipped to the padded input
    (count_include_pad) or to the input itself."""
    if divisor_override is not None:
        return np.asarray(divisor_override, dtype=dtype)
    kernel, _, stride, pad, blocks = geometry
    counts = []
    for k in range(2):
        start = np.arange(blocks[k]) * stride[k] - pad[k]
        end = np.minimum(start + kernel[k], size[k] + pad[k])
        if count_include_pad:
            counts.append(end - start)
        else:
            counts.append(np.minimum(end, size[k]) - np.maximum(start, 0))
    return np.multiply.outer(counts[0], counts[1]).astype(dtype)


def _avg_pool(
    op, dims, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
):
    x, unbatched, geometry = _pool_setup(
        op, dims, input, kernel_size, stride, padding, 1, ceil_mode
    )
    check(
        x._data.dtype.kind == "f",
        op,
        f"expected a floating point input, got {input.dtype}",
    )
    if divisor_override is not None:
        check(divisor_override != 0, op, "divisor must be not zero", ValueError)
    divisor = _avg_divisor(
        x._data.shape[2:], geometry, count_include_pad, divisor_override, x._data.dtype
    )
    return from_4d(WindowSum.apply(x, geometry, ("avg", divisor)), dims, unbatched)


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
) -> Tensor:
    """2-D average pooling: ``out[n, c, h, w] = sum_{i,j} x[n, c, s h + i - p, s w + j - p] / D``.

    ``D`` is the window size (see ``count_include_pad``) or ``divisor_override``.

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        kernel_size: an int or a pair.
        stride: defaults to ``kernel_size``.
        padding: zero padding, at most half the kernel size.
        ceil_mode: round the output size up.
        count_include_pad: count padded zeros in the divisor (windows running past the padding
            in ceil mode are clipped to it, as in PyTorch).
        divisor_override: divide by this number instead.

    Shape: ``(N, C, H, W) -> (N, C, H_out, W_out)``, ``H_out = (H + 2 p - k) / s + 1`` rounded
    down (up with ``ceil_mode``).

    Example:
        >>> import gradwork
        >>> gradwork.avg_pool2d(gradwork.arange(16.0).reshape(1, 1, 4, 4), 2)
        tensor([[[[ 2.5,  4.5],
                  [10.5, 12.5]]]])
    """
    return _avg_pool(
        "avg_pool2d",
        2,
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )


def avg_pool1d(
    input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True
) -> Tensor:
    """1-D average pooling: ``out[n, c, t] = (1 / |window|) sum_k x[n, c, s t + k - p]``.

    Args:
        input: ``(N, C, L)`` or unbatched ``(C, L)``.
        kernel_size, stride, padding, ceil_mode, count_include_pad: as for :func:`avg_pool2d`.

    Shape: ``(N, C, L) -> (N, C, L_out)``.

    Example:
        >>> import gradwork
        >>> gradwork.avg_pool1d(gradwork.tensor([[1.0, 3.0, 2.0, 6.0]]), 2)
        tensor([[2., 4.]])
    """
    return _avg_pool(
        "avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None
    )


def _adaptive_matrix(size: int, out: int, dtype) -> np.ndarray:
    """(out, size) averaging matrix: row i averages [floor(i size/out), ceil((i+1) size/out))."""
    matrix = np.zeros((out, size), dtype=dtype)
    for i in range(out):
        start, end = (i * size) // out, -(-((i + 1) * size) // out)
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


def _adaptive_avg(op: str, dims: int, input: Tensor, output_size) -> Tensor:
    check_tensor(input, op)
    shape = input._data.shape
    check(
        len(shape) in (dims + 1, dims + 2),
        op,
        f"expected a {dims + 1}-D (unbatched) or {dims + 2}-D (batched) input, got shape "
        f"{format_shape(shape)}",
    )
    check(input._data.dtype.kind == "f", op, f"expected a floating point input, got {input.dtype}")
    sizes = shape[-dims:]
    if output_size is None or isinstance(output_size, numbers.Integral):
        output_size = (output_size,) * dims
    check(
        isinstance(output_size, (tuple, list)) and len(output_size) == dims,
        op,
        f"output_size must be an int or a tuple of {dims}, got {output_size!r}",
        ValueError,
    )
    outs = tuple(size if o is None else int(o) for o, size in zip(output_size, sizes))
    check(
        all(o > 0 for o in outs) and all(s > 0 for s in sizes),
        op,
        f"expected positive output_size and non-empty spatial dims, got output_size {outs} for "
        f"input of shape {format_shape(shape)}",
    )
    lead = shape[:-dims]
    if all(size % o == 0 for size, o in zip(sizes, outs)):
        # equal windows: a reshape and a mean, no copy
        split = sum(((o, size // o) for o, size in zip(outs, sizes)), ())
        window_dims = tuple(len(lead) + 2 * k + 1 for k in range(dims))
        return input.reshape(lead + split).mean(window_dims)
    # uneven windows: averaging matrices, out = A_h x A_w^T
    dtype = input._data.dtype
    out = input
    if dims == 2:
        out = matmul(Tensor._make(_adaptive_matrix(sizes[0], outs[0], dtype)), out)
    return matmul(
        out, Tensor._make(np.ascontiguousarray(_adaptive_matrix(sizes[-1], outs[-1], dtype).T))
    )


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """2-D adaptive average pooling: output cell ``(i, j)`` averages rows
    ``[floor(i H / H_out), ceil((i + 1) H / H_out))`` and the columns likewise.

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        output_size: an int or a pair ``(H_out, W_out)``; ``None`` keeps that input size.

    Shape: ``(N, C, H, W) -> (N, C, H_out, W_out)``.

    Example:
        >>> import gradwork
        >>> gradwork.adaptive_avg_pool2d(gradwork.ones(2, 8, 7, 7), 1).shape
        (2, 8, 1, 1)
    """
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """1-D adaptive average pooling: cell ``t`` averages ``[floor(t L/L_o), ceil((t+1) L/L_o))``.

    Args:
        input: ``(N, C, L)`` or unbatched ``(C, L)``.
        output_size: an int ``L_out``.

    Shape: ``(N, C, L) -> (N, C, L_out)``.

    Example:
        >>> import gradwork
        >>> gradwork.adaptive_avg_pool1d(gradwork.tensor([[1.0, 2.0, 3.0, 4.0, 5.0]]), 2)
        tensor([[2., 4.]])
    """
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)
