"""Reverse-mode automatic differentiation: ``backward``, ``grad``, ``Function`` and grad modes."""

from __future__ import annotations

import numpy as np

from gradwork import _backend
from gradwork.autograd import engine
from gradwork.autograd.anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from gradwork.autograd.function import Function, FunctionCtx, Node, once_differentiable
from gradwork.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = [
    "backward",
    "grad",
    "Function",
    "FunctionCtx",
    "Node",
    "once_differentiable",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "detect_anomaly",
    "set_detect_anomaly",
    "is_anomaly_enabled",
    "gradcheck",
    "gradgradcheck",
]


def _as_tuple(value) -> tuple:
    if value is None:
        return ()
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value,)


def _root_grads(outputs: tuple, grad_outputs: tuple, op: str) -> list:
    """The starting gradient of each output: given, or ones for single-element outputs."""
    from gradwork.tensor import Tensor

    if grad_outputs and len(grad_outputs) != len(outputs):
        raise RuntimeError(f"{op}: got {len(grad_outputs)} gradients for {len(outputs)} outputs")
    grads = []
    for index, output in enumerate(outputs):
        if not isinstance(output, Tensor):
            raise TypeError(f"{op}: outputs must be tensors, got {type(output).__name__}")
        if not output.requires_grad:
            raise RuntimeError(
                f"{op}: element {index} of tensors does not require grad and does not have a "
                "grad_fn; compute it from a tensor with requires_grad=True (and not under "
                "no_grad) to differentiate it"
            )
        given = grad_outputs[index] if grad_outputs else None
        if given is None:
            if output._data.size != 1:
                raise RuntimeError(
                    f"{op}: grad can be implicitly created only for scalar outputs, but output "
                    f"{index} has shape {tuple(output.shape)}; pass a gradient of that shape"
                )
            xp = _backend.namespace_of(output._data)
            grads.append(Tensor._make(xp.ones(output._data.shape, output._data.dtype)))
            continue
        if not isinstance(given, Tensor):
            given = Tensor._make(np.asarray(given, output._data.dtype))
        if given.shape != output.shape:
            raise RuntimeError(
                f"{op}: mismatch in shape: grad_output[{index}] has shape {tuple(given.shape)} "
                f"and output[{index}] has shape {tuple(output.shape)}"
            )
        grads.append(given)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaf) into the ``.grad`` of every leaf the tensors depend on.

    Args:
        tensors: a tensor or sequence of tensors to differentiate.
        grad_tensors: the gradient with respect to each of ``tensors`` (optional for scalars).
        retain_graph: keep the graph for another backward; defaults to ``create_graph``.
        create_graph: record the backward pass so that the gradients can be differentiated.
        inputs: accumulate only into these leaves (others' ``.grad`` stay as they were).
    """
    outputs = _as_tuple(tensors)
    roots = _root_grads(outputs, _as_tuple(grad_tensors), "backward")
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = _as_tuple(inputs)
        found = engine.run_backward(
            outputs, roots, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs
        )
        for tensor, value in zip(inputs, found):
            if value is not None:
                tensor.grad = value if tensor.grad is None else tensor.grad + value
        return
    engine.run_backward(outputs, roots, retain_graph=retain_graph, create_graph=create_graph)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
):
    """The gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` is untouched).

    Args:
        outputs: tensor(s) to differentiate.
        inputs: tensor(s) to differentiate with respect to (leaves or intermediate results).
        grad_outputs: the vector in the vector-Jacobian product, one per output.
        retain_graph: keep the graph for another backward; defaults to ``create_graph``.
        create_graph: record the backward pass (for higher-order derivatives).
        allow_unused: return ``None`` for inputs the outputs do not depend on instead of raising.
        materialize_grads: return zeros instead of ``None`` for unused inputs.

    Returns:
        A tuple with one gradient per input.

    Example:
        >>> import gradwork
        >>> x = gradwork.tensor(3.0, requires_grad=True)
        >>> (dy_dx,) = gradwork.autograd.grad(x**3, x, create_graph=True)
        >>> gradwork.autograd.grad(dy_dx, x)[0]  # d2/dx2 x^3 = 6x
        tensor(18.)
    """
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    for index, tensor in enumerate(inputs):
        if not tensor.requires_grad:
            raise RuntimeError(f"grad: input {index} does not require grad")
    roots = _root_grads(outputs, _as_tuple(grad_outputs), "grad")
    if retain_graph is None:
        retain_graph = create_graph
    results = engine.run_backward(
        outputs,
        roots,
        retain_graph=retain_graph,
        create_graph=create_graph,
        inputs=inputs,
    )
    if materialize_grads:
        allow_unused = True
    for index, value in enumerate(results):
        if value is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {index} (shape {tuple(inputs[index].shape)}) was not used to "
                    "compute the outputs; pass allow_unused=True if this is intended"
                )
            if materialize_grads:
                from gradwork._creation import zeros_like

                results[index] = zeros_like(inputs[index])
    return tuple(results)


from gradwork.autograd.gradcheck import gradcheck, gradgradcheck  # noqa: E402
