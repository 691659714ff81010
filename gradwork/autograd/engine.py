"""The backward pass: walk the graph in reverse topological order and propagate gradients.

Targets in the graph are nodes (``grad_fn``) and leaf tensors. The order is found with an iterative
depth-first search (deep graphs, such as an RNN over thousands of steps, would overflow Python's
recursion limit) and is deterministic. Unless ``retain_graph`` is set, each node's saved state is
freed as soon as its backward has run.
"""

from __future__ import annotations

from gradwork.autograd import anomaly, grad_mode
from gradwork.autograd.function import Node

__all__ = ["backward", "grad"]


def _topological_order(roots: list) -> list:
    """All targets reachable from ``roots``, each after every target that feeds gradient into it."""
    order, visited = [], set()
    for root in roots:
        if id(root) in visited:
            continue
        visited.add(id(root))
        stack = [(root, iter(_children(root)))]
        while stack:
            target, children = stack[-1]
            for child in children:
                if id(child) not in visited:
                    visited.add(id(child))
                    stack.append((child, iter(_children(child))))
                    break
            else:
                stack.pop()
                order.append(target)
    order.reverse()
    return order


def _children(target) -> list:
    if isinstance(target, Node):
        return [edge[0] for edge in target.next_functions if edge is not None]
    return []


def _prune(order: list, wanted: set) -> set:
    """Ids of the targets from which some wanted target is reachable (the only ones worth running)."""
    useful = set()
    for target in reversed(order):
        if id(target) in wanted or any(
            id(child) in useful for child in _children(target)
        ):
            useful.add(id(target))
    return useful


def _accumulate(buffers: dict, key: int, slot: int, count: int, value) -> None:
    grads = buffers.get(key)
    if grads is None:
        grads = buffers[key] = [None] * count
    previous = grads[slot]
    grads[slot] = value if previous is None else previous + value


def _owned(grad, handed_out: set):
    """A gradient safe to store in ``.grad``: writable, not a view, not shared with another leaf."""
    from gradwork.tensor import Tensor

    array = grad._data
    if array.base is not None or not array.flags.writeable or id(array) in handed_out:
        return Tensor._make(array.copy())
    handed_out.add(id(array))
    return grad


def run_backward(
    roots,
    root_grads,
    *,
    retain_graph: bool,
    create_graph: bool,
    inputs=None,
    accumulate: bool = True,
):
    """Propagate ``root_grads`` from ``roots`` back through the graph.

    With ``accumulate`` the gradients of leaf tensors are added to their ``.grad``; otherwise
    the gradients of ``inputs`` are returned (``None`` for inputs that no path reaches).
    """
    from gradwork.tensor import Tensor

    buffers: dict[int, list] = {}
    start = []
    for root, root_grad in zip(roots, root_grads):
        target = root.grad_fn if root.grad_fn is not None else root
        slot = root._output_nr if root.grad_fn is not None else 0
        count = target._num_outputs if isinstance(target, Node) else 1
        _accumulate(buffers, id(target), slot, count, root_grad)
        start.append(target)

    order = _topological_order(start)
    captured: dict[int, int] = {}  # id(target), output_nr -> index in inputs
    if inputs is not None:
        for index, tensor in enumerate(inputs):
            target = tensor.grad_fn if tensor.grad_fn is not None else tensor
            captured[(id(target), tensor._output_nr if tensor.grad_fn is not None else 0)] = index
        useful = _prune(order, {key[0] for key in captured})
    results = [None] * (len(inputs) if inputs is not None else 0)
    handed_out: set = set()

    previous_mode = grad_mode.state.enabled
    grad_mode.state.enabled = create_graph
    try:
        for target in order:
            grads = buffers.pop(id(target), None)
            if grads is None:
                continue
            if inputs is not None and id(target) not in useful:
                continue
            if isinstance(target, Tensor):
                grad = grads[0]
                for hook in target._hooks or ():
                    replaced = hook(grad)
                    if replaced is not None:
                        grad = replaced
                if inputs is not None:
                    index = captured.get((id(target), 0))
                    if index is not None:
                        results[index] = grad
                elif accumulate:
                    if target.grad is None:
                        target.grad = grad if create_graph else _owned(grad, handed_out)
                    else:
                        target.grad = target.grad + grad
                continue
            grads = _run_pre_hooks(target, grads)
            if inputs is not None:
                for slot, grad in enumerate(grads):
                    index = captured.get((id(target), slot))
                    if index is not None and grad is not None:
                        results[index] = grad
                if not any(
                    edge is not None and id(edge[0]) in useful for edge in target.next_functions
                ):
                    continue
            input_grads = _call_backward(target, grads)
            for edge, input_grad in zip(target.next_functions, input_grads):
                if edge is None or input_grad is None:
                    continue
                child, slot = edge
                count = child._num_outputs if isinstance(child, Node) else 1
                _accumulate(buffers, id(child), slot, count, input_grad)
            if not retain_graph:
                target._saved = None
                target._freed = True
                target.__dict__.clear()
    finally:
        grad_mode.state.enabled = previous_mode
    return results


def _run_pre_hooks(node: Node, grads: list) -> list:
    if not node._pre_hooks:
        return grads
    grads = list(grads)
    for slot, hooks in node._pre_hooks.items():
        for hook in hooks:
            if grads[slot] is not None:
                replaced = hook(grads[slot])
                if replaced is not None:
                    grads[slot] = replaced
    return grads


def _call_backward(node: Node, grads: list) -> tuple:
    if node._freed:
        from gradwork.autograd.function import _FREED_MESSAGE

        raise RuntimeError(_FREED_MESSAGE)
    if any(g is None for g in grads) and node.__dict__.get("_materialize_grads", True):
        grads = [g if g is not None else _zeros_for(node, slot) for slot, g in enumerate(grads)]
    result = type(node).backward(node, *grads)
    if type(result) is not tuple:
        result = (result,)
    expected = len(node.next_functions)
    if len(result) < expected:
        # Trailing non-tensor arguments may be left out, as PyTorch allows for custom Functions.
        result = result + (None,) * (expected - len(result))
    elif len(result) > expected:
        raise RuntimeError(
            f"{node.name()}: backward returned {len(result)} gradients, but forward took "
            f"{expected} inputs"
        )
    if anomaly.state.enabled:
        anomaly.check_backward(node, result)
    return result


def _zeros_for(node: Node, slot: int):
    """Zeros shaped like output ``slot`` of ``node``, for an output that received no gradient."""
    shapes = node.__dict__.get("_output_shapes")
    if shapes is None:
        raise RuntimeError(f"{node.name()}: output {slot} received no gradient")
    import numpy as np

    from gradwork.tensor import Tensor

    shape, dtype = shapes[slot]
    return Tensor._make(np.zeros(shape, dtype))
