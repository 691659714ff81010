"""Reductions over ``dim``/``keepdim``, and :func:`sum_to`, which undoes broadcasting in backward.

``dim`` is an int, a tuple of ints, or ``None`` for every dimension; ``keepdim=True`` keeps the
reduced dimensions with size 1. Each backward broadcasts the gradient back with
:func:`expand_reduced` and is written in gradwork ops, so it can be differentiated again.
"""

from __future__ import annotations

import builtins
import collections
import math
import numbers

import numpy as np

from gradwork import _backend, _dtype
from gradwork.autograd.function import Function
from gradwork.ops._util import check_tensor, format_shape, normalize_dim, normalize_dims
from gradwork.tensor import Tensor

__all__ = [
    "sum",
    "mean",
    "var",
    "std",
    "prod",
    "max",
    "min",
    "amax",
    "amin",
    "logsumexp",
    "cumsum",
    "norm",
    "argmax",
    "argmin",
    "all",
    "any",
    "sum_to",
]

# ``max``/``min`` with ``dim`` return (values, indices), like ``torch.return_types.max``.
_MaxResult = collections.namedtuple("max", ["values", "indices"])
_MinResult = collections.namedtuple("min", ["values", "indices"])


def _ops():
    """The ops package, looked up when called: elementwise imports this module at load time."""
    from gradwork import ops

    return ops


_BLAS_SUM_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_ONES_CACHED_MAX = 1 << 20  # elements: longer vectors of ones are made per call
_ones_cache: dict = {}  # dtype -> a read-only vector of ones, grown on demand


def _ones(count: int, dtype) -> np.ndarray:
    """A vector of ``count`` ones, a view of a cached one up to ``_ONES_CACHED_MAX`` elements
    (``np.ones`` costs as much as the small matrix-vector product it would feed)."""
    if count > _ONES_CACHED_MAX:
        return np.ones(count, dtype)
    ones = _ones_cache.get(dtype)
    if ones is None or ones.shape[0] < count:
        ones = np.ones(builtins.max(count, 1024), dtype)
        ones.flags.writeable = False
        _ones_cache[dtype] = ones
    return ones[:count]


def sum_last_axis(array: np.ndarray) -> np.ndarray:
    """``array.sum(-1, keepdims=True)`` for a float NumPy array, as a matrix-vector product with
    ones: one BLAS call, 2-6x faster than NumPy's reduction over rows of 10 to 512 elements
    (softmax, attention, layer norm), with the same accuracy (tested)."""
    if array.dtype not in _BLAS_SUM_DTYPES:
        return np.add.reduce(array, axis=-1, keepdims=True)
    return np.matmul(array, _ones(array.shape[-1], array.dtype))[..., None]


def sum_leading_axes(array: np.ndarray, count: int) -> np.ndarray:
    """``array.sum(tuple(range(count)))`` for a float NumPy array, as one vector-matrix product
    with ones (a bias gradient: 2-3x faster than NumPy's reduction at the shapes here)."""
    if array.dtype not in _BLAS_SUM_DTYPES:
        return np.add.reduce(array, axis=tuple(range(count)))
    rows, shape = math.prod(array.shape[:count]), array.shape[count:]
    total = np.matmul(_ones(rows, array.dtype), array.reshape(rows, math.prod(shape)))
    # a fresh array, not a view: as a leaf's gradient it is stored without a copy
    return total if total.shape == shape else total.reshape(shape)


def _keepdim_shape(shape: tuple, dims: tuple) -> tuple:
    """``shape`` with the reduced ``dims`` set to 1 (the shape of a keepdim result)."""
    return tuple(1 if axis in dims else size for axis, size in enumerate(shape))


def _count(shape: tuple, dims: tuple) -> int:
    """How many elements each reduction over ``dims`` combines."""
    return math.prod(shape[axis] for axis in dims)


def expand_reduced(grad: Tensor, input_shape: tuple, dims: tuple, keepdim: bool) -> Tensor:
    """Broadcast the gradient of a reduction over ``dims`` back to ``input_shape``."""
    if not keepdim:
        grad = grad.reshape(_keepdim_shape(input_shape, dims))
    return grad.expand(input_shape)


def _squeeze(array, dims: tuple, keepdim: bool):
    """A keepdim result without the reduced dimensions unless ``keepdim``."""
    return array if keepdim or not dims else np.squeeze(array, axis=dims)


def _require_floating(input: Tensor, op: str) -> None:
    check_tensor(input, op)
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"{op}: expected a floating point tensor, got dtype {input.dtype} "
            "(convert with .float() or .double())"
        )


def _require_nonempty(input: Tensor, dims: tuple, op: str) -> None:
    """Reductions without an identity (max, argmax, ...) refuse empty reduced dimensions."""
    shape = input._data.shape
    if input._data.size == 0 and len(dims) == len(shape) and shape:
        raise RuntimeError(
            f"{op}(): expected reduction dim to be specified for input.numel() == 0 "
            f"(input shape {format_shape(shape)}); specify it with the 'dim' argument"
        )
    for axis in dims:
        if shape[axis] == 0:
            raise IndexError(
                f"{op}(): expected reduction dim {axis} to have non-zero size "
                f"(input shape {format_shape(shape)})"
            )


# -- sum and mean -----------------------------------------------------------------------------
class Sum(Function):
    """out = sum of x over dims;  d out/dx = 1 (the gradient is broadcast back)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = x._data.shape, dims, keepdim
        return np.sum(x._data, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        return expand_reduced(grad, ctx.shape, ctx.dims, ctx.keepdim), None, None

    @staticmethod
    def fast_backward(ctx, grad):
        if not ctx.keepdim:
            grad = grad.reshape(_keepdim_shape(ctx.shape, ctx.dims))
        return np.broadcast_to(grad, ctx.shape), None, None


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A001
    """Sum over ``dim`` (an int, a tuple, or ``None`` for all dimensions).

    Integer and bool inputs are summed as int64, as in PyTorch.

    Args:
        input: the input tensor.
        dim: an int, a tuple of ints, or ``None`` for every dimension.
        keepdim: keep the reduced dimensions with size 1.
        dtype: cast the input to this dtype first.

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
    """Mean over ``dim`` (floating inputs only, as in PyTorch).

    Args:
        input: the input tensor.
        dim: an int, a tuple of ints, or ``None`` for every dimension.
        keepdim: keep the reduced dimensions with size 1.
        dtype: cast the input to this dtype first.

    Shape: ``(*)`` -> the input shape without ``dim`` (size 1 with ``keepdim``).

    Example:
        >>> import gradwork
        >>> gradwork.tensor([[1.0, 2.0], [3.0, 4.0]]).mean(dim=1)
        tensor([1.5, 3.5])
    """
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"mean: could not infer output dtype; input dtype is {input.dtype}, "
            "expected a floating point tensor (pass dtype=gradwork.float32 or call .float())"
        )
    dims = normalize_dims(dim, input._data.ndim, "mean")
    count = _count(input._data.shape, dims)
    with np.errstate(invalid="ignore", divide="ignore"):  # an empty mean is nan, as in PyTorch
        return Sum.apply(input, dims, keepdim) / count


def _broadcast_dims(grad_shape: tuple, shape: tuple) -> tuple:
    """The dimensions of ``grad_shape`` that broadcasting ``shape`` up to it added or stretched."""
    leading = len(grad_shape) - len(shape)
    return tuple(range(leading)) + tuple(
        leading + axis
        for axis, size in enumerate(shape)
        if size == 1 and grad_shape[leading + axis] != 1
    )


def sum_to_array(grad, shape: tuple):
    """:func:`sum_to` on a plain array (the first-order fast paths)."""
    if grad.shape == shape:
        return grad
    dims = _broadcast_dims(grad.shape, shape)
    if dims == tuple(range(len(dims))) and grad.dtype.kind == "f":  # a bias's: by BLAS
        total = sum_leading_axes(grad, len(dims))
        return total if total.shape == shape else total.reshape(shape)  # not a needless view
    return (np.sum(grad, axis=dims, keepdims=True) if dims else grad).reshape(shape)


def sum_to(grad: Tensor, shape: tuple) -> Tensor:
    """Sum ``grad`` down to ``shape``: the adjoint of broadcasting ``shape`` up to ``grad.shape``.

    Leading dimensions that broadcasting added are summed away; dimensions where ``shape`` has
    size 1 are summed with keepdim.

    Args:
        grad: the gradient of a broadcast result.
        shape: the shape before broadcasting.

    Shape: ``grad.shape`` -> ``shape``.

    Example:
        >>> import gradwork
        >>> gradwork.ops.reduce.sum_to(gradwork.ones(2, 3), (1, 3))
        tensor([[2., 2., 2.]])
    """
    grad_shape = grad._data.shape
    if grad_shape == shape:
        return grad
    dims = _broadcast_dims(grad_shape, shape)
    summed = Sum.apply(grad, dims, True) if dims else grad
    return summed.reshape(shape)


# -- variance and standard deviation ----------------------------------------------------------
def _correction(op: str, unbiased, correction) -> float:
    if unbiased is not None and correction is not None:
        raise RuntimeError(f"{op}: pass either 'unbiased' or 'correction', not both")
    if correction is not None:
        return correction
    return 0 if unbiased is False else 1


def _first_along(data, dims: tuple):
    """The first element of each slice over ``dims`` (keepdim shape), to shift the data by."""
    return data[tuple(slice(0, 1) if axis in dims else slice(None) for axis in range(data.ndim))]


def _centered(data, dims: tuple):
    """``data - mean(data)`` over ``dims``, shifted by a sample first: constant slices give exact
    zeros (so std there is exactly 0, as in PyTorch) and large offsets lose no digits."""
    shifted = data - _first_along(data, dims)
    with np.errstate(divide="ignore", invalid="ignore"):  # an empty slice has a nan mean
        return shifted - np.sum(shifted, axis=dims, keepdims=True) / _count(data.shape, dims)


def _variance(data, dims: tuple, keepdim: bool, dof: float):
    """Two-pass variance (mean first, then squared deviations): no cancellation."""
    centered = _centered(data, dims)
    with np.errstate(divide="ignore", invalid="ignore"):  # dof 0: inf or nan, as PyTorch
        return np.sum(centered * centered, axis=dims, keepdims=keepdim) / dof


def _variance_backward(grad_var: Tensor, x: Tensor, dims: tuple, keepdim: bool, dof: float):
    """d var/dx = 2 (x - mean(x)) / dof, times the incoming gradient."""
    grad_var = expand_reduced(grad_var, x._data.shape, dims, keepdim)
    shifted = x - Tensor._make(_first_along(x._data, dims))  # a constant shift, as in forward
    centered = shifted - mean(shifted, dims, keepdim=True)
    if dof > 0:
        return grad_var * centered * (2.0 / dof)
    with np.errstate(invalid="ignore"):  # no degrees of freedom: inf or nan, as in PyTorch
        return grad_var * centered * math.inf


class Var(Function):
    """out = sum((x - mean x)^2) / dof, dof = N - correction;  d out/dx = 2 (x - mean x) / dof."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, dof):
        ctx.save_for_backward(x)
        ctx.dims, ctx.keepdim, ctx.dof = dims, keepdim, dof
        return _variance(x._data, dims, keepdim, dof)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return _variance_backward(grad, x, ctx.dims, ctx.keepdim, ctx.dof), None, None, None


class Std(Function):
    """out = sqrt(var x);  d out/dx = (x - mean x) / ((N - correction) out), 0 where out = 0."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, dof):
        ctx.dims, ctx.keepdim, ctx.dof = dims, keepdim, dof
        out = Tensor._make(np.sqrt(_variance(x._data, dims, keepdim, dof)))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        zero = out == 0  # a constant input: PyTorch's gradient there is 0, not nan
        grad_var = _ops().elementwise.where(
            zero, 0.0, grad / _ops().elementwise.where(zero, 1.0, out * 2)
        )
        return _variance_backward(grad_var, x, ctx.dims, ctx.keepdim, ctx.dof), None, None, None


def _var_arguments(op: str, input, dim, unbiased, correction):
    _require_floating(input, op)
    if isinstance(dim, bool):  # var(x, False): PyTorch's overload with ``unbiased`` first
        dim, unbiased = None, dim
    dims = normalize_dims(dim, input._data.ndim, op)
    count = _count(input._data.shape, dims)
    return dims, builtins.max(count - _correction(op, unbiased, correction), 0)


def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Variance ``sum((x - mean x)^2) / (N - correction)`` over ``dim``.

    ``d var/dx = 2 (x - mean x) / (N - correction)``. ``correction`` defaults to 1 (Bessel's
    correction); ``unbiased=False`` means ``correction=0``. When ``N - correction <= 0`` the
    result is ``inf`` or ``nan``, as in PyTorch.

    Args:
        input: a floating tensor.
        dim: an int, a tuple, or ``None`` for every dimension.
        unbiased: the old name for ``correction`` 1 (True) or 0 (False).
        keepdim: keep the reduced dimensions with size 1.
        correction: subtracted from the count ``N`` in the denominator.

    Shape: ``(*)`` -> the input shape without ``dim``.

    Example:
        >>> import gradwork
        >>> gradwork.var(gradwork.tensor([1.0, 2.0, 3.0, 4.0]))
        tensor(1.6667)
    """
    dims, dof = _var_arguments("var", input, dim, unbiased, correction)
    return Var.apply(input, dims, keepdim, dof)


def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """Standard deviation ``sqrt(var(x))`` over ``dim`` (same arguments as :func:`var`).

    ``d std/dx = (x - mean x) / ((N - correction) std)``, and 0 where ``std == 0`` (PyTorch's
    choice for constant inputs, where the derivative is undefined).

    Shape: ``(*)`` -> the input shape without ``dim`` (size 1 with ``keepdim``).

    Example:
        >>> import gradwork
        >>> gradwork.std(gradwork.tensor([[1.0, 3.0], [2.0, 2.0]]), dim=1)
        tensor([1.4142, 0.    ])
    """
    dims, dof = _var_arguments("std", input, dim, unbiased, correction)
    return Std.apply(input, dims, keepdim, dof)


# -- product ----------------------------------------------------------------------------------
class Prod(Function):
    """out = prod of x over dims;  d out/dx_i = prod of the other elements (zeros handled)."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.dims, ctx.keepdim = dims, keepdim
        out = Tensor._make(np.prod(x._data, axis=dims, keepdims=keepdim))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        shape, dims, keepdim = x._data.shape, ctx.dims, ctx.keepdim
        others = _product_of_others(x, expand_reduced(out, shape, dims, keepdim), dims)
        return expand_reduced(grad, shape, dims, keepdim) * others, None, None


def _product_of_others(x: Tensor, product: Tensor, dims: tuple) -> Tensor:
    """For each element, the product of the other elements of its slice over ``dims``.

    Without zeros that is ``product / x``. With zeros, ``product / x`` is 0/0, so the product of
    the nonzero elements is taken instead and multiplied by the zeros that remain: one zero
    leaves only its own element a nonzero gradient; two or more leave none. The remaining zeros
    enter as tensors (``zero_sum`` is their sum, which is 0 but carries their gradient), so the
    result is also correctly differentiable: second derivatives are right with up to two zeros.
    """
    where = _ops().elementwise.where
    zeros = x._data == 0
    if not zeros.any():
        return product / x
    count = np.sum(zeros, axis=dims, keepdims=True)
    is_zero = Tensor._make(zeros)
    safe = where(is_zero, 1.0, x)
    nonzero_product = Prod.apply(safe, dims, True)
    zero_sum = Sum.apply(where(is_zero, x, 0.0), dims, True)
    others_nonzero = where(is_zero, nonzero_product, nonzero_product / safe)
    # the zeros of the slice other than the element itself: none, one (zero_sum or
    # zero_sum - x_i), or at least two (a product that is 0 with zero first derivative)
    one = where(is_zero, 1.0, zero_sum)
    two = where(is_zero, zero_sum - x, 0.0)
    remaining = where(Tensor._make(count == 1), one, where(Tensor._make(count == 2), two, 0.0))
    no_zero = Tensor._make(np.broadcast_to(count == 0, x._data.shape))
    return where(no_zero, others_nonzero, others_nonzero * remaining)


def prod(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product of the elements over ``dim`` (an int, or ``None`` for every element).

    ``d prod/dx_i`` is the product of the other elements, correct when the input holds zeros
    (one zero: only that element gets a gradient; two or more: none). Integer and bool inputs
    multiply as int64, as in PyTorch.

    Args:
        input: the tensor.
        dim: the dimension to reduce, or ``None`` for all.
        keepdim: keep the reduced dimension with size 1.
        dtype: cast the input to this dtype first.

    Shape: ``(*)`` -> the input shape without ``dim`` (size 1 with ``keepdim``).

    Example:
        >>> import gradwork
        >>> x = gradwork.tensor([2.0, 0.0, 3.0], requires_grad=True)
        >>> x.prod().backward()
        >>> x.grad
        tensor([0., 6., 0.])
    """
    check_tensor(input, "prod")
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu":
        input = input.to(_dtype.int64)
    dims = normalize_dims(dim, input._data.ndim, "prod")
    return Prod.apply(input, dims, keepdim)


# -- extrema ----------------------------------------------------------------------------------
class _Extremum(Function):
    """out = max (or min) over dims;  the gradient is split evenly among the tied extrema."""

    reduce = None

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.dims, ctx.keepdim = dims, keepdim
        out = Tensor._make(type(ctx).reduce(x._data, axis=dims, keepdims=keepdim))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        shape, dims, keepdim = x._data.shape, ctx.dims, ctx.keepdim
        data = x._data
        extremum = out._data if keepdim else np.expand_dims(out._data, dims)
        # nan is the extremum where present (it propagates), so it takes the gradient
        chosen = (data == extremum) | (np.isnan(data) & np.isnan(extremum))
        ties = np.sum(chosen, axis=dims, keepdims=True).astype(data.dtype)
        share = expand_reduced(grad, shape, dims, keepdim) / Tensor._make(ties)
        return _ops().elementwise.where(Tensor._make(chosen), share, 0.0), None, None


class Amax(_Extremum):
    """out = max of x over dims;  d out/dx = 1/(number of maxima) at each maximum, else 0."""

    reduce = staticmethod(np.max)


class Amin(_Extremum):
    """out = min of x over dims;  d out/dx = 1/(number of minima) at each minimum, else 0."""

    reduce = staticmethod(np.min)


class _TakeAlong(Function):
    """out = x at ``index`` along ``dim``;  the gradient goes to that one position."""

    @staticmethod
    def forward(ctx, x, dim, index, keepdim):
        ctx.shape, ctx.dim, ctx.index, ctx.keepdim = x._data.shape, dim, index, keepdim
        values = np.take_along_axis(x._data, index, axis=dim)
        return values if keepdim else np.squeeze(values, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        shape, dim, index = ctx.shape, ctx.dim, ctx.index
        arange = _backend.namespace_of(index).arange
        positions = arange(shape[dim]).reshape((-1,) + (1,) * (len(shape) - dim - 1))
        chosen = Tensor._make(positions == index)
        grad = expand_reduced(grad, shape, (dim,), ctx.keepdim)
        return _ops().elementwise.where(chosen, grad, 0.0), None, None, None


class MaxDim(_TakeAlong):
    """out = max of x along dim (and its index);  the gradient goes to the argmax."""


class MinDim(_TakeAlong):
    """out = min of x along dim (and its index);  the gradient goes to the argmin."""


def _extremum_along(op: str, function, arg, result, input, dim, keepdim):
    data = input._data
    if data.ndim == 0:
        normalize_dim(dim, 0, op)
        return result(input.clone(), Tensor._make(np.zeros((), np.int64)))
    axis = normalize_dim(dim, data.ndim, op)
    _require_nonempty(input, (axis,), op)
    index = np.expand_dims(arg(data, axis=axis), axis).astype(np.int64, copy=False)
    values = function.apply(input, axis, index, keepdim)
    indices = index if keepdim else np.squeeze(index, axis=axis)
    return result(values, Tensor._make(indices))


def max(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A001 - PyTorch's name
    """The largest element (no ``dim``), or ``(values, indices)`` along ``dim``.

    Without ``dim`` the gradient is split evenly among tied maxima (as :func:`amax`); with ``dim``
    it goes to the position in ``indices`` (the first maximum). ``max(input, other_tensor)`` is
    :func:`gradwork.maximum`. nan propagates.

    Args:
        input: the tensor.
        dim: the dimension to reduce; without it, the maximum of all elements.
        keepdim: keep the reduced dimension with size 1.

    Returns:
        A tensor, or with ``dim`` a named tuple ``(values, indices)``.

    Shape: ``(*)`` -> the input shape without ``dim`` (size 1 with ``keepdim``).

    Example:
        >>> import gradwork
        >>> x = gradwork.tensor([[1.0, 5.0], [7.0, 2.0]])
        >>> x.max()
        tensor(7.)
        >>> x.max(dim=1).indices
        tensor([1, 0])
    """
    check_tensor(input, "max")
    if isinstance(dim, Tensor):
        return _ops().elementwise.maximum(input, dim)
    if dim is None:
        return _extremum_all("max", Amax, input, None, keepdim)
    return _extremum_along("max", MaxDim, np.argmax, _MaxResult, input, dim, keepdim)


def min(input: Tensor, dim=None, keepdim: bool = False):  # noqa: A001 - PyTorch's name
    """The smallest element (no ``dim``), or ``(values, indices)`` along ``dim``.

    Gradients as for :func:`max`; ``min(input, other_tensor)`` is :func:`gradwork.minimum`.

    Args:
        input: the input tensor.
        dim: the dimension to reduce; without it, the minimum of all elements.
        keepdim: keep the reduced dimension with size 1.

    Shape: ``(*)`` -> the input shape without ``dim`` (size 1 with ``keepdim``).

    Example:
        >>> import gradwork
        >>> values, indices = gradwork.tensor([[1.0, 5.0], [7.0, 2.0]]).min(dim=0)
        >>> values, indices
        (tensor([1., 2.]), tensor([0, 1]))
    """
    check_tensor(input, "min")
    if isinstance(dim, Tensor):
        return _ops().elementwise.minimum(input, dim)
    if dim is None:
        return _extremum_all("min", Amin, input, None, keepdim)
    return _extremum_along("min", MinDim, np.argmin, _MinResult, input, dim, keepdim)


def _extremum_all(op: str, function, input: Tensor, dim, keepdim: bool) -> Tensor:
    check_tensor(input, op)
    dims = normalize_dims(dim, input._data.ndim, op)
    _require_nonempty(input, dims, op)
    return function.apply(input, dims, keepdim)


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """The maximum over ``dim`` (``()`` or ``None``: every dimension).

    ``d amax/dx = 1/k`` at each of the ``k`` tied maxima and 0 elsewhere (as PyTorch).

    Args:
        input: the input tensor.
        dim: an int, a tuple of ints, or ``None`` for every dimension.
        keepdim: keep the reduced dimensions with size 1.

    Shape: ``(*)`` -> the input shape without ``dim`` (size 1 with ``keepdim``).

    Example:
        >>> import gradwork
        >>> x = gradwork.tensor([3.0, 1.0, 3.0], requires_grad=True)
        >>> x.amax().backward()
        >>> x.grad
        tensor([0.5, 0. , 0.5])
    """
    return _extremum_all("amax", Amax, input, dim, keepdim)


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """The minimum over ``dim`` (``()`` or ``None``: every dimension); ties share the gradient.

    Args:
        input: the input tensor.
        dim: an int, a tuple of ints, or ``None`` for every dimension.
        keepdim: keep the reduced dimensions with size 1.

    Shape: ``(*)`` -> the input shape without ``dim`` (size 1 with ``keepdim``).

    Example:
        >>> import gradwork
        >>> gradwork.amin(gradwork.tensor([[3.0, 1.0], [0.0, 4.0]]), dim=1)
        tensor([1., 0.])
    """
    return _extremum_all("amin", Amin, input, dim, keepdim)


def _arg_extremum(op: str, function, input: Tensor, dim, keepdim: bool) -> Tensor:
    check_tensor(input, op)
    data = input._data
    if dim is None:
        _require_nonempty(input, tuple(range(data.ndim)), op)
        index = _backend.namespace_of(data).asarray(function(data), np.int64)
        return Tensor._make(index.reshape((1,) * data.ndim) if keepdim else index)
    axis = normalize_dim(dim, data.ndim, op)
    if data.ndim == 0:
        return Tensor._make(np.zeros((), np.int64))
    _require_nonempty(input, (axis,), op)
    index = function(data, axis=axis, keepdims=keepdim)
    return Tensor._make(_backend.namespace_of(data).asarray(index, np.int64))


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """The index of the (first) maximum, of the flattened input or along ``dim``; int64.

    Args:
        input: the input tensor.
        dim: the dimension to reduce, or ``None`` for the flattened input.
        keepdim: keep the reduced dimension(s) with size 1.

    Shape: ``(*)`` -> the input shape without ``dim`` (size 1 with ``keepdim``).

    Example:
        >>> import gradwork
        >>> gradwork.argmax(gradwork.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=1)
        tensor([1, 0])
    """
    return _arg_extremum("argmax", np.argmax, input, dim, keepdim)


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """The index of the (first) minimum, of the flattened input or along ``dim``; int64.

    Args:
        input: the input tensor.
        dim: the dimension to reduce, or ``None`` for the flattened input.
        keepdim: keep the reduced dimension(s) with size 1.

    Shape: ``(*)`` -> the input shape without ``dim`` (size 1 with ``keepdim``).

    Example:
        >>> import gradwork
        >>> gradwork.argmin(gradwork.tensor([[1.0, 5.0], [7.0, 2.0]]))
        tensor(0)
    """
    return _arg_extremum("argmin", np.argmin, input, dim, keepdim)


# -- log-sum-exp and cumulative sum -----------------------------------------------------------
class LogSumExp(Function):
    """out = log sum exp(x) over dims;  d out/dx = exp(x - out) (the softmax).

    Fused for stability: the maximum is subtracted before exp, so 1e4 does not overflow.
    """

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.dims, ctx.keepdim = dims, keepdim
        data = x._data
        shift = np.max(data, axis=dims, keepdims=True, initial=-np.inf)
        # rows of -inf (and +inf) shift by 0: -inf - -inf would be nan
        shift = np.where(np.isfinite(shift), shift, 0)
        with np.errstate(divide="ignore", over="ignore"):  # log 0 = -inf for all -inf rows
            out = np.log(np.sum(np.exp(data - shift), axis=dims, keepdims=True)) + shift
        out = Tensor._make(_squeeze(out, dims, keepdim))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        shape, dims, keepdim = x._data.shape, ctx.dims, ctx.keepdim
        where = _ops().elementwise.where
        # a row of -inf has no softmax; its gradient is 0 (PyTorch gives nan there)
        out = where(out == -math.inf, 0.0, out)
        softmax = (x - expand_reduced(out, shape, dims, keepdim)).exp()
        return expand_reduced(grad, shape, dims, keepdim) * softmax, None, None


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(input)))`` over ``dim``, computed stably (no overflow, -inf rows give -inf).

    ``d logsumexp/dx = softmax(x)`` along ``dim``. Integer inputs become the default float dtype.

    Args:
        input: the tensor.
        dim: an int or a tuple of ints (``()`` or ``None``: every dimension).
        keepdim: keep the reduced dimensions with size 1.

    Shape: ``(*)`` -> the input shape without ``dim`` (size 1 with ``keepdim``).

    Example:
        >>> import gradwork
        >>> gradwork.logsumexp(gradwork.tensor([[1e4, 1e4], [0.0, float("-inf")]]), dim=1)
        tensor([10000.693,     0.   ])
    """
    check_tensor(input, "logsumexp")
    if input._data.dtype.kind != "f":
        input = input.to(_dtype.get_default_dtype())
    dims = normalize_dims(dim, input._data.ndim, "logsumexp")
    return LogSumExp.apply(input, dims, keepdim)


def _cumsum_array(data, dim: int, reverse: bool):
    if data.ndim == 0:
        return data.copy()
    if reverse:
        return np.flip(np.cumsum(np.flip(data, dim), axis=dim), dim)
    return np.cumsum(data, axis=dim)


class Cumsum(Function):
    """out_i = sum_{j <= i} x_j along dim;  the gradient is the reversed cumulative sum."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return _cumsum_array(x._data, dim, reverse=False)

    @staticmethod
    def backward(ctx, grad):
        return ReverseCumsum.apply(grad, ctx.dim), None


class ReverseCumsum(Function):
    """out_i = sum_{j >= i} x_j along dim (cumsum's adjoint);  the gradient is the cumsum."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return _cumsum_array(x._data, dim, reverse=True)

    @staticmethod
    def backward(ctx, grad):
        return Cumsum.apply(grad, ctx.dim), None


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Cumulative sum along ``dim``: ``out_i = x_0 + ... + x_i``.

    ``d out_i/dx_j = [j <= i]``, so the gradient is the reversed cumulative sum of the output
    gradient. Integer and bool inputs accumulate as int64, as in PyTorch.

    Args:
        input: the input tensor.
        dim: the dimension to accumulate along.
        dtype: cast the input to this dtype first.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.cumsum(gradwork.tensor([[1, 2, 3], [4, 5, 6]]), dim=1)
        tensor([[ 1,  3,  6],
                [ 4,  9, 15]])
    """
    check_tensor(input, "cumsum")
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu":
        input = input.to(_dtype.int64)
    return Cumsum.apply(input, normalize_dim(dim, input._data.ndim, "cumsum"))


# -- norms ------------------------------------------------------------------------------------
class Norm(Function):
    """out = (sum |x|^p)^(1/p) over dims;  d out/dx = sign(x) |x|^(p-1) / out^(p-1).

    A primitive rather than a composite so that the gradient at a zero vector is 0, not nan
    (sqrt'(0) is infinite), following PyTorch's norm_backward case by case.
    """

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        ctx.p, ctx.dims, ctx.keepdim = p, dims, keepdim
        data = x._data
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            if p == 2:
                value = np.sqrt(np.sum(data * data, axis=dims, keepdims=keepdim))
            elif p == 1:
                value = np.sum(np.abs(data), axis=dims, keepdims=keepdim)
            elif p == math.inf:
                value = np.max(np.abs(data), axis=dims, keepdims=keepdim)
            elif p == -math.inf:
                value = np.min(np.abs(data), axis=dims, keepdims=keepdim)
            elif p == 0:
                value = np.sum(data != 0, axis=dims, keepdims=keepdim).astype(data.dtype)
            else:
                powered = np.sum(np.abs(data) ** p, axis=dims, keepdims=keepdim)
                value = powered ** (1.0 / p)
        out = Tensor._make(_backend.namespace_of(data).asarray(value, data.dtype))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        p, dims, keepdim, shape = ctx.p, ctx.dims, ctx.keepdim, x._data.shape
        elementwise = _ops().elementwise
        where, sign = elementwise.where, elementwise.sign
        grad = expand_reduced(grad, shape, dims, keepdim)
        out = expand_reduced(out, shape, dims, keepdim)
        zero_norm = out == 0
        if p == 0:
            return grad * 0.0, None, None, None
        if p == 1:
            return grad * sign(x), None, None, None
        if p == 2:
            return grad * where(zero_norm, 0.0, x / where(zero_norm, 1.0, out)), None, None, None
        if math.isinf(p):
            absolute = x.abs()
            chosen = (absolute == out) | absolute.isnan()
            ties = Sum.apply(chosen.to(x.dtype), dims, True)
            return sign(x) * where(chosen, grad / ties, 0.0), None, None, None
        if p < 1:
            # |x|^(p-1) is infinite at 0, where PyTorch sets the gradient to 0
            zero = x == 0
            scaled = sign(x) * where(zero, 0.0, where(zero, 1.0, x.abs()) ** (p - 1))
            return scaled * grad * out ** (1 - p), None, None, None
        scaled = sign(x) * x.abs() ** (p - 1) if p < 2 else x * x.abs() ** (p - 2)
        scale = where(zero_norm, 0.0, grad / where(zero_norm, 1.0, out) ** (p - 1))
        return scaled * scale, None, None, None


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False) -> Tensor:
    """Vector p-norm ``(sum |x|^p)^(1/p)`` over ``dim`` (all elements when ``dim`` is None).

    ``p``: ``"fro"`` or 2 (Euclidean/Frobenius), 1, ``inf`` (max ``|x|``), ``-inf`` (min
    ``|x|``), 0 (count of nonzeros) or any other number. ``d ||x||_p/dx =
    sign(x) |x|^(p-1) / ||x||_p^(p-1)``; at a zero vector the gradient is 0 (not nan), as in
    PyTorch. The nuclear norm (``"nuc"``) is not supported.

    Args:
        input: a floating tensor.
        p: the order of the norm.
        dim: an int, a tuple of ints, or ``None``.
        keepdim: keep the reduced dimensions with size 1.

    Shape: ``(*)`` -> the input shape without ``dim`` (size 1 with ``keepdim``).

    Example:
        >>> import gradwork
        >>> gradwork.norm(gradwork.tensor([3.0, -4.0]))
        tensor(5.)
        >>> gradwork.norm(gradwork.tensor([3.0, -4.0]), p=1)
        tensor(7.)
    """
    _require_floating(input, "norm")
    if isinstance(p, str):
        if p != "fro":
            raise RuntimeError(
                f"norm: p={p!r} is not supported; use 'fro' or a number (1, 2, inf, -inf, 0, ...)"
            )
        if dim is not None and not isinstance(dim, numbers.Integral) and len(dim) > 2:
            raise RuntimeError(
                f"norm: the Frobenius norm takes at most 2 dims, got dim={tuple(dim)}"
            )
        p = 2
    if not isinstance(p, numbers.Real):
        raise TypeError(f"norm: p must be a number or 'fro', got {type(p).__name__}")
    dims = normalize_dims(dim, input._data.ndim, "norm")
    if math.isinf(p) and builtins.any(input._data.shape[axis] == 0 for axis in dims):
        raise RuntimeError(
            f"norm: the {p} norm over an empty dimension is undefined (max and min have no "
            f"identity); input shape {format_shape(input._data.shape)}, dim {dim}"
        )
    return Norm.apply(input, float(p), dims, keepdim)


# -- boolean reductions -----------------------------------------------------------------------
def _boolean_reduction(op: str, function, input: Tensor, dim, keepdim: bool) -> Tensor:
    check_tensor(input, op)
    dims = normalize_dims(dim, input._data.ndim, op)
    data = input._data
    result = _backend.namespace_of(data).asarray(function(data, axis=dims, keepdims=keepdim))
    if input._data.dtype == np.uint8:  # PyTorch keeps uint8 for uint8 inputs
        result = result.astype(np.uint8)
    return Tensor._make(result)


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True where every element over ``dim`` is nonzero; a bool tensor (uint8 for uint8).

    Args:
        input: the input tensor.
        dim: an int, a tuple of ints, or ``None`` for every dimension.
        keepdim: keep the reduced dimensions with size 1.

    Shape: ``(*)`` -> the input shape without ``dim`` (size 1 with ``keepdim``).

    Example:
        >>> import gradwork
        >>> gradwork.all(gradwork.tensor([[1.0, 0.0], [2.0, 3.0]]), dim=1)
        tensor([False,  True])
    """
    return _boolean_reduction("all", np.all, input, dim, keepdim)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True where some element over ``dim`` is nonzero; a bool tensor (uint8 for uint8).

    Args:
        input: the input tensor.
        dim: an int, a tuple of ints, or ``None`` for every dimension.
        keepdim: keep the reduced dimensions with size 1.

    Shape: ``(*)`` -> the input shape without ``dim`` (size 1 with ``keepdim``).

    Example:
        >>> import gradwork
        >>> gradwork.any(gradwork.tensor([[1.0, 0.0], [0.0, 0.0]]), dim=1)
        tensor([ True, False])
    """
    return _boolean_reduction("any", np.any, input, dim, keepdim)
