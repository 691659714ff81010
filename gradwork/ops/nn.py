"""Neural-network functions, as ``torch.nn.functional``: softmax, layer norm, dropout, attention,
embedding, bilinear maps and a few more activations.

A few are fused (forward in NumPy, backward written in gradwork ops so higher orders still work)
where fusing buys numerical stability or speed; each says why in its first line. The rest are
short composites of primitives.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from gradwork import _backend
from gradwork._threads import parallel_for
from gradwork.autograd.function import Function
from gradwork.autograd.grad_mode import no_grad
from gradwork.ops import elementwise
from gradwork.ops._util import check, check_floating, check_tensor, format_shape, normalize_dim
from gradwork.ops.indexing import IndexAdd, IndexSelect
from gradwork.ops.linalg import einsum
from gradwork.ops.reduce import sum_last_axis
from gradwork.random import _generator
from gradwork.tensor import Tensor

__all__ = [
    "softmax",
    "log_softmax",
    "layer_norm",
    "dropout",
    "scaled_dot_product_attention",
    "embedding",
    "bilinear",
]


# -- softmax --------------------------------------------------------------------------------------
def _sum_along(array: np.ndarray, axis: int) -> np.ndarray:
    """``array.sum(axis, keepdims=True)``; over the last axis of a float array by BLAS."""
    if array.dtype.kind == "f" and axis in (-1, array.ndim - 1):
        return sum_last_axis(array)
    # the ufunc's reduce method directly: np.sum adds microseconds of Python per call
    return np.add.reduce(array, axis=axis, keepdims=True)


def log_softmax_array(array: np.ndarray, axis: int) -> np.ndarray:
    """``x - max - log(sum(exp(x - max)))``: exp never sees a positive argument (no overflow)."""
    if array.ndim == 0:
        return log_softmax_array(array.reshape(1), 0).reshape(())
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        shifted = array - np.maximum.reduce(array, axis=axis, keepdims=True, initial=-np.inf)
        return shifted - np.log(_sum_along(np.exp(shifted), axis))


def softmax_array(array: np.ndarray, axis: int) -> np.ndarray:
    if array.ndim == 0:
        return softmax_array(array.reshape(1), 0).reshape(())
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        exps = array - np.maximum.reduce(array, axis=axis, keepdims=True, initial=-np.inf)
        np.exp(exps, out=exps)
        exps /= _sum_along(exps, axis)
        return exps


class Softmax(Function):
    """y = exp(x - max x) / sum exp(x - max x);  dx = y * (g - sum(g * y)).

    Fused for stability: shifting by the max keeps exp from overflowing (and it is one node).
    """

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        y = Tensor._make(softmax_array(x._data, dim))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return y * (grad - (grad * y).sum(ctx.dim, keepdim=True)), None


class LogSoftmax(Function):
    """y = x - max x - log sum exp(x - max x);  dx = g - exp(y) * sum(g).

    Fused for stability: log-probabilities straight from the shifted logits, never log(0) of an
    underflowed probability.
    """

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        y = Tensor._make(log_softmax_array(x._data, dim))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad - y.exp() * grad.sum(ctx.dim, keepdim=True), None


def _softmax_dim(op: str, input: Tensor, dim, dtype) -> tuple:
    check_tensor(input, op)
    if dtype is not None:
        input = input.to(dtype)
    check_floating(input, op)
    if dim is None:  # PyTorch's legacy choice of dimension, with its warning
        warnings.warn(
            f"{op}: implicit dimension choice is deprecated; pass dim explicitly", stacklevel=3
        )
        dim = 0 if input.ndim in (0, 1, 3) else 1
    return input, normalize_dim(dim, input.ndim, op)


def softmax(input: Tensor, dim: int | None = None, *, dtype=None) -> Tensor:
    """Softmax along ``dim``: ``exp(x_i) / sum_j exp(x_j)``, computed as ``exp(x_i - max x)``.

    Rows that are all ``-inf`` give ``nan``, as in PyTorch.

    Args:
        input: floating point tensor of logits.
        dim: the dimension the probabilities sum to one along.
        dtype: if given, ``input`` is cast to it first.

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> gradwork.softmax(gradwork.tensor([1.0, 1.0, 1e4]), dim=0)
        tensor([0., 0., 1.])
    """
    input, dim = _softmax_dim("softmax", input, dim, dtype)
    return Softmax.apply(input, dim)


def log_softmax(input: Tensor, dim: int | None = None, *, dtype=None) -> Tensor:
    """Log-softmax along ``dim``: ``x_i - log sum_j exp(x_j)``, stable for any finite logits.

    Args:
        input: floating point tensor of logits.
        dim: the dimension to normalise along.
        dtype: if given, ``input`` is cast to it first.

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> gradwork.log_softmax(gradwork.tensor([0.0, 1e4]), dim=0)
        tensor([-10000.,      0.])
    """
    input, dim = _softmax_dim("log_softmax", input, dim, dtype)
    return LogSoftmax.apply(input, dim)


# -- normalisation, regularisation, attention -----------------------------------------------------
def add_rstd_gradient(grad_x, grad_rstd, rstd, y, dims: tuple):
    """``grad_x`` plus what the ``rstd`` output of a normalisation passes to ``x``:
    ``-g_rstd rstd^2 y / n`` (n: the elements normalised together). Tensors or arrays alike;
    either gradient may be None."""
    if grad_rstd is None:
        return grad_x
    count = math.prod(y.shape[axis] for axis in dims)
    from_rstd = -(grad_rstd * rstd * rstd / count) * y
    return from_rstd if grad_x is None else grad_x + from_rstd


class LayerNorm(Function):
    """y = (x - mean) * rstd,  rstd = (var + eps)^-1/2 over ``dims``;
    dx = rstd (g_y - mean(g_y) - y mean(g_y y)) - g_rstd rstd^2 y / n.

    Fused for speed: one NumPy pass instead of six nodes. ``rstd`` is a second output so that
    the backward, written in ``y`` and ``rstd``, is differentiable through this same node.
    ``statistics``, a dict or None, receives the ``mean`` and biased ``variance`` (keepdims), for
    batch and instance norm's running averages, which need no gradient.
    """

    @staticmethod
    def forward(ctx, x, dims, eps, statistics=None):
        ctx.set_materialize_grads(False)
        ctx.dims = dims
        array = x._data
        if statistics is None and dims == (array.ndim - 1,) and array.dtype.kind == "f":
            y, rstd = (Tensor._make(result) for result in _layer_norm_last_axis(array, eps))
            ctx.save_for_backward(y, rstd)
            return y, rstd
        mean, variance, y, rstd = _standardized(array, dims, eps)
        if statistics is not None:
            statistics["mean"], statistics["variance"] = mean, variance
        y, rstd = Tensor._make(y), Tensor._make(rstd)
        ctx.save_for_backward(y, rstd)
        return y, rstd

    @staticmethod
    def backward(ctx, grad_y, grad_rstd):
        y, rstd = ctx.saved_tensors
        return normalized_input_gradient(grad_y, grad_rstd, y, rstd, ctx.dims), None, None

    @staticmethod
    def fast_backward(ctx, grad_y, grad_rstd):
        y, rstd = (tensor._data for tensor in ctx.saved_tensors)
        if grad_y is not None and grad_rstd is None and ctx.dims == (y.ndim - 1,):
            features = y.shape[-1]
            grad_rows, y_rows = grad_y.reshape(-1, features), y.reshape(-1, features)
            rstd_rows, grad_x = rstd.reshape(-1, 1), np.empty_like(y_rows)

            def part(i, j):
                grad_x[i:j] = normalized_input_gradient_array(
                    grad_rows[i:j], None, y_rows[i:j], rstd_rows[i:j], (1,)
                )

            parallel_for(len(y_rows), part, grain=_rows_per_part(features))
            return grad_x.reshape(y.shape), None, None
        return normalized_input_gradient_array(grad_y, grad_rstd, y, rstd, ctx.dims), None, None


def _standardized(array: np.ndarray, dims: tuple, eps: float, out=None) -> tuple:
    """``(mean, variance, y, rstd)`` of ``array`` over ``dims`` (keepdims; the variance biased),
    ``y = (x - mean) rstd`` written into ``out`` when given."""
    mean = _mean_over(array, dims)
    centered = array - mean
    variance = _mean_over(centered * centered, dims)
    rstd = 1 / np.sqrt(variance + np.asarray(eps, array.dtype))
    return mean, variance, np.multiply(centered, rstd, out=out), rstd


def _layer_norm_last_axis(array: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """``y`` and ``rstd`` of :class:`LayerNorm` over the last axis, by parts of rows split over
    gradwork's threads."""
    features = array.shape[-1]
    rows = array.reshape(-1, features)
    y, rstd = np.empty_like(rows), np.empty_like(rows, shape=(len(rows), 1))

    def part(i, j):
        rstd[i:j] = _standardized(rows[i:j], (1,), eps, out=y[i:j])[3]

    parallel_for(len(rows), part, grain=_rows_per_part(features))
    return y.reshape(array.shape), rstd.reshape(array.shape[:-1] + (1,))


def _rows_per_part(features: int) -> int:
    """The fewest rows of ``features`` elements in a part of a split row-wise kernel."""
    return max(1, (1 << 16) // max(features, 1))


def _mean_over(array: np.ndarray, dims: tuple) -> np.ndarray:
    """``array.mean(dims, keepdims=True)``; over the last axis alone (layer norm's usual case) by
    one BLAS call (:func:`sum_last_axis`)."""
    if dims == (array.ndim - 1,) and array.dtype.kind == "f":
        return sum_last_axis(array) / array.shape[-1]
    return np.mean(array, axis=dims, keepdims=True)


def normalized_input_gradient_array(grad_y, grad_rstd, y, rstd, dims: tuple):
    """:func:`normalized_input_gradient` on NumPy arrays (the first-order fast paths)."""
    grad_x = None
    if grad_y is not None:
        grad_x = grad_y - _mean_over(grad_y, dims)
        grad_x -= y * _mean_over(grad_y * y, dims)
        grad_x *= rstd
    return add_rstd_gradient(grad_x, grad_rstd, rstd, y, dims)


def normalized_input_gradient(grad_y, grad_rstd, y, rstd, dims: tuple):
    """The input gradient of ``y = (x - mean) rstd`` over ``dims`` (with ``rstd`` an output
    too), in gradwork ops: ``rstd (g_y - mean(g_y) - y mean(g_y y))`` plus the ``rstd`` term."""
    grad_x = None
    if grad_y is not None:
        centered_grad = grad_y - grad_y.mean(dims, keepdim=True)
        grad_x = rstd * (centered_grad - y * (grad_y * y).mean(dims, keepdim=True))
    return add_rstd_gradient(grad_x, grad_rstd, rstd, y, dims)


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Layer normalisation (Ba et al., 2016): ``(x - E[x]) / sqrt(Var[x] + eps) * weight + bias``.

    Mean and (biased) variance are taken over the last ``len(normalized_shape)`` dimensions.

    Args:
        input: floating point tensor.
        normalized_shape: the trailing shape to normalise over (an int for one dimension).
        weight: elementwise scale of shape ``normalized_shape``, or None.
        bias: elementwise shift of shape ``normalized_shape``, or None.
        eps: added to the variance.

    Shape: ``(*, *normalized_shape)`` -> the same.

    Example:
        >>> import gradwork
        >>> gradwork.layer_norm(gradwork.tensor([[1.0, 3.0]]), (2,), eps=0.0)
        tensor([[-1.,  1.]])
    """
    op = "layer_norm"
    check_tensor(input, op)
    check_floating(input, op)
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(size) for size in normalized_shape)
    count = len(normalized_shape)
    if not (0 < count <= input.ndim and input.shape[input.ndim - count :] == normalized_shape):
        raise RuntimeError(
            f"{op}: normalized_shape {format_shape(normalized_shape)} must match the last "
            f"dimensions of input of shape {format_shape(input.shape)}"
        )
    for name, parameter in (("weight", weight), ("bias", bias)):
        if parameter is not None:
            check_tensor(parameter, op, name)
            if parameter.shape != normalized_shape:
                raise RuntimeError(
                    f"{op}: expected {name} of shape {format_shape(normalized_shape)}, got "
                    f"{format_shape(parameter.shape)}"
                )
    dims = tuple(range(input.ndim - count, input.ndim))
    output, _ = LayerNorm.apply(input, dims, eps)
    if weight is not None:
        output = output * weight
    if bias is not None:
        output = output + bias
    return output


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    The mask comes from gradwork's default generator (seed it with ``gradwork.manual_seed``).
    Returns ``input`` itself when not ``training`` or ``p == 0``; ``p == 1`` gives zeros.
    (Srivastava et al., 2014.)

    Args:
        input: floating point tensor.
        p: probability of zeroing an element, in ``[0, 1]``.
        training: apply dropout only when True.
        inplace: multiply ``input`` by the mask in place.

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> _ = gradwork.manual_seed(0)
        >>> y = gradwork.dropout(gradwork.ones(1000), p=0.25)
        >>> sorted(set(y.tolist()))
        [0.0, 1.3333333730697632]
    """
    op = "dropout"
    check_tensor(input, op)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    check_floating(input, op)
    dtype = input._data.dtype
    if p == 1:
        mask = np.zeros((), dtype)
    else:
        keep = _generator(None).random(input.shape, dtype) >= p
        mask = keep * np.asarray(1 / (1 - p), dtype)
    mask = Tensor._make(mask)
    return input.mul_(mask) if inplace else input * mask


def _attention_dims(query: Tensor, key: Tensor, value: Tensor) -> None:
    op = "scaled_dot_product_attention"
    for name, tensor in (("query", query), ("key", key), ("value", value)):
        check_tensor(tensor, op, name)
        check(
            tensor.ndim >= 2,
            op,
            f"expected {name} with at least 2 dimensions (..., sequence, features), got shape "
            f"{format_shape(tensor.shape)}",
        )
    check(
        key.shape[-1] == query.shape[-1],
        op,
        f"query of shape {format_shape(query.shape)} and key of shape {format_shape(key.shape)} "
        "must have the same last (embedding) dimension",
    )
    check(
        key.shape[-2] == value.shape[-2],
        op,
        f"key of shape {format_shape(key.shape)} and value of shape {format_shape(value.shape)} "
        "must have the same source length (dimension -2)",
    )


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """Attention (Vaswani et al., 2017): ``softmax(Q K^T * scale + mask) V``.

    Composed from matmul and the fused :func:`softmax`; NumPy has no single kernel to fuse
    into. A bool ``attn_mask`` marks with True the keys that take part; a float one is added to
    the scores. ``is_causal`` lets query ``i`` see keys ``j <= i`` (top-left aligned); it
    cannot be combined with ``attn_mask``, as PyTorch documents. Rows where every key is masked
    out give zeros (and zero gradients), as PyTorch's math kernel does. Dropout on the weights
    uses the default generator whenever ``dropout_p > 0``.

    Args:
        query, key, value: batched by any leading dimensions, which broadcast.
        attn_mask: bool or float, broadcastable to ``(..., L, S)``.
        dropout_p: dropout probability on the attention weights.
        is_causal: apply a causal mask.
        scale: defaults to ``1 / sqrt(E)``.

    Shape: query ``(*, L, E)``, key ``(*, S, E)``, value ``(*, S, Ev)`` -> ``(*, L, Ev)``.

    Example:
        >>> import gradwork
        >>> q = k = gradwork.zeros(1, 2, 4)
        >>> v = gradwork.tensor([[[1.0], [3.0]]])
        >>> gradwork.scaled_dot_product_attention(q, k, v, is_causal=True)
        tensor([[[1.],
                 [2.]]])
    """
    op = "scaled_dot_product_attention"
    _attention_dims(query, key, value)
    check_floating(query, op, "query")
    check(0.0 <= dropout_p <= 1.0, op, f"dropout_p must be in [0, 1], got {dropout_p}", ValueError)
    length, source = query.shape[-2], key.shape[-2]
    if scale is None:
        scale = 1 / math.sqrt(query.shape[-1]) if query.shape[-1] else 1.0
    check(
        not (is_causal and attn_mask is not None),
        op,
        "attn_mask cannot be given with is_causal=True; fold the causal mask into attn_mask",
        ValueError,
    )
    keep = bias = None
    if is_causal:
        keep = np.tril(np.ones((length, source), np.bool_))
    if attn_mask is not None:
        check_tensor(attn_mask, op, "attn_mask")
        batch = _broadcast_batch(op, query, key)
        scores_shape = batch + (length, source)
        try:
            fits = np.broadcast_shapes(attn_mask.shape, scores_shape) == scores_shape
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(
                f"{op}: attn_mask of shape {format_shape(attn_mask.shape)} does not broadcast to "
                f"the attention scores of shape {format_shape(scores_shape)} (*, L, S)"
            )
        if attn_mask._data.dtype == np.bool_:
            keep = attn_mask._data
        else:
            bias = attn_mask.to(query.dtype)
    # only a mask can leave a row with no key (a causal row always keeps its first key)
    may_empty_rows = attn_mask is not None
    batch = query.shape[:-2]
    if (
        dropout_p == 0
        and key.shape[:-2] == batch
        and value.shape[:-2] == batch
        and (bias is None or not bias.requires_grad)
    ):
        bias_data = None if bias is None else bias._data
        return Attention.apply(query, key, value, keep, bias_data, scale, may_empty_rows)
    weights = _attention_weights(query, key, scale, keep, bias, may_empty_rows)
    if dropout_p > 0:
        weights = dropout(weights, dropout_p)
    return weights @ value


def _broadcast_batch(op: str, query: Tensor, key: Tensor) -> tuple:
    """The broadcast leading (batch) dimensions of query and key."""
    try:
        return np.broadcast_shapes(query.shape[:-2], key.shape[:-2])
    except ValueError:
        raise RuntimeError(
            f"{op}: the batch dimensions of query {format_shape(query.shape)} and key "
            f"{format_shape(key.shape)} do not broadcast"
        ) from None


def _attention_weights(query, key, scale: float, keep, bias, may_empty_rows: bool) -> Tensor:
    """``softmax(Q K^T scale + bias)`` over the keys, keys outside ``keep`` excluded (composite).

    ``keep``: a bool array broadcasting to the scores, or None; ``bias``: a tensor, or None.
    """
    scores = (query * scale) @ key.transpose(-2, -1)  # (*, L, S); scaling q is the cheaper side
    if bias is not None:
        scores = scores + bias
    if keep is not None:
        scores = elementwise.where(Tensor._make(keep), scores, -math.inf)
    dead = may_empty_rows and np.all(np.isneginf(scores._data), axis=-1, keepdims=True)
    if np.any(dead):
        # PyTorch's safe softmax: a row with no key left attends to nothing (zeros, not nan)
        dead = Tensor._make(dead)
        return elementwise.where(dead, 0.0, softmax(elementwise.where(dead, 0.0, scores), -1))
    return softmax(scores, -1)


class Attention(Function):
    """out = W V, W = softmax(Q K^T s + bias, masked to ``keep``);  with dW = G V^T:
    dV = W^T G,  dS = W (dW - sum_keys(dW W)),  dQ = s dS K,  dK = s dS^T Q.

    Fused for speed and memory: the scores are scaled, masked and normalised in place in one
    buffer, which is also the saved weights (the composite keeps four (*, L, S) arrays per
    call). The plain backward recomputes W with :func:`_attention_weights`, so it is
    differentiable; rows with no key left give zero weights, as PyTorch's safe softmax.
    """

    @staticmethod
    def forward(ctx, query, key, value, keep, bias, scale, may_empty_rows):
        q, k, v = (_stacked(tensor._data) for tensor in (query, key, value))
        # empty_like, C order: CuPy inputs give CuPy arrays, and permuted inputs dense results
        dtype = np.promote_types(q.dtype, k.dtype)
        weights = np.empty_like(q, dtype, "C", shape=q.shape[:-1] + k.shape[-2:-1])
        out = np.empty_like(
            v, np.promote_types(dtype, v.dtype), "C", shape=q.shape[:-1] + v.shape[-1:]
        )

        def part(i, j):  # the matrices i:j of the stack
            scores = weights[i:j]
            np.matmul(q[i:j], np.swapaxes(k[i:j], -1, -2), out=scores)
            scores *= scale
            if bias is not None:
                scores += _part(bias, q.ndim, i, j)
            if keep is not None:
                np.copyto(scores, -np.inf, where=~_part(keep, q.ndim, i, j))
            with np.errstate(invalid="ignore"):
                peak = np.max(scores, axis=-1, keepdims=True)
                if may_empty_rows:
                    peak[np.isneginf(peak)] = 0  # a row of -inf: exp gives zeros, not nan
                scores -= peak
                np.exp(scores, out=scores)
                total = sum_last_axis(scores)
                if may_empty_rows:
                    total[total == 0] = 1
                scores /= total
            np.matmul(scores, v[i:j], out=out[i:j])

        parallel_for(q.shape[0], part, grain=1)
        ctx.weights = weights  # for the fast backward; freed with the node
        ctx.options = (keep, bias, scale, may_empty_rows)
        ctx.save_for_backward(query, key, value)
        return out.reshape(query._data.shape[:-1] + v.shape[-1:])

    @staticmethod
    def backward(ctx, grad):
        query, key, value = ctx.saved_tensors
        keep, bias, scale, may_empty_rows = ctx.options
        bias = None if bias is None else Tensor._make(bias)
        weights = _attention_weights(query, key, scale, keep, bias, may_empty_rows)
        need_query, need_key, need_value = ctx.needs_input_grad[:3]
        grad_value = weights.transpose(-2, -1) @ grad if need_value else None
        grad_query = grad_key = None
        if need_query or need_key:
            grad_weights = grad @ value.transpose(-2, -1)
            grad_scores = weights * (grad_weights - (grad_weights * weights).sum(-1, keepdim=True))
            if need_query:
                grad_query = (grad_scores @ key) * scale
            if need_key:
                grad_key = (grad_scores.transpose(-2, -1) @ query) * scale
        return grad_query, grad_key, grad_value, None, None, None, None

    @staticmethod
    def fast_backward(ctx, grad):
        saved = [tensor._data for tensor in ctx.saved_tensors]
        query, key, value = (_stacked(array) for array in saved)
        weights, grad, scale = ctx.weights, _stacked(grad), ctx.options[2]
        needs = ctx.needs_input_grad[:3]
        grads = [
            np.empty_like(array, order="C") if need else None for array, need in zip(saved, needs)
        ]
        grad_query, grad_key, grad_value = (
            None if array is None else _stacked(array) for array in grads
        )

        def part(i, j):  # the matrices i:j of the stack
            w, g = weights[i:j], grad[i:j]
            if grad_value is not None:
                np.matmul(np.swapaxes(w, -1, -2), g, out=grad_value[i:j])
            if grad_query is None and grad_key is None:
                return
            grad_scores = np.matmul(g, np.swapaxes(value[i:j], -1, -2))  # dW, then dS in place
            grad_scores -= sum_last_axis(grad_scores * w)
            grad_scores *= w
            grad_scores *= scale
            if grad_query is not None:
                np.matmul(grad_scores, key[i:j], out=grad_query[i:j])
            if grad_key is not None:
                np.matmul(np.swapaxes(grad_scores, -1, -2), query[i:j], out=grad_key[i:j])

        parallel_for(weights.shape[0], part, grain=1)
        return (*grads, None, None, None, None)


def _stacked(array: np.ndarray) -> np.ndarray:
    """``array`` as a stack of matrices along its first axis (a matrix becomes a stack of one);
    a view, so that the parts of a result written into it land in the result."""
    return array[None] if array.ndim == 2 else array


def _part(array: np.ndarray, ndim: int, i: int, j: int) -> np.ndarray:
    """The part ``i:j`` along the first axis of the ``ndim``-dimensional stacks that ``array`` (a
    mask or bias) broadcasts to: all of it where it broadcasts along that axis."""
    if array.ndim < ndim or array.shape[0] == 1:
        return array
    return array[i:j]


# -- embedding and bilinear maps ------------------------------------------------------------------
class Embedding(Function):
    """out[*, :] = weight[index[*], :];  d weight = index_add(zeros, 0, index, g) (rows read at
    ``padding_idx`` left out; each row divided by its index's count when ``scale_grad_by_freq``).

    Fused for speed: one gather forward and one index-add backward, with the padding row and the
    frequency scaling folded into the rows that are added (a composite needs four more nodes).
    """

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        ctx.shape = weight._data.shape
        ctx.indices, ctx.padding_idx, ctx.scale_grad_by_freq = (
            indices,
            padding_idx,
            scale_grad_by_freq,
        )
        return _backend.namespace_of(weight._data).take(weight._data, indices, axis=0)

    @staticmethod
    def backward(ctx, grad):
        num_embeddings, embedding_dim = ctx.shape
        flat = ctx.indices.reshape(-1)
        rows = grad.reshape((-1, embedding_dim))
        if ctx.padding_idx is not None:
            kept = (flat != ctx.padding_idx).nonzero()[0]
            rows, flat = IndexSelect.apply(rows, 0, kept), flat[kept]
        if ctx.scale_grad_by_freq:
            xp = _backend.namespace_of(grad._data)
            counts = xp.bincount(ctx.indices.reshape(-1), minlength=num_embeddings)[flat]
            rows = rows * Tensor._make((1 / counts).astype(grad._data.dtype)[:, None])
        zeros = Tensor._make(_backend.namespace_of(grad._data).zeros(ctx.shape, grad._data.dtype))
        return IndexAdd.apply(zeros, 0, flat, rows, 1), None, None, None


def _renormalize_rows(weight: Tensor, indices: np.ndarray, max_norm: float, norm_type: float):
    """Scale the rows of ``weight`` that ``indices`` reads to norm at most ``max_norm``, in place
    and outside the graph (PyTorch's ``embedding_renorm_``, including its 1e-7)."""
    xp = _backend.namespace_of(weight._data)
    rows = xp.unique(indices)
    norms = xp.linalg.norm(weight._data[rows], ord=norm_type, axis=1)
    too_long = norms > max_norm
    if not too_long.any():
        return
    rows, norms = rows[too_long], norms[too_long]
    updated = weight._data.copy()
    updated[rows] *= (max_norm / (norms + 1e-7))[:, None].astype(updated.dtype)
    with no_grad():
        weight.copy_(updated)


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Look up rows of ``weight``: ``out[*, :] = weight[input[*], :]``.

    The gradient of ``weight`` is the sum of the output gradients of the positions that read
    each row. Rows read at ``padding_idx`` get no gradient (the row's value is used as it is).

    Args:
        input: integer indices in ``[0, num_embeddings)``, any shape.
        weight: the table ``(num_embeddings, embedding_dim)``.
        padding_idx: a row that receives no gradient (negative counts from the end).
        max_norm: if given, rows read whose ``norm_type``-norm exceeds it are rescaled to it in
            place (outside the graph) before the lookup, as PyTorch does.
        norm_type: the p of the norm for ``max_norm``.
        scale_grad_by_freq: divide each row's gradient by how often ``input`` reads it.
        sparse: sparse gradients are not supported; must be False.

    Shape: input ``(*)``, weight ``(V, D)`` -> ``(*, D)``.

    Example:
        >>> import gradwork
        >>> table = gradwork.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]])
        >>> gradwork.embedding(gradwork.tensor([[2, 1], [0, 2]]), table)
        tensor([[[3., 4.],
                 [1., 2.]],
        <BLANKLINE>
                [[0., 0.],
                 [3., 4.]]])
    """
    op = "embedding"
    check_tensor(input, op)
    check_tensor(weight, op, "weight")
    check(
        input._data.dtype.kind in "iu",
        op,
        f"expected integer indices (Long or Int), got input of dtype {input.dtype}",
        TypeError,
    )
    check(
        weight.ndim == 2,
        op,
        f"expected weight of shape (num_embeddings, embedding_dim), got "
        f"{format_shape(weight.shape)}",
    )
    check(not sparse, op, "sparse gradients are not supported; use sparse=False", ValueError)
    num_embeddings = weight.shape[0]
    indices = input._data
    if indices.size and (indices.min() < 0 or indices.max() >= num_embeddings):
        bad = indices[(indices < 0) | (indices >= num_embeddings)].flat[0]
        raise IndexError(
            f"{op}: index {int(bad)} is out of range for a table of {num_embeddings} embeddings "
            f"(weight of shape {format_shape(weight.shape)})"
        )
    if padding_idx is not None:
        check(
            -num_embeddings <= padding_idx < num_embeddings,
            op,
            f"padding_idx must be within [{-num_embeddings}, {num_embeddings}), got {padding_idx}",
            ValueError,
        )
        padding_idx = int(padding_idx) % num_embeddings
    if max_norm is not None:
        _renormalize_rows(weight, indices, max_norm, norm_type)
    return Embedding.apply(weight, indices, padding_idx, bool(scale_grad_by_freq))


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Bilinear map ``y_k = x1^T A_k x2 + b_k``, one matrix ``A_k`` per output feature.

    Composed from :func:`gradwork.einsum` (one contraction; its gradients are einsums too).

    Args:
        input1: ``(*, in1_features)``.
        input2: ``(*, in2_features)``, the same leading dimensions.
        weight: ``(out_features, in1_features, in2_features)``.
        bias: ``(out_features,)`` or None.

    Shape: ``(*, H_in1), (*, H_in2) -> (*, H_out)``.

    Example:
        >>> import gradwork
        >>> w = gradwork.tensor([[[1.0, 0.0], [0.0, 1.0]]])  # y = x1 . x2
        >>> gradwork.bilinear(gradwork.tensor([[1.0, 2.0]]), gradwork.tensor([[3.0, 4.0]]), w)
        tensor([[11.]])
    """
    op = "bilinear"
    check_tensor(input1, op, "input1")
    check_tensor(input2, op, "input2")
    check_tensor(weight, op, "weight")
    check(
        weight.ndim == 3,
        op,
        f"expected weight of shape (out_features, in1_features, in2_features), got "
        f"{format_shape(weight.shape)}",
    )
    out_features, in1, in2 = weight.shape
    check(
        input1.ndim >= 1
        and input1.shape[:-1] == input2.shape[:-1]
        and input1.shape[-1:] == (in1,)
        and input2.shape[-1:] == (in2,),
        op,
        f"expected input1 (*, {in1}) and input2 (*, {in2}) with the same leading dimensions "
        f"for weight of shape {format_shape(weight.shape)}, got {format_shape(input1.shape)} "
        f"and {format_shape(input2.shape)}",
    )
    output = einsum("...i,kij,...j->...k", input1, weight, input2)
    if bias is not None:
        check_tensor(bias, op, "bias")
        check(
            bias.shape == (out_features,),
            op,
            f"expected bias of shape ({out_features},), got {format_shape(bias.shape)}",
        )
        output = output + bias
    return output
