"""Function transforms in the style of ``torch.func`` and JAX: ``grad``, ``vjp``, ``jvp``, ...

Each transform takes a function of tensors and returns a new function. They are built on
:func:`gradwork.autograd.grad`: the function runs once with its differentiated arguments as fresh
graph inputs, and the derivative is read off its graph. When the result must itself be
differentiable (a transform nested inside another one, or an argument or captured tensor that
requires grad) the backward pass is recorded (``create_graph=True``), so transforms compose:
``grad(grad(f))``, ``jacrev(jacrev(f))``. Otherwise the results are plain tensors, as in PyTorch.

Arguments picked by ``argnums`` may be tensors or (nested) tuples, lists and dicts of tensors;
the derivatives come back in the same structure.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gradwork.autograd import engine, grad_mode
from gradwork.autograd import grad as _autograd_grad
from gradwork.autograd.function import Function
from gradwork.tensor import Tensor

__all__ = [
    "grad",
    "grad_and_value",
    "value_and_grad",
    "vjp",
    "jvp",
    "jacrev",
    "jacfwd",
    "jacobian",
    "hessian",
    "hvp",
]


# -- argument trees -------------------------------------------------------------------------------
def _flatten(tree, op: str) -> tuple[list, Callable]:
    """The tensors of a tensor / tuple / list / dict tree, and a function rebuilding the tree."""
    if isinstance(tree, Tensor):
        return [tree], lambda leaves: leaves[0]
    if isinstance(tree, (tuple, list)):
        parts = [_flatten(item, op) for item in tree]
        kind = type(tree)
        return [leaf for leaves, _ in parts for leaf in leaves], lambda leaves: kind(
            _rebuild_parts(parts, leaves)
        )
    if isinstance(tree, dict):
        keys = list(tree)
        parts = [_flatten(tree[key], op) for key in keys]
        return [leaf for leaves, _ in parts for leaf in leaves], lambda leaves: dict(
            zip(keys, _rebuild_parts(parts, leaves))
        )
    raise TypeError(
        f"{op}: expected the differentiated arguments to be tensors (or tuples, lists or dicts "
        f"of tensors), got {type(tree).__name__}"
    )


def _rebuild_parts(parts: list, leaves: list) -> list:
    rebuilt, start = [], 0
    for part_leaves, rebuild in parts:
        rebuilt.append(rebuild(leaves[start : start + len(part_leaves)]))
        start += len(part_leaves)
    return rebuilt


def _check_argnums(argnums, count: int, op: str) -> tuple:
    numbers = argnums if isinstance(argnums, tuple) else (argnums,)
    if not numbers:
        raise RuntimeError(f"{op}: argnums must be an int or a non-empty tuple of ints")
    for number in numbers:
        if not isinstance(number, int) or isinstance(number, bool):
            raise RuntimeError(f"{op}: argnums must be an int or a tuple of ints, got {argnums!r}")
        if not -count <= number < count:
            raise RuntimeError(
                f"{op}: argnums {number} is out of range for a function called with {count} "
                "positional arguments"
            )
    return tuple(number % count for number in numbers)


# -- tracking inputs ------------------------------------------------------------------------------
class _Alias(Function):
    """out = x (same memory), a new graph node;  d out/dx = 1.

    A differentiated argument that already requires grad is aliased rather than detached, so the
    gradient with respect to the alias is still connected to the outer graph (nesting).
    """

    @staticmethod
    def forward(ctx, x):
        return x._data

    @staticmethod
    def backward(ctx, grad):
        return grad


def _track(tensor: Tensor, op: str) -> Tensor:
    """A fresh graph input standing for ``tensor``."""
    if tensor._data.dtype.kind != "f":
        raise RuntimeError(
            f"{op}: can only differentiate with respect to floating point tensors, got a tensor "
            f"of dtype {tensor.dtype}"
        )
    if tensor.requires_grad:
        return _Alias.apply(tensor)
    return tensor.detach().requires_grad_()


def _depends_on_outside(outputs: list, own: list) -> bool:
    """Whether ``outputs`` reach a tensor requiring grad other than the transform's own inputs.

    If they do (an enclosing transform, or a user's leaf captured by the function), the derivative
    must be computed with ``create_graph=True`` so that it stays differentiable.
    """
    own_ids = {id(tensor) for tensor in own}
    roots = []
    for output in outputs:
        if output.grad_fn is not None:
            roots.append(output.grad_fn)
        elif output.requires_grad and id(output) not in own_ids:
            return True
    for node in engine._topological_order(roots):
        for edge in node.next_functions:
            if edge is not None and isinstance(edge[0], Tensor) and id(edge[0]) not in own_ids:
                return True
    return False


class _Trace:
    """One traced call of ``func``: its tracked inputs, outputs and whether to record backward."""

    def __init__(self, func, args, kwargs, argnums, has_aux: bool, op: str) -> None:
        self.argnums = _check_argnums(argnums, len(args), op)
        args = list(args)
        self.inputs, self.rebuilders = [], []
        # Whether the caller wants gradients recorded at all (a transform under no_grad does not).
        recording = grad_mode.state.enabled
        with grad_mode.enable_grad():
            for number in self.argnums:
                leaves, rebuild = _flatten(args[number], op)
                tracked = [_track(leaf, op) for leaf in leaves]
                self.inputs.append(tracked)
                self.rebuilders.append(rebuild)
                args[number] = rebuild(tracked)
            result = func(*args, **kwargs)
        self.aux = None
        if has_aux:
            if not isinstance(result, tuple) or len(result) != 2:
                raise RuntimeError(
                    f"{op}: with has_aux=True the function must return a (output, aux) tuple"
                )
            result, self.aux = result
        self.output = result
        self.flat_inputs = [tensor for tracked in self.inputs for tensor in tracked]
        outputs = result if isinstance(result, (tuple, list)) else [result]
        for output in outputs:
            if not isinstance(output, Tensor):
                raise RuntimeError(
                    f"{op}: expected the function to return a tensor (or a tuple of tensors), "
                    f"got {type(output).__name__}"
                )
        self.create_graph = recording and _depends_on_outside(list(outputs), self.flat_inputs)

    def derivatives(self, outputs, grad_outputs, retain_graph: bool = False) -> list:
        """d(outputs)/d(inputs) contracted with ``grad_outputs``; zeros where unused."""
        wanted = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
        if not wanted:
            return [_zeros_like(tensor) for tensor in self.flat_inputs]
        with grad_mode.enable_grad():
            return list(
                _autograd_grad(
                    [o for o, _ in wanted],
                    self.flat_inputs,
                    [g for _, g in wanted],
                    retain_graph=retain_graph or self.create_graph,
                    create_graph=self.create_graph,
                    materialize_grads=True,
                )
            )

    def structure(self, flat: list):
        """Derivatives (flat, in input order) rebuilt into the structure of the arguments."""
        grouped, start = [], 0
        for tracked, rebuild in zip(self.inputs, self.rebuilders):
            grouped.append(rebuild(flat[start : start + len(tracked)]))
            start += len(tracked)
        return grouped

    def result(self, value):
        """``value`` as returned to the caller: detached unless the caller's graph needs it."""
        if self.create_graph or not isinstance(value, Tensor):
            return value
        return value.detach()


def _zeros_like(tensor: Tensor) -> Tensor:
    from gradwork._creation import zeros_like

    return zeros_like(tensor)


def _detach_tree(tree, trace: _Trace):
    if isinstance(tree, (tuple, list)):
        return type(tree)(_detach_tree(item, trace) for item in tree)
    return trace.result(tree)


def _one_or_tuple(argnums, grouped: list):
    return tuple(grouped) if isinstance(argnums, tuple) else grouped[0]


def _scalar_output(trace: _Trace, op: str) -> Tensor:
    output = trace.output
    if not isinstance(output, Tensor) or output._data.size != 1:
        shape = tuple(output.shape) if isinstance(output, Tensor) else type(output).__name__
        raise RuntimeError(
            f"{op}: expected the function to return a tensor with a single element, got {shape}; "
            "use vjp or jacrev for functions with several outputs"
        )
    return output


# -- transforms -----------------------------------------------------------------------------------
def grad_and_value(func: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """``func`` -> a function returning ``(gradient, value)`` of ``func`` at its arguments.

    ``func`` must return a tensor with one element (and, with ``has_aux``, an auxiliary value
    that is returned untouched: ``(gradient, (value, aux))``).

    Example:
        >>> import gradwork
        >>> from gradwork.func import grad_and_value
        >>> gradient, value = grad_and_value(lambda x: (x**2).sum())(gradwork.tensor([1.0, 2.0]))
        >>> gradient, value
        (tensor([2., 4.]), tensor(5.))
    """

    def wrapper(*args, **kwargs):
        trace = _Trace(func, args, kwargs, argnums, has_aux, "grad")
        output = _scalar_output(trace, "grad")
        one = Tensor._make(np.ones(output._data.shape, output._data.dtype))
        gradients = trace.structure(trace.derivatives([output], [one]))
        value = trace.result(output)
        gradient = _one_or_tuple(argnums, gradients)
        return (gradient, (value, trace.aux)) if has_aux else (gradient, value)

    return wrapper


def grad(func: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """``func`` -> the function computing the gradient of ``func`` with respect to ``argnums``.

    ``func`` returns a one-element tensor. With a tuple ``argnums`` the result is a tuple of
    gradients; with ``has_aux`` ``func`` returns ``(output, aux)`` and the transformed function
    returns ``(gradient, aux)``. Transforms nest: ``grad(grad(f))`` is the second derivative.

    Example:
        >>> import gradwork
        >>> from gradwork.func import grad
        >>> x = gradwork.tensor(2.0)
        >>> grad(lambda x: x**3)(x)  # 3 x^2
        tensor(12.)
        >>> grad(grad(lambda x: x**3))(x)  # 6 x
        tensor(12.)
        >>> grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(x, gradwork.tensor(5.0))
        (tensor(5.), tensor(2.))
    """
    transformed = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        gradient, value = transformed(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    return wrapper


def value_and_grad(func: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """JAX's order of :func:`grad_and_value`: returns ``(value, gradient)``.

    With ``has_aux`` it returns ``((value, aux), gradient)``.

    Example:
        >>> import gradwork
        >>> from gradwork.func import value_and_grad
        >>> value_and_grad(lambda x: (3 * x).sum())(gradwork.ones(2))
        (tensor(6.), tensor([3., 3.]))
    """
    transformed = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        gradient, value = transformed(*args, **kwargs)
        return value, gradient

    return wrapper


def vjp(func: Callable, *primals, has_aux: bool = False):
    """The output of ``func(*primals)`` and a function computing vector-Jacobian products.

    ``vjp_fn(cotangents)`` returns a tuple with ``cotangents^T J`` for each primal, where
    ``cotangents`` has the structure of the output (a tensor, or a tuple of tensors). It may be
    called several times. With ``has_aux`` the result is ``(output, vjp_fn, aux)``.

    Example:
        >>> import gradwork
        >>> from gradwork.func import vjp
        >>> output, vjp_fn = vjp(lambda x: x**2, gradwork.tensor([1.0, 2.0]))
        >>> vjp_fn(gradwork.tensor([1.0, 10.0]))  # v * 2x
        (tensor([ 2., 40.]),)
    """
    argnums = tuple(range(len(primals)))
    trace = _Trace(func, primals, {}, argnums, has_aux, "vjp") if primals else None
    if trace is None:
        raise RuntimeError("vjp: expected at least one primal")
    multiple = isinstance(trace.output, (tuple, list))
    outputs = list(trace.output) if multiple else [trace.output]

    def vjp_fn(cotangents):
        given = list(cotangents) if multiple else [cotangents]
        if len(given) != len(outputs):
            raise RuntimeError(
                f"vjp_fn: expected {len(outputs)} cotangents (one per output), got {len(given)}"
            )
        for index, (output, cotangent) in enumerate(zip(outputs, given)):
            if not isinstance(cotangent, Tensor) or cotangent.shape != output.shape:
                shape = tuple(cotangent.shape) if isinstance(cotangent, Tensor) else cotangent
                raise RuntimeError(
                    f"vjp_fn: cotangent {index} must be a tensor of shape {tuple(output.shape)} "
                    f"(the output's), got {shape}"
                )
        if any(cotangent.requires_grad for cotangent in given) and grad_mode.state.enabled:
            trace.create_graph = True
        flat = trace.derivatives(outputs, given, retain_graph=True)
        return tuple(trace.structure(flat))

    output = _detach_tree(trace.output, trace)
    return (output, vjp_fn, trace.aux) if has_aux else (output, vjp_fn)


def jvp(func: Callable, primals: tuple, tangents: tuple, *, has_aux: bool = False):
    """The output of ``func(*primals)`` and the Jacobian-vector product ``J @ tangents``.

    Forward mode by the double-vjp trick: ``g(u) = u^T J`` is linear in ``u``, so the vjp of
    ``g`` with cotangent ``v`` is ``J v``. Returns ``(output, jvp_out)`` (``(output, jvp_out,
    aux)`` with ``has_aux``), with the structure of the output.

    Example:
        >>> import gradwork
        >>> from gradwork.func import jvp
        >>> jvp(lambda x: x**2, (gradwork.tensor([1.0, 2.0]),), (gradwork.tensor([1.0, 1.0]),))
        (tensor([1., 4.]), tensor([2., 4.]))
    """
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp: primals and tangents must be tuples (e.g. (x,) and (v,))")
    if len(primals) != len(tangents):
        raise RuntimeError(
            f"jvp: got {len(primals)} primals but {len(tangents)} tangents; give one per primal"
        )
    trace = _Trace(func, primals, {}, tuple(range(len(primals))), has_aux, "jvp")
    flat_tangents = [leaf for tangent in tangents for leaf in _flatten(tangent, "jvp")[0]]
    for index, (primal, tangent) in enumerate(zip(trace.flat_inputs, flat_tangents)):
        if tangent.shape != primal.shape:
            raise RuntimeError(
                f"jvp: tangent {index} has shape {tuple(tangent.shape)}, but its primal has shape "
                f"{tuple(primal.shape)}"
            )
    multiple = isinstance(trace.output, (tuple, list))
    outputs = list(trace.output) if multiple else [trace.output]
    keep_graph = trace.create_graph or any(t.requires_grad for t in flat_tangents)
    with grad_mode.enable_grad():
        # u: a dummy cotangent per output; J^T u is computed with its graph so it can be
        # differentiated with respect to u.
        dummies = [
            Tensor._make(np.zeros(o._data.shape, o._data.dtype)).requires_grad_() for o in outputs
        ]
        wanted = [(o, u) for o, u in zip(outputs, dummies) if o.requires_grad]
        transposed = (
            _autograd_grad(
                [o for o, _ in wanted],
                trace.flat_inputs,
                [u for _, u in wanted],
                create_graph=True,
                allow_unused=True,
            )
            if wanted
            else [None] * len(flat_tangents)
        )
        pairs = [
            (g, v) for g, v in zip(transposed, flat_tangents) if g is not None and g.requires_grad
        ]
        if pairs:
            products = _autograd_grad(
                [g for g, _ in pairs],
                dummies,
                [v for _, v in pairs],
                create_graph=keep_graph and grad_mode.is_grad_enabled(),
                allow_unused=True,
                materialize_grads=True,
            )
        else:
            products = [_zeros_like(u) for u in dummies]
    products = [p if keep_graph else p.detach() for p in products]
    result = tuple(products) if multiple else products[0]
    output = _detach_tree(trace.output, trace) if not keep_graph else trace.output
    return (output, result, trace.aux) if has_aux else (output, result)


def jacrev(func: Callable, argnums: int | tuple = 0, *, has_aux: bool = False) -> Callable:
    """``func`` -> the function computing the Jacobian of ``func`` by reverse mode.

    One backward pass per output element. The Jacobian of an output of shape ``S_out`` with
    respect to an input of shape ``S_in`` has shape ``S_out + S_in``. With a tuple ``argnums``
    the result is a tuple (one Jacobian per argument); with ``has_aux`` it is ``(jacobian, aux)``.

    Example:
        >>> import gradwork
        >>> from gradwork.func import jacrev
        >>> jacrev(lambda x: x**2)(gradwork.tensor([1.0, 2.0]))
        tensor([[2., 0.],
                [0., 4.]])
    """

    def wrapper(*args, **kwargs):
        trace = _Trace(func, args, kwargs, argnums, has_aux, "jacrev")
        output = trace.output
        if not isinstance(output, Tensor):
            raise RuntimeError("jacrev: expected the function to return a single tensor")
        rows = []  # rows[k][i]: d output.flat[k] / d input i
        count = output._data.size
        for element in range(count):
            seed = np.zeros(output._data.shape, output._data.dtype)
            seed.reshape(-1)[element] = 1
            rows.append(
                trace.derivatives([output], [Tensor._make(seed)], retain_graph=element < count - 1)
            )
        jacobians = [
            _assemble([row[index] for row in rows], output.shape, tensor)
            for index, tensor in enumerate(trace.flat_inputs)
        ]
        result = _one_or_tuple(argnums, trace.structure(jacobians))
        return (result, trace.aux) if has_aux else result

    return wrapper


def _assemble(rows: list, output_shape: tuple, input: Tensor) -> Tensor:
    """Stack per-output-element gradients into a Jacobian of shape output_shape + input.shape."""
    shape = tuple(output_shape) + tuple(input.shape)
    if not rows:  # an output with no elements
        return Tensor._make(np.zeros(shape, input._data.dtype))
    from gradwork.ops import movement

    return movement.stack(rows).reshape(shape)


jacobian = jacrev
# Forward-mode Jacobians would need one jvp per input element; gradwork evaluates both by reverse
# mode, which gives the same values (only the cost differs: jacrev is cheap for few outputs).
jacfwd = jacrev


def hessian(func: Callable, argnums: int | tuple = 0) -> Callable:
    """``func`` -> the function computing the Hessian of scalar ``func``: ``jacrev(jacrev(func))``.

    For an input of shape ``S`` the Hessian has shape ``S + S``.

    Example:
        >>> import gradwork
        >>> from gradwork.func import hessian
        >>> hessian(lambda x: (x**3).sum())(gradwork.tensor([1.0, 2.0]))  # diag(6 x)
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    return jacrev(jacrev(func, argnums), argnums)


def hvp(func: Callable, primals: tuple, tangents: tuple):
    """The Hessian-vector product ``H(primals) @ tangents`` of a scalar ``func``.

    Computed as the gradient of ``<grad f(x), v>`` (reverse over reverse; the Hessian is
    symmetric), without forming the Hessian. Returns one product per primal (a tensor when there
    is one primal), like ``torch.func``'s recipe ``jvp(grad(f), primals, tangents)[1]``.

    Example:
        >>> import gradwork
        >>> from gradwork.func import hvp
        >>> hvp(lambda x: (x**3).sum(), (gradwork.tensor([1.0, 2.0]),), (gradwork.ones(2),))
        tensor([ 6., 12.])
    """
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("hvp: primals and tangents must be tuples (e.g. (x,) and (v,))")
    if len(primals) != len(tangents):
        raise RuntimeError(
            f"hvp: got {len(primals)} primals but {len(tangents)} tangents; give one per primal"
        )
    argnums = tuple(range(len(primals)))

    def inner_product(*args):
        gradients = grad(func, argnums)(*args)
        total = None
        for gradient, tangent in zip(gradients, tangents):
            for g, v in zip(_flatten(gradient, "hvp")[0], _flatten(tangent, "hvp")[0]):
                term = (g * v).sum()
                total = term if total is None else total + term
        return total

    products = grad(inner_product, argnums)(*primals)
    return products[0] if len(primals) == 1 else products
