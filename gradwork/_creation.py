"""Tensor creation: ``tensor``, ``zeros``, ``arange``, ``randn``, the ``*_like`` family, ...

Names and arguments follow PyTorch. Floats default to ``get_default_dtype()`` (float32), Python
integers to int64, Python booleans to bool.
"""

from __future__ import annotations

import numbers

import numpy as np

from gradwork import _backend, _dtype
from gradwork.random import _generator
from gradwork.tensor import Tensor, _shape_args

__all__ = [
    "tensor",
    "as_tensor",
    "from_numpy",
    "from_dlpack",
    "zeros",
    "ones",
    "full",
    "empty",
    "arange",
    "linspace",
    "eye",
    "rand",
    "randn",
    "randint",
    "randperm",
    "zeros_like",
    "ones_like",
    "full_like",
    "empty_like",
    "rand_like",
    "randn_like",
    "randint_like",
]


def _numpy_dtype(dtype, fallback=None):
    if dtype is None:
        return fallback
    return _dtype.as_dtype(dtype).numpy


def _infer_dtype(array: np.ndarray, data) -> np.dtype:
    """PyTorch's dtype for data given as Python values: floats -> default, ints -> int64."""
    kind = array.dtype.kind
    if kind == "f" and not isinstance(data, (np.ndarray, np.generic)):
        return _dtype.get_default_dtype().numpy
    if kind in "iu" and not isinstance(data, (np.ndarray, np.generic)):
        return np.dtype(np.int64)
    if kind == "O":
        raise TypeError("tensor: could not infer a dtype from mixed or nested objects")
    return array.dtype


def _to_array(data, dtype, copy: bool):
    """An array (on the data's device) for ``data``: arrays, tensors, numbers, nested sequences."""
    if isinstance(data, Tensor):
        array = data._data
        if dtype is not None and array.dtype != dtype:
            return array.astype(dtype)
        return array.copy() if copy else array
    if _backend.namespace_of(data) is not np:
        array = data
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
            data = [x._data if isinstance(x, Tensor) else x for x in data]
        try:
            array = np.array(data) if copy else np.asarray(data)
        except ValueError as error:
            raise ValueError(
                f"tensor: data is not a rectangular array of numbers ({error})"
            ) from None
    target = dtype if dtype is not None else _infer_dtype(array, data)
    _dtype.from_numpy(np.dtype(target))  # rejects unsupported dtypes with a clear message
    if array.dtype != target:
        array = array.astype(target)
    return array


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, arrays, tensors).

    Example:
        >>> import gradwork
        >>> gradwork.tensor([[1, 2], [3, 4]]).dtype
        gradwork.int64
    """
    array = _to_array(data, _numpy_dtype(dtype), copy=True)
    if device is not None:
        array = _backend.move_to(array, device)
    return (
        Tensor._make(array).requires_grad_(requires_grad) if requires_grad else Tensor._make(array)
    )


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor`, but shares memory with an array or tensor when no conversion is needed.

    Example:
        >>> import gradwork, numpy
        >>> array = numpy.zeros(2)
        >>> gradwork.as_tensor(array).numpy() is array
        True
    """
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    array = _to_array(data, _numpy_dtype(dtype), copy=False)
    if device is not None:
        array = _backend.move_to(array, device)
    return Tensor._make(array)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    _dtype.from_numpy(array.dtype)
    return Tensor._make(array)


def from_dlpack(external) -> Tensor:
    """A tensor sharing memory with any DLPack producer (PyTorch, CuPy, JAX, NumPy)."""
    device_type, device_id = external.__dlpack_device__()
    if int(device_type) == 1:  # kDLCPU
        return Tensor._make(np.from_dlpack(external))
    cupy = _backend.array_module("cuda")
    return Tensor._make(cupy.from_dlpack(external))


def _filled(fill, size, dtype, device, requires_grad) -> Tensor:
    shape = _shape_args(size)
    numpy_dtype = _numpy_dtype(dtype, _dtype.get_default_dtype().numpy)
    xp = np if device is None else _backend.array_module(device)
    array = xp.empty(shape, numpy_dtype) if fill is None else xp.full(shape, fill, numpy_dtype)
    result = Tensor._make(array)
    return result.requires_grad_() if requires_grad else result


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of the given shape."""
    return _filled(0, size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of the given shape."""
    return _filled(1, size, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor of the given shape."""
    return _filled(None, size, dtype, device, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``; the dtype follows the value when not given."""
    if dtype is None:
        dtype = (
            _dtype.bool
            if isinstance(fill_value, bool)
            else _dtype.int64
            if isinstance(fill_value, numbers.Integral)
            else None
        )
    return _filled(fill_value, (tuple(size),), dtype, device, requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False):
    """Values ``start, start+step, ...`` below ``end``; integer arguments give int64."""
    if end is None:
        start, end = 0, start
    values = (start, end, step)
    integral = all(isinstance(v, numbers.Integral) for v in values)
    fallback = np.dtype(np.int64) if integral else _dtype.get_default_dtype().numpy
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    array = np.arange(start, end, step, dtype=np.float64 if not integral else np.int64)
    return tensor(array, _numpy_dtype(dtype, fallback), device, requires_grad)


def linspace(start, end, steps: int, *, dtype=None, device=None, requires_grad: bool = False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    array = np.linspace(start, end, steps)
    return tensor(
        array, _numpy_dtype(dtype, _dtype.get_default_dtype().numpy), device, requires_grad
    )


def eye(n: int, m: int | None = None, *, dtype=None, device=None, requires_grad: bool = False):
    """The identity matrix (ones on the diagonal) of shape ``(n, m)``."""
    array = np.eye(n, m, dtype=_numpy_dtype(dtype, _dtype.get_default_dtype().numpy))
    return tensor(array, None, device, requires_grad)


def _random(sample, size, dtype, device, requires_grad) -> Tensor:
    numpy_dtype = _numpy_dtype(dtype, _dtype.get_default_dtype().numpy)
    array = sample(_shape_args(size), numpy_dtype)
    if device is not None:
        array = _backend.move_to(array, device)
    result = Tensor._make(array)
    return result.requires_grad_() if requires_grad else result


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Samples from the uniform distribution on [0, 1)."""
    return _random(_generator(generator).random, size, dtype, device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Samples from the standard normal distribution."""
    source = _generator(generator)
    return _random(
        lambda shape, d: source.normal(0.0, 1.0, shape, d), size, dtype, device, requires_grad
    )


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None) -> Tensor:
    """Random integers in ``[low, high)`` (``randint(high, size)`` also works)."""
    if size is None:
        if high is None:
            raise TypeError("randint: expected randint(low, high, size) or randint(high, size)")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    numpy_dtype = _numpy_dtype(dtype, np.dtype(np.int64))
    array = _generator(generator).integers(low, high, tuple(size), np.int64).astype(numpy_dtype)
    return tensor(array, None, device)


def randperm(n: int, *, generator=None, dtype=None, device=None) -> Tensor:
    """A random permutation of ``0 .. n-1``."""
    array = _generator(generator).permutation(n).astype(_numpy_dtype(dtype, np.dtype(np.int64)))
    return tensor(array, None, device)


def _like(source: Tensor, dtype, device):
    return (
        (source.shape,),
        dtype if dtype is not None else source.dtype,
        (device if device is not None else source.device),
    )


def zeros_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and by default dtype and device) of ``input``."""
    size, dtype, device = _like(input, dtype, device)
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and by default dtype and device) of ``input``."""
    size, dtype, device = _like(input, dtype, device)
    return ones(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor like ``input``."""
    size, dtype, device = _like(input, dtype, device)
    return empty(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, device=None, requires_grad=False):
    """``fill_value`` everywhere, shaped like ``input``."""
    size, dtype, device = _like(input, dtype, device)
    return full(size[0], fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def rand_like(input: Tensor, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform [0, 1) samples shaped like ``input``."""
    size, dtype, device = _like(input, dtype, device)
    return rand(*size, generator=generator, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(input: Tensor, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples shaped like ``input``."""
    size, dtype, device = _like(input, dtype, device)
    return randn(
        *size, generator=generator, dtype=dtype, device=device, requires_grad=requires_grad
    )


def randint_like(input: Tensor, low, high=None, *, generator=None, dtype=None, device=None):
    """Random integers in ``[low, high)`` shaped like ``input``."""
    if high is None:
        low, high = 0, low
    size, dtype, device = _like(input, dtype, device)
    return randint(low, high, size[0], generator=generator, dtype=dtype, device=device)
