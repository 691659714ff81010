"""``Parameter``: a tensor that a ``Module`` registers as learnable state."""

from __future__ import annotations

import copy

from gradwork._creation import empty, tensor
from gradwork.tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A tensor that is a module parameter: assigning one to a ``Module`` attribute registers it.

    Parameters require grad by default. ``Parameter(tensor)`` shares the tensor's data (and its
    in-place version counter), as in PyTorch; operations on a parameter return plain tensors.

    Args:
        data: the initial value, a tensor (shared) or anything :func:`gradwork.tensor` accepts.
            ``None`` gives an empty float tensor.
        requires_grad: whether the parameter requires gradient. Default: ``True``.

    Example:
        >>> import gradwork
        >>> from gradwork.nn import Parameter
        >>> p = Parameter(gradwork.tensor([1.0, 2.0]))
        >>> p
        Parameter containing:
        tensor([1., 2.], requires_grad=True)
        >>> (p * 2).requires_grad, type(p * 2).__name__
        (True, 'Tensor')
    """

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        if not isinstance(data, Tensor):
            data = empty(0) if data is None else tensor(data)
        self._data = data._data
        self._version_cell = data._version_cell
        self.grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._hooks = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(Tensor._make(self._data.copy()), self.requires_grad)
        if self.grad is not None:
            result.grad = Tensor._make(self.grad._data.copy())
        memo[id(self)] = result
        result.__dict__.update(copy.deepcopy(self.__dict__, memo))  # user-set attributes
        return result
