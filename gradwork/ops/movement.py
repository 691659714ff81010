"""Shape and movement primitives: reshape, expand and friends. Most return views (no copy)."""

from __future__ import annotations

import numpy as np

from gradwork.autograd.function import Function
from gradwork.ops._util import check, format_shape
from gradwork.ops.reduce import sum_to
from gradwork.tensor import Tensor

__all__ = ["reshape", "view", "expand", "broadcast_to"]


def _infer_shape(shape: tuple, numel: int, op: str, input_shape: tuple) -> tuple:
    """Resolve one ``-1`` in ``shape`` and check the element count."""
    shape = tuple(int(size) for size in shape)
    unknown = [axis for axis, size in enumerate(shape) if size == -1]
    check(len(unknown) <= 1, op, f"only one dimension can be inferred, got shape {shape}")
    known = 1
    for size in shape:
        if size != -1:
            check(size >= 0, op, f"invalid shape dimension {size} in {shape}")
            known *= size
    if unknown:
        check(
            known != 0 and numel % known == 0,
            op,
            f"shape {format_shape(shape)} is invalid for input of size {numel} "
            f"(input shape {format_shape(input_shape)})",
        )
        shape = shape[: unknown[0]] + (numel // known,) + shape[unknown[0] + 1 :]
    else:
        check(
            known == numel,
            op,
            f"shape {format_shape(shape)} is invalid for input of size {numel} "
            f"(input shape {format_shape(input_shape)})",
        )
    return shape


class Reshape(Function):
    """out = x with a new shape (same elements in row-major order);  the gradient is reshaped back."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x._data.shape
        return x._data.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


def reshape(input: Tensor, shape) -> Tensor:
    """The elements of ``input`` with shape ``shape`` (one entry may be -1 to infer it).

    Example:
        >>> import gradwork
        >>> gradwork.arange(6).reshape(2, -1).shape
        (2, 3)
    """
    shape = _infer_shape(tuple(shape), input._data.size, "reshape", input._data.shape)
    if shape == input._data.shape:
        return input
    return Reshape.apply(input, shape)


def view(input: Tensor, shape) -> Tensor:
    """Like :func:`reshape`; gradwork copies when a view is impossible instead of raising."""
    shape = _infer_shape(tuple(shape), input._data.size, "view", input._data.shape)
    if shape == input._data.shape:
        return input
    return Reshape.apply(input, shape)


class Expand(Function):
    """out = x broadcast to ``shape`` (a read-only view);  the gradient is summed back with sum_to."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x._data.shape
        return np.broadcast_to(x._data, shape)

    @staticmethod
    def backward(ctx, grad):
        return sum_to(grad, ctx.shape), None


def expand(input: Tensor, sizes) -> Tensor:
    """``input`` broadcast to ``sizes`` without copying; -1 keeps a dimension's size."""
    sizes = tuple(int(size) for size in sizes)
    shape = input._data.shape
    check(
        len(sizes) >= len(shape),
        "expand",
        f"the number of sizes provided ({len(sizes)}) must be greater or equal to the number of "
        f"dimensions in the tensor ({len(shape)})",
    )
    leading = len(sizes) - len(shape)
    target = list(sizes)
    for axis, size in enumerate(shape):
        wanted = sizes[leading + axis]
        if wanted == -1:
            target[leading + axis] = size
        else:
            check(
                size == wanted or size == 1,
                "expand",
                f"the expanded size of the tensor ({wanted}) must match the existing size "
                f"({size}) at non-singleton dimension {leading + axis}; target sizes "
                f"{format_shape(sizes)}, tensor shape {format_shape(shape)}",
            )
    check(all(size >= 0 for size in target[:leading]), "expand", f"invalid sizes {sizes}")
    target = tuple(target)
    if target == shape:
        return input
    return Expand.apply(input, target)


def broadcast_to(input: Tensor, shape) -> Tensor:
    """``input`` broadcast to ``shape`` (same as :func:`expand`)."""
    return expand(input, shape)
