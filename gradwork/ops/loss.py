"""Losses, as in ``torch.nn.functional``: cross-entropy, NLL, binary cross-entropy, regression, KL,
and the embedding losses (cosine embedding, triplet margin) with their similarities.

Cross-entropy and NLL are fused into one node each (log-softmax + NLL together: stable for any
logits and one pass over the data); binary cross-entropy with logits uses a stable log-sigmoid.
The regression losses are short composites of primitives.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from gradwork.autograd.function import Function
from gradwork.ops import elementwise
from gradwork.ops._util import check, check_floating, check_tensor, format_shape
from gradwork.ops.nn import log_softmax, log_softmax_array, softmax
from gradwork.tensor import Tensor

__all__ = [
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "kl_div",
    "cosine_similarity",
    "pairwise_distance",
    "cosine_embedding_loss",
    "triplet_margin_loss",
]


# -- checks shared by the losses -----------------------------------------------------------------
def _check_reduction(op: str, reduction: str, allowed=("none", "mean", "sum")) -> None:
    if reduction not in allowed:
        choices = ", ".join(repr(choice) for choice in allowed)
        raise ValueError(f"{op}: reduction must be one of {choices}, got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _same_shape_pair(op: str, input, target, broadcast: bool):
    """Check ``input``/``target``; the regression losses broadcast (warning, as PyTorch does)."""
    check_tensor(input, op)
    check_tensor(target, op, "target")
    check_floating(input, op)
    if target.shape != input.shape:
        if not broadcast:
            raise ValueError(
                f"{op}: expected target of the same shape as input {format_shape(input.shape)}, "
                f"got {format_shape(target.shape)}"
            )
        warnings.warn(
            f"{op}: target shape {format_shape(target.shape)} differs from input shape "
            f"{format_shape(input.shape)}; they are broadcast, which is rarely intended",
            stacklevel=3,
        )


# -- classification losses ------------------------------------------------------------------------
def _weighted_log_likelihood(q: np.ndarray, log_probs: np.ndarray, class_dim, reduction, divisor):
    """``-sum(q * log_probs)`` over classes, then reduced; ``divisor`` is the 'mean' denominator."""
    with np.errstate(invalid="ignore"):
        products = q * log_probs
    if not np.isfinite(log_probs).all():
        # classes with q == 0 take no part: their log-probability may be -inf (0 * -inf = nan)
        products = np.where(q == 0, 0, products)
    if reduction == "none":
        return -np.sum(products, axis=class_dim)
    total = -np.sum(products)
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):  # nothing to average: nan
            total = total / np.asarray(divisor, total.dtype)
    return np.asarray(total)


def _spread(grad: Tensor, class_dim: int, reduction: str, divisor) -> Tensor:
    """The loss gradient (tensor or array), shaped to broadcast against the (N, C, ...) input."""
    if reduction == "none":
        shape = list(grad.shape)
        shape.insert(class_dim, 1)
        return grad.reshape(tuple(shape))
    if reduction == "mean":
        # all targets ignored: the loss is nan but no element contributes, so the gradient is 0
        return grad / divisor if divisor else grad * 0
    return grad


class CrossEntropy(Function):
    """loss = -sum_c q_c y_c, y = log_softmax(x);  dx = g (exp(y) sum_c q_c - q),  dq = -g y.

    Fused for stability and speed: log-probabilities come from the shifted logits (finite for
    logits of +-1e4), and one node replaces log-softmax, gather, weighting and reduction.
    ``q`` holds the per-class coefficients (one-hot or probability target, label smoothing,
    class weights, ignored positions zeroed).
    """

    @staticmethod
    def forward(ctx, x, q, class_dim, reduction, divisor):
        ctx.save_for_backward(x, q)
        ctx.options = (class_dim, reduction, divisor)
        log_probs = log_softmax_array(x._data, class_dim)
        ctx.log_probs = log_probs  # for the fast backward; freed with the node
        return _weighted_log_likelihood(q._data, log_probs, class_dim, reduction, divisor)

    @staticmethod
    def backward(ctx, grad):
        x, q = ctx.saved_tensors
        class_dim, reduction, divisor = ctx.options
        grad = _spread(grad, class_dim, reduction, divisor)
        need_x, need_q = ctx.needs_input_grad[:2]
        grad_x = grad_q = None
        if need_x:
            grad_x = grad * (softmax(x, class_dim) * q.sum(class_dim, keepdim=True) - q)
        if need_q:
            grad_q = -grad * log_softmax(x, class_dim)
        return grad_x, grad_q, None, None, None

    @staticmethod
    def fast_backward(ctx, grad):
        x, q = ctx.saved_tensors
        x, q = x._data, q._data
        class_dim, reduction, divisor = ctx.options
        grad = _spread(grad, class_dim, reduction, divisor)
        need_x, need_q = ctx.needs_input_grad[:2]
        grad_x = grad_q = None
        if need_x:
            total = np.sum(q, axis=class_dim, keepdims=True)
            grad_x = grad * (np.exp(ctx.log_probs) * total - q)
        if need_q:
            grad_q = -grad * ctx.log_probs
        return grad_x, grad_q, None, None, None


class CrossEntropyLabels(Function):
    """The common case of :class:`CrossEntropy`: class-index targets, no class weights, no label
    smoothing. loss_n = -y_{n,t_n}, y = log_softmax(x);  dx = g (exp(y) - onehot(t)) on kept n.

    The same values and gradients as :class:`CrossEntropy` with one-hot coefficients, without
    building the dense (N, C, ...) coefficient array: the targets are picked by index.
    """

    @staticmethod
    def forward(ctx, x, positions, keep, class_dim, reduction, divisor):
        # positions: where each target sits in the flattened input (see _target_positions)
        ctx.save_for_backward(x)
        log_probs = log_softmax_array(x._data, class_dim)
        ctx.log_probs = log_probs  # for the fast backward; freed with the node
        ctx.targets = (positions, keep)
        ctx.options = (class_dim, reduction, divisor)
        picked = log_probs.reshape(-1)[positions]
        losses = -picked if keep is None else np.where(keep, -picked, 0).astype(picked.dtype)
        if reduction == "none":
            return losses
        total = np.add.reduce(losses, axis=None)
        if reduction == "mean":
            if divisor:
                total = total / divisor  # a Python int: the result keeps total's dtype
            else:  # nothing to average: nan
                with np.errstate(invalid="ignore", divide="ignore"):
                    total = total / np.asarray(divisor, total.dtype)
        return np.asarray(total)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        positions, keep = ctx.targets
        class_dim, reduction, divisor = ctx.options
        one_hot = np.zeros(x.shape, x._data.dtype)
        one_hot.reshape(-1)[positions] = 1
        coefficients = softmax(x, class_dim) - Tensor._make(one_hot)
        if keep is not None:
            coefficients = coefficients * Tensor._make(np.expand_dims(keep, class_dim))
        grad_x = _spread(grad, class_dim, reduction, divisor) * coefficients
        return grad_x, None, None, None, None, None

    @staticmethod
    def fast_backward(ctx, grad):
        positions, keep = ctx.targets
        class_dim, reduction, divisor = ctx.options
        grad_x = np.exp(ctx.log_probs, order="C")  # C order: reshape(-1) below is a view
        grad_x.reshape(-1)[positions] -= 1  # each position's target class once: no repeats
        if keep is not None:
            grad_x *= np.expand_dims(keep, class_dim)
        grad_x *= _spread(grad, class_dim, reduction, divisor)
        return grad_x, None, None, None, None, None


class NLLLoss(Function):
    """loss = -sum_c q_c x_c;  dx = -g q,  dq = -g x.

    Fused for speed: one node instead of gather, weighting and reduction (``q`` as in
    :class:`CrossEntropy`).
    """

    @staticmethod
    def forward(ctx, x, q, class_dim, reduction, divisor):
        ctx.save_for_backward(x, q)
        ctx.options = (class_dim, reduction, divisor)
        return _weighted_log_likelihood(q._data, x._data, class_dim, reduction, divisor)

    @staticmethod
    def backward(ctx, grad):
        x, q = ctx.saved_tensors
        class_dim, reduction, divisor = ctx.options
        grad = _spread(grad, class_dim, reduction, divisor)
        need_x, need_q = ctx.needs_input_grad[:2]
        return (-grad * q if need_x else None), (-grad * x if need_q else None), None, None, None


def _class_weight(op: str, weight, classes: int, class_dim: int, ndim: int, dtype):
    """The class weights as an array shaped to broadcast along the class dimension, or None."""
    if weight is None:
        return None
    check_tensor(weight, op, "weight")
    check(
        weight.shape == (classes,),
        op,
        f"expected weight of shape ({classes},) (one per class), got {format_shape(weight.shape)}",
        ValueError,
    )
    shape = [1] * ndim
    shape[class_dim] = classes
    return weight._data.astype(dtype, copy=False).reshape(shape)


def _counted_targets(op: str, labels: np.ndarray, classes: int, ignore_index: int):
    """The mask of targets that count (not ``ignore_index``); raises if one is out of range."""
    keep = labels != ignore_index
    bad = keep & ((labels < 0) | (labels >= classes))
    if bad.any():
        raise IndexError(
            f"{op}: target class {int(labels[bad].flat[0])} is out of range for {classes} classes "
            f"(expected 0 <= target < {classes}, or ignore_index={ignore_index})"
        )
    return keep


def _index_coefficients(op, input, target, weight, ignore_index, label_smoothing):
    """q for class-index targets, and the 'mean' denominator (total weight of counted targets)."""
    class_dim = 0 if input.ndim == 1 else 1
    classes = input.shape[class_dim]
    labels = target._data
    keep = _counted_targets(op, labels, classes, ignore_index)
    dtype = input._data.dtype
    safe = np.expand_dims(np.where(keep, labels, 0), class_dim)
    q = np.zeros(input.shape, dtype)
    np.put_along_axis(q, safe, 1, axis=class_dim)
    if label_smoothing:
        q = q * (1 - label_smoothing) + label_smoothing / classes
    class_weight = _class_weight(op, weight, classes, class_dim, input.ndim, dtype)
    if class_weight is not None:
        q = q * class_weight
        chosen = np.take_along_axis(np.broadcast_to(class_weight, input.shape), safe, class_dim)
        divisor = float(np.sum(chosen.squeeze(class_dim), where=keep))
    else:
        divisor = float(np.count_nonzero(keep))
    q *= np.expand_dims(keep, class_dim)
    return Tensor._make(q), class_dim, divisor


def _check_class_input(op: str, input, target) -> None:
    check_tensor(input, op)
    check_tensor(target, op, "target")
    check_floating(input, op)
    check(
        input.ndim >= 1, op, "expected input with a class dimension, got a 0-d tensor", ValueError
    )


def _check_index_target(op: str, input: Tensor, target: Tensor) -> None:
    class_dim = 0 if input.ndim == 1 else 1
    expected = input.shape[:class_dim] + input.shape[class_dim + 1 :]
    integer = target._data.dtype.kind in "iu"
    if target.shape != expected or not integer:
        kinds = "integer class indices"
        if op == "cross_entropy":
            kinds += " (or float class probabilities of the input's shape)"
        raise ValueError(
            f"{op}: expected target of shape {format_shape(expected)} for input of shape "
            f"{format_shape(input.shape)}, got {format_shape(target.shape)}"
            + ("" if integer else f" of dtype {target.dtype}")
            + f"; the target holds {kinds}"
        )


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross entropy of logits against class indices or class probabilities (fused, stable).

    ``loss_n = -sum_c w_c q_nc log_softmax(x_n)_c`` with ``q_n`` the one-hot target (class
    indices) or the given probabilities, smoothed to ``(1 - eps) q + eps / C`` by
    ``label_smoothing``. With class indices, ``'mean'`` divides by the total weight of the
    targets that are not ``ignore_index``; with probabilities, by the number of samples.

    Args:
        input: logits.
        target: int64 class indices, or float class probabilities of ``input``'s shape.
        weight: per-class weights of shape ``(C,)`` (they receive no gradient).
        ignore_index: class index whose targets contribute neither loss nor gradient.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        label_smoothing: ``eps`` in ``[0, 1]``.

    Shape: input ``(N, C)``, ``(N, C, d1, ...)`` or ``(C,)``; target ``(N,)``, ``(N, d1, ...)``
    or ``()`` with indices, or the input's shape with probabilities; output ``()``, or the
    target's shape (indices) / the input's without ``C`` (probabilities) when ``reduction='none'``.

    Example:
        >>> import gradwork
        >>> logits = gradwork.tensor([[1e4, -1e4], [0.0, 0.0]])
        >>> gradwork.cross_entropy(logits, gradwork.tensor([1, 0]), reduction="none")
        tensor([2.0000e+04, 6.9315e-01])
    """
    op = "cross_entropy"
    _check_class_input(op, input, target)
    _check_reduction(op, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"{op}: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}"
        )
    if target.shape == input.shape and target._data.dtype.kind == "f":
        check(ignore_index < 0, op, "ignore_index is not supported for class-probability targets")
        class_dim = 0 if input.ndim == 1 else 1
        classes = input.shape[class_dim]
        q = target.to(input.dtype)
        if label_smoothing:
            q = q * (1 - label_smoothing) + label_smoothing / classes
        class_weight = _class_weight(op, weight, classes, class_dim, input.ndim, input._data.dtype)
        if class_weight is not None:
            q = q * Tensor._make(class_weight)
        divisor = input.numel() // classes if classes else 0
        return CrossEntropy.apply(input, q, class_dim, reduction, divisor)
    _check_index_target(op, input, target)
    if weight is None and not label_smoothing:
        return _cross_entropy_labels(op, input, target, ignore_index, reduction)
    q, class_dim, divisor = _index_coefficients(
        op, input, target, weight, ignore_index, label_smoothing
    )
    return CrossEntropy.apply(input, q, class_dim, reduction, divisor)


def _cross_entropy_labels(op, input, target, ignore_index, reduction) -> Tensor:
    """Cross entropy against class indices through :class:`CrossEntropyLabels`."""
    class_dim = 0 if input.ndim == 1 else 1
    classes = input.shape[class_dim]
    labels = target._data
    keep = None
    # one pass for both bounds: negative labels are huge when read as unsigned
    unsigned = labels if labels.dtype.kind == "u" else labels.view(f"u{labels.itemsize}")
    if labels.size and np.maximum.reduce(unsigned, axis=None) >= classes:
        keep = _counted_targets(op, labels, classes, ignore_index)
        labels = np.where(keep, labels, 0)
    elif 0 <= ignore_index < classes and labels.size:
        keep = labels != ignore_index
    divisor = labels.size if keep is None else int(np.count_nonzero(keep))
    positions = _target_positions(labels, classes)
    return CrossEntropyLabels.apply(input, positions, keep, class_dim, reduction, divisor)


def _target_positions(labels: np.ndarray, classes: int) -> np.ndarray:
    """Where each position's target class sits in the flattened (C-contiguous) input of shape
    ``(N, C, d1, ...)`` (or ``(C,)``, one sample): ``(n C + label) D + d``, ``D = d1 * ...``."""
    labels = labels.astype(np.intp, copy=False)
    if labels.ndim <= 1:  # (N,) labels of (N, C) logits, or one label of (C,) logits
        return labels if labels.ndim == 0 else labels + np.arange(0, labels.size * classes, classes)
    batch, inner = labels.shape[0], math.prod(labels.shape[1:])
    starts = np.arange(0, batch * classes * inner, classes * inner)
    offsets = np.arange(inner).reshape(labels.shape[1:])
    return labels * inner + starts.reshape((batch,) + (1,) * (labels.ndim - 1)) + offsets


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    *,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities: ``loss_n = -w_{t_n} x_{n, t_n}``.

    ``'mean'`` divides by the total weight of the targets that are not ``ignore_index``.

    Args:
        input: log-probabilities (e.g. from :func:`log_softmax`).
        target: int64 class indices.
        weight: per-class weights of shape ``(C,)`` (they receive no gradient).
        ignore_index: class index whose targets contribute neither loss nor gradient.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.

    Shape: input ``(N, C)``, ``(N, C, d1, ...)`` or ``(C,)``; target ``(N,)``, ``(N, d1, ...)``
    or ``()``; output ``()``, or the target's shape when ``reduction='none'``.

    Example:
        >>> import gradwork
        >>> log_probs = gradwork.tensor([[-0.5, -1.0], [-2.0, -0.25]])
        >>> gradwork.nll_loss(log_probs, gradwork.tensor([0, 1]))
        tensor(0.375)
    """
    op = "nll_loss"
    _check_class_input(op, input, target)
    _check_reduction(op, reduction)
    _check_index_target(op, input, target)
    q, class_dim, divisor = _index_coefficients(op, input, target, weight, ignore_index, 0.0)
    return NLLLoss.apply(input, q, class_dim, reduction, divisor)


class LogSigmoid(Function):
    """y = log sigmoid(x) = min(x, 0) - log1p(exp(-|x|));  dy/dx = sigmoid(-x) = exp(y - x).

    Fused for stability: exp only sees -|x|, so no overflow for any x.
    """

    @staticmethod
    def forward(ctx, x):
        array = x._data
        y = Tensor._make(elementwise.negative_part(array) - np.log1p(np.exp(-np.abs(array))))
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad * (y - x).exp()


def _constant(op: str, value, argument: str, dtype) -> Tensor | None:
    """An optional weight tensor as a constant of ``dtype`` (PyTorch gives weights no gradient)."""
    if value is None:
        return None
    check_tensor(value, op, argument)
    return Tensor._make(value._data.astype(dtype, copy=False))


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    *,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Binary cross entropy of logits: ``-w [p t log s(x) + (1 - t) log(1 - s(x))]``, stable.

    Computed as ``(1 - t) x - (1 + (p - 1) t) log s(x)`` with a stable log-sigmoid, so logits of
    any size give finite losses and gradients (``s`` is the sigmoid, ``p`` the ``pos_weight``).

    Args:
        input: logits.
        target: probabilities in ``[0, 1]``, the shape of ``input``.
        weight: rescales each element's loss (broadcast to ``input``; no gradient).
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        pos_weight: weight of positive examples, broadcast along the last dimension (no gradient).

    Shape: input ``(*)``, target ``(*)``; output ``()``, or ``(*)`` when ``reduction='none'``.

    Example:
        >>> import gradwork
        >>> x = gradwork.tensor([100.0, -100.0])
        >>> gradwork.binary_cross_entropy_with_logits(x, gradwork.tensor([0.0, 1.0]))
        tensor(100.)
    """
    op = "binary_cross_entropy_with_logits"
    _same_shape_pair(op, input, target, broadcast=False)
    _check_reduction(op, reduction)
    dtype = input._data.dtype
    log_sigmoid = LogSigmoid.apply(input)
    pos_weight = _constant(op, pos_weight, "pos_weight", dtype)
    if pos_weight is not None:
        loss = (1 - target) * input - (1 + (pos_weight - 1) * target) * log_sigmoid
    else:
        loss = (1 - target) * input - log_sigmoid
    weight = _constant(op, weight, "weight", dtype)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


class BinaryCrossEntropy(Function):
    """loss = -(t max(log x, -100) + (1 - t) max(log(1 - x), -100));
    dx = (x - t) / max(x (1 - x), 1e-12),  dt = log(1 - x) - log x.

    Fused for stability: PyTorch's clamped log and clamped gradient, finite at x = 0 or 1
    (a composite would give 0/0 there).
    """

    @staticmethod
    def forward(ctx, x, t):
        ctx.save_for_backward(x, t)
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x._data), -100)
            log_rest = np.maximum(np.log1p(-x._data), -100)
        return -(t._data * log_x + (1 - t._data) * log_rest)

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved_tensors
        need_x, need_t = ctx.needs_input_grad
        grad_x = grad_t = None
        if need_x:
            grad_x = grad * (x - t) / (x * (1 - x)).clamp(min=1e-12)
        if need_t:
            grad_t = grad * ((1 - x).log() - x.log())
        return grad_x, grad_t


def binary_cross_entropy(
    input: Tensor, target: Tensor, weight: Tensor | None = None, *, reduction: str = "mean"
) -> Tensor:
    """Binary cross entropy of probabilities: ``-w [t log x + (1 - t) log(1 - x)]``.

    Each log is clamped at -100 (as PyTorch), so ``x`` of exactly 0 or 1 gives a finite loss;
    prefer :func:`binary_cross_entropy_with_logits`, which is stable for any logit.

    Args:
        input: probabilities in ``[0, 1]``.
        target: probabilities in ``[0, 1]``, the shape of ``input``.
        weight: rescales each element's loss (broadcast to ``input``; no gradient).
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.

    Shape: input ``(*)``, target ``(*)``; output ``()``, or ``(*)`` when ``reduction='none'``.

    Example:
        >>> import gradwork
        >>> gradwork.binary_cross_entropy(gradwork.tensor([1.0, 0.5]), gradwork.tensor([0.0, 1.0]))
        tensor(50.3466)
    """
    op = "binary_cross_entropy"
    _same_shape_pair(op, input, target, broadcast=False)
    _check_reduction(op, reduction)
    array = input._data
    inside = (array >= 0) & (array <= 1)
    if not inside.all():
        raise RuntimeError(
            f"{op}: all elements of input should be between 0 and 1, found "
            f"{array[~inside].flat[0]!r}"
        )
    loss = BinaryCrossEntropy.apply(input, target.to(input.dtype))
    weight = _constant(op, weight, "weight", array.dtype)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


# -- regression losses ----------------------------------------------------------------------------
def mse_loss(input: Tensor, target: Tensor, *, reduction: str = "mean") -> Tensor:
    """Mean squared error: ``(x - y)^2``, reduced.

    Shape: input ``(*)``, target ``(*)`` (broadcast, with a warning, if it differs); output
    ``()``, or ``(*)`` when ``reduction='none'``.

    Example:
        >>> import gradwork
        >>> gradwork.mse_loss(gradwork.tensor([1.0, 2.0]), gradwork.tensor([0.0, 0.0]))
        tensor(2.5)
    """
    _same_shape_pair("mse_loss", input, target, broadcast=True)
    _check_reduction("mse_loss", reduction)
    difference = input - target
    return _reduce(difference * difference, reduction)


def l1_loss(input: Tensor, target: Tensor, *, reduction: str = "mean") -> Tensor:
    """Mean absolute error: ``|x - y|``, reduced.

    Shape: input ``(*)``, target ``(*)`` (broadcast, with a warning, if it differs); output
    ``()``, or ``(*)`` when ``reduction='none'``.

    Example:
        >>> import gradwork
        >>> gradwork.l1_loss(gradwork.tensor([1.0, -2.0]), gradwork.tensor([0.0, 0.0]))
        tensor(1.5)
    """
    _same_shape_pair("l1_loss", input, target, broadcast=True)
    _check_reduction("l1_loss", reduction)
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(
    input: Tensor, target: Tensor, *, reduction: str = "mean", beta: float = 1.0
) -> Tensor:
    """Smooth L1: ``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = x - y``).

    ``beta = 0`` gives :func:`l1_loss`. Shape as :func:`l1_loss`.

    Example:
        >>> import gradwork
        >>> gradwork.smooth_l1_loss(gradwork.tensor([0.5, 3.0]), gradwork.tensor([0.0, 0.0]))
        tensor(1.3125)
    """
    op = "smooth_l1_loss"
    _same_shape_pair(op, input, target, broadcast=True)
    _check_reduction(op, reduction)
    check(beta >= 0, op, f"beta must be non-negative, got {beta}", ValueError)
    difference = input - target
    distance = difference.abs()
    if beta == 0:
        return _reduce(distance, reduction)
    loss = elementwise.where(
        distance < beta, 0.5 * difference * difference / beta, distance - 0.5 * beta
    )
    return _reduce(loss, reduction)


def huber_loss(
    input: Tensor, target: Tensor, *, reduction: str = "mean", delta: float = 1.0
) -> Tensor:
    """Huber: ``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)`` (``d = x - y``).

    Equal to ``delta * smooth_l1_loss(..., beta=delta)``. Shape as :func:`l1_loss`.

    Example:
        >>> import gradwork
        >>> gradwork.huber_loss(gradwork.tensor([0.5, 3.0]), gradwork.tensor([0.0, 0.0]))
        tensor(1.3125)
    """
    op = "huber_loss"
    _same_shape_pair(op, input, target, broadcast=True)
    _check_reduction(op, reduction)
    check(delta > 0, op, f"delta must be positive, got {delta}", ValueError)
    difference = input - target
    distance = difference.abs()
    loss = elementwise.where(
        distance < delta, 0.5 * difference * difference, delta * (distance - 0.5 * delta)
    )
    return _reduce(loss, reduction)


def kl_div(
    input: Tensor, target: Tensor, *, reduction: str = "mean", log_target: bool = False
) -> Tensor:
    """Kullback-Leibler divergence ``KL(target || exp(input))``, pointwise ``y (log y - x)``.

    ``input`` holds log-probabilities; ``target`` probabilities, or log-probabilities when
    ``log_target`` (then the pointwise loss is ``exp(y) (y - x)``). Elements with ``y = 0`` give
    0. ``reduction='batchmean'`` divides the sum by the batch size (the true KL divergence);
    ``'mean'`` divides by the number of elements, as PyTorch.

    Shape: input ``(*)``, target ``(*)``; output ``()``, or ``(*)`` when ``reduction='none'``.

    Example:
        >>> import gradwork
        >>> p = gradwork.tensor([[0.5, 0.5]])
        >>> gradwork.kl_div(p.log(), p, reduction="batchmean")
        tensor(0.)
    """
    op = "kl_div"
    _same_shape_pair(op, input, target, broadcast=True)
    _check_reduction(op, reduction, ("none", "mean", "sum", "batchmean"))
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # xlogy(y, y): 0 where y == 0, and no 0 * log(0) = nan in the gradient either
        nonzero = target != 0
        loss = target * elementwise.where(nonzero, target, 1.0).log() - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)


# -- similarities and embedding losses ------------------------------------------------------------
def _broadcast_pair(op: str, x1: Tensor, x2: Tensor, names=("x1", "x2")) -> None:
    check_tensor(x1, op, names[0])
    check_tensor(x2, op, names[1])
    check_floating(x1, op, names[0])
    try:
        np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise RuntimeError(
            f"{op}: {names[0]} of shape {format_shape(x1.shape)} and {names[1]} of shape "
            f"{format_shape(x2.shape)} do not broadcast"
        ) from None


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between vectors along ``dim``: ``x1/||x1|| . x2/||x2||``.

    Each norm is clamped below at ``eps``, and, as in PyTorch, the clamp passes gradients
    through as if it were absent (each vector is divided by its norm first, which keeps the
    result in ``[-1, 1]``).

    Args:
        x1, x2: floating point tensors that broadcast together.
        dim: the dimension holding the vectors.
        eps: the smallest norm divided by.

    Shape: ``(*1, D, *2)`` -> ``(*1, *2)``.

    Example:
        >>> import gradwork
        >>> x = gradwork.tensor([[1.0, 0.0], [1.0, 1.0]])
        >>> gradwork.cosine_similarity(x, gradwork.tensor([[1.0, 0.0], [-1.0, -1.0]]))
        tensor([ 1., -1.])
    """
    op = "cosine_similarity"
    _broadcast_pair(op, x1, x2)

    def unit(x: Tensor) -> Tensor:
        norm = x.norm(2, dim, keepdim=True)
        # straight through the clamp: its value, but the unclamped norm's gradient (PyTorch's)
        clamped = norm + (norm.detach().clamp(min=eps) - norm.detach())
        return x / clamped

    return (unit(x1) * unit(x2)).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """The ``p``-norm distance ``||x1 - x2 + eps||_p`` along the last dimension.

    ``eps`` is added to the difference (PyTorch's convention), which keeps the gradient finite
    when ``x1 == x2``.

    Args:
        x1, x2: floating point tensors that broadcast together, ``(N, D)`` or ``(D,)``.
        p: the order of the norm.
        eps: added to the difference.
        keepdim: keep the last dimension with size 1.

    Shape: ``(N, D), (N, D) -> (N,)``.

    Example:
        >>> import gradwork
        >>> gradwork.pairwise_distance(gradwork.tensor([[3.0, 0.0]]), gradwork.zeros(1, 2), eps=0)
        tensor([3.])
    """
    op = "pairwise_distance"
    _broadcast_pair(op, x1, x2)
    dims = max(x1.ndim, x2.ndim)
    check(dims >= 1, op, "expected inputs with at least 1 dimension, got 0-d tensors")
    return (x1 - x2 + eps).norm(p, dims - 1, keepdim=keepdim)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    *,
    reduction: str = "mean",
) -> Tensor:
    """Cosine embedding loss: ``1 - cos(x1, x2)`` where ``y = 1``, ``max(0, cos(x1, x2) - margin)``
    where ``y = -1``.

    ``cos = x1 . x2 / sqrt((||x1||^2 + 1e-12) (||x2||^2 + 1e-12))``, PyTorch's formula.

    Args:
        input1, input2: ``(N, D)`` or ``(D,)``.
        target: ``(N,)`` or ``()`` of 1 and -1.
        margin: in ``[-1, 1]``; 0 to 0.5 is suggested.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.

    Shape: ``(N, D), (N, D), (N,)`` -> ``()``, or ``(N,)`` when ``reduction='none'``.

    Example:
        >>> import gradwork
        >>> x = gradwork.tensor([[1.0, 0.0], [1.0, 0.0]])
        >>> y = gradwork.tensor([[0.0, 1.0], [1.0, 1.0]])
        >>> gradwork.cosine_embedding_loss(x, y, gradwork.tensor([1, -1]), reduction="none")
        tensor([1.    , 0.7071])
    """
    op = "cosine_embedding_loss"
    _broadcast_pair(op, input1, input2, ("input1", "input2"))
    check_tensor(target, op, "target")
    _check_reduction(op, reduction)
    dim = target.ndim
    check(dim in (0, 1), op, "0D or 1D target tensor expected, multi-target not supported")
    check(
        input1.ndim == input2.ndim == dim + 1,
        op,
        f"{dim}D target tensor expects {dim + 1}D input tensors, but found inputs with sizes "
        f"{format_shape(input1.shape)} and {format_shape(input2.shape)}",
    )
    product = (input1 * input2).sum(dim)
    square1 = (input1 * input1).sum(dim) + 1e-12
    square2 = (input2 * input2).sum(dim) + 1e-12
    cosine = product / (square1 * square2).sqrt()
    positive = elementwise.where(target == 1, 1 - cosine, 0.0)
    negative = elementwise.where(target == -1, (cosine - margin).clamp(min=0), 0.0)
    return _reduce(positive + negative, reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    *,
    reduction: str = "mean",
) -> Tensor:
    """Triplet margin loss (Schroff et al., 2015): ``max(d(a, p) - d(a, n) + margin, 0)``.

    ``d`` is :func:`pairwise_distance` with ``p`` and ``eps``. With ``swap`` (Balntas et al.,
    2016) the negative distance is ``min(d(a, n), d(p, n))``.

    Args:
        anchor, positive, negative: ``(N, D)`` or ``(D,)``, all with the same dimensions.
        margin: the gap required between negative and positive distances.
        p: the order of the norm.
        eps: added to the differences.
        swap: use the distance swap.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.

    Shape: ``(N, D)`` each -> ``()``, or ``(N,)`` when ``reduction='none'``.

    Example:
        >>> import gradwork
        >>> a, pos, neg = gradwork.zeros(1, 2), gradwork.tensor([[3.0, 4.0]]), gradwork.ones(1, 2)
        >>> gradwork.triplet_margin_loss(a, pos, neg, margin=0.5, eps=0.0)
        tensor(4.0858)
    """
    op = "triplet_margin_loss"
    for name, tensor in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        check_tensor(tensor, op, name)
        check_floating(tensor, op, name)
    _check_reduction(op, reduction)
    check(
        anchor.ndim == positive.ndim == negative.ndim and anchor.ndim in (1, 2),
        op,
        f"expected anchor, positive and negative of the same number of dimensions, 1 (D) or 2 "
        f"(N, D), got {format_shape(anchor.shape)}, {format_shape(positive.shape)} and "
        f"{format_shape(negative.shape)}",
    )
    positive_distance = pairwise_distance(anchor, positive, p, eps)
    negative_distance = pairwise_distance(anchor, negative, p, eps)
    if swap:
        swapped = pairwise_distance(positive, negative, p, eps)
        negative_distance = elementwise.minimum(negative_distance, swapped)
    loss = (positive_distance - negative_distance + margin).clamp(min=0)
    return _reduce(loss, reduction)
