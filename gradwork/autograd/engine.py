"""The backward pass: walk the graph in reverse topological order and propagate gradients.

The graph's nodes (``grad_fn``) are ordered without recursion (deep graphs, such as an RNN over
thousands of steps, would overflow Python's recursion limit), deterministically. Leaf tensors
collect what reaches them and receive their gradients (hooks, then ``.grad``) after the last
node has run. Unless ``retain_graph`` is set, each node's saved state is freed as soon as its
backward has run.
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
    """All nodes reachable from the nodes ``roots``, each before every node it sends gradient to.

    Kahn's algorithm: count each node's incoming edges in one traversal, then release a node
    once every node feeding it has been placed. No recursion, and the order is deterministic.
    Leaf tensors are left out: they send gradient nowhere, so their place in the order does not
    matter (the engine delivers their gradients after the last node).
    """
    roots = list({id(root): root for root in roots}.values())  # one entry per distinct root
    root_ids = {id(root) for root in roots}
    incoming: dict[int, int] = {}
    stack = list(roots)
    while stack:
        for edge in stack.pop().next_functions:
            if edge is None or isinstance(edge[0], Tensor):
                continue
            key = id(edge[0])
            if key in incoming:
                incoming[key] += 1
            else:
                incoming[key] = 1
                if key not in root_ids:
                    stack.append(edge[0])
    order = []
    ready = [root for root in roots if id(root) not in incoming]
    while ready:
        node = ready.pop()
        order.append(node)
        for edge in node.next_functions:
            if edge is None or isinstance(edge[0], Tensor):
                continue
            key = id(edge[0])
            incoming[key] -= 1
            if not incoming[key]:
                ready.append(edge[0])
    return order


def _prune(order: list, wanted: set) -> set:
    """Ids of the targets (nodes in ``order``, and the leaves among ``wanted``) from which a
    wanted target is reachable: the only ones worth running."""
    useful = set(wanted)
    for node in reversed(order):
        if id(node) in useful or any(
            edge is not None and id(edge[0]) in useful for edge in node.next_functions
        ):
            useful.add(id(node))
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
    buffers: dict[int, list] = {}  # id(node) -> gradient per output slot
    leaf_grads: dict[int, list] = {}  # id(leaf) -> [leaf, gradient], delivered after the nodes
    start = []
    for root, root_grad in zip(roots, root_grads):
        value = root_grad._data if as_arrays else root_grad
        if root.grad_fn is None:
            _collect(leaf_grads, root, value)
            continue
        node, slot = root.grad_fn, root._output_nr
        grads = buffers.get(id(node))
        if grads is None:
            grads = buffers[id(node)] = [None] * node._num_outputs
        grads[slot] = value if grads[slot] is None else grads[slot] + value
        start.append(node)

    order = _topological_order(start)
    captured: dict = {}  # (id(target), output_nr) -> index in inputs
    useful = None
    if inputs is not None:
        for index, tensor in enumerate(inputs):
            target = tensor.grad_fn if tensor.grad_fn is not None else tensor
            captured[(id(target), tensor._output_nr if tensor.grad_fn is not None else 0)] = index
        useful = _prune(order, {key[0] for key in captured})
    results = [None] * (len(inputs) if inputs is not None else 0)
    check_anomaly = anomaly.state.enabled

    # a first-order pass without anomaly checks or profiling calls fast rules directly
    direct = as_arrays and not check_anomaly and _profile_hook is None
    previous_mode = grad_mode.state.enabled
    grad_mode.state.enabled = create_graph
    try:
        for node in order:
            grads = buffers.pop(id(node), None)
            if grads is None or (useful is not None and id(node) not in useful):
                continue
            if node._pre_hooks:
                grads = _run_pre_hooks(node, grads, as_arrays)
            if captured:
                for slot, grad in enumerate(grads):
                    index = captured.get((id(node), slot))
                    if index is not None and grad is not None:
                        results[index] = _make(grad) if as_arrays else grad
                if not any(
                    edge is not None and id(edge[0]) in useful for edge in node.next_functions
                ):
                    continue
            fast = type(node).fast_backward if direct else None
            if fast is not None and len(grads) == 1 and not node._freed:
                input_grads = _complete(node, fast(node, grads[0]))  # the common case, inline
            else:
                input_grads = _call_backward(node, grads, check_anomaly, as_arrays)
            for edge, input_grad in zip(node.next_functions, input_grads):
                if edge is None or input_grad is None:
                    continue
                child, slot = edge
                if isinstance(child, Tensor):
                    _collect(leaf_grads, child, input_grad)
                    continue
                key = id(child)
                child_grads = buffers.get(key)
                if child_grads is None:
                    child_grads = buffers[key] = [None] * child._num_outputs
                previous = child_grads[slot]
                child_grads[slot] = input_grad if previous is None else previous + input_grad
            if not retain_graph:
                node.__dict__.clear()  # saved tensors and state: gone as soon as they are used
                node._freed = True
        handed_out: set = set()
        for leaf, grad in leaf_grads.values():
            if useful is None or id(leaf) in useful:
                grad = _make(grad) if as_arrays else grad
                _deliver_to_leaf(leaf, grad, captured, results, create_graph, handed_out)
    finally:
        grad_mode.state.enabled = previous_mode
    return results


def _collect(leaf_grads: dict, leaf, grad) -> None:
    """Add ``grad`` to what ``leaf`` has received in this pass."""
    entry = leaf_grads.get(id(leaf))
    if entry is None:
        leaf_grads[id(leaf)] = [leaf, grad]
    else:
        entry[1] = entry[1] + grad


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
