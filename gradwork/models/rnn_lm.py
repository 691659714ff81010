"""A character-level language model with a recurrent core (RNN, LSTM or GRU).

Characters are embedded, read by a stack of recurrent layers and projected back to the
vocabulary: ``p(x_{t+1} | x_{<=t}) = softmax(W h_t + b)`` (Karpathy's char-rnn; Graves,
"Generating sequences with recurrent neural networks", 2013). Long texts are trained with
truncated backpropagation through time (Williams & Peng, 1990): the text is cut into chunks, the
hidden state flows from one chunk into the next, but gradients stop at the chunk boundary, so
memory and time per step stay bounded however long the text is. :func:`sample` draws text one
character at a time from ``softmax(logits / temperature)``.

Example:
    >>> import gradwork
    >>> from gradwork.models.rnn_lm import CharLM, CharLMConfig, CharVocab, sample
    >>> vocab = CharVocab("hello world")
    >>> model = CharLM(CharLMConfig(vocab_size=len(vocab), cell="gru", hidden_size=16))
    >>> logits, hidden = model(gradwork.tensor([vocab.encode("hello")]))
    >>> logits.shape, hidden.shape
    ((1, 5, 8), (2, 1, 16))
    >>> len(sample(model, vocab, "he", length=10, generator=gradwork.Generator().manual_seed(0)))
    12
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

import gradwork
import gradwork.nn.functional as F
from gradwork import nn
from gradwork.optim import Optimizer
from gradwork.tensor import Tensor

__all__ = [
    "CharLM",
    "CharLMConfig",
    "CharVocab",
    "detach_hidden",
    "sample",
    "train_tbptt",
]

_CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


@dataclass
class CharLMConfig:
    vocab_size: int = 65  # distinct characters
    cell: str = "lstm"  # recurrent layer: 'rnn' (tanh), 'lstm' or 'gru'
    num_layers: int = 2  # stacked recurrent layers
    hidden_size: int = 128  # state size of each layer
    embedding_dim: int = 32  # width of the character embeddings
    dropout: float = 0.0  # dropout between recurrent layers and before the read-out

    def __post_init__(self) -> None:
        if self.cell not in _CELLS:
            raise ValueError(f"CharLMConfig: cell must be one of {list(_CELLS)}, got {self.cell!r}")


class CharVocab:
    """The sorted set of characters of a text, with ``encode`` (str -> ids) and ``decode``.

    Example:
        >>> vocab = CharVocab("abca")
        >>> len(vocab), vocab.encode("cab"), vocab.decode([0, 2])
        (3, [2, 0, 1], 'ac')
    """

    def __init__(self, text: str) -> None:
        self.chars = sorted(set(text))
        self.index = {char: position for position, char in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        unknown = sorted(set(text) - set(self.index))
        if unknown:
            raise ValueError(f"CharVocab.encode: characters {unknown} are not in the vocabulary")
        return [self.index[char] for char in text]

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(self.chars[int(i)] for i in ids)


class CharLM(nn.Module):
    """Embedding -> recurrent layers -> dropout -> linear read-out over the vocabulary.

    ``forward(input, hidden=None)`` returns ``(logits, hidden)``; pass ``hidden`` back in to go
    on where the previous chunk stopped. ``hidden`` is ``(num_layers, N, hidden_size)``, or the
    pair ``(h, c)`` of such tensors for the LSTM.

    Shape: ``input (N, T)`` of character ids -> ``logits (N, T, vocab_size)``.
    """

    def __init__(self, config: CharLMConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or CharLMConfig()
        self.embedding = nn.Embedding(config.vocab_size, config.embedding_dim)
        self.rnn = _CELLS[config.cell](
            config.embedding_dim,
            config.hidden_size,
            num_layers=config.num_layers,
            batch_first=True,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden_size, config.vocab_size)

    def forward(self, input: Tensor, hidden=None) -> tuple[Tensor, object]:
        h = self.embedding(input)  # (N, T, embedding_dim)
        h, hidden = self.rnn(h, hidden)  # (N, T, hidden_size)
        return self.head(self.dropout(h)), hidden  # (N, T, vocab_size)


def detach_hidden(hidden):
    """The hidden state cut from its graph (a tensor, or the LSTM's ``(h, c)``): gradients of the
    next chunk stop here, while its values still carry the context forward."""
    if hidden is None:
        return None
    if isinstance(hidden, tuple):
        return tuple(state.detach() for state in hidden)
    return hidden.detach()


def train_tbptt(
    model: CharLM,
    optimizer: Optimizer,
    tokens: Tensor,
    chunk_length: int,
    hidden=None,
    max_norm: float | None = 5.0,
) -> tuple[list[float], object]:
    """One pass of truncated backpropagation through time over ``tokens``.

    The streams of ``tokens`` are cut into consecutive chunks of ``chunk_length`` steps; each
    chunk is one optimizer step predicting every next character, and its final hidden state,
    detached, starts the next chunk.

    Args:
        model: the language model.
        optimizer: over ``model.parameters()``.
        tokens: ``(N, T + 1)`` character ids, ``N`` parallel streams of text.
        chunk_length: time steps per chunk (the truncation length).
        hidden: the state to start from (``None``: zeros).
        max_norm: clip the gradient norm to this (recurrent nets' exploding gradients), or None.

    Returns:
        the loss of each chunk, and the detached hidden state after the last chunk.
    """
    if tokens.ndim != 2 or tokens.shape[1] < 2 or chunk_length < 1:
        raise ValueError(
            f"train_tbptt: expected tokens (N, T + 1) with T >= 1 and chunk_length >= 1, got "
            f"tokens {tokens.shape} and chunk_length {chunk_length}"
        )
    losses = []
    steps = tokens.shape[1] - 1
    for start in range(0, steps, chunk_length):
        stop = min(start + chunk_length, steps)
        inputs, targets = tokens[:, start:stop], tokens[:, start + 1 : stop + 1]  # (N, chunk)
        logits, hidden = model(inputs, hidden)
        # (N * chunk, vocab_size) logits against (N * chunk,) next characters
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        if max_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        hidden = detach_hidden(hidden)
        losses.append(loss.item())
    return losses, hidden


def sample(
    model: CharLM,
    vocab: CharVocab,
    prompt: str,
    length: int,
    temperature: float = 1.0,
    generator: gradwork.Generator | None = None,
) -> str:
    """Continue ``prompt`` by ``length`` characters drawn from ``softmax(logits / temperature)``.

    ``temperature`` below 1 sharpens the distribution, above 1 flattens it; as it goes to 0 the
    draw becomes the most likely character, and ``temperature=0`` is exactly that (greedy).

    Args:
        model: the language model (put in eval mode for the draw, then restored).
        vocab: maps characters to ids and back.
        prompt: at least one character to start from.
        length: characters to add.
        temperature: >= 0.
        generator: the random source (default: gradwork's global generator).

    Returns:
        ``prompt`` followed by the ``length`` characters drawn.
    """
    if not prompt or temperature < 0:
        raise ValueError(
            f"sample: need a non-empty prompt and temperature >= 0, got {prompt!r} and "
            f"{temperature}"
        )
    generator = generator or gradwork.random.default_generator
    was_training = model.training
    model.eval()
    ids = vocab.encode(prompt)
    with gradwork.no_grad():
        logits, hidden = model(gradwork.tensor([ids]))
        for _ in range(length):
            last = logits[0, -1].numpy().astype(np.float64)  # (vocab_size,)
            if temperature == 0:
                choice = int(last.argmax())
            else:
                # subtract the max before exp: logits / small temperature overflow otherwise
                scaled = (last - last.max()) / temperature
                probabilities = np.exp(scaled)
                cumulative = np.cumsum(probabilities / probabilities.sum())
                draw = generator.random((), np.float64)
                choice = min(int(np.searchsorted(cumulative, draw, side="right")), len(last) - 1)
            ids.append(choice)
            logits, hidden = model(gradwork.tensor([[choice]]), hidden)
    model.train(was_training)
    return vocab.decode(ids)
