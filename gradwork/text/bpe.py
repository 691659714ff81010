"""Byte-level byte-pair encoding (BPE), GPT-2's tokenizer, trained from a corpus.

Sennrich et al., "Neural machine translation of rare words with subword units" (2016,
arXiv:1508.07909) merge the most frequent pair of adjacent symbols, again and again; Radford et
al., "Language models are unsupervised multitask learners" (GPT-2, 2019) start from the 256
bytes, so every string encodes (no unknown token) and decodes back exactly, and first cut the
text into words with a regular expression, so merges never cross a word, a number or a run of
punctuation. Ids 0-255 are the bytes; id ``256 + i`` is the ``i``-th merge.

Training counts the words once, then keeps the count of every adjacent pair, an index from each
pair to the words that hold it and a max-heap of the counts: a merge touches only the words that
hold the pair, so its cost follows the pair's frequency, not the corpus size (a naive trainer
re-counts every pair of the corpus per merge).

Example:
    >>> tokenizer = BPETokenizer.train("low lower lowest " * 20, vocab_size=260)
    >>> [tokenizer.decode([token]) for token in tokenizer.encode(" lowest")]
    [' lowe', 's', 't']
    >>> tokenizer.decode(tokenizer.encode("naïve café 😀"))
    'naïve café 😀'
"""

from __future__ import annotations

import heapq
import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

__all__ = ["GPT2_PATTERN", "BPETokenizer"]

# GPT-2's pre-tokenizer,
# `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
# in the standard library's `re`, which has no \p{..}: letters are [^\W\d_], numbers \d. The
# alternatives together match every character, so the words concatenate back to the text.
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+"""


def _pairs(word: Sequence[int]) -> Iterable[tuple[int, int]]:
    return zip(word, word[1:])


def _merge(word: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """``word`` with each non-overlapping ``pair``, left to right, replaced by ``new_id``."""
    merged, index = [], 0
    while index < len(word):
        if index + 1 < len(word) and word[index] == pair[0] and word[index + 1] == pair[1]:
            merged.append(new_id)
            index += 2
        else:
            merged.append(word[index])
            index += 1
    return merged


class BPETokenizer:
    """A byte-level BPE tokenizer: the ordered merges and the pre-tokenizer pattern.

    Args:
        merges: the merged pairs in order; merge ``i`` makes token ``256 + i``.
        pattern: the pre-tokenizer's regular expression (``None``: the text is one word).
    """

    def __init__(
        self, merges: Sequence[tuple[int, int]] = (), pattern: str | None = GPT2_PATTERN
    ) -> None:
        self.merges = [tuple(pair) for pair in merges]
        self.pattern = pattern
        self._regex = re.compile(pattern) if pattern is not None else None
        self.ranks = {pair: rank for rank, pair in enumerate(self.merges)}
        self.vocab = [bytes([byte]) for byte in range(256)]
        for first, second in self.merges:
            if max(first, second) >= len(self.vocab):
                raise ValueError(f"BPETokenizer: merge {(first, second)} uses an unknown token")
            self.vocab.append(self.vocab[first] + self.vocab[second])
        self._cache: dict[str, list[int]] = {}

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def __len__(self) -> int:
        return len(self.vocab)

    def _words(self, text: str) -> list[str]:
        return [text] if self._regex is None else self._regex.findall(text)

    @classmethod
    def train(cls, text: str, vocab_size: int, pattern: str | None = GPT2_PATTERN) -> BPETokenizer:
        """Learn ``vocab_size - 256`` merges from ``text``.

        Each step merges the most frequent adjacent pair (ties: the smallest pair of ids);
        training stops early when no pair is left (a tiny text).

        Args:
            text: the training corpus.
            vocab_size: the vocabulary size to reach, at least 256.
            pattern: the pre-tokenizer (default GPT-2's).
        """
        if vocab_size < 256:
            raise ValueError(f"BPETokenizer.train: vocab_size must be >= 256, got {vocab_size}")
        tokenizer = cls(pattern=pattern)
        word_counts = Counter(tokenizer._words(text))
        words = [list(word.encode("utf-8")) for word in word_counts]
        counts = list(word_counts.values())
        pair_counts: defaultdict[tuple[int, int], int] = defaultdict(int)
        where: defaultdict[tuple[int, int], set[int]] = defaultdict(set)
        for index, (word, count) in enumerate(zip(words, counts)):
            for pair in _pairs(word):
                pair_counts[pair] += count
                where[pair].add(index)
        heap = [(-count, pair) for pair, count in pair_counts.items()]
        heapq.heapify(heap)
        merges = []
        while len(merges) < vocab_size - 256 and heap:
            negative, pair = heapq.heappop(heap)
            if pair_counts.get(pair, 0) != -negative:  # a stale entry: the count has changed
                continue
            if -negative < 1:
                break
            new_id = 256 + len(merges)
            merges.append(pair)
            changed = set()
            for index in sorted(where.pop(pair, ())):
                word, count = words[index], counts[index]
                for old in _pairs(word):
                    pair_counts[old] -= count
                    changed.add(old)
                word = words[index] = _merge(word, pair, new_id)
                for new in _pairs(word):
                    pair_counts[new] += count
                    where[new].add(index)
                    changed.add(new)
            for other in changed:
                if pair_counts[other] > 0:
                    heapq.heappush(heap, (-pair_counts[other], other))
                else:
                    pair_counts.pop(other, None)
            pair_counts.pop(pair, None)
        return cls(merges, pattern=pattern)

    def _encode_word(self, word: str) -> list[int]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        ids = list(word.encode("utf-8"))
        while len(ids) > 1:
            # Apply the earliest-learned merge present, as training did.
            pair = min(_pairs(ids), key=lambda p: self.ranks.get(p, len(self.ranks)))
            if pair not in self.ranks:
                break
            ids = _merge(ids, pair, 256 + self.ranks[pair])
        if len(self._cache) < 100_000:
            self._cache[word] = ids
        return ids

    def encode(self, text: str) -> list[int]:
        """The token ids of ``text``."""
        return [token for word in self._words(text) for token in self._encode_word(word)]

    def decode(self, ids: Iterable[int]) -> str:
        """The text of ``ids``; bytes that are not valid UTF-8 become U+FFFD."""
        return b"".join(self.vocab[int(index)] for index in ids).decode("utf-8", errors="replace")

    def save(self, path: str | os.PathLike) -> None:
        """Write the merges and the pattern as JSON."""
        data = {"type": "bpe", "pattern": self.pattern, "merges": [list(p) for p in self.merges]}
        with open(path, "w", encoding="utf-8") as file:
            json.dump(data, file)

    @classmethod
    def load(cls, path: str | os.PathLike) -> BPETokenizer:
        """Read what :meth:`save` wrote."""
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
        if data.get("type") != "bpe":
            raise ValueError(f"BPETokenizer.load: {path} is not a BPE tokenizer file")
        return cls([tuple(pair) for pair in data["merges"]], pattern=data["pattern"])
