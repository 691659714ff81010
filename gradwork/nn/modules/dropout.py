"""``Dropout``: zero elements at random in training mode, the identity in eval mode."""

from __future__ import annotations

from gradwork.nn.module import Module
from gradwork.ops.nn import dropout
from gradwork.tensor import Tensor

__all__ = ["Dropout"]


class Dropout(Module):
    """Zero each element with probability ``p`` and scale the others by ``1 / (1 - p)``, so the
    expected output equals the input (Srivastava et al., 2014). Active only in training mode
    (``module.train()``); in eval mode it is the identity.

    The mask comes from gradwork's default generator (seed it with ``gradwork.manual_seed``).

    Args:
        p: probability of zeroing an element. Default: 0.5.
        inplace: multiply the input by the mask in place.

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> layer = nn.Dropout(p=0.2)
        >>> layer
        Dropout(p=0.2, inplace=False)
        >>> x = gradwork.ones(4)
        >>> layer.eval()(x) is x
        True
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
