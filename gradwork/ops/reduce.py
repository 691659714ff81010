"""Reductions over ``dim``/``keepdim``, and :func:`sum_to`, which undoes broadcasting in backward."""

from __future__ import annotations

import numpy as np

from gradwork import _dtype
from gradwork.autograd.function import Function
from gradwork.ops._util import normalize_dims
from gradwork.tensor import Tensor

__all__ = ["sum", "mean", "sum_to"]


def _keepdim_shape(shape: tuple, dims: tuple) -> tuple:
    """``shape`` with the reduced ``dims`` set to 1 (the shape of a keepdim result)."""
    return tuple(1 if axis in dims else size for axis, size in enumerate(shape))


def expand_reduced(grad: Tensor, input_shape: tuple, dims: tuple, keepdim: bool) -> Tensor:
    """Broadcast the gradient of a reduction over ``dims`` back to ``input_shape``."""
    if not keepdim:
        grad = grad.reshape(_keepdim_shape(input_shape, dims))
    return grad.expand(input_shape)


class Sum(Function):
    """out = sum of x over dims;  d out/dx = 1 (the gradient is broadcast back)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = x._data.shape, dims, keepdim
        return np.sum(x._data, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        return expand_reduced(grad, ctx.shape, ctx.dims, ctx.keepdim), None, None


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A001
    """Sum over ``dim`` (an int, a tuple, or ``None`` for all dimensions).

    Integer and bool inputs are summed as int64, as in PyTorch.

    Shape: ``(*)`` -> the input shape without ``dim`` (kept as size 1 with ``keepdim``).

    Example:
        >>> import gradwork
        >>> gradwork.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(dim=0)
        tensor([4., 6.])
    """
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu":
        input = input.to(_dtype.int64)
    dims = normalize_dims(dim, input._data.ndim, "sum")
    return Sum.apply(input, dims, keepdim)


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over ``dim`` (floating inputs only, as in PyTorch)."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"mean: could not infer output dtype; input dtype is {input.dtype}, "
            "expected a floating point tensor (pass dtype=gradwork.float32 or call .float())"
        )
    dims = normalize_dims(dim, input._data.ndim, "mean")
    count = 1
    for axis in dims:
        count *= input._data.shape[axis]
    with np.errstate(invalid="ignore", divide="ignore"):  # an empty mean is nan, as in PyTorch
        return Sum.apply(input, dims, keepdim) / count


def sum_to(grad: Tensor, shape: tuple) -> Tensor:
    """Sum ``grad`` down to ``shape``: the adjoint of broadcasting ``shape`` up to ``grad.shape``.

    Leading dimensions that broadcasting added are summed away; dimensions where ``shape`` has
    size 1 are summed with keepdim.
    """
    grad_shape = grad._data.shape
    if grad_shape == shape:
        return grad
    leading = len(grad_shape) - len(shape)
    dims = tuple(range(leading)) + tuple(
        leading + axis
        for axis, size in enumerate(shape)
        if size == 1 and grad_shape[leading + axis] != 1
    )
    summed = Sum.apply(grad, dims, True) if dims else grad
    return summed.reshape(shape)
