"""Finite-difference checks of gradients (``gradcheck``) and of gradients of gradients.

Both compare the Jacobian that autograd computes (one vector-Jacobian product per output element)
with central differences ``(f(x + eps) - f(x - eps)) / (2 eps)`` in float64.
"""

from __future__ import annotations

import numpy as np

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when analytical and numerical Jacobians disagree."""


def _differentiable(inputs) -> list:
    from gradwork.tensor import Tensor

    return [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]


def _flat_outputs(function, inputs) -> list:
    from gradwork.tensor import Tensor

    result = function(*inputs)
    outputs = result if isinstance(result, (tuple, list)) else (result,)
    return [o for o in outputs if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def _numerical_jacobians(function, inputs, indices, eps) -> list:
    """J[input][output] of shape (input.numel(), output.numel()), by central differences."""
    from gradwork.autograd.grad_mode import no_grad

    with no_grad():
        outputs = _flat_outputs(function, inputs)
        jacobians = [
            [np.zeros((inputs[i]._data.size, o._data.size)) for o in outputs] for i in indices
        ]
        for slot, i in enumerate(indices):
            data = inputs[i]._data  # written in place (by index: it may be a non-contiguous view)
            for element in range(data.size):
                position = np.unravel_index(element, data.shape)
                original = data[position]
                data[position] = original + eps
                plus = [o._data.astype(np.float64).ravel() for o in _flat_outputs(function, inputs)]
                data[position] = original - eps
                minus = [
                    o._data.astype(np.float64).ravel() for o in _flat_outputs(function, inputs)
                ]
                data[position] = original
                for k in range(len(outputs)):
                    jacobians[slot][k][element] = (plus[k] - minus[k]) / (2 * eps)
    return jacobians


def _analytical_jacobians(function, inputs, indices) -> list:
    from gradwork.autograd import grad
    from gradwork.tensor import Tensor

    outputs = _flat_outputs(function, inputs)
    jacobians = [[np.zeros((inputs[i]._data.size, o._data.size)) for o in outputs] for i in indices]
    differentiable = [inputs[i] for i in indices]
    for k, output in enumerate(outputs):
        if not output.requires_grad:
            continue
        for element in range(output._data.size):
            seed = np.zeros(output._data.shape, output._data.dtype)
            seed.reshape(-1)[element] = 1
            grads = grad(
                output, differentiable, Tensor._make(seed), retain_graph=True, allow_unused=True
            )
            for slot, g in enumerate(grads):
                if g is not None:
                    jacobians[slot][k][:, element] = np.asarray(g._data, np.float64).ravel()
    return jacobians


def gradcheck(
    func,
    inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check autograd's gradients of ``func`` at ``inputs`` against finite differences.

    Args:
        func: a function of tensors returning a tensor or a tuple of tensors.
        inputs: a tuple of arguments; the float64 tensors with ``requires_grad`` are checked.
        eps: the finite-difference step.
        atol, rtol: the tolerance, ``|analytical - numerical| <= atol + rtol * |numerical|``.
        raise_exception: raise :class:`GradcheckError` on mismatch instead of returning False.

    Example:
        >>> import gradwork
        >>> x = gradwork.randn(3, dtype=gradwork.float64, requires_grad=True)
        >>> gradwork.autograd.gradcheck(gradwork.tanh, (x,))
        True
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    indices = _differentiable(inputs)
    for i in indices:
        if inputs[i]._data.dtype != np.float64:
            import warnings

            warnings.warn(
                f"gradcheck: input {i} is {inputs[i].dtype}, not float64; finite differences "
                "in lower precision are unreliable",
                stacklevel=2,
            )
    numerical = _numerical_jacobians(func, inputs, indices, eps)
    analytical = _analytical_jacobians(func, inputs, indices)
    for slot, i in enumerate(indices):
        for k, (a, n) in enumerate(zip(analytical[slot], numerical[slot])):
            if not np.allclose(a, n, rtol=rtol, atol=atol, equal_nan=False):
                worst = np.unravel_index(np.argmax(np.abs(a - n)), a.shape)
                message = (
                    f"gradcheck: Jacobian mismatch for output {k} with respect to input {i}: "
                    f"largest difference at (input element, output element) {worst}, "
                    f"analytical {a[worst]:.8g} vs numerical {n[worst]:.8g}\n"
                    f"analytical:\n{a}\nnumerical:\n{n}"
                )
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True


def gradgradcheck(
    func,
    inputs,
    grad_outputs=None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Check second derivatives: gradcheck of ``(inputs, v) -> vJp(func)(inputs, v)``.

    ``grad_outputs`` (the vectors ``v``) are random float64 tensors unless given; they are
    differentiated too, as in PyTorch.
    """
    from gradwork._creation import zeros_like
    from gradwork.autograd import enable_grad, grad
    from gradwork.tensor import Tensor

    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    indices = _differentiable(inputs)
    outputs = _flat_outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = tuple(
            Tensor._make(rng.standard_normal(o._data.shape)).requires_grad_() for o in outputs
        )
    grad_outputs = tuple(grad_outputs)
    count = len(inputs)

    def first_derivative(*arguments):
        # Recording stays on even while the numerical Jacobian is taken under no_grad: the
        # function being checked is itself a derivative.
        with enable_grad():
            primal, vectors = arguments[:count], arguments[count:]
            results = _flat_outputs(func, primal)
            pairs = [(r, v) for r, v in zip(results, vectors) if r.requires_grad]
            if not pairs:
                return tuple(zeros_like(primal[i]) for i in indices)
            return grad(
                [r for r, _ in pairs],
                [primal[i] for i in indices],
                [v for _, v in pairs],
                create_graph=True,
                materialize_grads=True,
            )

    return gradcheck(
        first_derivative,
        inputs + grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
    )
