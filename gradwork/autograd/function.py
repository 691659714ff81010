"""Differentiable functions: the ``Function`` base class that every primitive and user op extends.

A call ``MyOp.apply(*args)`` creates a node (an instance of ``MyOp``), which is also the ``ctx``
handed to ``forward`` and ``backward``, and becomes the ``grad_fn`` of the outputs. ``forward`` runs
with recording off and returns arrays or tensors; ``backward`` receives one gradient tensor per
output and returns one gradient (or ``None``) per positional input, written in gradwork ops so that
it can itself be recorded when ``create_graph=True``.
"""

from __future__ import annotations

import weakref

import numpy as np

from gradwork._backend import namespace_of
from gradwork.autograd import anomaly, grad_mode

__all__ = ["Function", "Node", "FunctionCtx", "once_differentiable"]

# Bound to gradwork.tensor.Tensor by that module once the class exists (the two import each other).
Tensor = None
_make = None
_new = object.__new__
# Set by gradwork.profiler while a profile is recording: apply then hands each call to it.
_profile_hook = None

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or to read saved values after they "
    "were freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a "
    "second time or to read saved tensors after calling backward."
)


class _SavedOutput:
    """A saved output, held as its array so that output -> node -> output is not a cycle."""

    __slots__ = ("array", "output_nr", "version_cell", "version")

    def __init__(self, tensor) -> None:
        self.array = tensor._data
        self.output_nr = tensor._output_nr
        self.version_cell = tensor._version_cell
        self.version = tensor._version_cell[0]


class Node:
    """A recorded operation in the autograd graph (PyTorch's ``grad_fn``).

    ``next_functions`` has one edge per positional input: ``None`` when no gradient flows there,
    else ``(target, output_nr)`` where ``target`` is the input's ``grad_fn`` node or, for a leaf
    tensor, the leaf itself.
    """

    # Edges are slots: they survive the freeing of the node's state (its __dict__) by backward.
    __slots__ = ("next_functions", "_num_outputs", "__dict__", "__weakref__")

    # Defaults read from the class until an op sets them: creating a node costs no writes.
    needs_input_grad = None
    _saved = None
    _pre_hooks = None
    _freed = False
    _non_differentiable = ()

    def name(self) -> str:
        return type(self).__name__ + "Backward"

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    def __getattr__(self, attribute: str):
        # Only reached for attributes that are missing: after backward freed the node's state.
        if not attribute.startswith("__") and object.__getattribute__(self, "_freed"):
            raise RuntimeError(_FREED_MESSAGE)
        raise AttributeError(f"{type(self).__name__!r} context has no attribute {attribute!r}")

    def register_prehook(self, hook, output_nr: int = 0):
        """Call ``hook(grad)`` on the gradient of output ``output_nr`` before backward runs."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
        hooks = self._pre_hooks.setdefault(output_nr, [])
        if hooks and type(hooks[-1]) is _RetainGrad:
            if type(hook) is _RetainGrad:
                return _RemovableHandle(hooks, hooks[-1])  # retain_grad() twice keeps one
            hooks.insert(len(hooks) - 1, hook)  # as in PyTorch, .grad sees every hook's change
        else:
            hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    # -- ctx API used inside forward/backward -------------------------------------------------
    def save_for_backward(self, *tensors) -> None:
        """Keep tensors (inputs or outputs of forward) for backward; in-place changes are caught."""
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to ``save_for_backward``, checked against in-place modification."""
        saved = self._saved
        if saved is None:
            if self._freed:
                raise RuntimeError(_FREED_MESSAGE)
            return ()
        result = []
        for item in saved:
            if type(item) is _SavedOutput:
                if item.version_cell[0] != item.version:
                    _raise_modified(self, item.array.shape, item.version_cell[0], item.version)
                tensor = Tensor._make(item.array, item.version_cell)
                tensor.requires_grad = True
                tensor.grad_fn = self
                tensor._output_nr = item.output_nr
                result.append(tensor)
            elif type(item) is tuple:  # (input tensor, its version when saved)
                tensor, version = item
                if tensor._version_cell[0] != version:
                    _raise_modified(self, tensor.shape, tensor._version_cell[0], version)
                result.append(tensor)
            else:
                result.append(item)
        return tuple(result)

    def mark_non_differentiable(self, *tensors) -> None:
        """Declare outputs (e.g. indices) that never carry a gradient."""
        self._non_differentiable = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        """Whether missing output gradients reach backward as zeros (default) or as ``None``."""
        self.__dict__["_materialize_grads"] = value


FunctionCtx = Node


def _raise_modified(node: Node, shape, version: int, expected: int) -> None:
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: tensor of shape {tuple(shape)} is at version {version}; expected version "
        f"{expected} instead. It was saved by {node.name()}; avoid the in-place change or clone "
        "the tensor before it."
    )


class _RetainGrad:
    """The hook behind ``Tensor.retain_grad``: stores the gradient in ``.grad``; always runs last.

    Holds the tensor weakly, so the graph does not keep its own outputs alive.
    """

    __slots__ = ("tensor",)

    def __init__(self, tensor) -> None:
        self.tensor = weakref.ref(tensor)

    def __call__(self, grad) -> None:
        tensor = self.tensor()
        if tensor is not None:
            tensor.grad = grad if tensor.grad is None else tensor.grad + grad


class _RemovableHandle:
    """Returned by hook registration; ``remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list, hook) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class Function(Node):
    """Base class of differentiable operations, with PyTorch's ``torch.autograd.Function`` API.

    Subclass it with static ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` and call
    ``apply``. Example, a function whose gradient is clipped:

        >>> import gradwork
        >>> class ClipGrad(gradwork.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         return x.clone()
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         return grad.clamp(-1.0, 1.0)
        >>> x = gradwork.tensor([1.0, 2.0], requires_grad=True)
        >>> (ClipGrad.apply(x) * 5).sum().backward()
        >>> x.grad
        tensor([1., 1.])
    """

    __slots__ = ()

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("subclasses of Function implement forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("subclasses of Function implement backward(ctx, *grad_outputs)")

    # Optionally, ``fast_backward(ctx, *grad_arrays) -> arrays``: the same rule on NumPy arrays,
    # used by first-order backward passes (no graph to record, so no op dispatch to pay for).
    # It sits beside ``backward`` and tests check that the two agree.
    fast_backward = None

    @classmethod
    def apply(cls, *args):
        """Run ``forward`` on ``args`` and, when recording, attach the node to the outputs."""
        # This is the hottest Python in gradwork: every op of every step passes here once.
        if _profile_hook is not None:
            return _profile_hook(cls, args)
        ctx = _new(cls)
        state = grad_mode.state
        needs = None
        if state.enabled:
            needs = [isinstance(argument, Tensor) and argument.requires_grad for argument in args]
            if True not in needs:
                needs = None
        if needs is not None:
            ctx.needs_input_grad = tuple(needs)
            state.enabled = False
            try:
                raw = cls.forward(ctx, *args)
            finally:
                state.enabled = True
        else:
            raw = cls.forward(ctx, *args)

        if type(raw) is np.ndarray:
            output = _make(raw)
        elif type(raw) is tuple:
            return _finish_multiple(ctx, cls, args, raw, needs)
        else:
            output = _wrap_output(raw, args)
        if anomaly.state.enabled:
            anomaly.check_forward(cls.__name__, [output._data])
        if (
            needs is None  # not recording: the node (and what it saved) is dropped here
            or output._data.dtype.kind not in "fc"
            or id(output) in ctx._non_differentiable
        ):
            return output
        _connect(ctx, args, needs, 1)
        output.grad_fn = ctx
        output.requires_grad = True
        if ctx._saved:
            ctx._saved = tuple([_pack_saved(item, ctx) for item in ctx._saved])
        return output


def _wrap_output(output, args):
    """A fresh output tensor: arrays are wrapped; a tensor the caller holds is re-wrapped."""
    if isinstance(output, Tensor):
        if output.grad_fn is not None or output.requires_grad or _is_input(output, args):
            return _make(output._data, output._version_cell)  # same memory, same version
        return output
    if isinstance(output, np.generic):  # a 0-d result of a NumPy ufunc or full reduction
        output = np.asarray(output)
    return _make(output)


def _connect(ctx, args, needs, num_outputs: int) -> None:
    """Give the node its edges: the input's grad_fn, or the leaf itself, for inputs needing grad."""
    ctx.next_functions = tuple(
        [
            (
                (argument.grad_fn, argument._output_nr)
                if argument.grad_fn is not None
                else (argument, 0)
            )
            if need
            else None
            for argument, need in zip(args, needs)
        ]
    )
    ctx._num_outputs = num_outputs
    if anomaly.state.enabled:
        ctx.__dict__["_creation_stack"] = anomaly.creation_stack()


def _finish_multiple(ctx, cls, args, raw: tuple, needs) -> tuple:
    """The multi-output case of ``apply`` (max with indices, split, topk, ...)."""
    wrapped = [None if output is None else _wrap_output(output, args) for output in raw]
    if anomaly.state.enabled:
        anomaly.check_forward(cls.__name__, [t._data for t in wrapped if t is not None])
    if needs is None:
        return tuple(wrapped)
    _connect(ctx, args, needs, len(wrapped))
    ctx.__dict__["_output_shapes"] = [
        (t._data.shape, t._data.dtype, namespace_of(t._data)) if t is not None else None
        for t in wrapped
    ]
    non_differentiable = ctx._non_differentiable
    for index, output in enumerate(wrapped):
        if output is None or id(output) in non_differentiable:
            continue
        if output._data.dtype.kind not in "fc":
            continue  # integer and boolean results never carry gradients
        output.grad_fn = ctx
        output._output_nr = index
        output.requires_grad = True
    if ctx._saved:
        ctx._saved = tuple([_pack_saved(item, ctx) for item in ctx._saved])
    return tuple(wrapped)


def _is_input(tensor, args) -> bool:
    for argument in args:
        if argument is tensor:
            return True
    return False


def _pack_saved(item, ctx):
    """Store a saved tensor: outputs by array (no reference cycle), inputs with their version."""
    if not isinstance(item, Tensor):
        return item
    if item.grad_fn is ctx:
        return _SavedOutput(item)
    return (item, item._version_cell[0])


def once_differentiable(backward):
    """Decorator for a ``backward`` that is not itself differentiable.

    The backward runs with recording off. Under ``create_graph=True`` its results are marked so
    that differentiating them again raises (as in PyTorch, the error comes at that second
    differentiation, not at the ``create_graph`` pass itself).
    """
    import functools

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        recording = grad_mode.state.enabled
        grad_mode.state.enabled = False
        try:
            result = backward(ctx, *grads)
        finally:
            grad_mode.state.enabled = recording
        differentiable = [g for g in grads if isinstance(g, Tensor) and g.requires_grad]
        if not recording or not differentiable:
            return result
        name = type(ctx).__name__

        def delayed(value):
            if not isinstance(value, Tensor):
                return value
            return _DelayedError.apply(value, name, *differentiable)

        return tuple(map(delayed, result)) if type(result) is tuple else delayed(result)

    return wrapper


class _DelayedError(Function):
    """out = x; differentiating it raises: it stands for a once_differentiable backward's result."""

    @staticmethod
    def forward(ctx, value, name, *grads):
        ctx.function_name = name
        return value._data

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(
            f"trying to differentiate twice a function that was marked with "
            f"@once_differentiable ({ctx.function_name}.backward)"
        )
