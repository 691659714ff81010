"""Switching graph recording on and off: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

The flag is process-wide (PyTorch's is per thread); gradwork runs its engine in one thread.
"""

from __future__ import annotations

import functools

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]


class _State:
    enabled = True  # read on every op, so it is a plain class attribute


state = _State


def is_grad_enabled() -> bool:
    """Whether operations on tensors that require grad are recorded for backward."""
    return _State.enabled


class _GradMode:
    """Base of the grad-mode context managers; each also works as a function decorator."""

    mode: bool

    def __enter__(self) -> None:
        self._previous = _State.enabled
        _State.enabled = self.mode

    def __exit__(self, *exc_info) -> None:
        _State.enabled = self._previous

    def __call__(self, function):
        mode = self.mode

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            previous = _State.enabled
            _State.enabled = mode
            try:
                return function(*args, **kwargs)
            finally:
                _State.enabled = previous

        return wrapper


class _DecoratorWithoutCall(_GradMode):
    """A grad mode that also decorates bare, as PyTorch allows: ``@no_grad`` as ``@no_grad()``."""

    def __new__(cls, function=None):
        instance = super().__new__(cls)
        return instance if function is None else instance(function)


class no_grad(_DecoratorWithoutCall):
    """Do not record operations (inference, optimizer updates).

    Example:
        >>> import gradwork
        >>> x = gradwork.ones(2, requires_grad=True)
        >>> with gradwork.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    mode = False


class enable_grad(_DecoratorWithoutCall):
    """Record operations again inside a ``no_grad`` region."""

    mode = True


class set_grad_enabled(_GradMode):
    """Turn recording on or off; works as a call, a context manager and a decorator."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._previous = _State.enabled
        _State.enabled = self.mode

    def __enter__(self) -> None:
        pass

    def __call__(self, function):
        _State.enabled = self._previous
        return super().__call__(function)
