"""scikit-learn's bundled 8x8 handwritten digits (UCI "optdigits" test set), split for training.

1797 grey images of the digits 0-9 with 16 grey levels, shipped inside scikit-learn (nothing is
downloaded). scikit-learn is an optional dependency: ``pip install scikit-learn`` (or
``pip install gradwork[datasets]``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from gradwork.tensor import Tensor
from gradwork.utils.data.dataset import Dataset

__all__ = ["Digits"]


@functools.lru_cache(maxsize=1)
def _load() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError(
            "gradwork.datasets.Digits reads the digits bundled with scikit-learn, which is not "
            "installed: pip install scikit-learn (or pip install gradwork[datasets])"
        ) from None
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]  # (N, 1, 8, 8)
    targets = digits.target.astype(np.int64)
    for array in (images, targets):
        array.setflags(write=False)  # shared by every dataset through the cache
    return images, targets


def _test_mask(targets: np.ndarray) -> np.ndarray:
    """True for every fifth image of each digit (its 5th, 10th, ... in scikit-learn's order)."""
    rank = np.empty(len(targets), np.int64)  # the position of each image among its digit's
    for digit in np.unique(targets):
        where = np.flatnonzero(targets == digit)
        rank[where] = np.arange(len(where))
    return rank % 5 == 4


class Digits(Dataset):
    """The 8x8 digits of scikit-learn (``sklearn.datasets.load_digits``), with a fixed split.

    The split needs no random numbers: the test set holds every fifth image of each digit (the
    5th, 10th, ... of that digit in scikit-learn's order), so both sets have the same class
    proportions; 1442 images train and 355 test. Pixels are scaled from 0..16 to [0, 1].

    Args:
        root: ignored (the data comes with scikit-learn); accepted for torchvision's signature.
        train: the training images (default) or the test images.
        transform: a callable applied to each image (a float32 tensor ``(1, 8, 8)``).
        target_transform: a callable applied to each label (an int).

    Attributes:
        data: float32 tensor ``(N, 1, 8, 8)`` in [0, 1].
        targets: int64 tensor ``(N,)``.
        classes: the class names, ``"0"`` to ``"9"``.

    Shape: ``dataset[i]`` is ``(x, y)`` with ``x`` of shape ``(1, 8, 8)`` and ``y`` an int.

    Raises:
        ImportError: scikit-learn is not installed (the message says how to install it).

    Example:
        >>> from gradwork.datasets import Digits
        >>> train = Digits(train=True)  # doctest: +SKIP
        >>> len(train), tuple(train.data.shape)  # doctest: +SKIP
        (1442, (1442, 1, 8, 8))
    """

    classes = [str(digit) for digit in range(10)]

    def __init__(
        self,
        root: str | None = None,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
    ) -> None:
        self.root = root
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        images, targets = _load()
        keep = ~_test_mask(targets) if train else _test_mask(targets)
        self.data = Tensor._make(images[keep])
        self.targets = Tensor._make(targets[keep])

    def __len__(self) -> int:
        return self.data.shape[0]

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        x = Tensor._make(self.data._data[index].copy())
        y = int(self.targets._data[index])
        if self.transform is not None:
            x = self.transform(x)
        if self.target_transform is not None:
            y = self.target_transform(y)
        return x, y

    def __repr__(self) -> str:
        split = "Train" if self.train else "Test"
        return f"Dataset Digits\n    Number of datapoints: {len(self)}\n    Split: {split}"
