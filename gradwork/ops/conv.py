"""Convolution and pooling on grids, built on adjoint pairs of primitives.

``Unfold`` (im2col) copies every receptive field out of a strided view of the (padded) input
into a column matrix; ``Fold`` (col2im) sums columns back onto the grid. Each is the other's
gradient, so everything built from them is differentiable to any order. A convolution is one
fused node (:class:`Convolution`): one unfold plus one GEMM over the whole batch (columns laid
out ``(C*kH*kW, N*L)``, or ``(N*L, kH*kW*C)`` channels-last from 16 input channels); its input
gradient is a transposed convolution (GEMM then fold) and its weight gradient a GEMM of the
output gradient with the unfolded input, written in ``Unfold``, ``Fold`` and ``MatMul`` for
higher orders, on arrays (reusing the columns) for the first.

Pooling uses a second adjoint pair: ``WindowSum`` (a weighted sum over each window: the mean,
or a one-hot selection of the max) and ``WindowScatter`` (its adjoint, which routes gradients
back), both kH*kW passes over strided views with no Python loop over positions.

Internally every op is 2-D; the 1-D ops add a height of 1. The geometry of one spatial
dimension is ``(kernel, dilation, stride, pad_before, blocks)``: ``blocks`` windows start at
``-pad_before + i * stride``; whatever they read outside the input is zero (or -inf for max).
This covers asymmetric 'same' padding, ceil mode and transposed-convolution output padding.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import as_strided

from gradwork import _threads
from gradwork.autograd.function import Function
from gradwork.ops._grid import (
    as_4d,
    check_positive,
    from_4d,
    int_tuple,
    is_identity_geometry,
    lift_to_2d,
    padded_canvas,
    window_span,
    window_view,
)
from gradwork.ops._util import check, check_tensor, format_shape
from gradwork.ops.linalg import MatMul
from gradwork.ops.movement import permute
from gradwork.ops.reduce import sum_last_axis
from gradwork.tensor import Tensor

__all__ = [
    "unfold",
    "fold",
    "conv1d",
    "conv2d",
    "conv_transpose1d",
    "conv_transpose2d",
]


# -- the two adjoint primitives ----------------------------------------------------------------
class Unfold(Function):
    """cols[n, (c, i, j), l] = x_padded[n, c, h_l * s + i * d, w_l * s + j * d]  (im2col);
    its gradient is :class:`Fold` of the output gradient.

    ``batch_inner`` lays the columns out as ``((c, i, j), (n, l))`` instead, so that a whole
    batch of convolutions is one GEMM ``W (C_out, C*kH*kW) @ cols``.
    """

    @staticmethod
    def forward(ctx, x, geometry, batch_inner):
        array = x._data
        ctx.geometry, ctx.size, ctx.batch_inner = geometry, array.shape[2:], batch_inner
        if batch_inner:
            return unfold_windows(array, geometry)
        n, c, height, width = array.shape
        kernel, _, _, _, blocks = geometry
        positions = blocks[0] * blocks[1]
        if is_identity_geometry(geometry, (height, width)):
            return array.reshape(n, c, positions)
        view = window_view(padded_canvas(array, geometry, 0), geometry)  # (N, C, kH, kW, bh, bw)
        return view.reshape(n, c * kernel[0] * kernel[1], positions)

    @staticmethod
    def backward(ctx, grad):
        return Fold.apply(grad, ctx.geometry, ctx.size, ctx.batch_inner), None, None


def unfold_windows(array: np.ndarray, geometry) -> np.ndarray:
    """im2col of ``(N, C, H, W)`` into ``cols[(c, i, j), (n, l)]``, ``(C*kH*kW, N*L)``: a copy out
    of the strided view of every window (no copy at all for a 1x1 convolution of a
    channel-major input)."""
    n, c, height, width = array.shape
    kernel, _, _, _, blocks = geometry
    positions = blocks[0] * blocks[1]
    if is_identity_geometry(geometry, (height, width)):
        return array.transpose(1, 0, 2, 3).reshape(c, n * positions)
    view = window_view(padded_canvas(array, geometry, 0), geometry)  # (N, C, kH, kW, bh, bw)
    return view.transpose(1, 2, 3, 0, 4, 5).reshape(c * kernel[0] * kernel[1], n * positions)


class Fold(Function):
    """x[n, c, p, q] = sum of cols[n, (c, i, j), l] over windows l and offsets (i, j) reading
    (p, q)  (col2im, the adjoint of unfold); its gradient is :class:`Unfold`.

    ``batch_inner``: the columns are laid out ``((c, i, j), (n, l))``, as :class:`Unfold` makes.
    """

    @staticmethod
    def forward(ctx, cols, geometry, size, batch_inner):
        ctx.geometry, ctx.batch_inner = geometry, batch_inner
        array = cols._data
        if batch_inner:
            return fold_windows(array, geometry, size)
        kernel, _, _, _, blocks = geometry
        n, c = array.shape[0], array.shape[1] // (kernel[0] * kernel[1])
        if is_identity_geometry(geometry, size):
            return array.reshape(n, c, size[0], size[1])
        grid = array.reshape(n, c, kernel[0], kernel[1], blocks[0], blocks[1])
        return _sum_windows(grid, geometry, size)

    @staticmethod
    def backward(ctx, grad):
        return Unfold.apply(grad, ctx.geometry, ctx.batch_inner), None, None, None


def fold_windows(cols: np.ndarray, geometry, size: tuple) -> np.ndarray:
    """col2im of ``cols[(c, i, j), (n, l)]`` (as :func:`unfold_windows` lays them out) into an
    ``(N, C, H, W)`` view of a channel-major grid."""
    kernel, _, _, _, blocks = geometry
    area, positions = kernel[0] * kernel[1], blocks[0] * blocks[1]
    c, n = cols.shape[0] // area, cols.shape[1] // positions
    if is_identity_geometry(geometry, size):
        return cols.reshape(c, n, size[0], size[1]).transpose(1, 0, 2, 3)
    # accumulate in (C, N, H, W) order, where the columns are contiguous
    grid = cols.reshape(c, kernel[0], kernel[1], n, blocks[0], blocks[1]).transpose(
        0, 3, 1, 2, 4, 5
    )
    return _sum_windows(grid, geometry, size).transpose(1, 0, 2, 3)


def _sum_windows(grid: np.ndarray, geometry, size: tuple, channels_last: bool = False):
    """``(A, B, H, W)``: the windows ``grid[a, b, i, j, h, w]`` summed back onto the grid;
    ``channels_last``: a view of ``(A, H, W, B)`` memory, so that adds go by runs of ``B``."""
    kernel, dilation, stride, pad, blocks = geometry
    height = max(window_span(kernel[0], dilation[0], stride[0], blocks[0]), pad[0] + size[0])
    width = max(window_span(kernel[1], dilation[1], stride[1], blocks[1]), pad[1] + size[1])
    if channels_last:
        a, b = grid.shape[:2]
        canvas = np.zeros((a, height, width, b), dtype=grid.dtype).transpose(0, 3, 1, 2)
    else:
        canvas = np.zeros(grid.shape[:2] + (height, width), dtype=grid.dtype)
    rows_end = (blocks[0] - 1) * stride[0] + 1
    cols_end = (blocks[1] - 1) * stride[1] + 1
    # one strided add per kernel offset (kH * kW of them), never a loop over positions
    for i in range(kernel[0]):
        top = i * dilation[0]
        for j in range(kernel[1]):
            left = j * dilation[1]
            canvas[:, :, top : top + rows_end : stride[0], left : left + cols_end : stride[1]] += (
                grid[:, :, i, j]
            )
    if (height, width) != size:
        canvas = canvas[:, :, pad[0] : pad[0] + size[0], pad[1] : pad[1] + size[1]]
    return canvas


def unfold_rows(array: np.ndarray, geometry) -> np.ndarray:
    """im2col for stride 1 over whole padded rows: ``cols[(c, i, j), (n, h, w)] =
    x_padded[n, c, h + d_h i, w + d_w j]`` for every ``w`` of the padded width ``W_p``, not only
    the ``W_out`` where a window fits.

    Flattening each padded plane, the entries of one ``(c, i, j, n)`` are then one contiguous run
    (``x_flat[n, c, d_h i W_p + d_w j + t]``), copied at memcpy speed, where
    :func:`unfold_windows` copies rows of ``W_out`` elements. The price is ``W_p / W_out`` more
    GEMM columns, whose results the convolution drops (its last ``d_w (kW - 1)`` columns per
    image are zeros, not reads).
    """
    (k_h, k_w), (d_h, d_w), _, _, (out_h, _) = geometry
    canvas = padded_canvas(array, geometry, 0)
    n, c, _, padded_w = canvas.shape
    item = canvas.itemsize
    if canvas.strides[2:] != (padded_w * item, item):  # each plane must be one flat run
        canvas = np.ascontiguousarray(canvas)
    length = out_h * padded_w
    run = length - d_w * (k_w - 1)  # the columns a window's read stays inside the plane for
    s_n, s_c, s_h, s_w = canvas.strides
    view = as_strided(
        canvas,
        (c, k_h, k_w, n, run),
        (s_c, d_h * s_h, d_w * s_w, s_n, s_w),
        writeable=False,
    )
    cols = np.empty((c, k_h, k_w, n, length), dtype=array.dtype)
    cols[..., :run] = view
    cols[..., run:] = 0
    return cols.reshape(c * k_h * k_w, n * length)


def fold_rows(cols: np.ndarray, geometry, size: tuple) -> np.ndarray:
    """The adjoint of :func:`unfold_rows`: ``x[n, c, p, q]`` sums ``cols[(c, i, j), (n, h, w)]``
    over the offsets and columns that read it (the zero tail columns feed nothing), as an
    ``(N, C, H, W)`` view of a channel-major grid. One contiguous add per kernel offset."""
    (k_h, k_w), (d_h, d_w), _, pad, (out_h, out_w) = geometry
    c = cols.shape[0] // (k_h * k_w)
    padded_h, padded_w = out_h + d_h * (k_h - 1), out_w + d_w * (k_w - 1)
    length = out_h * padded_w
    n = cols.shape[1] // length
    run = length - d_w * (k_w - 1)
    grid = cols.reshape(c, k_h, k_w, n, length)
    canvas = np.zeros((c, n, padded_h * padded_w), dtype=cols.dtype)
    for i in range(k_h):
        for j in range(k_w):
            start = d_h * i * padded_w + d_w * j
            canvas[:, :, start : start + run] += grid[:, i, j, :, :run]
    # at stride 1 the windows read every input row and column: crop the padding only
    canvas = canvas.reshape(c, n, padded_h, padded_w)
    x = canvas[:, :, pad[0] : pad[0] + size[0], pad[1] : pad[1] + size[1]]
    return x.transpose(1, 0, 2, 3)


def _rows_pay(kernel, dilation, stride, blocks) -> bool:
    """Whether a convolution's im2col goes by whole rows (:func:`unfold_rows`): stride 1, output
    rows short enough that :func:`unfold_windows`'s row-by-row copy is slow (under 16 elements,
    measured on ResNet's and LeNet's convolutions), and at most twice the GEMM columns."""
    return stride == (1, 1) and blocks[1] < 16 and dilation[1] * (kernel[1] - 1) <= blocks[1]


_CHANNELS_LAST_MIN = 16  # input channels from which im2col goes channels-last


def _channels_last_pays(channels: int, geometry, groups: int, size: tuple) -> bool:
    """Whether a convolution's im2col goes channels-last (:func:`unfold_channels_last`):
    ungrouped and undilated, with at least 16 input channels, where its runs of ``kW * C``
    contiguous elements beat the row layout's and it needs no extra GEMM columns (a training
    pass measured 1.04-2.2x faster on 16- to 64-channel convolutions of 4x4 to 14x14 grids,
    strided or not; 0.5-1.1x with 1 to 8 channels). A 1x1 convolution at stride 1 needs no
    copy at all and keeps the window layout."""
    _, dilation, _, _, _ = geometry
    return (
        groups == 1
        and dilation == (1, 1)
        and channels >= _CHANNELS_LAST_MIN
        and not is_identity_geometry(geometry, size)
    )


def unfold_channels_last(array: np.ndarray, geometry) -> np.ndarray:
    """im2col of an ``(N, C, H, W)`` input (undilated) into ``cols[(n, l), (i, j, c)] =
    x_padded[n, c, s_h h_l + i, s_w w_l + j]``, ``(N L, kH kW C)``.

    The input is padded into channels-last memory, where the ``kW`` offsets of one kernel row
    and all channels are one contiguous run of ``kW C`` elements: the copy goes by those runs.
    """
    kernel, _, stride, _, blocks = geometry
    n, c = array.shape[:2]
    canvas = padded_canvas(array, geometry, 0, channels_last=True).transpose(0, 2, 3, 1)
    s_n, s_h, s_w, s_c = canvas.strides
    view = as_strided(
        canvas,
        (n, blocks[0], blocks[1], kernel[0], kernel[1] * c),
        (s_n, stride[0] * s_h, stride[1] * s_w, s_h, s_c),
        writeable=False,
    )
    return view.reshape(n * blocks[0] * blocks[1], kernel[0] * kernel[1] * c)


def fold_channels_last(cols: np.ndarray, geometry, size: tuple) -> np.ndarray:
    """The adjoint of :func:`unfold_channels_last`: ``x[n, c, p, q]`` sums the columns that
    read it, one add per kernel offset over runs of ``C`` channels; an ``(N, C, H, W)`` view of
    a channel-major copy (the layout of the other input gradients)."""
    kernel, _, _, _, blocks = geometry
    n = cols.shape[0] // (blocks[0] * blocks[1])
    c = cols.shape[1] // (kernel[0] * kernel[1])
    grid = cols.reshape(n, blocks[0], blocks[1], kernel[0], kernel[1], c)
    x = _sum_windows(grid.transpose(0, 5, 3, 4, 1, 2), geometry, size, channels_last=True)
    del cols, grid  # the columns go before the copy below is made (the step's peak memory)
    return np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)


def _columns(array: np.ndarray, geometry, groups: int) -> tuple:
    """im2col of a convolution's ``(N, C, H, W)`` input, channels-last, by rows or by windows
    (whichever pays), the width of each output row in the GEMM's result (the padded width by
    rows, ``W_out`` otherwise), and whether the columns are channels-last."""
    kernel, dilation, stride, _, blocks = geometry
    if _channels_last_pays(array.shape[1], geometry, groups, array.shape[2:]):
        return unfold_channels_last(array, geometry), blocks[1], True
    if not is_identity_geometry(geometry, array.shape[2:]) and _rows_pay(*geometry[:3], blocks):
        return unfold_rows(array, geometry), blocks[1] + dilation[1] * (kernel[1] - 1), False
    return unfold_windows(array, geometry), blocks[1], False


def _apply_kernels(weight: np.ndarray, cols: np.ndarray, channels_last: bool, groups: int):
    """A convolution's GEMM: ``(C_out, N L')`` from its ``(C_out, C_in / groups, kH, kW)``
    weight and the columns :func:`_columns` made (one GEMM per group)."""
    out_channels = weight.shape[0]
    if channels_last:
        return _threads.gemm(_channels_last_matrix(weight), cols.T)
    rows = cols.shape[0] // groups
    if groups == 1:
        return _threads.gemm(weight.reshape(out_channels, rows), cols)
    return _threads.gemm(
        weight.reshape(groups, out_channels // groups, rows),
        cols.reshape(groups, rows, cols.shape[1]),
    ).reshape(out_channels, -1)


def _channels_last_matrix(weight: np.ndarray) -> np.ndarray:
    """A ``(C_out, C_in, kH, kW)`` weight as ``(C_out, kH kW C_in)``, its columns ordered
    ``(i, j, c)`` as channels-last columns are."""
    return weight.transpose(0, 2, 3, 1).reshape(weight.shape[0], -1)


def _transpose_by_convolution(weight: np.ndarray, geometry, size: tuple, groups: int) -> bool:
    """Whether the input gradient goes as a convolution of the padded output gradient with the
    flipped kernel (one unfold of ``C_out kH kW`` rows, one GEMM) rather than a GEMM into
    ``C_in kH kW`` rows and a fold: at stride 1, ungrouped, with padding the flipped kernel can
    undo, when ``C_out <= C_in`` (measured faster on ResNet's 8-, 16- and 32-channel 3x3
    convolutions, 1.4-2x; with four times more output channels, as in LeNet, 3.5x slower)."""
    kernel, dilation, stride, pad, _ = geometry
    return (
        stride == (1, 1)
        and groups == 1
        and weight.shape[0] <= weight.shape[1]
        and not is_identity_geometry(geometry, size)
        and all(0 <= pad[k] <= dilation[k] * (kernel[k] - 1) for k in range(2))
    )


class Convolution(Function):
    """``out[n, o] = b[o] + sum_c W[o, c] * x[n, c]`` (cross-correlation) for a whole batch: an
    im2col of the input (channels-last, by rows or by windows: :func:`_columns`) and one GEMM per
    group, the bias added in place.
    The output is an ``(N, C_out, H_out, W_out)`` view of the channel-major GEMM result.

    With ``G`` the output gradient as a ``(C_out, N L)`` matrix: ``dW = G cols^T``,
    ``dcols = W^T G`` folded back onto the input (a transposed convolution), ``db = sum G``.
    The plain rule writes these in :class:`Unfold`, :class:`Fold` and :class:`MatMul` (so
    double backward works); the fast rule reuses the forward's columns and may compute the
    input gradient as a convolution instead (:func:`_transpose_by_convolution`).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, geometry, groups):
        array, kernel_weights = x._data, weight._data
        n, out_channels = array.shape[0], kernel_weights.shape[0]
        cols, row_width, channels_last = _columns(array, geometry, groups)
        kernels = kernel_weights.reshape(kernel_weights.shape[:2] + geometry[0])  # conv1d's too
        out = _apply_kernels(kernels, cols, channels_last, groups)
        blocks = geometry[4]
        out = out.reshape(out_channels, n, blocks[0], row_width)
        if bias is not None:
            out += bias._data.reshape(out_channels, 1, 1, 1)
        ctx.geometry, ctx.groups, ctx.size = geometry, groups, array.shape[2:]
        ctx.save_for_backward(x, weight)
        if ctx.needs_input_grad and ctx.needs_input_grad[1]:
            ctx.columns, ctx.row_width, ctx.channels_last = cols, row_width, channels_last
        out = out[..., : blocks[1]]
        if row_width != blocks[1]:  # compacted once here rather than read strided downstream
            out = np.ascontiguousarray(out)
        return out.transpose(1, 0, 2, 3)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        geometry, groups = ctx.geometry, ctx.groups
        need_x, need_weight, need_bias = ctx.needs_input_grad[:3]
        out_channels, rows = weight.shape[0], weight._data[0].size
        grad_matrix = permute(grad, (1, 0, 2, 3)).reshape((groups, out_channels // groups, -1))
        grad_x = grad_weight = grad_bias = None
        if need_x:
            matrix = weight.reshape((groups, out_channels // groups, rows))
            cols = MatMul.apply(matrix, grad_matrix, True, False)
            cols = cols.reshape((groups * rows, cols.shape[-1]))
            grad_x = Fold.apply(cols, geometry, ctx.size, True)
        if need_weight:
            cols = Unfold.apply(x, geometry, True)
            cols = cols.reshape((groups, rows, cols.shape[-1]))
            grad_weight = MatMul.apply(grad_matrix, cols, False, True).reshape(weight.shape)
        if need_bias:
            grad_bias = grad.sum((0, 2, 3))
        return grad_x, grad_weight, grad_bias, None, None

    @staticmethod
    def fast_backward(ctx, grad):
        weight = ctx.saved_tensors[1]._data
        geometry, groups = ctx.geometry, ctx.groups
        need_x, need_weight, need_bias = ctx.needs_input_grad[:3]
        blocks = geometry[4]
        out_channels, n = weight.shape[0], grad.shape[0]
        row_width = ctx.row_width if need_weight else blocks[1]
        # the gradient in the forward GEMM's layout: (C_out, N, H_out, row width), tail zeroed
        grad_rows = np.empty((out_channels, n, blocks[0], row_width), dtype=grad.dtype)
        grad_rows[..., : blocks[1]] = grad.transpose(1, 0, 2, 3)
        grad_rows[..., blocks[1] :] = 0
        grad_matrix = grad_rows.reshape(groups, out_channels // groups, -1)
        grad_x = grad_weight = grad_bias = None
        if need_weight and ctx.channels_last:  # G cols: columns ordered (i, j, c)
            grad_weight = _threads.gemm(grad_matrix[0], ctx.columns)
            grad_weight = grad_weight.reshape((out_channels,) + geometry[0] + (weight.shape[1],))
            grad_weight = np.ascontiguousarray(grad_weight.transpose(0, 3, 1, 2))
            if grad_weight.shape != weight.shape:  # conv1d's; a view would be copied as .grad
                grad_weight = grad_weight.reshape(weight.shape)
        elif need_weight:
            cols = ctx.columns
            cols = cols.reshape(groups, cols.shape[0] // groups, cols.shape[1])
            # (cols G^T)^T rather than G cols^T: OpenBLAS runs this orientation 6-20% faster
            grad_weight = _threads.gemm(cols, grad_matrix.transpose(0, 2, 1)).transpose(0, 2, 1)
            grad_weight = grad_weight.reshape(weight.shape)
        if need_bias:
            grad_bias = sum_last_axis(grad_rows.reshape(out_channels, -1))[:, 0]
        if need_x:
            grad_x = _input_gradient(weight, grad_rows, geometry, ctx.size, groups, row_width)
        return grad_x, grad_weight, grad_bias, None, None


def _input_gradient(weight, grad_rows, geometry, size, groups, row_width) -> np.ndarray:
    """A convolution's input gradient, ``(N, C_in, H, W)``, from its output gradient in the
    GEMM's layout ``(C_out, N, H_out, row_width)``."""
    kernel, dilation, _, pad, blocks = geometry
    out_channels, n = weight.shape[0], grad_rows.shape[1]
    weight = weight.reshape(weight.shape[:2] + kernel)  # conv1d's too
    if _transpose_by_convolution(weight, geometry, size, groups):
        # a stride-1 convolution of the output gradient, padded by d (k - 1) - p, with the
        # kernel flipped and its channel axes swapped
        offset = tuple(dilation[k] * (kernel[k] - 1) - pad[k] for k in range(2))
        gradient = grad_rows[..., : blocks[1]].transpose(1, 0, 2, 3)  # (N, C_out, H_out, W_out)
        transposed = (kernel, dilation, (1, 1), offset, size)
        cols, width, channels_last = _columns(gradient, transposed, 1)
        flipped = weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
        out = _apply_kernels(flipped, cols, channels_last, 1)
        return out.reshape(flipped.shape[0], n, size[0], width)[..., : size[1]].transpose(
            1, 0, 2, 3
        )
    if _channels_last_pays(weight.shape[1], geometry, groups, size):
        # G^T W, folded back by runs of channels
        matrix = _channels_last_matrix(weight)
        return fold_channels_last(
            _threads.gemm(grad_rows.reshape(out_channels, -1).T, matrix), geometry, size
        )
    rows = weight[0].size
    matrix = weight.reshape(groups, out_channels // groups, rows)
    cols = _threads.gemm(
        matrix.transpose(0, 2, 1), grad_rows.reshape(groups, out_channels // groups, -1)
    )
    cols = cols.reshape(groups * rows, -1)
    if row_width != blocks[1]:
        return fold_rows(cols, geometry, size)
    return fold_windows(cols, geometry, size)


def _blocks(op: str, size: tuple, kernel, dilation, padding, stride) -> tuple:
    return tuple(
        (size[k] + 2 * padding[k] - dilation[k] * (kernel[k] - 1) - 1) // stride[k] + 1
        for k in range(2)
    )


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding blocks (im2col): ``out[n, (c, i, j), l] = x[n, c, s h_l + d i - p, s w_l + d j - p]``

    Block ``l`` sits at grid position ``(h_l, w_l)``; zero padding; the ``C * kH * kW``
    dimension is ordered channel-major, then kernel row, then kernel column, as in
    PyTorch's ``F.unfold``.

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        kernel_size, dilation, padding, stride: an int or a pair ``(for H, for W)``.

    Shape: ``(N, C, H, W) -> (N, C * kH * kW, L)`` with
    ``L = prod_k ((size_k + 2 p_k - d_k (k_k - 1) - 1) // s_k + 1)``.

    Example:
        >>> import gradwork
        >>> gradwork.unfold(gradwork.ones(2, 3, 5, 5), kernel_size=3).shape
        (2, 27, 9)
    """
    op = "unfold"
    check_tensor(input, op)
    shape = input._data.shape
    check(
        len(shape) in (3, 4),
        op,
        f"expected a 3-D (unbatched) or 4-D (batched) input, got shape {format_shape(shape)}",
    )
    kernel = int_tuple(kernel_size, 2, "kernel_size", op)
    dilation = int_tuple(dilation, 2, "dilation", op)
    padding = int_tuple(padding, 2, "padding", op)
    stride = int_tuple(stride, 2, "stride", op)
    check_positive(op, kernel_size=kernel, dilation=dilation, stride=stride)
    x = input if len(shape) == 4 else input.reshape((1,) + shape)
    blocks = _blocks(op, shape[-2:], kernel, dilation, padding, stride)
    _check_blocks(op, shape, shape[-2:], blocks, kernel, dilation, padding)
    out = Unfold.apply(x, (kernel, dilation, stride, padding, blocks), False)
    return out if len(shape) == 4 else out.reshape(out._data.shape[1:])


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sum sliding blocks back into a grid (col2im), the adjoint of :func:`unfold`.

    ``out[n, c, p, q] = sum of input[n, (c, i, j), l]`` over the blocks ``l`` and kernel offsets
    ``(i, j)`` that read position ``(p, q)``; overlapping blocks add up.

    Args:
        input: ``(N, C * kH * kW, L)`` or unbatched ``(C * kH * kW, L)``.
        output_size: the spatial size ``(H, W)`` of the result (an int or a pair).
        kernel_size, dilation, padding, stride: as for :func:`unfold`.

    Shape: ``(N, C * kH * kW, L) -> (N, C, H, W)``.

    Example:
        >>> import gradwork
        >>> x = gradwork.ones(1, 1, 3, 3)
        >>> gradwork.fold(gradwork.unfold(x, 2), (3, 3), 2)
        tensor([[[[1., 2., 1.],
                  [2., 4., 2.],
                  [1., 2., 1.]]]])
    """
    op = "fold"
    check_tensor(input, op)
    shape = input._data.shape
    check(
        len(shape) in (2, 3),
        op,
        f"expected a 2-D (unbatched) or 3-D (batched) input, got shape {format_shape(shape)}",
    )
    size = int_tuple(output_size, 2, "output_size", op)
    kernel = int_tuple(kernel_size, 2, "kernel_size", op)
    dilation = int_tuple(dilation, 2, "dilation", op)
    padding = int_tuple(padding, 2, "padding", op)
    stride = int_tuple(stride, 2, "stride", op)
    check_positive(op, kernel_size=kernel, dilation=dilation, stride=stride)
    kernel_area = kernel[0] * kernel[1]
    check(
        shape[-2] % kernel_area == 0,
        op,
        f"expected size of input's dimension -2 ({shape[-2]}) to be divisible by the product of "
        f"kernel_size ({kernel_area})",
    )
    blocks = _blocks(op, size, kernel, dilation, padding, stride)
    check(
        blocks[0] > 0 and blocks[1] > 0 and shape[-1] == blocks[0] * blocks[1],
        op,
        f"expected size of input's dimension -1 ({shape[-1]}) to match the number of sliding "
        f"blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]} for output_size {size}, "
        f"kernel_size {kernel}, dilation {dilation}, padding {padding}, stride {stride}",
    )
    cols = input if len(shape) == 3 else input.reshape((1,) + shape)
    out = Fold.apply(cols, (kernel, dilation, stride, padding, blocks), size, False)
    return out if len(shape) == 3 else out.reshape(out._data.shape[1:])


def _check_blocks(op: str, shape, size, blocks, kernel, dilation, padding, dims=2) -> None:
    """Raise if no window fits: ``size`` is the 2-D spatial size, ``shape`` the user's input."""
    if blocks[0] > 0 and blocks[1] > 0:
        return
    padded = tuple(size[k] + 2 * padding[k] for k in range(2))[2 - dims :]
    extent = tuple(dilation[k] * (kernel[k] - 1) + 1 for k in range(2))[2 - dims :]
    raise RuntimeError(
        f"{op}: input of shape {format_shape(shape)} is too small: padded spatial size "
        f"{format_shape(padded)} is smaller than the dilated kernel size {format_shape(extent)}"
    )


# -- convolution --------------------------------------------------------------------------------
def _check_bias(op: str, bias, channels: int, input: Tensor) -> None:
    if bias is None:
        return
    check_tensor(bias, op, "bias")
    check(
        bias._data.shape == (channels,),
        op,
        f"expected bias of shape ({channels},), got {format_shape(bias._data.shape)}",
    )
    _check_dtype(op, input, bias, "bias")


def _check_dtype(op: str, input: Tensor, other: Tensor, name: str) -> None:
    check(
        input._data.dtype == other._data.dtype,
        op,
        f"input dtype {input.dtype} and {name} dtype {other.dtype} differ",
    )


def _weight_pattern(dims: int, channels: str) -> str:
    spatial = ("kW",) if dims == 1 else ("kH", "kW")
    return f"(out_channels, {channels}, {', '.join(spatial)})"


def _checked_input(op: str, dims: int, input: Tensor, weight: Tensor, groups) -> tuple:
    """The input as 4-D (and whether it was unbatched), after the checks both convolutions share."""
    check_tensor(input, op)
    check_tensor(weight, op, "weight")
    x, unbatched = as_4d(op, input, dims)
    channels = x._data.shape[1]
    check(
        isinstance(groups, numbers.Integral) and groups > 0,
        op,
        f"groups must be a positive integer, got {groups!r}",
        ValueError,
    )
    check(
        channels % groups == 0,
        op,
        f"in_channels ({channels}) must be divisible by groups ({groups})",
    )
    return x, unbatched


def _convolution(op, dims, input, weight, bias, stride, padding, dilation, groups) -> Tensor:
    x, unbatched = _checked_input(op, dims, input, weight, groups)
    _, channels, height, width = x._data.shape
    w_shape = weight._data.shape
    expected = channels // groups
    if len(w_shape) != dims + 2 or w_shape[1] != expected:
        unknown = ", ".join(["?"] * dims)
        raise RuntimeError(
            f"{op}: expected weight of shape {_weight_pattern(dims, 'in_channels/groups')} = "
            f"(?, {expected}, {unknown}), got {format_shape(w_shape)} for input of shape "
            f"{format_shape(input._data.shape)}"
        )
    out_channels = w_shape[0]
    check(
        out_channels % groups == 0,
        op,
        f"out_channels ({out_channels}) must be divisible by groups ({groups})",
    )
    _check_dtype(op, input, weight, "weight")
    kernel = lift_to_2d(tuple(w_shape[2:]), dims, 1)
    stride = lift_to_2d(int_tuple(stride, dims, "stride", op), dims, 1)
    dilation = lift_to_2d(int_tuple(dilation, dims, "dilation", op), dims, 1)
    check_positive(op, stride=stride, dilation=dilation)
    size = (height, width)
    if isinstance(padding, str):
        check(
            padding in ("valid", "same"),
            op,
            f"padding must be an int, a tuple, 'valid' or 'same', got {padding!r}",
            ValueError,
        )
        if padding == "valid":
            pad = (0, 0)
            blocks = _blocks(op, size, kernel, dilation, pad, stride)
        else:
            check(
                stride == (1, 1),
                op,
                "padding='same' is not supported for strided convolutions",
                ValueError,
            )
            # total padding d (k - 1); the odd element goes after, as in PyTorch
            pad = tuple(dilation[k] * (kernel[k] - 1) // 2 for k in range(2))
            blocks = size
    else:
        pad = lift_to_2d(int_tuple(padding, dims, "padding", op), dims, 0)
        check(
            all(p >= 0 for p in pad), op, f"padding must be non-negative, got {padding}", ValueError
        )
        blocks = _blocks(op, size, kernel, dilation, pad, stride)
    _check_blocks(op, input._data.shape, size, blocks, kernel, dilation, pad, dims)
    _check_bias(op, bias, out_channels, input)

    out = Convolution.apply(x, weight, bias, (kernel, dilation, stride, pad, blocks), groups)
    return from_4d(out, dims, unbatched)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """2-D cross-correlation: ``out[n, o, h, w] = b[o] + sum_{c,i,j} w[o,c,i,j] x[n, c', h', w']``.

    Here ``h' = s h + d i - p``, ``w' = s w + d j - p`` and ``c'`` runs over the channels of
    output channel ``o``'s group. Computed as one unfold (im2col through a strided view) and
    one GEMM over the whole batch; the output is a channel-major view (no copy). The input
    gradient is a transposed convolution and the weight gradient a GEMM of the output gradient
    with the unfolded input, both in differentiable ops (double backward works).

    Args:
        input: ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``.
        weight: ``(C_out, C_in / groups, kH, kW)``.
        bias: ``(C_out,)`` or ``None``.
        stride, dilation: an int or a pair.
        padding: an int, a pair, ``'valid'`` (no padding) or ``'same'`` (output size = input
            size; stride 1 only; odd total padding puts the extra zero after).
        groups: split channels into this many independent convolutions.

    Shape: ``(N, C_in, H, W) -> (N, C_out, H_out, W_out)`` with
    ``H_out = (H + 2 p - d (kH - 1) - 1) // s + 1``.

    Example:
        >>> import gradwork
        >>> x, w = gradwork.ones(2, 3, 28, 28), gradwork.ones(8, 3, 5, 5)
        >>> gradwork.conv2d(x, w, padding=2).shape
        (2, 8, 28, 28)
    """
    return _convolution("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """1-D cross-correlation: ``out[n, o, t] = b[o] + sum_{c,k} w[o,c,k] x[n, c', s t + d k - p]``.

    ``c'`` runs over the channels of output channel ``o``'s group.

    Args:
        input: ``(N, C_in, L)`` or unbatched ``(C_in, L)``.
        weight: ``(C_out, C_in / groups, k)``.
        bias: ``(C_out,)`` or ``None``.
        stride, padding, dilation, groups: as for :func:`conv2d` (ints or 1-tuples; padding may
            be ``'valid'`` or ``'same'``).

    Shape: ``(N, C_in, L) -> (N, C_out, L_out)``, ``L_out = (L + 2 p - d (k - 1) - 1) // s + 1``.

    Example:
        >>> import gradwork
        >>> gradwork.conv1d(gradwork.ones(4, 2, 40), gradwork.ones(8, 2, 5), stride=2).shape
        (4, 8, 18)
    """
    return _convolution("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def _transposed(op, dims, input, weight, bias, stride, padding, output_padding, groups, dilation):
    x, unbatched = _checked_input(op, dims, input, weight, groups)
    n, channels, height, width = x._data.shape
    w_shape = weight._data.shape
    if len(w_shape) != dims + 2 or w_shape[0] != channels:
        pattern = "(in_channels, out_channels/groups, " + ("kW)" if dims == 1 else "kH, kW)")
        unknown = ", ".join(["?"] * dims)
        raise RuntimeError(
            f"{op}: expected weight of shape {pattern} = ({channels}, ?, {unknown}), got "
            f"{format_shape(w_shape)} for input of shape {format_shape(input._data.shape)}"
        )
    _check_dtype(op, input, weight, "weight")
    group_out = w_shape[1]
    out_channels = group_out * groups
    kernel = lift_to_2d(tuple(w_shape[2:]), dims, 1)
    stride = lift_to_2d(int_tuple(stride, dims, "stride", op), dims, 1)
    dilation = lift_to_2d(int_tuple(dilation, dims, "dilation", op), dims, 1)
    pad = lift_to_2d(int_tuple(padding, dims, "padding", op), dims, 0)
    extra = lift_to_2d(int_tuple(output_padding, dims, "output_padding", op), dims, 0)
    check_positive(op, stride=stride, dilation=dilation)
    check(all(p >= 0 for p in pad), op, f"padding must be non-negative, got {padding}", ValueError)
    check(
        all(0 <= extra[k] < max(stride[k], dilation[k]) for k in range(2)),
        op,
        f"output padding must be smaller than either stride or dilation, got output_padding="
        f"{output_padding}, stride={stride[2 - dims :]}, dilation={dilation[2 - dims :]}",
        ValueError,
    )
    size = tuple(
        (x._data.shape[2 + k] - 1) * stride[k]
        - 2 * pad[k]
        + dilation[k] * (kernel[k] - 1)
        + extra[k]
        + 1
        for k in range(2)
    )
    check(
        size[0] > 0 and size[1] > 0,
        op,
        f"the output size {size[2 - dims :]} computed for input of shape "
        f"{format_shape(input._data.shape)} is not positive (too much padding)",
    )
    _check_bias(op, bias, out_channels, input)

    kernel_area = kernel[0] * kernel[1]
    group_in = channels // groups
    # the whole batch is one GEMM (per group): cols = W^T x, (C_out*kH*kW, N*L)
    columns = permute(x, (1, 0, 2, 3)).reshape((groups, group_in, n * height * width))
    cols = MatMul.apply(
        weight.reshape((groups, group_in, group_out * kernel_area)), columns, True, False
    )
    cols = cols.reshape((out_channels * kernel_area, n * height * width))
    out = Fold.apply(cols, (kernel, dilation, stride, pad, (height, width)), size, True)
    if bias is not None:
        out = out + bias.reshape((out_channels, 1, 1))
    return from_4d(out, dims, unbatched)


def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
) -> Tensor:
    """2-D transposed convolution, the adjoint (gradient) of :func:`conv2d` with respect to its
    input: ``out = fold(W^T x)``, i.e. each input pixel scatters ``x[n, c, h, w] * w[c, o, i, j]``
    to ``out[n, o, s h + d i - p, s w + d j - p]``.

    Args:
        input: ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``.
        weight: ``(C_in, C_out / groups, kH, kW)``.
        bias: ``(C_out,)`` or ``None``.
        stride, padding, dilation: an int or a pair (``padding`` crops the output).
        output_padding: extra size added to one side of the output (smaller than stride or
            dilation), to pick among the input sizes a strided conv2d maps to the same size.
        groups: independent groups of channels.

    Shape: ``(N, C_in, H, W) -> (N, C_out, H_out, W_out)`` with
    ``H_out = (H - 1) s - 2 p + d (kH - 1) + output_padding + 1``.

    Example:
        >>> import gradwork
        >>> x, w = gradwork.ones(2, 4, 7, 7), gradwork.ones(4, 3, 3, 3)
        >>> gradwork.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1).shape
        (2, 3, 14, 14)
    """
    return _transposed(
        "conv_transpose2d",
        2,
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
    )


def conv_transpose1d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
) -> Tensor:
    """1-D transposed convolution (the input gradient of :func:`conv1d`): ``out = fold(W^T x)``.

    Args:
        input: ``(N, C_in, L)`` or unbatched ``(C_in, L)``.
        weight: ``(C_in, C_out / groups, k)``.
        bias, stride, padding, output_padding, groups, dilation: as for
            :func:`conv_transpose2d`.

    Shape: ``(N, C_in, L) -> (N, C_out, L_out)``,
    ``L_out = (L - 1) s - 2 p + d (k - 1) + output_padding + 1``.

    Example:
        >>> import gradwork
        >>> x, w = gradwork.ones(1, 2, 5), gradwork.ones(2, 3, 4)
        >>> gradwork.conv_transpose1d(x, w, stride=2).shape
        (1, 3, 12)
    """
    return _transposed(
        "conv_transpose1d",
        1,
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
    )
