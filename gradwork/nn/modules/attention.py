"""``MultiheadAttention`` with PyTorch's parameters, masks and options.

The heads run in one batched :func:`gradwork.ops.nn.scaled_dot_product_attention` call (or, when
the weights are asked for, the same computation spelled out so that they can be returned).
"""

from __future__ import annotations

import math

import numpy as np

from gradwork._creation import empty, zeros
from gradwork.nn import init
from gradwork.nn.module import Module
from gradwork.nn.modules.linear import Linear
from gradwork.nn.parameter import Parameter
from gradwork.ops._util import check, check_floating, check_tensor, format_shape
from gradwork.ops.elementwise import where
from gradwork.ops.linalg import linear
from gradwork.ops.movement import cat, pad
from gradwork.ops.nn import dropout, scaled_dot_product_attention, softmax
from gradwork.tensor import Tensor

__all__ = ["MultiheadAttention"]

_OP = "MultiheadAttention"


def _additive_mask(mask: Tensor | None, name: str, dtype) -> Tensor | None:
    """A bool mask (True = masked out) as ``-inf``/0 scores; a float mask as it is, in ``dtype``.

    PyTorch's ``_canonical_mask``: both kinds can then be summed into one mask.
    """
    if mask is None:
        return None
    check_tensor(mask, _OP, name)
    kind = mask._data.dtype
    if kind == np.bool_:
        return where(mask, -math.inf, 0.0).to(dtype)
    check(kind.kind == "f", _OP, f"only bool and floating types of {name} are supported", TypeError)
    return mask.to(dtype)


class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al., 2017):
    ``MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W^O``, with
    ``head_i = softmax((Q W_i^Q)(K W_i^K)^T / sqrt(d_head) + mask) V W_i^V``.

    Parameters as in PyTorch: ``in_proj_weight (3E, E)`` and ``in_proj_bias (3E,)`` hold the
    query, key and value projections stacked (separate ``q_proj_weight``, ``k_proj_weight (E,
    kdim)``, ``v_proj_weight (E, vdim)`` when ``kdim`` or ``vdim`` differ from ``E``), and
    ``out_proj`` is a ``Linear(E, E)``. The projections are Xavier-uniform, the biases zero.

    Args:
        embed_dim: model dimension ``E``, split evenly across the heads.
        num_heads: number of heads ``h``; ``E`` must be divisible by it.
        dropout: dropout on the attention weights (training only). Default: 0.
        bias: whether the in and out projections have biases. Default: ``True``.
        add_bias_kv: append learned ``bias_k``, ``bias_v`` (each ``(1, 1, E)``) to the key and
            value sequences. Default: ``False``.
        add_zero_attn: append a zero key and value (after the projections). Default: ``False``.
        kdim: features of the key (default ``E``).
        vdim: features of the value (default ``E``).
        batch_first: inputs and output are ``(N, L, E)`` rather than ``(L, N, E)``.

    Forward args:
        query, key, value: the sequences.
        key_padding_mask: ``(N, S)``; bool True (or a float added to the scores) marks keys to
            ignore, e.g. padding.
        need_weights: also return the attention weights. Default: ``True``.
        attn_mask: ``(L, S)`` or ``(N * h, L, S)``; bool True marks a pair that may NOT attend
            (the reverse of ``scaled_dot_product_attention``), a float is added to the scores.
        average_attn_weights: return the weights averaged over the heads. Default: ``True``.
        is_causal: mask out keys after each query. Unlike PyTorch, no ``attn_mask`` is needed;
            when one is given it is used as it is (PyTorch treats the flag as a hint about it).

    Shape: query ``(L, N, E)`` (``(N, L, E)`` if ``batch_first``) or ``(L, E)``; key
    ``(S, N, kdim)``, value ``(S, N, vdim)`` likewise -> output like query, and weights
    ``(N, L, S)`` (``(N, h, L, S)`` if not averaged; without ``N`` for unbatched input) or None.

    Example:
        >>> import gradwork
        >>> from gradwork.nn.modules.attention import MultiheadAttention
        >>> attention = MultiheadAttention(8, 2, batch_first=True)
        >>> x = gradwork.randn(3, 5, 8)
        >>> output, weights = attention(x, x, x)
        >>> output.shape, weights.shape
        ((3, 5, 8), (3, 5, 5))
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                f"num_heads={num_heads} instead"
            )
        check(
            embed_dim % num_heads == 0,
            _OP,
            f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})",
            ValueError,
        )
        check(0.0 <= dropout <= 1.0, _OP, f"dropout must be in [0, 1], got {dropout}", ValueError)
        super().__init__()
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout, self.batch_first = dropout, batch_first
        self.head_dim = embed_dim // num_heads
        factory = {"dtype": dtype, "device": device}
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(empty(3 * embed_dim, embed_dim, **factory))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(empty(embed_dim, embed_dim, **factory))
            self.k_proj_weight = Parameter(empty(embed_dim, self.kdim, **factory))
            self.v_proj_weight = Parameter(empty(embed_dim, self.vdim, **factory))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, **factory))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, **factory)
        if add_bias_kv:
            self.bias_k = Parameter(empty(1, 1, embed_dim, **factory))
            self.bias_v = Parameter(empty(1, 1, embed_dim, **factory))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """PyTorch's init: Xavier-uniform projections, zero biases, Xavier-normal ``bias_k/v``."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"

    def _check_inputs(self, query: Tensor, key: Tensor, value: Tensor) -> bool:
        """Check shapes and dtypes once; return whether the input is batched."""
        for name, tensor, features in (
            ("query", query, self.embed_dim),
            ("key", key, self.kdim),
            ("value", value, self.vdim),
        ):
            check_tensor(tensor, _OP, name)
            check(
                tensor.ndim == query.ndim and tensor.ndim in (2, 3),
                _OP,
                f"expected query, key and value all 2-D (unbatched) or all 3-D (batched), got "
                f"shapes {format_shape(query.shape)}, {format_shape(key.shape)} and "
                f"{format_shape(value.shape)}",
            )
            check(
                tensor.shape[-1] == features,
                _OP,
                f"expected {name} with {features} features (last dimension), got shape "
                f"{format_shape(tensor.shape)}",
            )
            check(
                tensor.dtype == query.dtype,
                _OP,
                f"expected query, key and value of one dtype, got {query.dtype} and {tensor.dtype}",
            )
        check_floating(query, _OP, "query")
        check(
            key.shape[:-1] == value.shape[:-1],
            _OP,
            f"key of shape {format_shape(key.shape)} and value of shape "
            f"{format_shape(value.shape)} must agree in sequence and batch dimensions",
        )
        batched = query.ndim == 3
        batch_axis = (0 if self.batch_first else 1) if batched else None
        if batched:
            check(
                key.shape[batch_axis] == query.shape[batch_axis],
                _OP,
                f"query of shape {format_shape(query.shape)} and key of shape "
                f"{format_shape(key.shape)} must have the same batch size",
            )
        return batched

    def _projections(self, query: Tensor, key: Tensor, value: Tensor) -> tuple:
        """``q, k, v`` of ``(N, *, E)``; self-attention projects with one GEMM."""
        embed = self.embed_dim
        bias = self.in_proj_bias
        biases = (None,) * 3 if bias is None else bias.split(embed)
        if self._qkv_same_embed_dim:
            if query is key and key is value:
                return linear(query, self.in_proj_weight, bias).chunk(3, -1)
            weights = self.in_proj_weight.split(embed)
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        return tuple(
            linear(x, weight, b) for x, weight, b in zip((query, key, value), weights, biases)
        )

    def _mask(
        self, key_padding_mask, attn_mask, batch: int, length: int, source: int, dtype
    ) -> Tensor | None:
        """Both masks as one additive float mask broadcastable to ``(N, h, L, S)``."""
        attn_mask = _additive_mask(attn_mask, "attn_mask", dtype)
        if attn_mask is not None:
            if attn_mask.ndim == 2:
                expected = (length, source)
            else:
                expected = (batch * self.num_heads, length, source)
            check(
                attn_mask.shape == expected,
                _OP,
                f"The shape of the {attn_mask.ndim}D attn_mask is "
                f"{format_shape(attn_mask.shape)}, but should be {format_shape(expected)}.",
            )
            if attn_mask.ndim == 3:
                attn_mask = attn_mask.reshape((batch, self.num_heads, length, source))
        key_padding_mask = _additive_mask(key_padding_mask, "key_padding_mask", dtype)
        if key_padding_mask is not None:
            check(
                key_padding_mask.shape == (batch, source),
                _OP,
                f"expected key_padding_mask of shape {format_shape((batch, source))} (N, S), "
                f"got {format_shape(key_padding_mask.shape)}",
            )
            key_padding_mask = key_padding_mask.reshape((batch, 1, 1, source))  # (N, 1, 1, S)
            if attn_mask is None:
                return key_padding_mask
            return attn_mask + key_padding_mask
        return attn_mask

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        need_weights: bool = True,
        attn_mask: Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple:
        batched = self._check_inputs(query, key, value)
        same_key_value, self_attention = key is value, key is value and query is key

        def batch_first(x: Tensor) -> Tensor:
            if not batched:
                return x.unsqueeze(0)  # (1, L, E)
            return x if self.batch_first else x.transpose(0, 1)  # (N, L, E)

        query = batch_first(query)
        key = query if self_attention else batch_first(key)
        value = key if same_key_value else batch_first(value)
        if not batched and key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
        batch, length, source = query.shape[0], query.shape[1], key.shape[1]
        heads, head_dim = self.num_heads, self.head_dim

        q, k, v = self._projections(query, key, value)  # (N, L, E), (N, S, E), (N, S, E)
        mask = self._mask(key_padding_mask, attn_mask, batch, length, source, q.dtype)
        # a causal mask alone goes to the kernel as a flag; anything else needs it spelled out
        extra_keys = self.bias_k is not None or self.add_zero_attn
        causal_flag = is_causal and mask is None and not (need_weights or extra_keys)
        if is_causal and attn_mask is None and not causal_flag:
            causal = Tensor._make(np.triu(np.ones((length, source), np.bool_), 1))
            causal = _additive_mask(causal, "attn_mask", q.dtype)  # (L, S)
            mask = causal if mask is None else mask + causal
        if self.bias_k is not None:
            k = cat([k, self.bias_k.expand((batch, 1, self.embed_dim))], 1)  # (N, S + 1, E)
            v = cat([v, self.bias_v.expand((batch, 1, self.embed_dim))], 1)
            mask = None if mask is None else pad(mask, (0, 1))
        q = q.reshape((batch, length, heads, head_dim)).transpose(1, 2)  # (N, h, L, d)
        k = k.reshape((batch, -1, heads, head_dim)).transpose(1, 2)  # (N, h, S, d)
        v = v.reshape((batch, -1, heads, head_dim)).transpose(1, 2)  # (N, h, S, d)
        if self.add_zero_attn:
            padding = zeros(batch, heads, 1, head_dim, dtype=q.dtype, device=q.device)
            k, v = cat([k, padding], 2), cat([v, padding], 2)  # (N, h, S + 1, d)
            mask = None if mask is None else pad(mask, (0, 1))
        p = self.dropout if self.training else 0.0

        weights = None
        if need_weights:
            scores = (q * (1 / math.sqrt(head_dim))) @ k.transpose(-2, -1)  # (N, h, L, S)
            if mask is not None:
                scores = scores + mask
            weights = softmax(scores, -1)
            if p > 0:
                weights = dropout(weights, p)
            output = weights @ v  # (N, h, L, d)
            if average_attn_weights:
                weights = weights.mean(1)  # (N, L, S)
            if not batched:
                weights = weights.squeeze(0)
        else:
            output = scaled_dot_product_attention(q, k, v, mask, p, causal_flag)
        output = output.transpose(1, 2).reshape((batch, length, self.embed_dim))  # (N, L, E)
        output = self.out_proj(output)
        if not batched:
            output = output.squeeze(0)  # (L, E)
        elif not self.batch_first:
            output = output.transpose(0, 1)  # (L, N, E)
        return output, weights
