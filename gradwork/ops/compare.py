"""Comparisons, sorting and selection. Comparisons give bool tensors and carry no gradient."""

from __future__ import annotations

import numpy as np

from gradwork.ops._util import format_shape
from gradwork.ops.elementwise import _array, operands
from gradwork.tensor import Tensor

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "equal", "allclose", "isclose"]


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
