"""Stateless neural-network functions, as ``torch.nn.functional``.

Everything here is a gradwork op defined in ``gradwork.ops`` (re-exported under PyTorch's names),
or a short composite of them.
"""

from __future__ import annotations

from gradwork.ops.activation import (
    elu,
    gelu,
    hardtanh,
    leaky_relu,
    mish,
    relu,
    relu6,
    silu,
    softplus,
    softsign,
)
from gradwork.ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d, fold, unfold
from gradwork.ops.elementwise import sigmoid, tanh
from gradwork.ops.linalg import linear
from gradwork.ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cosine_embedding_loss,
    cosine_similarity,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    pairwise_distance,
    smooth_l1_loss,
    triplet_margin_loss,
)
from gradwork.ops.movement import pad
from gradwork.ops.nn import (
    bilinear,
    dropout,
    embedding,
    layer_norm,
    log_softmax,
    scaled_dot_product_attention,
    softmax,
)
from gradwork.ops.norm import batch_norm, group_norm, instance_norm, rms_norm
from gradwork.ops.pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from gradwork.tensor import Tensor

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "batch_norm",
    "bilinear",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv1d",
    "conv2d",
    "conv_transpose1d",
    "conv_transpose2d",
    "cosine_embedding_loss",
    "cosine_similarity",
    "cross_entropy",
    "dropout",
    "elu",
    "embedding",
    "fold",
    "gelu",
    "group_norm",
    "hardtanh",
    "huber_loss",
    "instance_norm",
    "kl_div",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool1d",
    "max_pool2d",
    "mish",
    "mse_loss",
    "nll_loss",
    "normalize",
    "one_hot",
    "pad",
    "pairwise_distance",
    "relu",
    "relu6",
    "rms_norm",
    "scaled_dot_product_attention",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softplus",
    "softsign",
    "tanh",
    "triplet_margin_loss",
    "unfold",
]


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices of shape ``(*)`` as one-hot int64 vectors of shape ``(*, num_classes)``.

    Example:
        >>> import gradwork
        >>> one_hot(gradwork.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    import numpy as np

    indices = tensor._data
    if indices.dtype.kind not in "iu":
        raise RuntimeError(
            f"one_hot: expected an integer tensor of class indices, got {tensor.dtype}"
        )
    if num_classes == -1:
        num_classes = int(indices.max()) + 1 if indices.size else 0
    if indices.size and (indices.min() < 0 or indices.max() >= num_classes):
        raise RuntimeError(
            f"one_hot: class values must be in [0, {num_classes}), got values in "
            f"[{int(indices.min())}, {int(indices.max())}]"
        )
    return Tensor._make((indices[..., None] == np.arange(num_classes)).astype(np.int64))


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``: unit vectors, e.g. for cosine similarity."""
    return input / input.norm(p, dim, keepdim=True).clamp(min=eps)
