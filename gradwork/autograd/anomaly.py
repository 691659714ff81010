"""Anomaly mode: name the operation that first produced NaN or Inf, in forward or in backward.

Costs a finiteness check per op output and a stack capture per recorded op, so it is off by default.
"""

from __future__ import annotations

import traceback

import numpy as np

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled"]


class _State:
    enabled = False


state = _State


def is_anomaly_enabled() -> bool:
    """Whether anomaly mode is on."""
    return _State.enabled


class set_detect_anomaly:
    """Turn anomaly mode on or off; usable as a call or a context manager."""

    def __init__(self, mode: bool) -> None:
        self._previous = _State.enabled
        _State.enabled = bool(mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc_info) -> None:
        _State.enabled = self._previous


class detect_anomaly(set_detect_anomaly):
    """Context manager: raise at the first op whose forward or backward output has NaN or Inf.

    Example:
        >>> import gradwork
        >>> x = gradwork.tensor([0.0], requires_grad=True)
        >>> with gradwork.autograd.detect_anomaly():
        ...     try:
        ...         gradwork.log(x)
        ...     except RuntimeError as error:
        ...         print(str(error).splitlines()[0])
        anomaly detected: Log forward returned non-finite values (-inf) in output 0 of shape (1,)
    """

    def __init__(self) -> None:
        super().__init__(True)


def creation_stack() -> str:
    """Where the op being recorded was called from (kept on the node in anomaly mode)."""
    return "".join(traceback.format_stack()[:-3])


def _first_bad(array) -> str:
    bad = array[~np.isfinite(array)]
    return str(bad.flat[0])


def check_forward(name: str, arrays) -> None:
    """Raise if any floating output of op ``name`` holds NaN or Inf."""
    for index, array in enumerate(arrays):
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise RuntimeError(
                f"anomaly detected: {name} forward returned non-finite values "
                f"({_first_bad(array)}) in output {index} of shape {tuple(array.shape)}"
            )


def check_backward(node, grads) -> None:
    """Raise if the gradients that ``node``'s backward returned hold NaN or Inf."""
    for index, grad in enumerate(grads):
        if grad is None:
            continue
        array = getattr(grad, "_data", grad)  # a tensor, or an array from a fast backward
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            stack = node.__dict__.get("_creation_stack", "")
            raise RuntimeError(
                f"anomaly detected: {node.name()} returned non-finite values "
                f"({_first_bad(array)}) in its gradient for input {index} of shape "
                f"{tuple(array.shape)}.\nThe forward op was called at:\n{stack}"
            )
