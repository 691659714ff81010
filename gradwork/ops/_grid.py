"""Grid geometry shared by convolution and pooling: windows over strided views of padded arrays.

The geometry of one spatial dimension is ``(kernel, dilation, stride, pad_before, blocks)``:
``blocks`` windows start at ``-pad_before + i * stride``; whatever they read outside the input is
the fill value (zero, or -inf for max pooling).
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import as_strided

from gradwork.ops._util import check, format_shape
from gradwork.tensor import Tensor


# -- geometry ---------------------------------------------------------------------------------
def int_tuple(value, n: int, name: str, op: str) -> tuple:
    """``value`` as a tuple of ``n`` ints (an int is repeated)."""
    if isinstance(value, numbers.Integral):
        return (int(value),) * n
    if isinstance(value, (tuple, list)) and len(value) == 1 and n > 1:
        value = tuple(value) * n
    if not (isinstance(value, (tuple, list)) and len(value) == n):
        raise TypeError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    return tuple(int(v) for v in value)


def window_span(kernel: int, dilation: int, stride: int, blocks: int) -> int:
    """The extent of the padded input that ``blocks`` windows read."""
    return (blocks - 1) * stride + dilation * (kernel - 1) + 1


def padded_canvas(array: np.ndarray, geometry, fill, channels_last: bool = False) -> np.ndarray:
    """The input placed at ``pad_before`` on a grid just large enough for every window.

    ``channels_last``: an ``(N, C, H, W)`` input gets an ``(N, C, H_c, W_c)`` view of
    ``(N, H_c, W_c, C)`` memory (always a copy).
    """
    kernel, dilation, stride, pad, blocks = geometry
    height, width = array.shape[-2:]
    span_h = window_span(kernel[0], dilation[0], stride[0], blocks[0])
    span_w = window_span(kernel[1], dilation[1], stride[1], blocks[1])
    if channels_last:
        n, c = array.shape[:2]
        canvas = np.full((n, span_h, span_w, c), fill, dtype=array.dtype).transpose(0, 3, 1, 2)
    elif pad == (0, 0) and height >= span_h and width >= span_w:
        return array  # windows read only inside the input: no copy
    else:
        canvas = np.full(array.shape[:-2] + (span_h, span_w), fill, dtype=array.dtype)
    rows, cols = min(height, span_h - pad[0]), min(width, span_w - pad[1])
    if rows > 0 and cols > 0:
        canvas[..., pad[0] : pad[0] + rows, pad[1] : pad[1] + cols] = array[..., :rows, :cols]
    return canvas


def window_view(canvas: np.ndarray, geometry) -> np.ndarray:
    """A read-only strided view ``(N, C, kH, kW, blocks_h, blocks_w)`` of every window."""
    kernel, dilation, stride, _, blocks = geometry
    s_n, s_c, s_h, s_w = canvas.strides
    return as_strided(
        canvas,
        canvas.shape[:2] + kernel + blocks,
        (s_n, s_c, dilation[0] * s_h, dilation[1] * s_w, stride[0] * s_h, stride[1] * s_w),
        writeable=False,
    )


def is_identity_geometry(geometry, size: tuple) -> bool:
    kernel, dilation, stride, pad, blocks = geometry
    return kernel == (1, 1) and stride == (1, 1) and pad == (0, 0) and blocks == size


# -- checks and layout shared by the grid ops ----------------------------------------------
def check_positive(op: str, **values) -> None:
    for name, value in values.items():
        check(all(v > 0 for v in value), op, f"{name} must be positive, got {value}", ValueError)


def as_4d(op: str, input: Tensor, dims: int) -> tuple:
    """The input as a 4-D tensor, and whether a batch dimension was added."""
    shape = input._data.shape
    if len(shape) not in (dims + 1, dims + 2):
        raise RuntimeError(
            f"{op}: expected a {dims + 1}-D (unbatched) or {dims + 2}-D (batched) input, got "
            f"shape {format_shape(shape)}"
        )
    unbatched = len(shape) == dims + 1
    batched_shape = (1,) + shape if unbatched else shape
    if dims == 1:
        batched_shape = batched_shape[:2] + (1,) + batched_shape[2:]
    x = input if batched_shape == shape else input.reshape(batched_shape)
    return x, unbatched


def from_4d(out: Tensor, dims: int, unbatched: bool) -> Tensor:
    """Undo :func:`as_4d`: drop the added height (1-D ops) and batch dimension."""
    shape = out._data.shape
    if dims == 1:
        shape = shape[:2] + shape[3:]
    if unbatched:
        shape = shape[1:]
    return out if shape == out._data.shape else out.reshape(shape)


def lift_to_2d(value: tuple, dims: int, neutral: int) -> tuple:
    """A 1-D parameter as a 2-D one, with ``neutral`` for the added height."""
    return value if dims == 2 else (neutral,) + value
