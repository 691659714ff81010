"""Reshaping layers: ``Flatten`` and ``Unflatten``."""

from __future__ import annotations

from gradwork.nn.module import Module
from gradwork.tensor import Tensor

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Flatten the dimensions ``start_dim`` to ``end_dim`` (inclusive) into one.

    Args:
        start_dim: first dimension to flatten (default 1: keep the batch dimension).
        end_dim: last dimension to flatten (default -1).

    Shape: ``(*, S_start, ..., S_end, *)`` -> ``(*, prod(S_start..S_end), *)``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.Flatten()(gradwork.ones(32, 1, 5, 5)).shape
        (32, 25)
        >>> nn.Flatten(0, 2)(gradwork.ones(32, 1, 5, 5)).shape
        (160, 5)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expand dimension ``dim`` into the shape ``unflattened_size`` (one entry may be -1).

    Args:
        dim: the dimension to expand.
        unflattened_size: the new shape of that dimension.

    Shape: ``(*, S_dim, *)`` -> ``(*, U_1, ..., U_n, *)`` with ``prod(U) = S_dim``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.Unflatten(1, (2, 5, 5))(gradwork.ones(2, 50)).shape
        (2, 2, 5, 5)
    """

    def __init__(self, dim: int, unflattened_size) -> None:
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
