"""Transformer layers (Vaswani et al., 2017) with PyTorch's submodule names, so state dicts load
by name: ``TransformerEncoderLayer``, ``TransformerDecoderLayer``, their stacks
``TransformerEncoder``, ``TransformerDecoder``, and the encoder-decoder ``Transformer``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import numpy as np

from gradwork._creation import tensor
from gradwork._dtype import get_default_dtype
from gradwork.nn import init
from gradwork.nn.containers import ModuleList
from gradwork.nn.module import Module
from gradwork.nn.modules.attention import MultiheadAttention
from gradwork.nn.modules.dropout import Dropout
from gradwork.nn.modules.linear import Linear
from gradwork.nn.modules.normalization import LayerNorm
from gradwork.ops.activation import gelu, relu
from gradwork.tensor import Tensor

__all__ = [
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerDecoder",
    "Transformer",
    "generate_square_subsequent_mask",
]


def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
    """The causal float mask: ``0`` on and below the diagonal, ``-inf`` above it.

    Args:
        sz: the sequence length.

    Shape: ``(sz, sz)``.

    Example:
        >>> from gradwork.nn.modules.transformer import generate_square_subsequent_mask
        >>> generate_square_subsequent_mask(3)
        tensor([[  0., -inf, -inf],
                [  0.,   0., -inf],
                [  0.,   0.,   0.]])
    """
    mask = np.triu(np.full((sz, sz), -math.inf), 1)
    return tensor(mask, dtype=dtype or get_default_dtype(), device=device)


def _activation(activation) -> Callable:
    if activation == "relu":
        return relu
    if activation == "gelu":
        return gelu
    if callable(activation):
        return activation
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward network, each in a residual branch with layer norm:

    post-norm (default): ``x = norm1(x + SA(x))``, ``x = norm2(x + FF(x))``;
    pre-norm (``norm_first``): ``x = x + SA(norm1(x))``, ``x = x + FF(norm2(x))``;
    ``FF(x) = linear2(dropout(activation(linear1(x))))``, each branch followed by dropout.

    Args:
        d_model: features of the input.
        nhead: attention heads.
        dim_feedforward: hidden width of the feed-forward network. Default: 2048.
        dropout: dropout probability. Default: 0.1.
        activation: ``'relu'``, ``'gelu'`` or a callable. Default: ``'relu'``.
        layer_norm_eps: eps of the layer norms. Default: 1e-5.
        batch_first: input and output are ``(N, S, E)`` rather than ``(S, N, E)``.
        norm_first: pre-norm rather than post-norm. Default: ``False``.
        bias: biases in the linear layers and layer norms. Default: ``True``.

    Forward args: ``src``; ``src_mask`` ``(S, S)`` or ``(N * nhead, S, S)`` and
    ``src_key_padding_mask`` ``(N, S)``, as in :class:`MultiheadAttention`; ``is_causal``.

    Shape: src ``(S, N, E)`` (``(N, S, E)`` if ``batch_first``) or ``(S, E)`` -> the same.

    Example:
        >>> import gradwork
        >>> from gradwork.nn.modules.transformer import TransformerEncoderLayer
        >>> layer = TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16)
        >>> layer(gradwork.randn(5, 3, 8)).shape
        (5, 3, 8)
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **factory
        )
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **factory)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **factory)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation(activation)

    def forward(
        self,
        src: Tensor,
        src_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool = False,
    ) -> Tensor:
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask, key_padding_mask, is_causal: bool) -> Tensor:
        x = self.self_attn(
            x,
            x,
            x,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            need_weights=False,
            is_causal=is_causal,
        )[0]
        return self.dropout1(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerDecoderLayer(Module):
    """Self-attention, attention over the encoder's output (``memory``), then a feed-forward
    network, each in a residual branch with layer norm (post-norm, or pre-norm if
    ``norm_first``), as :class:`TransformerEncoderLayer`.

    Args: as :class:`TransformerEncoderLayer`.

    Forward args: ``tgt``, ``memory``; ``tgt_mask`` ``(T, T)``, ``memory_mask`` ``(T, S)``,
    ``tgt_key_padding_mask`` ``(N, T)``, ``memory_key_padding_mask`` ``(N, S)`` as in
    :class:`MultiheadAttention`; ``tgt_is_causal``, ``memory_is_causal``.

    Shape: tgt ``(T, N, E)``, memory ``(S, N, E)`` (batch first if ``batch_first``) -> like tgt.

    Example:
        >>> import gradwork
        >>> from gradwork.nn.modules.transformer import TransformerDecoderLayer
        >>> layer = TransformerDecoderLayer(8, 2, dim_feedforward=16, batch_first=True)
        >>> layer(gradwork.randn(3, 4, 8), gradwork.randn(3, 6, 8), tgt_is_causal=True).shape
        (3, 4, 8)
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **factory
        )
        self.multihead_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **factory
        )
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **factory)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **factory)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _activation(activation)

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Tensor:
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(
                self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal
            )
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(
                x
                + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            )
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask, key_padding_mask, is_causal: bool) -> Tensor:
        x = self.self_attn(
            x,
            x,
            x,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            need_weights=False,
            is_causal=is_causal,
        )[0]
        return self.dropout1(x)

    def _mha_block(
        self, x: Tensor, memory: Tensor, attn_mask, key_padding_mask, is_causal: bool
    ) -> Tensor:
        x = self.multihead_attn(
            x,
            memory,
            memory,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            need_weights=False,
            is_causal=is_causal,
        )[0]
        return self.dropout2(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))


def _clones(module: Module, count: int) -> ModuleList:
    return ModuleList([copy.deepcopy(module) for _ in range(count)])


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of ``encoder_layer``, then an optional final ``norm``.

    Args:
        encoder_layer: a :class:`TransformerEncoderLayer` (deep-copied; copies start equal).
        num_layers: number of layers.
        norm: applied to the output of the last layer, or None.
        enable_nested_tensor, mask_check: accepted for compatibility with PyTorch; unused.

    Forward args: ``src``, ``mask``, ``src_key_padding_mask``, ``is_causal`` as in
    :class:`TransformerEncoderLayer`.

    Example:
        >>> import gradwork
        >>> from gradwork.nn.modules.transformer import TransformerEncoder, TransformerEncoderLayer
        >>> layer = TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
        >>> encoder = TransformerEncoder(layer, num_layers=2)
        >>> encoder(gradwork.randn(3, 5, 8)).shape
        (3, 5, 8)
    """

    def __init__(
        self,
        encoder_layer: Module,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ) -> None:
        super().__init__()
        # enable_nested_tensor and mask_check steer PyTorch's nested-tensor fast path; accepted
        # for compatibility, they change nothing here
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        src: Tensor,
        mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool | None = None,
    ) -> Tensor:
        output = src
        for layer in self.layers:
            output = layer(
                output,
                src_mask=mask,
                src_key_padding_mask=src_key_padding_mask,
                is_causal=bool(is_causal),
            )
        return output if self.norm is None else self.norm(output)


class TransformerDecoder(Module):
    """A stack of ``num_layers`` copies of ``decoder_layer``, then an optional final ``norm``.

    Args:
        decoder_layer: a :class:`TransformerDecoderLayer` (deep-copied; copies start equal).
        num_layers: number of layers.
        norm: applied to the output of the last layer, or None.

    Forward args: as :class:`TransformerDecoderLayer`.

    Example:
        >>> import gradwork
        >>> from gradwork.nn.modules.transformer import TransformerDecoder, TransformerDecoderLayer
        >>> layer = TransformerDecoderLayer(8, 2, dim_feedforward=16)
        >>> decoder = TransformerDecoder(layer, num_layers=2)
        >>> decoder(gradwork.randn(4, 3, 8), gradwork.randn(6, 3, 8)).shape
        (4, 3, 8)
    """

    def __init__(self, decoder_layer: Module, num_layers: int, norm: Module | None = None) -> None:
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        output = tgt
        for layer in self.layers:
            output = layer(
                output,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=bool(tgt_is_causal),
                memory_is_causal=memory_is_causal,
            )
        return output if self.norm is None else self.norm(output)


class Transformer(Module):
    """The encoder-decoder transformer (Vaswani et al., 2017): ``decoder(tgt, encoder(src))``,
    each stack ending in a layer norm; every weight matrix Xavier-uniform, as in PyTorch.

    Args:
        d_model: features of the inputs. Default: 512.
        nhead: attention heads. Default: 8.
        num_encoder_layers, num_decoder_layers: stack depths. Default: 6 each.
        dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first, bias:
            passed to every layer (see :class:`TransformerEncoderLayer`).
        custom_encoder, custom_decoder: modules used instead of the default stacks.

    Forward args: ``src``, ``tgt``; ``src_mask``, ``tgt_mask``, ``memory_mask`` and the three
    key padding masks, as in the layers; ``src_is_causal``, ``tgt_is_causal``,
    ``memory_is_causal``.

    Shape: src ``(S, N, E)``, tgt ``(T, N, E)`` (batch first if ``batch_first``) -> like tgt.

    Example:
        >>> import gradwork
        >>> from gradwork.nn.modules.transformer import Transformer
        >>> model = Transformer(8, 2, 1, 1, dim_feedforward=16, batch_first=True)
        >>> model(gradwork.randn(3, 6, 8), gradwork.randn(3, 4, 8), tgt_is_causal=True).shape
        (3, 4, 8)
    """

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable = "relu",
        custom_encoder: Module | None = None,
        custom_decoder: Module | None = None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        options = dict(
            dim_feedforward=dim_feedforward,
            dropout=dropout,
            activation=activation,
            layer_norm_eps=layer_norm_eps,
            batch_first=batch_first,
            norm_first=norm_first,
            bias=bias,
            **factory,
        )
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, **options)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
            self.encoder = TransformerEncoder(layer, num_encoder_layers, norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(d_model, nhead, **options)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
            self.decoder = TransformerDecoder(layer, num_decoder_layers, norm)
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        for parameter in self.parameters():
            if parameter.ndim > 1:
                init.xavier_uniform_(parameter)

    generate_square_subsequent_mask = staticmethod(generate_square_subsequent_mask)

    def forward(
        self,
        src: Tensor,
        tgt: Tensor,
        src_mask: Tensor | None = None,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        src_is_causal: bool | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        memory = self.encoder(
            src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal
        )
        return self.decoder(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )
