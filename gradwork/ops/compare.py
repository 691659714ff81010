"""Comparisons, sorting and selection.

Comparisons give bool tensors and carry no gradient. Sorting and selection (``sort``, ``topk``,
``kthvalue``) return values and int64 indices; the values are a ``gather`` of the input at the
indices, so their gradient is scattered back to the chosen positions, and the indices carry none.
"""

from __future__ import annotations

import numbers
from collections import namedtuple

import numpy as np

from gradwork.ops import indexing
from gradwork.ops._util import check, check_tensor, format_shape, normalize_dim
from gradwork.ops.elementwise import _array, operands
from gradwork.tensor import Tensor

__all__ = [
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "equal",
    "allclose",
    "isclose",
    "sort",
    "argsort",
    "msort",
    "topk",
    "kthvalue",
]


def _compare(op: str, ufunc, input, other) -> Tensor:
    a, b = operands(op, input, other)
    try:
        return Tensor._make(np.asarray(ufunc(_array(a), _array(b))))
    except ValueError:
        raise RuntimeError(
            f"{op}: shapes {format_shape(np.shape(_array(a)))} and "
            f"{format_shape(np.shape(_array(b)))} are not broadcastable"
        ) from None


def eq(input, other) -> Tensor:
    """``input == other``, elementwise, as a bool tensor."""
    if other is None:
        return False
    return _compare("eq", np.equal, input, other)


def ne(input, other) -> Tensor:
    """``input != other``, elementwise."""
    if other is None:
        return True
    return _compare("ne", np.not_equal, input, other)


def lt(input, other) -> Tensor:
    """``input < other``, elementwise."""
    return _compare("lt", np.less, input, other)


def le(input, other) -> Tensor:
    """``input <= other``, elementwise."""
    return _compare("le", np.less_equal, input, other)


def gt(input, other) -> Tensor:
    """``input > other``, elementwise."""
    return _compare("gt", np.greater, input, other)


def ge(input, other) -> Tensor:
    """``input >= other``, elementwise."""
    return _compare("ge", np.greater_equal, input, other)


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both tensors have the same shape and elements."""
    return input.shape == other.shape and bool(np.array_equal(input._data, other._data))


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """``|input - other| <= atol + rtol * |other|``, elementwise."""
    return Tensor._make(np.isclose(_array(input), _array(other), rtol, atol, equal_nan))


def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """True when every element is close (see :func:`isclose`)."""
    return bool(np.allclose(_array(input), _array(other), rtol, atol, equal_nan))


# -- sorting and selection ------------------------------------------------------------------------
# PyTorch's named tuples (torch.return_types.sort, ...): fields ``values`` and ``indices``.
SortResult = namedtuple("sort", ("values", "indices"))
TopkResult = namedtuple("topk", ("values", "indices"))
KthvalueResult = namedtuple("kthvalue", ("values", "indices"))


def _argsort_array(array: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable argsort along ``axis`` as int64; NaN counts as the largest value, as in PyTorch.

    Descending order sorts the reversed array ascending and reverses back, which keeps equal
    elements in their original order and puts NaN first, without negating (unsafe for ints).
    """
    if not descending:
        return np.argsort(array, axis=axis, kind="stable").astype(np.int64, copy=False)
    last = array.shape[axis] - 1
    order = np.argsort(np.flip(array, axis), axis=axis, kind="stable")
    return (last - np.flip(order, axis)).astype(np.int64, copy=False)


def _take(input: Tensor, dim: int, indices: np.ndarray) -> Tensor:
    """``input`` gathered at ``indices`` along ``dim``: differentiable only when it must be."""
    index = Tensor._make(indices)
    if input.requires_grad:
        return indexing.gather(input, dim, index)
    return Tensor._make(np.take_along_axis(input._data, indices, axis=dim))


def _prepare(op: str, input: Tensor, dim) -> tuple:
    """The input (0-d viewed as 1-d, as the sort kernels need an axis) and the dimension."""
    check_tensor(input, op)
    dim = normalize_dim(dim, input.ndim, op)
    return (input.reshape((1,)) if input.ndim == 0 else input), dim


def _restore(op_result: tuple, scalar: bool, result_type):
    values, indices = op_result
    if scalar:
        values, indices = values.reshape(()), indices.reshape(())
    return result_type(values, indices)


def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False):
    """Sort along ``dim``: ``(values, indices)`` with ``values = input.gather(dim, indices)``.

    The sort is always stable (a valid answer when ``stable=False`` too); NaN sorts as the
    largest value. Gradients flow from ``values`` back to the positions they came from.

    Args:
        input: tensor to sort.
        dim: dimension to sort along.
        descending: largest first.
        stable: accepted for PyTorch compatibility; the order of equal elements is always kept.

    Shape: ``(*)`` -> values and int64 indices, both ``(*)``.

    Example:
        >>> import gradwork
        >>> gradwork.sort(gradwork.tensor([3.0, 1.0, 2.0]), descending=True)
        sort(values=tensor([3., 2., 1.]), indices=tensor([0, 2, 1]))
    """
    scalar = input.ndim == 0 if isinstance(input, Tensor) else False
    input, dim = _prepare("sort", input, dim)
    indices = _argsort_array(input._data, dim, descending)
    return _restore((_take(input, dim, indices), Tensor._make(indices)), scalar, SortResult)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False):
    """The int64 indices that sort ``input`` along ``dim`` (see :func:`sort`).

    Example:
        >>> import gradwork
        >>> gradwork.argsort(gradwork.tensor([3.0, 1.0, 2.0]))
        tensor([1, 2, 0])
    """
    return sort(input, dim, descending, stable=stable).indices


def msort(input: Tensor) -> Tensor:
    """``input`` sorted along its first dimension (the values of ``sort(input, dim=0)``).

    Example:
        >>> import gradwork
        >>> gradwork.msort(gradwork.tensor([[2.0, 0.0], [1.0, 3.0]]))
        tensor([[1., 0.],
                [2., 3.]])
    """
    return sort(input, 0).values


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The ``k`` largest (or smallest) elements along ``dim``: returns ``(values, indices)``.

    Values come largest first (smallest first when ``largest=False``), also when
    ``sorted=False``; NaN counts as the largest value. Gradients flow from ``values`` to the
    chosen positions.

    Args:
        input: tensor to select from.
        k: how many elements, ``0 <= k <= input.size(dim)``.
        dim: dimension to select along.
        largest: pick the largest (else the smallest) elements.
        sorted: accepted for PyTorch compatibility; the result is always sorted.

    Shape: ``(*, n, *)`` -> values and int64 indices of shape ``(*, k, *)``.

    Example:
        >>> import gradwork
        >>> gradwork.topk(gradwork.tensor([1.0, 4.0, 2.0, 3.0]), 2)
        topk(values=tensor([4., 3.]), indices=tensor([1, 3]))
    """
    op = "topk"
    scalar = input.ndim == 0 if isinstance(input, Tensor) else False
    input, dim = _prepare(op, input, dim)
    check(
        isinstance(k, numbers.Integral) and 0 <= k <= input.shape[dim],
        op,
        f"k ({k}) is out of range: dimension {dim} of input of shape "
        f"{format_shape(input.shape)} has {input.shape[dim]} elements",
        IndexError if isinstance(k, numbers.Integral) else TypeError,
    )
    order = _argsort_array(input._data, dim, descending=largest)
    indices = np.ascontiguousarray(np.take(order, np.arange(k), axis=dim))
    return _restore((_take(input, dim, indices), Tensor._make(indices)), scalar, TopkResult)


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """The ``k``-th smallest element (1-based) along ``dim``: returns ``(values, indices)``.

    Args:
        input: tensor to select from.
        k: rank, ``1 <= k <= input.size(dim)``.
        dim: dimension to select along.
        keepdim: keep ``dim`` as a dimension of size 1.

    Shape: ``(*, n, *)`` -> values and int64 indices of shape ``(*, *)`` (``(*, 1, *)`` with
    ``keepdim``).

    Example:
        >>> import gradwork
        >>> gradwork.kthvalue(gradwork.tensor([3.0, 1.0, 2.0]), 2)
        kthvalue(values=tensor(2.), indices=tensor(2))
    """
    op = "kthvalue"
    scalar = input.ndim == 0 if isinstance(input, Tensor) else False
    input, dim = _prepare(op, input, dim)
    check(
        isinstance(k, numbers.Integral) and 1 <= k <= input.shape[dim],
        op,
        f"k ({k}) is out of range: dimension {dim} of input of shape "
        f"{format_shape(input.shape)} has {input.shape[dim]} elements (k counts from 1)",
        IndexError if isinstance(k, numbers.Integral) else TypeError,
    )
    order = _argsort_array(input._data, dim, descending=False)
    indices = np.take(order, [k - 1], axis=dim)
    values, indices = _take(input, dim, indices), Tensor._make(indices)
    if not keepdim and not scalar:
        shape = input.shape[:dim] + input.shape[dim + 1 :]
        values, indices = values.reshape(shape), indices.reshape(shape)
    return _restore((values, indices), scalar, KthvalueResult)
