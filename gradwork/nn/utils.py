"""Gradient clipping and flattening parameters to one vector, as ``torch.nn.utils``."""

from __future__ import annotations

from collections.abc import Iterable

from gradwork import _backend
from gradwork._creation import tensor
from gradwork.autograd.grad_mode import no_grad
from gradwork.ops.movement import cat
from gradwork.tensor import Tensor

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "parameters_to_vector",
    "vector_to_parameters",
]


def _tensor_list(parameters) -> list:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale the gradients in place so that their joint norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of the vector of all gradients concatenated,
    ``||(||g_1||, ..., ||g_n||)||``; each gradient is multiplied by
    ``min(1, max_norm / (total_norm + 1e-6))``.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped.
        max_norm: the largest norm allowed.
        norm_type: the p of the p-norm; ``float("inf")`` for the largest absolute value.
        error_if_nonfinite: raise if the total norm is nan or inf (instead of scaling by it).

    Returns:
        the total norm before clipping, a 0-d tensor in the gradients' dtype.

    Example:
        >>> import gradwork
        >>> from gradwork.nn.utils import clip_grad_norm_
        >>> w = gradwork.zeros(2, requires_grad=True)
        >>> w.grad = gradwork.tensor([3.0, 4.0])
        >>> clip_grad_norm_([w], max_norm=1.0)
        tensor(5.)
        >>> w.grad
        tensor([0.6, 0.8])
    """
    grads = [param.grad for param in _tensor_list(parameters) if param.grad is not None]
    norm_type = float(norm_type)
    if not grads:
        return tensor(0.0)
    first = grads[0]._data
    xp = _backend.namespace_of(first)
    # Norms in float64 so large models' sums of squares do not lose digits; result in grad dtype.
    norms = xp.stack(
        [xp.linalg.norm(grad._data.astype(xp.float64).ravel(), ord=norm_type) for grad in grads]
    )
    total = xp.linalg.norm(norms, ord=norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
            "so it cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    coefficient = min(float(max_norm / (total + 1e-6)), 1.0)
    with no_grad():
        for grad in grads:
            grad.mul_(coefficient)
    return Tensor._make(xp.asarray(total, dtype=first.dtype))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient into ``[-clip_value, clip_value]``, in place.

    Example:
        >>> import gradwork
        >>> from gradwork.nn.utils import clip_grad_value_
        >>> w = gradwork.zeros(3, requires_grad=True)
        >>> w.grad = gradwork.tensor([-2.0, 0.5, 3.0])
        >>> clip_grad_value_(w, 1.0)
        >>> w.grad
        tensor([-1. ,  0.5,  1. ])
    """
    clip_value = float(clip_value)
    with no_grad():
        for param in _tensor_list(parameters):
            if param.grad is not None:
                param.grad.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and joined into one vector (differentiable).

    Example:
        >>> import gradwork
        >>> from gradwork.nn.utils import parameters_to_vector
        >>> parameters_to_vector([gradwork.ones(2, 2), gradwork.zeros(1)])
        tensor([1., 1., 1., 1., 0.])
    """
    return cat([param.reshape(-1) for param in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Set the parameters' data from consecutive slices of ``vec`` (the inverse of the above).

    As in PyTorch, each parameter's data becomes a view of ``vec``'s data.

    Example:
        >>> import gradwork
        >>> from gradwork.nn.utils import vector_to_parameters
        >>> a, b = gradwork.zeros(2), gradwork.zeros(1)
        >>> vector_to_parameters(gradwork.tensor([1.0, 2.0, 3.0]), [a, b])
        >>> a, b
        (tensor([1., 2.]), tensor([3.]))
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected gradwork.Tensor, but got: {type(vec).__name__}")
    parameters = list(parameters)
    total = sum(param.numel() for param in parameters)
    if vec.numel() != total:
        raise RuntimeError(
            f"vector_to_parameters: vec has {vec.numel()} elements, the parameters {total}"
        )
    flat = vec._data.reshape(-1)
    pointer = 0
    for param in parameters:
        count = param.numel()
        param._data = flat[pointer : pointer + count].reshape(param.shape)
        pointer += count
