"""TinyShakespeare (Karpathy 2015): 1,115,394 characters of Shakespeare's plays, shipped with
gradwork.

The file of Karpathy's char-rnn (``data/tinyshakespeare/input.txt``), which nanoGPT's
``shakespeare_char`` example also reads: 40,000 lines, 65 distinct characters. nanoGPT splits it
into the first 90% for training (1,003,854 characters) and the last 10% for validation (111,540),
and so does :class:`TinyShakespeare`.
"""

from __future__ import annotations

import functools
from pathlib import Path

__all__ = ["DEFAULT_PATH", "TinyShakespeare", "read_tinyshakespeare"]

DEFAULT_PATH = Path(__file__).with_name("data") / "tinyshakespeare.txt"
TRAIN_FRACTION = 0.9  # nanoGPT's data/shakespeare_char/prepare.py: the first 90% train


@functools.lru_cache(maxsize=2)
def read_tinyshakespeare(path: str | Path = DEFAULT_PATH) -> str:
    """The whole text of ``path`` (default: the copy shipped in ``gradwork/datasets/data``).

    Raises:
        FileNotFoundError: no file at ``path`` (the message says where the shipped copy lives).

    Example:
        >>> text = read_tinyshakespeare()
        >>> len(text), len(set(text)), text[:14]
        (1115394, 65, 'First Citizen:')
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"TinyShakespeare: {path} not found. gradwork ships the text as package data in "
            f"{DEFAULT_PATH}; reinstall gradwork (pip install -e .) or pass path= a copy of "
            "char-rnn's data/tinyshakespeare/input.txt"
        )
    return path.read_text(encoding="utf-8")


class TinyShakespeare:
    """One split of TinyShakespeare as text: ``train`` is the first 90% of the characters,
    ``val`` the last 10% (nanoGPT's split).

    Args:
        split: ``'train'`` or ``'val'``.
        path: the text file (default: the copy shipped with gradwork).

    Attributes:
        text: the split's characters.

    Example:
        >>> from gradwork.datasets import TinyShakespeare
        >>> train, val = TinyShakespeare("train"), TinyShakespeare("val")
        >>> len(train), len(val)
        (1003854, 111540)
    """

    def __init__(self, split: str = "train", path: str | Path = DEFAULT_PATH) -> None:
        if split not in ("train", "val"):
            raise ValueError(f"TinyShakespeare: split must be 'train' or 'val', got {split!r}")
        text = read_tinyshakespeare(path)
        boundary = int(len(text) * TRAIN_FRACTION)
        self.split = split
        self.text = text[:boundary] if split == "train" else text[boundary:]

    def __len__(self) -> int:
        return len(self.text)

    def __repr__(self) -> str:
        return f"TinyShakespeare(split={self.split!r}, characters={len(self)})"
