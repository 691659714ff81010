"""The backward pass: walk the graph in reverse topological order and propagate gradients.

Targets in the graph are nodes (``grad_fn``) and leaf tensors. The order is found without
recursion (deep graphs, such as an RNN over thousands of steps, would overflow Python's recursion
limit) and is deterministic. Unless ``retain_graph`` is set, each node's saved state is
freed as soon as its backward has run.
"""

from __future__ import annotations

from gradwork.autograd import anomaly, grad_mode
from gradwork.autograd.function import _FREED_MESSAGE, Node

__all__ = ["run_backward"]

# Bound to gradwork.tensor.Tensor by that module once the class exists (the two import each other).
Tensor = None
_make = None
# Set by gradwork.profiler while a profile is recording: each backward pass, and each node's
# backward within it, is handed to it.
_profile_pass_hook = None
_profile_hook = None


def _topological_order(roots: list) -> list:
    """All targets reachable from ``roots``, each before every target it sends gradient to.

    Kahn's algorithm: count each target's incoming edges in one traversal, then release a target
    once every target feeding it has been placed. No recursion, and the order is deterministic.
    """
    roots = list({id(root): root for root in roots}.values())  # one entry per distinct root
    incoming: dict[int, int] = {}
    seen = {id(root) for root in roots}
    stack = list(roots)
    while stack:
        target = stack.pop()
        if isinstance(target, Tensor):
            continue  # a leaf: no edges out
        for edge in target.next_functions:
            if edge is None:
                continue
            child = edge[0]
            key = id(child)
            incoming[key] = incoming.get(key, 0) + 1
            if key not in seen:
                seen.add(key)
                stack.append(child)
    order = []
    ready = [root for root in roots if id(root) not in incoming]
    while ready:
        target = ready.pop()
        order.append(target)
        if isinstance(target, Tensor):
            continue
        for edge in target.next_functions:
            if edge is None:
                continue
            key = id(edge[0])
            incoming[key] -= 1
            if not incoming[key]:
                ready.append(edge[0])
    return order


def _children(target) -> list:
    if type(target) is Tensor or isinstance(target, Tensor):
        return []
    return [edge[0] for edge in target.next_functions if edge is not None]


def _prune(order: list, wanted: set) -> set:
    """Ids of the targets from which a wanted target is reachable (the only ones worth running)."""
    useful = set()
    for target in reversed(order):
        if id(target) in wanted or any(id(child) in useful for child in _children(target)):
            useful.add(id(target))
    return useful


def _owned(grad, handed_out: set):
    """A gradient safe to store in ``.grad``: writable, not a view, not shared with another leaf."""
    array = grad._data
    if array.base is not None or not array.flags.writeable or id(array) in handed_out:
        return _make(array.copy())
    handed_out.add(id(array))
    return grad


class _Settings:
    # First-order backward passes use a node's ``fast_backward`` (NumPy arrays in and out) where
    # it has one. Tests switch this off to check every fast path against the plain rule.
    fast_backward = True


settings = _Settings


def run_backward(roots, root_grads, *, retain_graph: bool, create_graph: bool, inputs=None):
    """Propagate ``root_grads`` from ``roots`` back through the graph.

    Without ``inputs`` the gradients of leaf tensors are added to their ``.grad``; with
    ``inputs`` they are returned instead, one per input (``None`` where no path reaches it).

    A first-order pass (``create_graph=False``) carries gradients as plain arrays between nodes
    that have a ``fast_backward``; they become tensors only for the plain rules, hooks and leaves.
    """
    if _profile_pass_hook is not None:
        return _profile_pass_hook(roots, root_grads, retain_graph, create_graph, inputs)
    as_arrays = not create_graph and settings.fast_backward
    buffers: dict[int, list] = {}  # id(target) -> gradient per output slot
    start = []
    for root, root_grad in zip(roots, root_grads):
        target = root.grad_fn if root.grad_fn is not None else root
        slot = root._output_nr if root.grad_fn is not None else 0
        grads = buffers.get(id(target))
        if grads is None:
            count = 1 if isinstance(target, Tensor) else target._num_outputs
            grads = buffers[id(target)] = [None] * count
        value = root_grad._data if as_arrays else root_grad
        grads[slot] = value if grads[slot] is None else grads[slot] + value
        start.append(target)

    order = _topological_order(start)
    captured: dict = {}  # (id(target), output_nr) -> index in inputs
    useful = None
    if inputs is not None:
        for index, tensor in enumerate(inputs):
            target = tensor.grad_fn if tensor.grad_fn is not None else tensor
            captured[(id(target), tensor._output_nr if tensor.grad_fn is not None else 0)] = index
        useful = _prune(order, {key[0] for key in captured})
    results = [None] * (len(inputs) if inputs is not None else 0)
    handed_out: set = set()
    check_anomaly = anomaly.state.enabled

    # a first-order pass without anomaly checks or profiling calls fast rules directly
    direct = as_arrays and not check_anomaly and _profile_hook is None
    previous_mode = grad_mode.state.enabled
    grad_mode.state.enabled = create_graph
    try:
        for target in order:
            grads = buffers.pop(id(target), None)
            if grads is None or (useful is not None and id(target) not in useful):
                continue
            if isinstance(target, Tensor):
                grad = _make(grads[0]) if as_arrays else grads[0]
                _deliver_to_leaf(target, grad, captured, results, create_graph, handed_out)
                continue
            if target._pre_hooks:
                grads = _run_pre_hooks(target, grads, as_arrays)
            if captured:
                for slot, grad in enumerate(grads):
                    index = captured.get((id(target), slot))
                    if index is not None and grad is not None:
                        results[index] = _make(grad) if as_arrays else grad
                if not any(
                    edge is not None and id(edge[0]) in useful for edge in target.next_functions
                ):
                    continue
            fast = type(target).fast_backward if direct else None
            if fast is not None and len(grads) == 1 and not target._freed:
                input_grads = _complete(target, fast(target, grads[0]))  # the common case, inline
            else:
                input_grads = _call_backward(target, grads, check_anomaly, as_arrays)
            for edge, input_grad in zip(target.next_functions, input_grads):
                if edge is None or input_grad is None:
                    continue
                child, slot = edge
                key = id(child)
                child_grads = buffers.get(key)
                if child_grads is None:
                    if isinstance(child, Tensor):
                        buffers[key] = [input_grad]
                        continue
                    child_grads = buffers[key] = [None] * child._num_outputs
                previous = child_grads[slot]
                child_grads[slot] = input_grad if previous is None else previous + input_grad
            if not retain_graph:
                target.__dict__.clear()  # saved tensors and state: gone as soon as they are used
                target._freed = True
    finally:
        grad_mode.state.enabled = previous_mode
    return results


def _deliver_to_leaf(leaf, grad, captured, results, create_graph, handed_out) -> None:
    """Run the leaf's hooks, then store its gradient in ``.grad`` or in the results."""
    for hook in leaf._hooks or ():
        replaced = hook(grad)
        if replaced is not None:
            grad = replaced
    if captured:
        index = captured.get((id(leaf), 0))
        if index is not None:
            results[index] = grad
    elif leaf.grad is None:
        leaf.grad = grad if create_graph else _owned(grad, handed_out)
    else:
        leaf.grad = leaf.grad + grad


def _run_pre_hooks(node: Node, grads: list, as_arrays: bool) -> list:
    grads = [_make(g) if as_arrays and g is not None else g for g in grads]
    for slot, hooks in node._pre_hooks.items():
        for hook in hooks:
            if grads[slot] is not None:
                replaced = hook(grads[slot])
                if replaced is not None:
                    grads[slot] = replaced
    return [g._data if as_arrays and g is not None else g for g in grads]


def _call_backward(node: Node, grads: list, check_anomaly: bool, as_arrays: bool) -> tuple:
    """Run ``node``'s backward: its fast array rule when it has one, else its plain rule."""
    if _profile_hook is not None:
        return _profile_hook(node, grads, check_anomaly, as_arrays)
    if node._freed:
        raise RuntimeError(_FREED_MESSAGE)
    if len(grads) > 1 and any(g is None for g in grads):
        if node.__dict__.get("_materialize_grads", True):
            grads = [
                g if g is not None else _zeros_for(node, slot, as_arrays)
                for slot, g in enumerate(grads)
            ]
    function = type(node)
    fast = as_arrays and function.fast_backward is not None
    if not fast and as_arrays:
        grads = [None if g is None else _make(g) for g in grads]
    if check_anomaly:
        # The ops inside a backward rule are not checked one by one: a rule may pass through
        # inf on its way to a finite gradient. Its returned gradients are checked below, naming
        # the node, as PyTorch names the backward function.
        anomaly.state.enabled = False
        try:
            result = (function.fast_backward if fast else function.backward)(node, *grads)
        finally:
            anomaly.state.enabled = True
    else:
        result = (function.fast_backward if fast else function.backward)(node, *grads)
    result = _complete(node, result)
    if check_anomaly:
        anomaly.check_backward(node, result)
    if as_arrays and not fast:
        result = tuple(None if r is None else r._data for r in result)
    return result


def _complete(node: Node, result) -> tuple:
    """A backward's result as a tuple with one entry per input of the node."""
    if type(result) is not tuple:
        result = (result,)
    expected = len(node.next_functions)
    if len(result) != expected:
        if len(result) > expected:
            raise RuntimeError(
                f"{node.name()}: backward returned {len(result)} gradients, but forward took "
                f"{expected} inputs"
            )
        # Trailing non-tensor arguments may be left out, as PyTorch allows for custom Functions.
        result = result + (None,) * (expected - len(result))
    return result


def _zeros_for(node: Node, slot: int, as_array: bool):
    """Zeros shaped like output ``slot`` of ``node``, for an output that received no gradient."""
    shape, dtype, xp = node.__dict__["_output_shapes"][slot]
    zeros = xp.zeros(shape, dtype)
    return zeros if as_array else _make(zeros)
