"""Linear algebra primitives: matrix products, einsum and the fused linear layer.

One GEMM primitive, :class:`MatMul`, computes ``op(a) @ op(b)`` where ``op`` optionally swaps the
last two axes (a strided view: BLAS reads transposed operands without a copy). Its gradients are
again products of that form, so no transpose op is needed and higher derivatives come for free
(JAX's ``dot_general`` idea). Batch dimensions broadcast; their gradients are summed back with
:func:`gradwork.ops.reduce.sum_to`.
"""

from __future__ import annotations

import string

import numpy as np

from gradwork import _threads
from gradwork.autograd.function import Function
from gradwork.ops._util import check, check_tensor, format_shape
from gradwork.ops.reduce import sum_leading_axes, sum_to, sum_to_array
from gradwork.tensor import Tensor

__all__ = ["matmul", "mm", "bmm", "outer", "dot", "einsum", "linear"]


# -- the GEMM primitive -----------------------------------------------------------------------
def _maybe_transposed(array: np.ndarray, transpose: bool) -> np.ndarray:
    return np.swapaxes(array, -1, -2) if transpose else array


class MatMul(Function):
    """out = op(a) @ op(b), op = identity or a swap of the last two axes; batch dims broadcast.

    With C = A B:  dA = G B^T,  dB = A^T G. A transposed operand A = X^T gets
    dX = (G B^T)^T = B G^T, so every gradient is again a ``MatMul`` with transpose flags.
    """

    @staticmethod
    def forward(ctx, a, b, transpose_a, transpose_b):
        ctx.save_for_backward(a, b)
        ctx.flags = (transpose_a, transpose_b)
        return _threads.gemm(
            _maybe_transposed(a._data, transpose_a), _maybe_transposed(b._data, transpose_b)
        )

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        transpose_a, transpose_b = ctx.flags
        need_a, need_b = ctx.needs_input_grad[:2]
        grad_a = grad_b = None
        if need_a:
            if transpose_a:
                grad_a = MatMul.apply(b, grad, transpose_b, True)
            else:
                grad_a = MatMul.apply(grad, b, False, not transpose_b)
            grad_a = sum_to(grad_a, a._data.shape)
        if need_b:
            if transpose_b:
                grad_b = MatMul.apply(grad, a, True, transpose_a)
            else:
                grad_b = MatMul.apply(a, grad, not transpose_a, False)
            grad_b = sum_to(grad_b, b._data.shape)
        return grad_a, grad_b, None, None

    @staticmethod
    def fast_backward(ctx, grad):
        a, b = ctx.saved_tensors
        a, b = a._data, b._data
        transpose_a, transpose_b = ctx.flags
        need_a, need_b = ctx.needs_input_grad[:2]
        grad_a = grad_b = None
        if need_a:
            # d op(a) = G op(b)^T, and a = op(a)^T when transposed
            grad_op_a = _threads.gemm(
                grad, _maybe_transposed(_maybe_transposed(b, transpose_b), True)
            )
            grad_a = sum_to_array(_maybe_transposed(grad_op_a, transpose_a), a.shape)
        if need_b:
            grad_op_b = _threads.gemm(
                _maybe_transposed(_maybe_transposed(a, transpose_a), True), grad
            )
            grad_b = sum_to_array(_maybe_transposed(grad_op_b, transpose_b), b.shape)
        return grad_a, grad_b, None, None


def _check_same_dtype(op: str, a: Tensor, b: Tensor) -> None:
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"{op}: expected both arguments to have the same dtype, but got {a.dtype} and {b.dtype}"
        )


def _mismatch(op: str, a_shape, b_shape, inner_a: int, inner_b: int) -> RuntimeError:
    return RuntimeError(
        f"{op}: shapes {format_shape(a_shape)} and {format_shape(b_shape)} cannot be multiplied "
        f"({inner_a} != {inner_b})"
    )


def _batch_shape(op: str, a_shape: tuple, b_shape: tuple) -> tuple:
    """The broadcast batch shape of two stacks of matrices (everything but the last two dims)."""
    try:
        return np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    except ValueError:
        raise RuntimeError(
            f"{op}: batch dimensions {format_shape(a_shape[:-2])} and "
            f"{format_shape(b_shape[:-2])} of shapes {format_shape(a_shape)} and "
            f"{format_shape(b_shape)} are not broadcastable"
        ) from None


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy/PyTorch semantics: ``out = input @ other``.

    - 1-D @ 1-D: the dot product ``sum_k a_k b_k`` (a 0-d tensor);
    - 2-D @ 2-D: the matrix product ``out_ij = sum_k a_ik b_kj``;
    - 1-D @ N-D: ``input`` is treated as a row vector (a 1 is prepended, then removed);
    - N-D @ 1-D: ``other`` is treated as a column vector (a 1 is appended, then removed);
    - batched: leading (batch) dimensions broadcast; their gradients are summed back.

    Args:
        input: the left operand, at least 1-D.
        other: the right operand, at least 1-D.

    Shape: ``(*, n, k) @ (*, k, m) -> (*, n, m)`` with ``*`` broadcast.

    Example:
        >>> import gradwork
        >>> a = gradwork.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> a @ gradwork.tensor([1.0, 1.0])
        tensor([3., 7.])
    """
    check_tensor(input, "matmul", "input")
    check_tensor(other, "matmul", "other")
    a_shape, b_shape = input._data.shape, other._data.shape
    if not a_shape or not b_shape:
        raise RuntimeError(
            f"matmul: both arguments need at least 1 dimension, got shapes "
            f"{format_shape(a_shape)} and {format_shape(b_shape)}"
        )
    inner_a = a_shape[-1]
    inner_b = b_shape[-2] if len(b_shape) >= 2 else b_shape[0]
    if inner_a != inner_b:
        raise _mismatch("matmul", a_shape, b_shape, inner_a, inner_b)
    _check_same_dtype("matmul", input, other)
    if len(a_shape) == 2 and len(b_shape) == 2:  # the common case: no batch, nothing to reshape
        return MatMul.apply(input, other, False, False)
    a_vector, b_vector = len(a_shape) == 1, len(b_shape) == 1
    if a_vector:
        input = input.reshape((1, inner_a))
    if b_vector:
        other = other.reshape((inner_b, 1))
    a_shape, b_shape = input._data.shape, other._data.shape
    if len(a_shape) > 2 and len(b_shape) == 2:
        # a stack times one matrix is one GEMM over the stacked rows (a view for contiguous input)
        rows = input.reshape((-1, inner_a))
        result = MatMul.apply(rows, other, False, False)
        shape = a_shape[:-1] + (b_shape[-1],)
    else:
        batch = _batch_shape("matmul", a_shape, b_shape)
        result = MatMul.apply(input, other, False, False)
        shape = batch + (a_shape[-2], b_shape[-1])
    if a_vector:
        shape = shape[:-2] + shape[-1:]
    if b_vector:
        shape = shape[:-1]
    return result.reshape(shape)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Matrix product of two 2-D tensors: ``out_ij = sum_k input_ik mat2_kj`` (no broadcasting).

    Args:
        input: a matrix of shape ``(n, k)``.
        mat2: a matrix of shape ``(k, m)``.

    Shape: ``(n, k), (k, m) -> (n, m)``.

    Example:
        >>> import gradwork
        >>> gradwork.mm(gradwork.ones(2, 3), gradwork.ones(3, 4)).shape
        (2, 4)
    """
    check_tensor(input, "mm", "input")
    check_tensor(mat2, "mm", "mat2")
    a_shape, b_shape = input._data.shape, mat2._data.shape
    check(
        len(a_shape) == 2 and len(b_shape) == 2,
        "mm",
        f"expected 2-D tensors, got shapes {format_shape(a_shape)} and {format_shape(b_shape)}",
    )
    if a_shape[1] != b_shape[0]:
        raise _mismatch("mm", a_shape, b_shape, a_shape[1], b_shape[0])
    _check_same_dtype("mm", input, mat2)
    return MatMul.apply(input, mat2, False, False)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of 3-D tensors: ``out_bij = sum_k input_bik mat2_bkj``.

    Args:
        input: a batch of matrices ``(b, n, k)``.
        mat2: a batch of matrices ``(b, k, m)`` (same batch size; no broadcasting).

    Shape: ``(b, n, k), (b, k, m) -> (b, n, m)``.

    Example:
        >>> import gradwork
        >>> gradwork.bmm(gradwork.ones(5, 2, 3), gradwork.ones(5, 3, 4)).shape
        (5, 2, 4)
    """
    check_tensor(input, "bmm", "input")
    check_tensor(mat2, "bmm", "mat2")
    a_shape, b_shape = input._data.shape, mat2._data.shape
    check(
        len(a_shape) == 3 and len(b_shape) == 3,
        "bmm",
        f"expected 3-D tensors, got shapes {format_shape(a_shape)} and {format_shape(b_shape)}",
    )
    check(
        a_shape[0] == b_shape[0],
        "bmm",
        f"batch sizes of shapes {format_shape(a_shape)} and {format_shape(b_shape)} differ "
        f"({a_shape[0]} != {b_shape[0]})",
    )
    if a_shape[2] != b_shape[1]:
        raise _mismatch("bmm", a_shape, b_shape, a_shape[2], b_shape[1])
    _check_same_dtype("bmm", input, mat2)
    return MatMul.apply(input, mat2, False, False)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two vectors: ``out_ij = input_i * vec2_j``.

    Args:
        input: a 1-D tensor of size ``n``.
        vec2: a 1-D tensor of size ``m``.

    Shape: ``(n,), (m,) -> (n, m)``.

    Example:
        >>> import gradwork
        >>> gradwork.outer(gradwork.tensor([1.0, 2.0]), gradwork.tensor([1.0, 10.0]))
        tensor([[ 1., 10.],
                [ 2., 20.]])
    """
    check_tensor(input, "outer", "input")
    check_tensor(vec2, "outer", "vec2")
    check(
        input._data.ndim == 1 and vec2._data.ndim == 1,
        "outer",
        f"expected 1-D tensors, got shapes {format_shape(input._data.shape)} and "
        f"{format_shape(vec2._data.shape)}",
    )
    return input.reshape((-1, 1)) * vec2.reshape((1, -1))


def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """Dot product of two vectors of the same size: ``out = sum_k input_k tensor_k`` (0-d).

    Args:
        input: a 1-D tensor.
        tensor: a 1-D tensor of the same size.

    Example:
        >>> import gradwork
        >>> gradwork.dot(gradwork.tensor([1.0, 2.0]), gradwork.tensor([3.0, 4.0]))
        tensor(11.)
    """
    check_tensor(input, "dot", "input")
    check_tensor(tensor, "dot", "tensor")
    a_shape, b_shape = input._data.shape, tensor._data.shape
    check(
        len(a_shape) == 1 and len(b_shape) == 1,
        "dot",
        f"expected 1-D tensors, got shapes {format_shape(a_shape)} and {format_shape(b_shape)}",
    )
    if a_shape[0] != b_shape[0]:
        raise RuntimeError(
            f"dot: inconsistent tensor sizes: shapes {format_shape(a_shape)} and "
            f"{format_shape(b_shape)} ({a_shape[0]} != {b_shape[0]})"
        )
    return matmul(input, tensor)


# -- einsum -----------------------------------------------------------------------------------
class Einsum(Function):
    """out = einsum(terms -> output, *operands), every label explicit and sizes consistent.

    The gradient for operand i is the einsum of the output gradient with the other operands,
    written to operand i's labels: ``dA_i = einsum(out, *others -> term_i)``. A label repeated in
    ``term_i`` (a diagonal) is written through an identity matrix (``delta_ab``); a label that
    occurs only in ``term_i`` (summed away in the forward) is broadcast back with ``expand``.
    """

    @staticmethod
    def forward(ctx, spec, *operands):
        terms, output = spec
        ctx.spec = spec
        ctx.save_for_backward(*operands)
        equation = ",".join(terms) + "->" + output
        arrays = [operand._data for operand in operands]
        return np.einsum(equation, *arrays, optimize=len(arrays) > 1)

    @staticmethod
    def backward(ctx, grad):
        terms, output = ctx.spec
        operands = ctx.saved_tensors
        grads = [None]
        for index in range(len(terms)):
            if not ctx.needs_input_grad[index + 1]:
                grads.append(None)
                continue
            grads.append(_einsum_operand_grad(grad, output, operands, terms, index))
        return tuple(grads)


def _einsum_operand_grad(grad, output, operands, terms, index) -> Tensor:
    term = terms[index]
    shape = operands[index]._data.shape
    others = [(t, o) for k, (t, o) in enumerate(zip(terms, operands)) if k != index]
    used = set(output) | set("".join(terms))
    fresh = iter(letter for letter in string.ascii_letters if letter not in used)
    # a repeated label becomes a fresh label tied to the first by an identity matrix
    target, identities, seen = [], [], {}
    for axis, label in enumerate(term):
        if label in seen:
            new_label = next(fresh)
            eye = np.eye(shape[axis], dtype=grad._data.dtype)
            identities.append((label + new_label, Tensor._make(eye)))
            target.append(new_label)
        else:
            seen[label] = axis
            target.append(label)
    present = set(output).union(*(set(t) for t, _ in others), *(set(t) for t, _ in identities))
    kept = "".join(label for label in target if label in present)
    in_terms = [output] + [t for t, _ in others] + [t for t, _ in identities]
    in_operands = [grad] + [o for _, o in others] + [o for _, o in identities]
    result = Einsum.apply((tuple(in_terms), kept), *in_operands)
    if len(kept) != len(target):
        # labels summed away in the forward: their gradient is the same along them
        keep_shape = tuple(size if label in present else 1 for label, size in zip(target, shape))
        result = result.reshape(keep_shape).expand(shape)
    return result


def _parse_term(term: str, op: str) -> list:
    """The labels of one term as a list; ``'...'`` stays one item."""
    labels, position = [], 0
    while position < len(term):
        if term.startswith("...", position):
            check(
                "..." not in labels, op, f"more than one ellipsis in the term {term!r}", ValueError
            )
            labels.append("...")
            position += 3
            continue
        letter = term[position]
        check(
            letter in string.ascii_letters,
            op,
            f"invalid subscript {letter!r} in the equation; subscripts must be letters a-z, A-Z",
            ValueError,
        )
        labels.append(letter)
        position += 1
    return labels


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation: ``out[output labels] = sum over the other labels of prod_i operand_i``.

    Supports PyTorch's forms: explicit (``'ij,jk->ik'``) and implicit (``'ij,jk'``, the output is
    the labels that occur once, sorted) equations, ``...`` for broadcast batch dimensions,
    repeated labels (diagonals, traces: ``'ii->i'``, ``'ii'``) and size-1 broadcasting. The
    operands may also be given as one list.

    Args:
        equation: the subscripts, letters ``a-z``/``A-Z``, one comma-separated term per operand.
        operands: the tensors (all of one dtype).

    Example:
        >>> import gradwork
        >>> a = gradwork.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> gradwork.einsum("ij,j->i", a, gradwork.tensor([1.0, -1.0]))
        tensor([-1., -1.])
        >>> gradwork.einsum("ii", a)
        tensor(5.)
    """
    op = "einsum"
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    check(len(operands) > 0, op, "must provide at least one operand", ValueError)
    for position, operand in enumerate(operands):
        check_tensor(operand, op, f"operands[{position}]")
    for operand in operands[1:]:
        check(
            operand._data.dtype == operands[0]._data.dtype,
            op,
            f"expected all operands to have the same dtype, but got {operands[0].dtype} and "
            f"{operand.dtype}",
        )
    equation = equation.replace(" ", "")
    left, arrow, right = equation.partition("->")
    terms = [_parse_term(term, op) for term in left.split(",")]
    check(
        len(terms) == len(operands),
        op,
        f"the equation {equation!r} has {len(terms)} operand term(s) but {len(operands)} "
        "tensor(s) were given",
        ValueError,
    )
    letters = {label for term in terms for label in term if label != "..."}
    if arrow:
        output_labels = _parse_term(right, op)
        for label in output_labels:
            check(
                label == "..." or label in letters,
                op,
                f"output subscript {label!r} does not appear in the inputs of {equation!r}",
                ValueError,
            )
            check(
                output_labels.count(label) == 1,
                op,
                f"output subscript {label!r} appears more than once in {equation!r}",
                ValueError,
            )
    else:
        counts = {}
        for term in terms:
            for label in term:
                counts[label] = counts.get(label, 0) + 1
        output_labels = ["..."] if any("..." in term for term in terms) else []
        output_labels += sorted(
            label for label, count in counts.items() if count == 1 and label != "..."
        )
    # ellipses become fresh letters, right-aligned as in broadcasting
    ellipsis_dims = 0
    for term, operand in zip(terms, operands):
        named = len(term) - ("..." in term)
        ndim = operand._data.ndim
        if "..." in term:
            check(
                ndim >= named,
                op,
                f"the term {''.join(term)!r} needs at least {named} dimensions, but the operand "
                f"has shape {format_shape(operand._data.shape)}",
            )
            ellipsis_dims = max(ellipsis_dims, ndim - named)
        else:
            check(
                ndim == named,
                op,
                f"the term {''.join(term)!r} has {named} subscripts, but the operand has shape "
                f"{format_shape(operand._data.shape)}",
            )
    spare = [letter for letter in string.ascii_letters if letter not in letters]
    check(len(spare) >= ellipsis_dims, op, "too many dimensions under '...'", ValueError)
    batch = spare[:ellipsis_dims]
    explicit_terms = []
    for term, operand in zip(terms, operands):
        if "..." in term:
            covered = operand._data.ndim - (len(term) - 1)
            at = term.index("...")
            term = term[:at] + batch[ellipsis_dims - covered :] + term[at + 1 :]
        explicit_terms.append(term)
    if "..." in output_labels:
        at = output_labels.index("...")
        output_labels = output_labels[:at] + batch + output_labels[at + 1 :]
    # sizes: equal, or 1 and broadcast (with a differentiable expand)
    sizes = {}
    for term, operand in zip(explicit_terms, operands):
        for label, size in zip(term, operand._data.shape):
            if sizes.get(label, 1) == 1:
                sizes[label] = size
            elif size not in (1, sizes[label]):
                raise RuntimeError(
                    f"einsum: subscript {label!r} has size {size} for an operand of shape "
                    f"{format_shape(operand._data.shape)}, which does not match size "
                    f"{sizes[label]} elsewhere in {equation!r}"
                )
    expanded = []
    for term, operand in zip(explicit_terms, operands):
        target = tuple(sizes[label] for label in term)
        if target != operand._data.shape:
            check(
                len(set(term)) == len(term),
                op,
                f"cannot broadcast a size-1 dimension under a repeated subscript in {equation!r}",
            )
            operand = operand.expand(target)
        expanded.append(operand)
    spec = (tuple("".join(term) for term in explicit_terms), "".join(output_labels))
    return Einsum.apply(spec, *expanded)


# -- the fused linear layer -------------------------------------------------------------------
class Linear(Function):
    """y = x W^T + b with one GEMM over the flattened leading dims (the bias added in place).

    dx = G W,  dW = G^T x,  db = sum of G over rows (x and G flattened to matrices).
    """

    @staticmethod
    def forward(ctx, x, weight, bias):
        in_features, out_features = weight._data.shape[1], weight._data.shape[0]
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        rows = x._data.reshape(-1, in_features)
        out = _threads.gemm(rows, weight._data.T)
        if bias is not None:
            out += bias._data
        return out.reshape(x._data.shape[:-1] + (out_features,))

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_weight, need_bias = ctx.needs_input_grad
        out_features, in_features = weight._data.shape
        grad_rows = grad.reshape((-1, out_features))
        grad_x = grad_weight = grad_bias = None
        if need_x:
            grad_x = MatMul.apply(grad_rows, weight, False, False).reshape(x._data.shape)
        if need_weight:
            grad_weight = MatMul.apply(grad_rows, x.reshape((-1, in_features)), True, False)
        if need_bias:
            grad_bias = grad_rows.sum(0)
        return grad_x, grad_weight, grad_bias

    @staticmethod
    def fast_backward(ctx, grad):
        x, weight = ctx.saved_tensors
        x, weight = x._data, weight._data
        need_x, need_weight, need_bias = ctx.needs_input_grad
        out_features, in_features = weight.shape
        grad_rows = grad.reshape(-1, out_features)
        grad_x = grad_weight = grad_bias = None
        if need_x:
            grad_x = _threads.gemm(grad_rows, weight).reshape(x.shape)
        if need_weight:
            grad_weight = _threads.gemm(grad_rows.T, x.reshape(-1, in_features))
        if need_bias:
            grad_bias = sum_leading_axes(grad_rows, 1)
        return grad_x, grad_weight, grad_bias


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Affine map ``y = x W^T + b``; fused to one GEMM (the bias is added in place to its result).

    Args:
        input: ``(*, in_features)``.
        weight: ``(out_features, in_features)``.
        bias: ``(out_features,)`` or ``None``.

    Shape: ``(*, in_features) -> (*, out_features)``.

    Example:
        >>> import gradwork
        >>> x, w, b = gradwork.ones(4, 3), gradwork.ones(2, 3), gradwork.tensor([0.0, 1.0])
        >>> gradwork.linear(x, w, b).shape
        (4, 2)
    """
    if not _plain_linear_arguments(input, weight, bias):
        bias = _checked_linear_arguments(input, weight, bias)
    return Linear.apply(input, weight, bias)


def _plain_linear_arguments(input, weight, bias) -> bool:
    """Whether the arguments are the common case, checked in one pass: tensors of one dtype,
    a 2-D weight whose columns match the input's last dimension, no bias or one per row."""
    if not (isinstance(input, Tensor) and isinstance(weight, Tensor)):
        return False
    x, w = input._data, weight._data
    if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[1] or x.dtype != w.dtype:
        return False
    return bias is None or (
        isinstance(bias, Tensor) and bias._data.shape == w.shape[:1] and bias._data.dtype == x.dtype
    )


def _checked_linear_arguments(input, weight, bias):
    """Raise the error that names what is wrong with ``linear``'s arguments; return the bias
    (a scalar or one-element bias expanded to one per output feature)."""
    op = "linear"
    check_tensor(input, op, "input")
    check_tensor(weight, op, "weight")
    x_shape, w_shape = input._data.shape, weight._data.shape
    if len(w_shape) != 2:
        raise RuntimeError(f"linear: expected a 2-D weight, got shape {format_shape(w_shape)}")
    check(len(x_shape) >= 1, op, "expected an input with at least 1 dimension, got a 0-d tensor")
    if x_shape[-1] != w_shape[1]:
        raise RuntimeError(
            f"linear: input of shape {format_shape(x_shape)} and weight of shape "
            f"{format_shape(w_shape)} cannot be multiplied (in_features {x_shape[-1]} != "
            f"{w_shape[1]})"
        )
    _check_same_dtype(op, input, weight)
    if bias is not None:
        check_tensor(bias, op, "bias")
        if bias._data.shape not in ((w_shape[0],), (), (1,)):
            raise RuntimeError(
                f"linear: expected bias of shape ({w_shape[0]},), got "
                f"{format_shape(bias._data.shape)}"
            )
        _check_same_dtype(op, input, bias)
        if bias._data.shape != (w_shape[0],):
            bias = bias.expand((w_shape[0],))
    return bias
