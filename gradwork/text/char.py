"""A character-level tokenizer: one id per distinct character of a text (nanoGPT's Shakespeare).

Example:
    >>> tokenizer = CharTokenizer.from_text("hello world")
    >>> tokenizer.vocab_size, tokenizer.encode("hold")
    (8, [3, 5, 4, 1])
    >>> tokenizer.decode(tokenizer.encode("hello"))
    'hello'
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence

__all__ = ["CharTokenizer"]


class CharTokenizer:
    """Maps each character to an id: the characters' positions in ``chars``.

    Args:
        chars: the vocabulary, distinct characters in id order.
        unk: a character of ``chars`` to stand for characters outside it; ``None`` makes an
            unknown character an error.
    """

    def __init__(self, chars: Sequence[str], unk: str | None = None) -> None:
        chars = list(chars)
        if len(set(chars)) != len(chars) or any(len(char) != 1 for char in chars):
            raise ValueError("CharTokenizer: chars must be distinct single characters")
        if unk is not None and unk not in chars:
            raise ValueError(f"CharTokenizer: unk {unk!r} is not one of the characters")
        self.chars = chars
        self.unk = unk
        self.stoi = {char: index for index, char in enumerate(chars)}

    @classmethod
    def from_text(cls, text: str, unk: str | None = None) -> CharTokenizer:
        """The tokenizer of ``text``'s distinct characters, sorted by code point (plus ``unk``)."""
        chars = set(text) | ({unk} if unk is not None else set())
        return cls(sorted(chars), unk=unk)

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        """The ids of ``text``'s characters.

        Raises:
            KeyError: a character is not in the vocabulary and there is no ``unk``.
        """
        if self.unk is None:
            try:
                return [self.stoi[char] for char in text]
            except KeyError as error:
                raise KeyError(
                    f"CharTokenizer.encode: character {error.args[0]!r} is not in the vocabulary"
                ) from None
        unk = self.stoi[self.unk]
        return [self.stoi.get(char, unk) for char in text]

    def decode(self, ids: Iterable[int]) -> str:
        """The text of ``ids``."""
        return "".join(self.chars[int(index)] for index in ids)

    def save(self, path: str | os.PathLike) -> None:
        """Write the vocabulary as JSON (``{"type": "char", "chars": [...], "unk": ...}``)."""
        data = {"type": "char", "chars": self.chars, "unk": self.unk}
        with open(path, "w", encoding="utf-8") as file:
            json.dump(data, file, ensure_ascii=False)

    @classmethod
    def load(cls, path: str | os.PathLike) -> CharTokenizer:
        """Read what :meth:`save` wrote."""
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
        if data.get("type") != "char":
            raise ValueError(f"CharTokenizer.load: {path} is not a character tokenizer file")
        return cls(data["chars"], unk=data.get("unk"))
