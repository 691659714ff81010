"""A small Vision Transformer (Dosovitskiy et al., "An image is worth 16x16 words", ICLR 2021).

The image is cut into non-overlapping ``patch_size x patch_size`` patches, each projected to a
``dim``-vector by one convolution whose stride equals its kernel; a learned class token is put in
front, learned position embeddings are added, and pre-norm Transformer encoder layers (layer norm
before attention and before the MLP, as the paper's) mix the tokens. A final layer norm and a
linear head read the class token.

Example:
    >>> import gradwork
    >>> from gradwork.models.vit import ViT, ViTConfig
    >>> model = ViT(ViTConfig(dim=16, depth=1, heads=2))
    >>> model(gradwork.randn(2, 1, 28, 28)).shape
    (2, 10)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import gradwork
import gradwork.nn.functional as F
from gradwork import nn
from gradwork.tensor import Tensor

__all__ = ["PatchEmbedding", "ViT", "ViTConfig"]

# GELU's tanh approximation (as BERT and GPT-2 use) costs a third of the exact one's erf in NumPy
_ACTIVATIONS = {
    "gelu": F.gelu,
    "gelu_tanh": functools.partial(F.gelu, approximate="tanh"),
    "relu": F.relu,
}


@dataclass
class ViTConfig:
    image_size: int = 28  # height = width of the input images
    patch_size: int = 7  # side of each square patch; must divide image_size
    in_channels: int = 1  # image channels
    num_classes: int = 10  # outputs of the head
    dim: int = 64  # token width (d_model)
    depth: int = 4  # Transformer encoder layers
    heads: int = 4  # attention heads; must divide dim
    mlp_ratio: int = 2  # hidden width of each layer's MLP, in multiples of dim
    dropout: float = 0.0  # dropout in attention, MLP and after the embeddings
    activation: str = "gelu_tanh"  # MLP activation: 'gelu' (exact), 'gelu_tanh' or 'relu'

    def __post_init__(self) -> None:
        if self.activation not in _ACTIVATIONS:
            raise ValueError(
                f"ViTConfig: activation must be one of {list(_ACTIVATIONS)}, "
                f"got {self.activation!r}"
            )
        if self.image_size % self.patch_size or self.dim % self.heads:
            raise ValueError(
                f"ViTConfig: patch_size ({self.patch_size}) must divide image_size "
                f"({self.image_size}) and heads ({self.heads}) must divide dim ({self.dim})"
            )

    @property
    def num_patches(self) -> int:
        return (self.image_size // self.patch_size) ** 2


class PatchEmbedding(nn.Module):
    """Non-overlapping patches, each linearly projected: a convolution with stride = kernel.

    Shape: ``(N, in_channels, H, W)`` -> ``(N, (H / patch_size) * (W / patch_size), dim)``.
    """

    def __init__(self, config: ViTConfig) -> None:
        super().__init__()
        self.proj = nn.Conv2d(
            config.in_channels, config.dim, config.patch_size, stride=config.patch_size
        )

    def forward(self, x: Tensor) -> Tensor:
        h = self.proj(x)  # (N, dim, H / patch, W / patch)
        h = h.flatten(2)  # (N, dim, num_patches)
        return h.transpose(1, 2)  # (N, num_patches, dim)


class ViT(nn.Module):
    """Patch embedding, class token, position embedding, pre-norm encoder, head on the class
    token.

    Shape: ``(N, in_channels, image_size, image_size)`` -> ``(N, num_classes)``.
    """

    def __init__(self, config: ViTConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or ViTConfig()
        self.patch_embed = PatchEmbedding(config)
        # small random starts (std 0.02, as the reference implementations) so tokens differ
        self.cls_token = nn.Parameter(gradwork.zeros(1, 1, config.dim))
        self.pos_embed = nn.Parameter(gradwork.zeros(1, config.num_patches + 1, config.dim))
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        self.dropout = nn.Dropout(config.dropout)
        layer = nn.TransformerEncoderLayer(
            config.dim,
            config.heads,
            dim_feedforward=config.mlp_ratio * config.dim,
            dropout=config.dropout,
            activation=_ACTIVATIONS[config.activation],
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, config.depth)
        self.norm = nn.LayerNorm(config.dim)
        self.head = nn.Linear(config.dim, config.num_classes)

    def forward(self, x: Tensor) -> Tensor:
        tokens = self.patch_embed(x)  # (N, num_patches, dim)
        cls = self.cls_token.expand(tokens.shape[0], 1, self.config.dim)  # (N, 1, dim)
        h = gradwork.cat([cls, tokens], dim=1) + self.pos_embed  # (N, num_patches + 1, dim)
        h = self.encoder(self.dropout(h))
        return self.head(self.norm(h[:, 0]))  # class token: (N, dim) -> (N, num_classes)
