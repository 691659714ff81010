"""Data types with PyTorch's names, and PyTorch's type-promotion rules.

NumPy and PyTorch promote differently (``int64 + float32`` is ``float64`` in NumPy, ``float32`` in
PyTorch; a 0-d ``float64`` tensor does not upcast a ``float32`` matrix in PyTorch). gradwork follows
PyTorch, because users port PyTorch code.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "dtype",
    "float16",
    "float32",
    "float64",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "bool",
    "get_default_dtype",
    "set_default_dtype",
    "promote_types",
]

_BOOL, _INT, _FLOAT = 0, 1, 2
_py_bool = bool  # the builtin, before ``bool`` below takes PyTorch's meaning


class dtype:
    """A tensor element type, e.g. ``gradwork.float32``; ``.numpy`` is the NumPy dtype."""

    __slots__ = ("name", "numpy", "is_floating_point", "is_signed", "itemsize", "_category")

    def __init__(self, name: str, numpy_dtype) -> None:
        self.name = name
        self.numpy = np.dtype(numpy_dtype)
        kind = self.numpy.kind
        self._category = _FLOAT if kind == "f" else _BOOL if kind == "b" else _INT
        self.is_floating_point = kind == "f"
        self.is_signed = kind in "fi"
        self.itemsize = self.numpy.itemsize

    def __repr__(self) -> str:
        return f"gradwork.{self.name}"

    def __reduce__(self):
        return (_from_name, (self.name,))


float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
bool = dtype("bool", np.bool_)  # noqa: A001 - PyTorch's name

_ALL = (float16, float32, float64, uint8, int8, int16, int32, int64, bool)
_BY_NUMPY = {d.numpy: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
_ALIASES = {"half": float16, "float": float32, "double": float64, "int": int32, "long": int64}

_default_float = float32


def _from_name(name: str) -> dtype:
    return _BY_NAME[name]


def get_default_dtype() -> dtype:
    """The floating dtype of Python floats and of ``randn``/``zeros`` (float32 unless set)."""
    return _default_float


def set_default_dtype(d: dtype) -> None:
    """Set the default floating dtype (float32 or float64), as ``torch.set_default_dtype``."""
    global _default_float
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {d}")
    _default_float = d


def as_dtype(value) -> dtype:
    """Turn a gradwork dtype, a NumPy dtype, a name or a Python type into a gradwork dtype."""
    if isinstance(value, dtype):
        return value
    if isinstance(value, str) and value in _ALIASES:
        return _ALIASES[value]
    if value is float:
        return _default_float
    if value is int:
        return int64
    if value is _py_bool:
        return bool
    try:
        return _BY_NUMPY[np.dtype(value)]
    except (TypeError, KeyError):
        raise TypeError(
            f"unsupported dtype {value!r}; expected one of " + ", ".join(d.name for d in _ALL)
        ) from None


def from_numpy(numpy_dtype) -> dtype:
    """The gradwork dtype of a NumPy dtype (raises for types gradwork does not support)."""
    found = _BY_NUMPY.get(numpy_dtype)
    if found is None:
        return as_dtype(numpy_dtype)
    return found


def category(d: np.dtype) -> int:
    """0 for bool, 1 for integers, 2 for floating point."""
    kind = d.kind
    return _FLOAT if kind == "f" else _BOOL if kind == "b" else _INT


def _promote_pair(a: np.dtype, b: np.dtype) -> np.dtype:
    """Promote two dtypes of one priority tier: the higher category wins, then NumPy's rule."""
    category_a, category_b = category(a), category(b)
    if category_a != category_b:
        return a if category_a > category_b else b
    return np.promote_types(a, b)


# Looked up on every elementwise op with mixed operands, so both tables are precomputed.
_CATEGORY = {d.numpy: d._category for d in _ALL}
_PROMOTED = {(a.numpy, b.numpy): _promote_pair(a.numpy, b.numpy) for a in _ALL for b in _ALL}
_BOOL_NUMPY, _INT64_NUMPY = np.dtype(np.bool_), np.dtype(np.int64)


def promote_types(a: dtype, b: dtype) -> dtype:
    """The dtype PyTorch gives to an operation on two tensors of dtypes ``a`` and ``b``.

    Example:
        >>> import gradwork
        >>> gradwork.promote_types(gradwork.int64, gradwork.float16)
        gradwork.float16
    """
    return from_numpy(_PROMOTED[as_dtype(a).numpy, as_dtype(b).numpy])


def result_type(*operands) -> np.dtype:
    """PyTorch's result dtype for an elementwise op over tensors and Python scalars.

    Operands fall in three tiers: dimensioned tensors, 0-d tensors, Python scalars. Within a tier
    the highest category (bool < integer < float) wins, then NumPy's promotion. Dimensioned
    tensors decide, unless a lower tier holds a higher category; a float scalar then gives the
    default float dtype.
    """
    dimensioned = zero_dim = scalar = None
    for operand in operands:
        if isinstance(operand, float):
            found, tier = _default_float.numpy, 2
        elif isinstance(operand, _py_bool):
            found, tier = _BOOL_NUMPY, 2
        elif isinstance(operand, int):
            found, tier = _INT64_NUMPY, 2
        else:
            array = getattr(operand, "_data", None)
            if array is None:
                raise TypeError(f"unsupported operand of type {type(operand).__name__}")
            found, tier = array.dtype, 0 if array.ndim else 1
        if tier == 0:
            dimensioned = found if dimensioned is None else _PROMOTED[dimensioned, found]
        elif tier == 1:
            zero_dim = found if zero_dim is None else _PROMOTED[zero_dim, found]
        else:
            scalar = found if scalar is None else _PROMOTED[scalar, found]
    result = dimensioned
    for candidate in (zero_dim, scalar):
        if candidate is not None and (result is None or _CATEGORY[candidate] > _CATEGORY[result]):
            result = candidate
    return result
