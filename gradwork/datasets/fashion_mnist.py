"""Fashion-MNIST (Xiao, Rasul & Vollgraf 2017): 28x28 grey images of clothes in 10 classes.

Read from the idx files of Debian's ``dataset-fashion-mnist`` package (installed under
``/usr/share/datasets/fashion-mnist``), plain or gzipped; nothing is downloaded or unpickled.
"""

from __future__ import annotations

import functools
import gzip
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from gradwork.tensor import Tensor
from gradwork.utils.data.dataset import Dataset

__all__ = ["FashionMNIST", "read_idx"]

DEFAULT_ROOT = "/usr/share/datasets/fashion-mnist"

_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

# The element type codes of the idx format (third byte of the magic number), big-endian.
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _find(root: str, name: str) -> str:
    for candidate in (os.path.join(root, name), os.path.join(root, name + ".gz")):
        if os.path.isfile(candidate):
            return candidate
    raise FileNotFoundError(
        f"FashionMNIST: {name}[.gz] not found in {root}. The files come from Debian's package "
        "dataset-fashion-mnist: apt-get install dataset-fashion-mnist (it installs them in "
        f"{DEFAULT_ROOT}), or pass root= the folder that holds them"
    )


def read_idx(path: str) -> np.ndarray:
    """An idx file (the MNIST format, optionally gzipped) as a NumPy array in native byte order.

    The format: two zero bytes, a type code, the number of dimensions ``d``, ``d`` big-endian
    uint32 sizes, then the elements in C order.

    Raises:
        ValueError: the file is not an idx file or its size does not match its header.
    """
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as file:
        data = file.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f"read_idx: {path} is not an idx file (bad magic number)")
    ndim = data[3]
    shape = tuple(int(size) for size in np.frombuffer(data, ">u4", ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[data[2]])
    offset = 4 + 4 * ndim
    expected = offset + int(np.prod(shape)) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(
            f"read_idx: {path} holds {len(data)} bytes, but its header {shape} of {dtype} needs "
            f"{expected} (truncated or corrupted)"
        )
    return np.frombuffer(data, dtype, offset=offset).reshape(shape).astype(dtype.newbyteorder("="))


@functools.lru_cache(maxsize=4)
def _load(root: str, train: bool) -> tuple[np.ndarray, np.ndarray]:
    images_name, labels_name = _FILES[train]
    images = read_idx(_find(root, images_name))
    labels = read_idx(_find(root, labels_name)).astype(np.int64)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(
            f"FashionMNIST: expected images (N, 28, 28) and labels (N,) in {root}, got "
            f"{images.shape} and {labels.shape}"
        )
    for array in (images, labels):
        array.setflags(write=False)  # shared by every dataset through the cache
    return images, labels


class FashionMNIST(Dataset):
    """Fashion-MNIST: 60000 training and 10000 test images, 28x28 grey, 10 classes of clothes.

    Xiao, Rasul & Vollgraf, "Fashion-MNIST: a novel image dataset for benchmarking machine
    learning algorithms" (2017). Read from the idx files of Debian's ``dataset-fashion-mnist``
    package (``apt-get install dataset-fashion-mnist``).

    ``.data`` holds the raw uint8 pixels, as torchvision's. Where torchvision hands a PIL image
    to ``transform``, gradwork (which has no PIL) gives a float32 tensor ``(1, 28, 28)`` scaled to
    [0, 1], as ``transforms.ToTensor()`` would make it: without a transform, that is the sample.

    Args:
        root: the folder with ``train-images-idx3-ubyte[.gz]`` and the three other files
            (default: where the Debian package installs them).
        train: the 60000 training images (default) or the 10000 test images.
        transform: a callable applied to each image (the float32 tensor ``(1, 28, 28)``).
        target_transform: a callable applied to each label (an int).
        download: accepted for torchvision's signature; gradwork never downloads, so the files
            must already be there.

    Attributes:
        data: uint8 tensor ``(N, 28, 28)``.
        targets: int64 tensor ``(N,)``.
        classes: the ten class names, ``classes[label]``.

    Raises:
        FileNotFoundError: the files are missing (the message names the package to install).

    Example:
        >>> from gradwork.datasets import FashionMNIST
        >>> test = FashionMNIST(train=False)  # doctest: +SKIP
        >>> image, label = test[0]  # doctest: +SKIP
        >>> tuple(image.shape), test.classes[label]  # doctest: +SKIP
        ((1, 28, 28), 'Ankle boot')
    """

    classes = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]

    def __init__(
        self,
        root: str = DEFAULT_ROOT,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
    ) -> None:
        self.root = os.fspath(root)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        images, labels = _load(os.path.abspath(self.root), bool(train))
        self.data = Tensor._make(images.copy())
        self.targets = Tensor._make(labels.copy())

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: index for index, name in enumerate(self.classes)}

    def __len__(self) -> int:
        return self.data.shape[0]

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image = self.data._data[index].astype(np.float32)[None] / np.float32(255)  # (1, 28, 28)
        x = Tensor._make(image)
        y = int(self.targets._data[index])
        if self.transform is not None:
            x = self.transform(x)
        if self.target_transform is not None:
            y = self.target_transform(y)
        return x, y

    def __repr__(self) -> str:
        split = "Train" if self.train else "Test"
        return (
            f"Dataset FashionMNIST\n    Number of datapoints: {len(self)}\n    Root location: "
            f"{self.root}\n    Split: {split}"
        )
