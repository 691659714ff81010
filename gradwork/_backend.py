"""The one seam between gradwork and an array library: a device maps to its array module.

``"cpu"`` maps to NumPy. ``"cuda"`` maps to CuPy when it is installed; op code never names either
library for computation: NumPy ufuncs and functions dispatch to CuPy arrays through NumPy's
``__array_ufunc__``/``__array_function__`` protocols, and array *creation* goes through
:func:`namespace_of`, which returns the module that owns an existing array.
"""

from __future__ import annotations

import numpy as np

__all__ = ["device", "array_module", "namespace_of", "device_of", "move_to"]


class device:
    """Where a tensor's array lives, as ``torch.device``: ``device("cpu")``, ``device("cuda")``."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | device, index: int | None = None) -> None:
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu' or 'cuda:0', got {type!r}")
        name, _, number = type.partition(":")
        if name not in ("cpu", "cuda"):
            raise RuntimeError(f"device: unknown device type {name!r}; expected 'cpu' or 'cuda'")
        if number:
            if index is not None:
                raise RuntimeError(f"device: index given twice in {type!r} and index={index}")
            index = int(number)
        self.type = name
        self.index = index

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and (self.index or 0) == (other.index or 0)

    def __hash__(self) -> int:
        return hash((self.type, self.index or 0))

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"


CPU = device("cpu")


def _cupy():
    try:
        import cupy
    except ImportError as error:  # the message is the whole point of this branch
        raise RuntimeError(
            "device 'cuda' needs CuPy, which is not installed: "
            "pip install cupy-cuda12x (or the wheel matching your CUDA version)"
        ) from error
    return cupy


def array_module(dev: device | str):
    """The array module (``numpy`` or ``cupy``) that holds arrays on ``dev``."""
    dev = device(dev)
    return np if dev.type == "cpu" else _cupy()


def namespace_of(array):
    """The array module that owns ``array`` (for creating arrays beside it)."""
    if type(array) is np.ndarray or isinstance(array, np.generic):
        return np
    module = type(array).__module__.partition(".")[0]
    if module == "cupy":
        return _cupy()
    return np


def device_of(array) -> device:
    """The device of an array: CPU for NumPy, ``cuda:<id>`` for CuPy."""
    if type(array) is np.ndarray:
        return CPU
    if namespace_of(array) is np:
        return CPU
    return device("cuda", array.device.id)


def move_to(array, dev: device | str):
    """Return ``array`` on ``dev`` (the same object when it is already there)."""
    dev = device(dev)
    if device_of(array) == dev:
        return array
    if dev.type == "cpu":
        return array.get()
    cupy = _cupy()
    with cupy.cuda.Device(dev.index or 0):
        return cupy.asarray(array)
