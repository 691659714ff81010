"""Losses as modules: each holds its options (and class weights as buffers) and calls the
functional loss of :mod:`gradwork.ops.loss`. ``forward(input, target)`` returns the loss.

``size_average`` and ``reduce`` are PyTorch's deprecated spellings of ``reduction``; they are
accepted, with PyTorch's warning, and turned into it.
"""

from __future__ import annotations

import warnings

from gradwork.nn.module import Module
from gradwork.ops import loss as functional
from gradwork.tensor import Tensor

__all__ = [
    "MSELoss",
    "L1Loss",
    "HuberLoss",
    "SmoothL1Loss",
    "CrossEntropyLoss",
    "NLLLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "KLDivLoss",
    "CosineEmbeddingLoss",
    "TripletMarginLoss",
]


def _legacy_reduction(size_average, reduce) -> str:
    """PyTorch's mapping of the deprecated (size_average, reduce) pair to ``reduction``."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{reduction}' "
        "instead.",
        UserWarning,
        stacklevel=4,
    )
    return reduction


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = _legacy_reduction(size_average, reduce)
        self.reduction = reduction


class _WeightedLoss(_Loss):
    def __init__(
        self, weight: Tensor | None = None, size_average=None, reduce=None, reduction="mean"
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error: ``l_n = (x_n - y_n)^2``, then reduced.

    Args:
        reduction: ``'none'``, ``'mean'`` (default) or ``'sum'``.

    Shape: input ``(*)``, target ``(*)`` -> ``()``, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.MSELoss()(gradwork.tensor([1.0, 2.0]), gradwork.tensor([0.0, 0.0]))
        tensor(2.5)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return functional.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: ``l_n = |x_n - y_n|``, then reduced.

    Args:
        reduction: ``'none'``, ``'mean'`` (default) or ``'sum'``.

    Shape: input ``(*)``, target ``(*)`` -> ``()``, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.L1Loss()(gradwork.tensor([1.0, -2.0]), gradwork.tensor([0.0, 0.0]))
        tensor(1.5)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return functional.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Huber loss: ``l_n = 0.5 d^2`` if ``|d| < delta``, else ``delta (|d| - 0.5 delta)``,
    ``d = x_n - y_n`` (Huber, 1964).

    Args:
        reduction: ``'none'``, ``'mean'`` (default) or ``'sum'``.
        delta: where the loss turns from quadratic to linear. Default: 1.

    Shape: input ``(*)``, target ``(*)`` -> ``()``, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.HuberLoss(delta=2.0)(gradwork.tensor([1.0, 4.0]), gradwork.zeros(2))
        tensor(3.25)
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return functional.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """Smooth L1 loss: ``l_n = 0.5 d^2 / beta`` if ``|d| < beta``, else ``|d| - 0.5 beta``,
    ``d = x_n - y_n`` (Girshick, 2015).

    Args:
        reduction: ``'none'``, ``'mean'`` (default) or ``'sum'``.
        beta: where the loss turns from quadratic to linear; 0 gives L1. Default: 1.

    Shape: input ``(*)``, target ``(*)`` -> ``()``, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.SmoothL1Loss()(gradwork.tensor([0.5, 3.0]), gradwork.zeros(2))
        tensor(1.3125)
    """

    def __init__(
        self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return functional.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy of logits against class indices or class probabilities:
    ``l_n = -sum_c w_c q_nc log softmax(x_n)_c`` (fused and stable for any logits).

    Args:
        weight: per-class weights ``(C,)`` (a buffer), or None.
        ignore_index: class index that contributes neither loss nor gradient. Default: -100.
        reduction: ``'none'``, ``'mean'`` (default; divides by the total weight of the
            counted targets) or ``'sum'``.
        label_smoothing: mix the target with the uniform distribution by this amount.

    Shape: input ``(N, C)``, ``(N, C, d1, ...)`` or ``(C,)``; target ``(N,)``, ``(N, d1, ...)``
    or ``()`` of class indices, or the input's shape of probabilities.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> loss = nn.CrossEntropyLoss()
        >>> loss(gradwork.zeros(3, 5), gradwork.tensor([1, 0, 4]))
        tensor(1.6094)
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return functional.cross_entropy(
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities: ``l_n = -w_{y_n} x_{n, y_n}``.

    Args:
        weight: per-class weights ``(C,)`` (a buffer), or None.
        ignore_index: class index that contributes neither loss nor gradient. Default: -100.
        reduction: ``'none'``, ``'mean'`` (default; divides by the total weight of the
            counted targets) or ``'sum'``.

    Shape: input ``(N, C)``, ``(N, C, d1, ...)`` or ``(C,)``; target ``(N,)``, ``(N, d1, ...)``
    or ``()``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> log_probs = gradwork.tensor([[-0.5, -1.0], [-2.0, -0.25]])
        >>> nn.NLLLoss()(log_probs, gradwork.tensor([0, 1]))
        tensor(0.375)
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return functional.nll_loss(
            input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction
        )


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities: ``l_n = -w_n [y_n log x_n + (1 - y_n) log(1 -
    x_n)]``, each log clamped at -100 as PyTorch.

    Args:
        weight: rescales each element's loss (a buffer, broadcast to the input), or None.
        reduction: ``'none'``, ``'mean'`` (default) or ``'sum'``.

    Shape: input ``(*)``, target ``(*)`` -> ``()``, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.BCELoss()(gradwork.tensor([0.5, 0.5]), gradwork.tensor([0.0, 1.0]))
        tensor(0.6931)
    """

    def __init__(
        self, weight: Tensor | None = None, size_average=None, reduce=None, reduction="mean"
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return functional.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross entropy of logits, stable for any logit:
    ``l_n = -w_n [p y_n log sigmoid(x_n) + (1 - y_n) log(1 - sigmoid(x_n))]``.

    Args:
        weight: rescales each element's loss (a buffer, broadcast to the input), or None.
        reduction: ``'none'``, ``'mean'`` (default) or ``'sum'``.
        pos_weight: weight ``p`` of positive examples per class (a buffer, broadcast along
            the last dimension), or None.

    Shape: input ``(*)``, target ``(*)`` -> ``()``, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.BCEWithLogitsLoss()(gradwork.tensor([0.0, 100.0]), gradwork.tensor([1.0, 1.0]))
        tensor(0.3466)
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
        pos_weight: Tensor | None = None,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return functional.binary_cross_entropy_with_logits(
            input, target, self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence ``KL(target || exp(input))``: ``l_n = y_n (log y_n - x_n)``
    with ``input`` log-probabilities (and ``target`` log-probabilities when ``log_target``).

    Args:
        reduction: ``'none'``, ``'batchmean'`` (the true KL divergence: sum over the batch
            size), ``'sum'`` or ``'mean'`` (default, as PyTorch: per element).
        log_target: ``target`` holds log-probabilities.

    Shape: input ``(*)``, target ``(*)`` -> ``()``, or ``(*)`` with ``reduction='none'``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> p = gradwork.tensor([[0.25, 0.75]])
        >>> nn.KLDivLoss(reduction="batchmean")(p.log(), p)
        tensor(0.)
    """

    def __init__(
        self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return functional.kl_div(
            input, target, reduction=self.reduction, log_target=self.log_target
        )


class CosineEmbeddingLoss(_Loss):
    """Cosine embedding loss: ``l_n = 1 - cos(x1_n, x2_n)`` if ``y_n = 1``, else
    ``max(0, cos(x1_n, x2_n) - margin)``.

    Args:
        margin: in ``[-1, 1]``; 0 to 0.5 is suggested. Default: 0.
        reduction: ``'none'``, ``'mean'`` (default) or ``'sum'``.

    Shape: input1 ``(N, D)`` or ``(D,)``, input2 the same, target ``(N,)`` or ``()`` of 1 and
    -1 -> ``()``, or ``(N,)`` with ``reduction='none'``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> x = gradwork.tensor([[1.0, 0.0]])
        >>> nn.CosineEmbeddingLoss()(x, gradwork.tensor([[0.0, 1.0]]), gradwork.tensor([1]))
        tensor(1.)
    """

    def __init__(
        self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return functional.cosine_embedding_loss(
            input1, input2, target, self.margin, reduction=self.reduction
        )


class TripletMarginLoss(_Loss):
    """Triplet margin loss (Schroff et al., 2015): ``l_n = max(d(a_n, p_n) - d(a_n, n_n) +
    margin, 0)`` with ``d(x, y) = ||x - y + eps||_p``.

    Args:
        margin: the required gap. Default: 1.
        p: the order of the norm. Default: 2.
        eps: added to the differences. Default: 1e-6.
        swap: use ``min(d(a, n), d(p, n))`` as the negative distance (Balntas et al., 2016).
        reduction: ``'none'``, ``'mean'`` (default) or ``'sum'``.

    Shape: anchor, positive, negative ``(N, D)`` or ``(D,)`` -> ``()``, or ``(N,)`` with
    ``reduction='none'``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> a, p, n = gradwork.zeros(1, 2), gradwork.zeros(1, 2), gradwork.ones(1, 2)
        >>> nn.TripletMarginLoss(margin=2.0, eps=0.0)(a, p, n)
        tensor(0.5858)
    """

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(
                f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead"
            )
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return functional.triplet_margin_loss(
            anchor,
            positive,
            negative,
            self.margin,
            self.p,
            self.eps,
            self.swap,
            reduction=self.reduction,
        )
