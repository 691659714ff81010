"""Checks at the public boundary of ops: one place that turns bad input into a clear message."""

from __future__ import annotations

import numbers

from gradwork.tensor import Tensor

__all__ = [
    "normalize_dim",
    "normalize_dims",
    "format_shape",
    "check_tensor",
    "check_floating",
    "check",
]


def format_shape(shape) -> str:
    """``(2, 3)`` for a shape, ``(3,)`` for one dimension, ``()`` for a scalar."""
    return str(tuple(int(size) for size in shape))


def check(condition: bool, op: str, message: str, error=RuntimeError) -> None:
    """Raise ``error("<op>: <message>")`` unless ``condition`` holds."""
    if not condition:
        raise error(f"{op}: {message}")


def check_floating(value, op: str, argument: str = "input") -> None:
    """Raise a TypeError unless ``value`` is a floating-point tensor."""
    if value._data.dtype.kind != "f":  # the message is built only on failure
        raise TypeError(f"{op}: expected a floating point {argument}, got {value.dtype}")


def check_tensor(value, op: str, argument: str = "input"):
    """Return ``value`` if it is a Tensor, else raise a TypeError naming the op and argument."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}: argument '{argument}' must be a Tensor, not {type(value).__name__}")
    return value


def normalize_dim(dim, ndim: int, op: str) -> int:
    """A dimension index in ``[0, ndim)`` from a possibly negative ``dim`` (0-d: 0 or -1)."""
    if not isinstance(dim, numbers.Integral):
        raise TypeError(f"{op}: dim must be an integer, got {type(dim).__name__}")
    bound = max(ndim, 1)
    if not -bound <= dim < bound:
        raise IndexError(
            f"{op}: dimension out of range (expected to be in range of [{-bound}, {bound - 1}], "
            f"but got {dim})"
        )
    return int(dim) % bound if ndim else 0


def normalize_dims(dim, ndim: int, op: str) -> tuple:
    """A sorted tuple of distinct dimensions; ``None`` or ``()`` means every dimension."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    if isinstance(dim, numbers.Integral):
        dim = (dim,)
    dims = tuple(sorted(normalize_dim(d, ndim, op) for d in dim))
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"{op}: dim {tuple(dim)} appears multiple times in the list of dims")
    return dims if ndim else ()
