"""The King James Bible (1611/1769) as plain text, from Debian's ``bible-kjv`` package.

The package's ``bible`` program prints every verse, ``Gen1:1`` to ``Rev22:21``, one per line after
its reference (``Ge1:1 In the beginning God created the heaven and the earth.``). :func:`read_kjv`
strips the references and keeps one verse per line: 31,102 verses, 4,137,850 characters, 63
distinct ones. Nothing is downloaded.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess

__all__ = ["KJV", "read_kjv"]

TRAIN_FRACTION = 0.9  # the first 90% of the characters train, the last 10% validate
# A verse's reference at the start of its line: book (``Ge``, ``1Sa``, ``Rev``), chapter:verse.
_REFERENCE = re.compile(r"^[1-3]?[A-Za-z]+\d+:\d+ ", re.MULTILINE)
_INSTALL = "apt-get install bible-kjv"


@functools.lru_cache(maxsize=2)
def read_kjv(program: str = "bible") -> str:
    """The whole King James Bible, one verse per line without its reference, cached in memory.

    Args:
        program: the ``bible`` program of Debian's ``bible-kjv`` package (a name on ``PATH`` or
            a path).

    Raises:
        FileNotFoundError: the program is missing (the message names the package to install).
        RuntimeError: the program failed or printed something other than the verses.

    Example:
        >>> text = read_kjv()  # doctest: +SKIP
        >>> len(text), text[:54]  # doctest: +SKIP
        (4137850, 'In the beginning God created the heaven and the earth.')
    """
    executable = shutil.which(program)
    if executable is None:
        raise FileNotFoundError(
            f"KJV: the program {program!r} was not found. It comes from Debian's package "
            f"bible-kjv: {_INSTALL}"
        )
    completed = subprocess.run(
        [executable, "-f", "Gen1:1-Rev22:21"], capture_output=True, text=True, check=False
    )
    text, verses = _REFERENCE.subn("", completed.stdout)
    if completed.returncode != 0 or verses < 31000:
        raise RuntimeError(
            f"KJV: {executable} -f Gen1:1-Rev22:21 exited with {completed.returncode} and printed "
            f"{verses} verses (expected 31,102): {completed.stderr.strip()[:200]!r}. Reinstall the "
            f"package bible-kjv: {_INSTALL}"
        )
    return text


class KJV:
    """One split of the King James Bible as text: ``train`` is the first 90% of the characters
    (Genesis to Acts 21:40), ``val`` the last 10%.

    Args:
        split: ``'train'`` or ``'val'``.
        program: the ``bible`` program of Debian's ``bible-kjv`` package.

    Attributes:
        text: the split's characters.

    Raises:
        FileNotFoundError: ``bible-kjv`` is not installed (``apt-get install bible-kjv``).

    Example:
        >>> from gradwork.datasets import KJV
        >>> len(KJV("train")), len(KJV("val"))  # doctest: +SKIP
        (3724065, 413785)
    """

    def __init__(self, split: str = "train", program: str = "bible") -> None:
        if split not in ("train", "val"):
            raise ValueError(f"KJV: split must be 'train' or 'val', got {split!r}")
        text = read_kjv(program)
        boundary = int(len(text) * TRAIN_FRACTION)
        self.split = split
        self.text = text[:boundary] if split == "train" else text[boundary:]

    def __len__(self) -> int:
        return len(self.text)

    def __repr__(self) -> str:
        return f"KJV(split={self.split!r}, characters={len(self)})"
