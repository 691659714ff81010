"""GPT: a decoder-only transformer language model, after Karpathy's nanoGPT (``model.py``).

Radford et al., "Language models are unsupervised multitask learners" (GPT-2, 2019), built on
Vaswani et al., "Attention is all you need" (2017). Pre-norm blocks
``x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))``, causal self-attention, an MLP with GELU, a final
layer norm and a linear head onto the vocabulary. Positions are learned embeddings (GPT-2) or
rotary embeddings (Su et al., "RoFormer", 2021, arXiv:2104.09864). The parameter names follow
GPT-2's layout (``transformer.wte``, ``transformer.h.0.attn.c_attn``, ``lm_head``, ...), so weights
load by name; GPT-2's checkpoints store ``Conv1D`` weights transposed, ``(in, out)``, which a
loader must transpose into these ``Linear`` weights ``(out, in)``.

Generation keeps a key/value cache: each new token runs through the network alone and attends to
the keys and values stored for the tokens before it, instead of re-running the whole context.

Example:
    >>> import gradwork
    >>> from gradwork.models.gpt import GPT, GPTConfig
    >>> _ = gradwork.manual_seed(0)
    >>> model = GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16))
    >>> idx = gradwork.randint(0, 11, (3, 8))
    >>> logits, loss = model(idx, targets=idx)
    >>> tuple(logits.shape), round(loss.item(), 1)
    ((3, 8, 11), 2.2)
    >>> tuple(model.generate(idx[:, :2], max_new_tokens=5, top_k=3).shape)
    (3, 7)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

import gradwork
import gradwork.nn.functional as F
from gradwork import nn
from gradwork.tensor import Tensor

__all__ = ["GPT", "Block", "CausalSelfAttention", "GPTConfig", "KVCache", "MLP", "Rotary"]


@dataclass
class GPTConfig:
    vocab_size: int = 50304  # tokens the model reads and predicts (GPT-2's 50257, padded to 64)
    block_size: int = 1024  # the longest context, in tokens
    n_layer: int = 12  # transformer blocks
    n_head: int = 12  # attention heads per block; n_embd must divide by it
    n_embd: int = 768  # width of the residual stream
    dropout: float = 0.0  # on embeddings, attention weights and both residual branches
    bias: bool = True  # biases in the linear layers and layer norms (GPT-2 has them)
    positional: str = "learned"  # 'learned' (GPT-2's wpe) or 'rotary' (RoPE on queries and keys)
    tie_weights: bool = True  # lm_head.weight is transformer.wte.weight (one Parameter)
    rotary_base: float = 10000.0  # RoPE's base: frequencies base ** (-2i / head_dim)

    def __post_init__(self) -> None:
        if self.n_embd % self.n_head:
            raise ValueError(
                f"GPTConfig: n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head})"
            )
        if self.positional not in ("learned", "rotary"):
            raise ValueError(
                f"GPTConfig: positional must be 'learned' or 'rotary', got {self.positional!r}"
            )
        if self.positional == "rotary" and (self.n_embd // self.n_head) % 2:
            raise ValueError(
                "GPTConfig: rotary positions need an even head size, got "
                f"{self.n_embd // self.n_head}"
            )


class KVCache:
    """The keys and values of the tokens seen so far, one ``(B, n_head, T, head_dim)`` pair per
    layer, filled as :meth:`GPT.forward` runs with ``cache=`` given.

    Example:
        >>> cache = KVCache(n_layer=2)
        >>> len(cache)
        0
    """

    def __init__(self, n_layer: int) -> None:
        self.keys: list[Tensor | None] = [None] * n_layer
        self.values: list[Tensor | None] = [None] * n_layer

    def __len__(self) -> int:
        """The number of cached positions (of the first layer: the others catch up within a
        forward pass)."""
        return self.length(0)

    def length(self, layer: int) -> int:
        """The number of positions cached for layer ``layer``."""
        return 0 if self.keys[layer] is None else self.keys[layer].shape[-2]

    def update(self, layer: int, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor]:
        """Append this step's ``key`` and ``value`` to layer ``layer``'s and return all of them."""
        if self.keys[layer] is not None:
            key = gradwork.cat([self.keys[layer], key], dim=-2)  # (B, n_head, T_past + T, hs)
            value = gradwork.cat([self.values[layer], value], dim=-2)
        self.keys[layer], self.values[layer] = key, value
        return key, value


class Rotary(nn.Module):
    """Rotary position embedding: rotate each pair of channels ``(x_i, x_{i + d/2})`` of a query
    or key at position ``m`` by the angle ``m * theta_i``, ``theta_i = base ** (-2i / d)``.

    ``rope(x) = x * cos(m theta) + rotate_half(x) * sin(m theta)``,
    ``rotate_half(x) = (-x_2, x_1)`` for the halves ``x_1, x_2`` (GPT-NeoX's layout). The score
    ``q_m . k_n`` then depends on the positions only through ``m - n`` (Su et al. 2021).

    Shape: ``(B, n_head, T, head_dim)`` -> the same.

    Example:
        >>> import gradwork
        >>> rope = Rotary(head_dim=4, block_size=8)
        >>> q, k = gradwork.ones(1, 1, 1, 4), gradwork.ones(1, 1, 1, 4)
        >>> near = (rope(q, start=3) * rope(k, start=1)).sum()  # positions 3 and 1
        >>> far = (rope(q, start=7) * rope(k, start=5)).sum()  # 7 and 5: the same distance
        >>> bool(abs(near - far) < 1e-5)
        True
    """

    def __init__(self, head_dim: int, block_size: int, base: float = 10000.0) -> None:
        super().__init__()
        frequencies = base ** (-np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
        angles = np.outer(np.arange(block_size, dtype=np.float64), frequencies)  # (T, hs / 2)
        angles = np.concatenate([angles, angles], axis=-1)  # (T, hs): one angle per channel
        # fixed tables, not weights: left out of state_dict so the names stay GPT-2's
        self.register_buffer("cos", gradwork.tensor(np.cos(angles), dtype=gradwork.float32), False)
        self.register_buffer("sin", gradwork.tensor(np.sin(angles), dtype=gradwork.float32), False)

    def forward(self, x: Tensor, start: int = 0) -> Tensor:
        length, half = x.shape[-2], x.shape[-1] // 2
        cos = self.cos[start : start + length].to(x.dtype)  # (T, hs), broadcast over (B, nh)
        sin = self.sin[start : start + length].to(x.dtype)
        rotated = gradwork.cat([-x[..., half:], x[..., :half]], dim=-1)
        return x * cos + rotated * sin


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which each token sees only itself and the tokens before it.

    One linear layer ``c_attn`` makes queries, keys and values for all heads at once; the heads
    attend in parallel through :func:`~gradwork.nn.functional.scaled_dot_product_attention`; the
    linear layer ``c_proj`` mixes their outputs.

    Shape: ``(B, T, n_embd)`` -> ``(B, T, n_embd)``.

    Example:
        >>> import gradwork
        >>> attention = CausalSelfAttention(GPTConfig(block_size=4, n_head=2, n_embd=8))
        >>> x = gradwork.randn(1, 4, 8)
        >>> changed = x.clone()
        >>> changed[0, 3] = 0.0  # the last token cannot change what the first three see
        >>> bool((attention(x)[0, :3] == attention(changed)[0, :3]).all())
        True
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.n_head, self.n_embd, self.dropout = config.n_head, config.n_embd, config.dropout
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.resid_dropout = nn.Dropout(config.dropout)
        head_dim = config.n_embd // config.n_head
        self.rotary = (
            Rotary(head_dim, config.block_size, config.rotary_base)
            if config.positional == "rotary"
            else None
        )

    def forward(self, x: Tensor, cache: KVCache | None = None, layer: int = 0) -> Tensor:
        batch, length, channels = x.shape
        past = cache.length(layer) if cache is not None else 0
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)  # each (B, T, C)
        head_dim = channels // self.n_head
        q = q.view(batch, length, self.n_head, head_dim).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(batch, length, self.n_head, head_dim).transpose(1, 2)  # (B, nh, T, hs)
        v = v.view(batch, length, self.n_head, head_dim).transpose(1, 2)  # (B, nh, T, hs)
        if self.rotary is not None:
            q, k = self.rotary(q, start=past), self.rotary(k, start=past)
        if cache is not None:
            k, v = cache.update(layer, k, v)  # (B, nh, past + T, hs)
        dropout_p = self.dropout if self.training else 0.0
        if past == 0:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True)
        else:
            # new query i sits at position past + i and sees keys 0 .. past + i: is_causal aligns
            # the mask top-left, so the bottom-right mask is spelled out
            keep = np.tril(np.ones((length, past + length), np.bool_), k=past)  # (T, past + T)
            mask = gradwork.tensor(keep)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
        y = y.transpose(1, 2).reshape(batch, length, channels)  # (B, T, C): heads side by side
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    """``c_proj(gelu(c_fc(x)))``, four times wider inside (GPT-2's feed-forward block).

    Shape: ``(B, T, n_embd)`` -> ``(B, T, n_embd)``.
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    """A pre-norm transformer block: ``x + attn(ln_1(x))``, then ``x + mlp(ln_2(x))``.

    Shape: ``(B, T, n_embd)`` -> ``(B, T, n_embd)``.

    Example:
        >>> import gradwork
        >>> tuple(Block(GPTConfig(block_size=4, n_head=2, n_embd=8))(gradwork.randn(2, 4, 8)).shape)
        (2, 4, 8)
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: Tensor, cache: KVCache | None = None, layer: int = 0) -> Tensor:
        x = x + self.attn(self.ln_1(x), cache, layer)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """A GPT language model: token indices ``(B, T)`` to next-token logits ``(B, T, vocab_size)``.

    Initialised as GPT-2 and nanoGPT: every weight from ``N(0, 0.02)``, biases zero, and the
    output projections of the residual branches (``c_proj``) from ``N(0, 0.02 / sqrt(2 n_layer))``
    so the residual stream's variance does not grow with depth.

    Args:
        config: the :class:`GPTConfig`.

    Shape: ``idx (B, T)`` with ``T <= block_size`` -> ``logits (B, T, vocab_size)``.
    """

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        modules = {"wte": nn.Embedding(config.vocab_size, config.n_embd)}
        if config.positional == "learned":
            modules["wpe"] = nn.Embedding(config.block_size, config.n_embd)
        modules["drop"] = nn.Dropout(config.dropout)
        modules["h"] = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        modules["ln_f"] = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.transformer = nn.ModuleDict(modules)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.apply(self._init_weights)
        for name, parameter in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(parameter, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))
        if config.tie_weights:
            self.lm_head.weight = self.transformer.wte.weight

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def num_parameters(self, non_embedding: bool = True) -> int:
        """Trainable scalars, a tied weight counted once; by default without the position
        embeddings (nanoGPT's convention: they are not compute)."""
        count = sum(parameter.numel() for parameter in self.parameters())
        if non_embedding and "wpe" in self.transformer:
            count -= self.transformer.wpe.weight.numel()
        return count

    def forward(
        self, idx: Tensor, targets: Tensor | None = None, cache: KVCache | None = None
    ) -> tuple[Tensor, Tensor | None]:
        """Logits for every position and, given ``targets (B, T)``, the mean cross-entropy
        (targets of ``-1`` are ignored).

        With ``cache``, ``idx`` continues the sequence whose keys and values the cache holds:
        its tokens sit at positions ``len(cache)`` onwards, and the cache grows by ``T``.
        """
        batch, length = idx.shape
        start = len(cache) if cache is not None else 0
        if start + length > self.config.block_size:
            raise ValueError(
                f"GPT: a sequence of {start + length} tokens ({start} cached) is longer than "
                f"block_size {self.config.block_size}"
            )
        x = self.transformer.wte(idx)  # (B, T, C)
        if "wpe" in self.transformer:
            positions = gradwork.arange(start, start + length, dtype=gradwork.int64)  # (T,)
            x = x + self.transformer.wpe(positions)  # (T, C) broadcast over the batch
        x = self.transformer.drop(x)
        for layer, block in enumerate(self.transformer.h):
            x = block(x, cache, layer)
        x = self.transformer.ln_f(x)
        logits = self.lm_head(x)  # (B, T, vocab_size)
        if targets is None:
            return logits, None
        loss = F.cross_entropy(
            logits.reshape(batch * length, -1),  # (B * T, vocab_size)
            targets.reshape(batch * length),  # (B * T,)
            ignore_index=-1,
        )
        return logits, loss

    @gradwork.no_grad()
    def generate(
        self,
        idx: Tensor,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        use_cache: bool = True,
    ) -> Tensor:
        """Extend ``idx (B, T)`` by ``max_new_tokens`` tokens, each sampled from the model's
        next-token distribution given the last ``block_size`` tokens.

        Call ``model.eval()`` first when the model has dropout. Sampling draws from gradwork's
        default generator, so ``gradwork.manual_seed`` makes it repeatable, and the cache
        changes nothing but the speed: the same seed gives the same tokens with or without it.

        Args:
            idx: int64 token indices ``(B, T)``, the prompt.
            max_new_tokens: how many tokens to append.
            temperature: divides the logits; ``0`` picks the most likely token (greedy).
            top_k: sample only among the ``top_k`` most likely tokens.
            top_p: nucleus sampling (Holtzman et al. 2019): only among the most likely tokens
                whose probabilities first add up to at least ``top_p``.
            use_cache: keep keys and values (:class:`KVCache`) so that each step runs one token.
                Once the sequence outgrows ``block_size`` the window slides, every position
                moves, and the cache is rebuilt from the window each step.

        Returns:
            int64 ``(B, T + max_new_tokens)``: the prompt, then the new tokens.
        """
        if temperature < 0 or (top_p is not None and not 0.0 < top_p <= 1.0):
            raise ValueError(
                f"GPT.generate: need temperature >= 0 and 0 < top_p <= 1, got {temperature}, "
                f"{top_p}"
            )
        block_size = self.config.block_size
        cache, fed = None, 0  # fed: how many tokens of idx the cache holds
        for _ in range(max_new_tokens):
            if not use_cache:
                logits, _ = self(idx[:, -block_size:])
            elif cache is None or idx.shape[1] > block_size:
                cache = KVCache(self.config.n_layer)
                logits, _ = self(idx[:, -block_size:], cache=cache)
                fed = idx.shape[1]
            else:
                logits, _ = self(idx[:, fed:], cache=cache)
                fed = idx.shape[1]
            next_token = self._sample(logits[:, -1, :].numpy(), temperature, top_k, top_p)
            idx = gradwork.cat([idx, gradwork.tensor(next_token, dtype=idx.dtype)], dim=1)
        return idx

    @staticmethod
    def _sample(
        logits: np.ndarray, temperature: float, top_k: int | None, top_p: float | None
    ) -> np.ndarray:
        """One token per row of ``logits (B, V)``, as a ``(B, 1)`` array."""
        logits = logits.astype(np.float64)
        if temperature == 0:
            return logits.argmax(axis=-1)[:, None]
        logits = logits / temperature
        if top_k is not None:
            kth = np.sort(logits, axis=-1)[:, -min(top_k, logits.shape[-1])][:, None]
            logits = np.where(logits < kth, -np.inf, logits)
        probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
        probs /= probs.sum(axis=-1, keepdims=True)
        if top_p is not None:
            order = np.argsort(-probs, axis=-1, kind="stable")
            sorted_probs = np.take_along_axis(probs, order, axis=-1)
            # keep a token if the tokens more likely than it add up to less than top_p
            before = np.cumsum(sorted_probs, axis=-1) - sorted_probs
            keep = np.zeros_like(probs, dtype=bool)
            np.put_along_axis(keep, order, before < top_p, axis=-1)
            probs = np.where(keep, probs, 0.0)
            probs /= probs.sum(axis=-1, keepdims=True)
        uniform = gradwork.rand(len(probs), 1, dtype=gradwork.float64).numpy()  # (B, 1)
        cumulative = np.cumsum(probs, axis=-1)
        # inverse-CDF sampling; the clip guards against cumulative[-1] rounding just below 1
        choice = (cumulative <= uniform * cumulative[:, -1:]).sum(axis=-1)
        return np.minimum(choice, probs.shape[-1] - 1)[:, None]
