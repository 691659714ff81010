"""WordPiece, BERT's tokenizer: a text becomes ``[CLS] word pieces [SEP]`` ids from a ``vocab.txt``.

Devlin et al., "BERT" (2018, arXiv:1810.04805); the pieces are Wu et al.'s WordPiece (2016,
arXiv:1609.08144). The steps are those of the Hugging Face fast tokenizer that ships with BERT
models (``tokenizer.json``: ``BertNormalizer``, ``BertPreTokenizer``, ``WordPiece``), so the ids
agree with it:

1. special tokens written in the text (``[CLS]``, ``[SEP]``, ...) are kept whole;
2. clean: drop NUL, U+FFFD and control/format characters; every whitespace becomes a space;
3. put spaces around CJK ideographs, so each is a word of its own;
4. strip accents (NFD, then drop the nonspacing marks, category Mn), then lower-case;
5. split on whitespace and around every punctuation character;
6. each word becomes the longest vocabulary prefix, then the longest ``##``-prefixed pieces of
   the rest; a word with a piece that is not in the vocabulary, or longer than 100 characters,
   becomes ``[UNK]``.

Example:
    >>> tokenizer = WordPieceTokenizer(
    ...     ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", "world", "!", "un", "##aff", "##able"]
    ... )
    >>> tokenizer.tokenize("Héllo, unaffable WORLD!")
    ['hello', '[UNK]', 'un', '##aff', '##able', 'world', '!']
    >>> tokenizer.encode("Hello world!")
    [2, 4, 5, 6, 3]
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["BatchEncoding", "WordPieceTokenizer"]

# The CJK Unified Ideographs blocks, as the reference normaliser lists them (bert.rs). Hangul,
# kana and other scripts written with spaces are not in them.
_CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B920, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)


_CONTROL = ("Cc", "Cf", "Co", "Cs")


def _is_cjk(character: str) -> bool:
    code = ord(character)
    return any(low <= code <= high for low, high in _CJK_RANGES)


def _is_control(character: str) -> bool:
    # Tab, newline and carriage return are control characters that count as whitespace. The
    # reference keeps unassigned code points (Cn), which then make their word [UNK].
    return character not in "\t\n\r" and unicodedata.category(character) in _CONTROL


def _is_punctuation(character: str) -> bool:
    # ASCII symbols such as $, +, ^ and ` are not Unicode punctuation, but BERT splits on them.
    code = ord(character)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(character).startswith("P")


@dataclass
class BatchEncoding:
    """Padded ids of a batch of texts, as NumPy ``int64`` arrays of shape ``(N, L)``.

    ``attention_mask`` is 1 on real tokens and 0 on padding; ``token_type_ids`` is all zeros
    (one segment per text).
    """

    input_ids: np.ndarray
    attention_mask: np.ndarray
    token_type_ids: np.ndarray


class WordPieceTokenizer:
    """BERT's uncased WordPiece tokenizer over a vocabulary (one token per line of ``vocab.txt``).

    Args:
        vocab: the tokens, in id order.
        lowercase: lower-case the text (and strip accents): the uncased models' setting.
        max_input_chars_per_word: longer words become ``unk_token``.
        unk_token, cls_token, sep_token, pad_token, mask_token: the special tokens.

    Example:
        >>> tokenizer = WordPieceTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "##b"])
        >>> batch = tokenizer(["ab", "a a a"])
        >>> batch.input_ids.tolist(), batch.attention_mask.tolist()
        ([[2, 4, 5, 3, 0], [2, 4, 4, 4, 3]], [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]])
    """

    def __init__(
        self,
        vocab: Sequence[str],
        lowercase: bool = True,
        max_input_chars_per_word: int = 100,
        unk_token: str = "[UNK]",
        cls_token: str = "[CLS]",
        sep_token: str = "[SEP]",
        pad_token: str = "[PAD]",
        mask_token: str = "[MASK]",
    ) -> None:
        self.vocab = {token: index for index, token in enumerate(vocab)}
        self.ids_to_tokens = list(vocab)
        self.lowercase = lowercase
        self.max_input_chars_per_word = max_input_chars_per_word
        self.unk_token, self.cls_token, self.sep_token = unk_token, cls_token, sep_token
        self.pad_token, self.mask_token = pad_token, mask_token
        missing = [t for t in (unk_token, cls_token, sep_token, pad_token) if t not in self.vocab]
        if missing:
            raise ValueError(f"WordPieceTokenizer: special tokens {missing} are not in the vocab")
        specials = [t for t in (pad_token, unk_token, cls_token, sep_token, mask_token)]
        specials = [t for t in specials if t in self.vocab]
        # Longest first, so that no special token is cut by a shorter one it contains.
        self._special_pattern = re.compile(
            "(" + "|".join(map(re.escape, sorted(specials, key=len, reverse=True))) + ")"
        )

    @classmethod
    def from_file(cls, path: str | os.PathLike, **kwargs) -> WordPieceTokenizer:
        """Read a BERT ``vocab.txt`` (one token per line, the line number is the id)."""
        with open(path, encoding="utf-8") as file:
            vocab = [line.rstrip("\n") for line in file]
        return cls(vocab, **kwargs)

    def __len__(self) -> int:
        return len(self.ids_to_tokens)

    @property
    def pad_token_id(self) -> int:
        return self.vocab[self.pad_token]

    def _normalize(self, text: str) -> str:
        characters = []
        for character in text:
            if character in "\x00\ufffd" or _is_control(character):
                continue
            if character.isspace():
                characters.append(" ")
            elif _is_cjk(character):
                characters.extend((" ", character, " "))
            else:
                characters.append(character)
        text = "".join(characters)
        if self.lowercase:
            text = unicodedata.normalize("NFD", text)
            # Character by character: str.lower() would turn a word-final sigma into "ς", which
            # the reference, lower-casing each character alone, does not.
            text = "".join(c.lower() for c in text if unicodedata.category(c) != "Mn")
        return text

    @staticmethod
    def _split_words(text: str) -> list[str]:
        words = []
        for chunk in text.split():
            start = 0
            for index, character in enumerate(chunk):
                if _is_punctuation(character):
                    if start < index:
                        words.append(chunk[start:index])
                    words.append(character)
                    start = index + 1
            if start < len(chunk):
                words.append(chunk[start:])
        return words

    def _word_pieces(self, word: str) -> list[str]:
        if len(word) > self.max_input_chars_per_word:
            return [self.unk_token]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    break
                end -= 1
            if end == start:  # no piece fits: the whole word is unknown
                return [self.unk_token]
            pieces.append(piece)
            start = end
        return pieces

    def tokenize(self, text: str) -> list[str]:
        """The word pieces of ``text``, without ``[CLS]``/``[SEP]``."""
        tokens = []
        for part in self._special_pattern.split(text):
            if part in self.vocab and self._special_pattern.fullmatch(part):
                tokens.append(part)
                continue
            for word in self._split_words(self._normalize(part)):
                tokens.extend(self._word_pieces(word))
        return tokens

    def encode(
        self, text: str, add_special_tokens: bool = True, max_length: int | None = None
    ) -> list[int]:
        """The ids of ``text``: ``[CLS] pieces [SEP]``, cut to ``max_length`` ids in all.

        Truncation drops pieces from the end and keeps ``[SEP]`` last, as the reference does.
        """
        ids = [self.vocab[token] for token in self.tokenize(text)]
        if not add_special_tokens:
            return ids if max_length is None else ids[:max_length]
        if max_length is not None:
            if max_length < 2:
                raise ValueError(
                    f"WordPieceTokenizer.encode: max_length must be >= 2, got {max_length}"
                )
            ids = ids[: max_length - 2]
        return [self.vocab[self.cls_token], *ids, self.vocab[self.sep_token]]

    def decode(self, ids: Iterable[int], skip_special_tokens: bool = True) -> str:
        """Join the pieces of ``ids`` into text: ``##`` pieces glue to the previous one.

        Lower-casing and accent stripping are not undone.
        """
        specials = {self.cls_token, self.sep_token, self.pad_token, self.mask_token}
        words: list[str] = []
        for index in ids:
            token = self.ids_to_tokens[int(index)]
            if skip_special_tokens and token in specials:
                continue
            if token.startswith("##") and words:
                words[-1] += token[2:]
            else:
                words.append(token)
        return " ".join(words)

    def __call__(self, texts: str | Sequence[str], max_length: int | None = 512) -> BatchEncoding:
        """Encode a batch, truncated to ``max_length`` ids and right-padded to the longest.

        Args:
            texts: one text or a sequence of texts.
            max_length: the most ids per text, ``[CLS]`` and ``[SEP]`` included (``None``: no
                limit).

        Returns:
            a :class:`BatchEncoding` of ``(N, L)`` arrays.
        """
        if isinstance(texts, str):
            texts = [texts]
        encoded = [self.encode(text, max_length=max_length) for text in texts]
        length = max((len(ids) for ids in encoded), default=0)
        input_ids = np.full((len(encoded), length), self.pad_token_id, dtype=np.int64)
        attention_mask = np.zeros((len(encoded), length), dtype=np.int64)
        for row, ids in enumerate(encoded):
            input_ids[row, : len(ids)] = ids
            attention_mask[row, : len(ids)] = 1
        return BatchEncoding(input_ids, attention_mask, np.zeros_like(input_ids))
