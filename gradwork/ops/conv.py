"""Convolution and pooling on grids, built on adjoint pairs of primitives.

``Unfold`` (im2col) copies every receptive field out of a strided view of the (padded) input
into a column matrix; ``Fold`` (col2im) sums columns back onto the grid. Each is the other's
gradient, so everything built from them is differentiable to any order. A convolution is one
unfold plus one GEMM over the whole batch (:class:`gradwork.ops.linalg.MatMul`, columns laid out
``(C*kH*kW, N*L)``): its input gradient is a transposed convolution (GEMM then fold) and its
weight gradient a GEMM of the output gradient with the unfolded input.

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

from gradwork.autograd.function import Function
from gradwork.ops._util import check, check_tensor, format_shape
from gradwork.ops.linalg import MatMul, matmul
from gradwork.ops.movement import permute
from gradwork.tensor import Tensor

__all__ = [
    "unfold",
    "fold",
    "conv1d",
    "conv2d",
    "conv_transpose1d",
    "conv_transpose2d",
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
]


# -- geometry ---------------------------------------------------------------------------------
def _tuple(value, n: int, name: str, op: str) -> tuple:
    """``value`` as a tuple of ``n`` ints (an int is repeated)."""
    if isinstance(value, numbers.Integral):
        return (int(value),) * n
    if isinstance(value, (tuple, list)) and len(value) == 1 and n > 1:
        value = tuple(value) * n
    if not (isinstance(value, (tuple, list)) and len(value) == n):
        raise TypeError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    return tuple(int(v) for v in value)


def _span(kernel: int, dilation: int, stride: int, blocks: int) -> int:
    """The extent of the padded input that ``blocks`` windows read."""
    return (blocks - 1) * stride + dilation * (kernel - 1) + 1


def _canvas(array: np.ndarray, geometry, fill) -> np.ndarray:
    """The input placed at ``pad_before`` on a grid just large enough for every window."""
    kernel, dilation, stride, pad, blocks = geometry
    height, width = array.shape[-2:]
    span_h = _span(kernel[0], dilation[0], stride[0], blocks[0])
    span_w = _span(kernel[1], dilation[1], stride[1], blocks[1])
    if pad == (0, 0) and height >= span_h and width >= span_w:
        return array  # windows read only inside the input: no copy
    canvas = np.full(array.shape[:-2] + (span_h, span_w), fill, dtype=array.dtype)
    rows, cols = min(height, span_h - pad[0]), min(width, span_w - pad[1])
    if rows > 0 and cols > 0:
        canvas[..., pad[0] : pad[0] + rows, pad[1] : pad[1] + cols] = array[..., :rows, :cols]
    return canvas


def _windows(canvas: np.ndarray, geometry) -> np.ndarray:
    """A read-only strided view ``(N, C, kH, kW, blocks_h, blocks_w)`` of every window."""
    kernel, dilation, stride, _, blocks = geometry
    s_n, s_c, s_h, s_w = canvas.strides
    return as_strided(
        canvas,
        canvas.shape[:2] + kernel + blocks,
        (s_n, s_c, dilation[0] * s_h, dilation[1] * s_w, stride[0] * s_h, stride[1] * s_w),
        writeable=False,
    )


def _is_identity(geometry, size: tuple) -> bool:
    kernel, dilation, stride, pad, blocks = geometry
    return kernel == (1, 1) and stride == (1, 1) and pad == (0, 0) and blocks == size


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
        n, c, height, width = array.shape
        ctx.geometry, ctx.size, ctx.batch_inner = geometry, (height, width), batch_inner
        kernel, _, _, _, blocks = geometry
        rows, positions = c * kernel[0] * kernel[1], blocks[0] * blocks[1]
        if _is_identity(geometry, (height, width)):
            if batch_inner:
                return array.transpose(1, 0, 2, 3).reshape(c, n * positions)
            return array.reshape(n, c, positions)
        view = _windows(_canvas(array, geometry, 0), geometry)  # (N, C, kH, kW, bh, bw)
        if batch_inner:
            return view.transpose(1, 2, 3, 0, 4, 5).reshape(rows, n * positions)
        return view.reshape(n, rows, positions)

    @staticmethod
    def backward(ctx, grad):
        return Fold.apply(grad, ctx.geometry, ctx.size, ctx.batch_inner), None, None


class Fold(Function):
    """x[n, c, p, q] = sum of cols[n, (c, i, j), l] over windows l and offsets (i, j) reading
    (p, q)  (col2im, the adjoint of unfold); its gradient is :class:`Unfold`.

    ``batch_inner``: the columns are laid out ``((c, i, j), (n, l))``, as :class:`Unfold` makes.
    """

    @staticmethod
    def forward(ctx, cols, geometry, size, batch_inner):
        ctx.geometry, ctx.batch_inner = geometry, batch_inner
        kernel, dilation, stride, pad, blocks = geometry
        array = cols._data
        area, positions = kernel[0] * kernel[1], blocks[0] * blocks[1]
        if batch_inner:
            c, n = array.shape[0] // area, array.shape[1] // positions
        else:
            n, c = array.shape[0], array.shape[1] // area
        if _is_identity(geometry, size):
            if batch_inner:
                return array.reshape(c, n, size[0], size[1]).transpose(1, 0, 2, 3)
            return array.reshape(n, c, size[0], size[1])
        if batch_inner:  # accumulate in (C, N, H, W) order, where the columns are contiguous
            grid = array.reshape(c, kernel[0], kernel[1], n, blocks[0], blocks[1])
            grid = grid.transpose(0, 3, 1, 2, 4, 5)
        else:
            grid = array.reshape(n, c, kernel[0], kernel[1], blocks[0], blocks[1])
        height = max(_span(kernel[0], dilation[0], stride[0], blocks[0]), pad[0] + size[0])
        width = max(_span(kernel[1], dilation[1], stride[1], blocks[1]), pad[1] + size[1])
        canvas = np.zeros(grid.shape[:2] + (height, width), dtype=array.dtype)
        rows_end = (blocks[0] - 1) * stride[0] + 1
        cols_end = (blocks[1] - 1) * stride[1] + 1
        # one strided add per kernel offset (kH * kW of them), never a loop over positions
        for i in range(kernel[0]):
            top = i * dilation[0]
            for j in range(kernel[1]):
                left = j * dilation[1]
                canvas[
                    :, :, top : top + rows_end : stride[0], left : left + cols_end : stride[1]
                ] += grid[:, :, i, j]
        if (height, width) != size:
            canvas = canvas[:, :, pad[0] : pad[0] + size[0], pad[1] : pad[1] + size[1]]
        return canvas.transpose(1, 0, 2, 3) if batch_inner else canvas

    @staticmethod
    def backward(ctx, grad):
        return Unfold.apply(grad, ctx.geometry, ctx.batch_inner), None, None, None


def _blocks(op: str, size: tuple, kernel, dilation, padding, stride) -> tuple:
    return tuple(
        (size[k] + 2 * padding[k] - dilation[k] * (kernel[k] - 1) - 1) // stride[k] + 1
        for k in range(2)
    )


def _check_positive(op: str, **values) -> None:
    for name, value in values.items():
        check(all(v > 0 for v in value), op, f"{name} must be positive, got {value}", ValueError)


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
    kernel = _tuple(kernel_size, 2, "kernel_size", op)
    dilation = _tuple(dilation, 2, "dilation", op)
    padding = _tuple(padding, 2, "padding", op)
    stride = _tuple(stride, 2, "stride", op)
    _check_positive(op, kernel_size=kernel, dilation=dilation, stride=stride)
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
    size = _tuple(output_size, 2, "output_size", op)
    kernel = _tuple(kernel_size, 2, "kernel_size", op)
    dilation = _tuple(dilation, 2, "dilation", op)
    padding = _tuple(padding, 2, "padding", op)
    stride = _tuple(stride, 2, "stride", op)
    _check_positive(op, kernel_size=kernel, dilation=dilation, stride=stride)
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
def _spatial(op: str, input: Tensor, dims: int) -> tuple:
    """The input as a 4-D tensor, and whether a batch dimension was added."""
    shape = input._data.shape
    check(
        len(shape) in (dims + 1, dims + 2),
        op,
        f"expected a {dims + 1}-D (unbatched) or {dims + 2}-D (batched) input, got shape "
        f"{format_shape(shape)}",
    )
    unbatched = len(shape) == dims + 1
    batched_shape = (1,) + shape if unbatched else shape
    if dims == 1:
        batched_shape = batched_shape[:2] + (1,) + batched_shape[2:]
    x = input if batched_shape == shape else input.reshape(batched_shape)
    return x, unbatched


def _unspatial(out: Tensor, dims: int, unbatched: bool) -> Tensor:
    shape = out._data.shape
    if dims == 1:
        shape = shape[:2] + shape[3:]
    if unbatched:
        shape = shape[1:]
    return out if shape == out._data.shape else out.reshape(shape)


def _lift(value: tuple, dims: int, neutral: int) -> tuple:
    """A 1-D parameter as a 2-D one, with ``neutral`` for the added height."""
    return value if dims == 2 else (neutral,) + value


def _check_bias(op: str, bias, channels: int, input: Tensor):
    if bias is None:
        return None
    check_tensor(bias, op, "bias")
    check(
        bias._data.shape == (channels,),
        op,
        f"expected bias of shape ({channels},), got {format_shape(bias._data.shape)}",
    )
    _check_dtype(op, input, bias, "bias")
    return bias.reshape((channels, 1, 1))


def _check_dtype(op: str, input: Tensor, other: Tensor, name: str) -> None:
    check(
        input._data.dtype == other._data.dtype,
        op,
        f"input dtype {input.dtype} and {name} dtype {other.dtype} differ",
    )


def _weight_pattern(dims: int, channels: str) -> str:
    spatial = ("kW",) if dims == 1 else ("kH", "kW")
    return f"(out_channels, {channels}, {', '.join(spatial)})"


def _convolution(op, dims, input, weight, bias, stride, padding, dilation, groups) -> Tensor:
    check_tensor(input, op)
    check_tensor(weight, op, "weight")
    x, unbatched = _spatial(op, input, dims)
    n, channels, height, width = x._data.shape
    w_shape = weight._data.shape
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
    kernel = _lift(tuple(w_shape[2:]), dims, 1)
    stride = _lift(_tuple(stride, dims, "stride", op), dims, 1)
    dilation = _lift(_tuple(dilation, dims, "dilation", op), dims, 1)
    _check_positive(op, stride=stride, dilation=dilation)
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
        pad = _lift(_tuple(padding, dims, "padding", op), dims, 0)
        check(
            all(p >= 0 for p in pad), op, f"padding must be non-negative, got {padding}", ValueError
        )
        blocks = _blocks(op, size, kernel, dilation, pad, stride)
    _check_blocks(op, input._data.shape, size, blocks, kernel, dilation, pad, dims)
    bias = _check_bias(op, bias, out_channels, input)

    # the whole batch is one GEMM: cols is (C*kH*kW, N*L), out (C_out, N*L) (per group)
    rows = expected * kernel[0] * kernel[1]
    cols = Unfold.apply(x, (kernel, dilation, stride, pad, blocks), True)
    if groups == 1:
        out = MatMul.apply(weight.reshape((out_channels, rows)), cols, False, False)
    else:
        out = MatMul.apply(
            weight.reshape((groups, out_channels // groups, rows)),
            cols.reshape((groups, rows, cols._data.shape[1])),
            False,
            False,
        )
    # (N, C_out, H_out, W_out) as a view of the channel-major result: no copy
    out = permute(out.reshape((out_channels, n) + blocks), (1, 0, 2, 3))
    if bias is not None:
        out = out + bias
    return _unspatial(out, dims, unbatched)


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
    check_tensor(input, op)
    check_tensor(weight, op, "weight")
    x, unbatched = _spatial(op, input, dims)
    n, channels, height, width = x._data.shape
    w_shape = weight._data.shape
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
    kernel = _lift(tuple(w_shape[2:]), dims, 1)
    stride = _lift(_tuple(stride, dims, "stride", op), dims, 1)
    dilation = _lift(_tuple(dilation, dims, "dilation", op), dims, 1)
    pad = _lift(_tuple(padding, dims, "padding", op), dims, 0)
    extra = _lift(_tuple(output_padding, dims, "output_padding", op), dims, 0)
    _check_positive(op, stride=stride, dilation=dilation)
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
    bias = _check_bias(op, bias, out_channels, input)

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
        out = out + bias
    return _unspatial(out, dims, unbatched)


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
    x, unbatched = _spatial(op, input, dims)
    kernel = _lift(_tuple(kernel_size, dims, "kernel_size", op), dims, 1)
    stride = (
        kernel
        if stride is None or stride == [] or stride == ()
        else _lift(_tuple(stride, dims, "stride", op), dims, 1)
    )
    pad = _lift(_tuple(padding, dims, "padding", op), dims, 0)
    dilation = _lift(_tuple(dilation, dims, "dilation", op), dims, 1)
    _check_positive(op, kernel_size=kernel, stride=stride, dilation=dilation)
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
        view = _windows(_canvas(x._data, geometry, 0), geometry)  # (N, C, kH, kW, bh, bw)
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
        height = max(_span(kernel[0], dilation[0], stride[0], blocks[0]), pad[0] + size[0])
        width = max(_span(kernel[1], dilation[1], stride[1], blocks[1]), pad[1] + size[1])
        canvas = np.zeros(array.shape[:2] + (height, width), dtype=array.dtype)
        rows_end = (blocks[0] - 1) * stride[0] + 1
        cols_end = (blocks[1] - 1) * stride[1] + 1
        if kind == "avg":
            share = array / data
        for k, (i, j) in enumerate(_offsets(kernel)):
            top, left = i * dilation[0], j * dilation[1]
            target = canvas[
                :, :, top : top + rows_end : stride[0], left : left + cols_end : stride[1]
            ]
            target += share if kind == "avg" else array * data[k]
        if (height, width) != tuple(size):
            canvas = canvas[:, :, pad[0] : pad[0] + size[0], pad[1] : pad[1] + size[1]]
        return canvas

    @staticmethod
    def backward(ctx, grad):
        return WindowSum.apply(grad, ctx.geometry, ctx.rule), None, None, None


class MaxPool(Function):
    """out = max of x over each window;  dx = the gradient scattered to the (first) arg max of
    each window (:class:`WindowScatter` with the one-hot masks fixed: differentiable again).

    The windows are copied out once, offset-major ``(kH*kW, N, C, bh, bw)``, so that the max and
    the masks are contiguous elementwise passes (a reduction over a short strided axis is slow).
    """

    @staticmethod
    def forward(ctx, x, geometry, return_indices):
        array = x._data
        width = array.shape[3]
        kernel, dilation, stride, pad, blocks = geometry
        low = -np.inf if array.dtype.kind == "f" else np.iinfo(array.dtype).min
        view = _windows(_canvas(array, geometry, low), geometry)  # (N, C, kH, kW, bh, bw)
        area = kernel[0] * kernel[1]
        windows = view.transpose(2, 3, 0, 1, 4, 5).reshape((area,) + view.shape[:2] + blocks)
        out = windows.max(axis=0)  # propagates NaN, as PyTorch does
        ctx.geometry, ctx.size = geometry, array.shape[2:]
        if not (ctx.needs_input_grad or return_indices):
            return out
        # one-hot masks of the first maximum in row-major window order (PyTorch's choice)
        nan = array.dtype.kind == "f" and bool(np.isnan(out).any())
        masks = windows == out
        if nan:
            masks |= np.isnan(windows)
        taken = masks[0].copy()
        for k in range(1, area):
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
        return _unspatial(out, dims, unbatched), _unspatial(indices, dims, unbatched)
    return _unspatial(result, dims, unbatched)


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
    return _unspatial(WindowSum.apply(x, geometry, ("avg", divisor)), dims, unbatched)


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
