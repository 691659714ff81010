"""Datasets: indexable (``Dataset``) or streamed (``IterableDataset``) collections of samples.

Samples are data, not part of a graph: ``TensorDataset`` indexes its tensors' arrays directly, so
a sample is not recorded by autograd (as if the tensors were detached).
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate
from typing import Any

import numpy as np

from gradwork.random import Generator, _generator
from gradwork.tensor import Tensor

__all__ = [
    "Dataset",
    "IterableDataset",
    "TensorDataset",
    "Subset",
    "ConcatDataset",
    "random_split",
]


class Dataset:
    """A map-style dataset: ``dataset[index]`` gives a sample; subclasses define ``__getitem__``
    and usually ``__len__``.

    Example:
        >>> from gradwork.utils.data import Dataset
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, index):
        ...         return index * index
        >>> [Squares()[i] for i in range(4)]
        [0, 1, 4, 9]
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses define ``__iter__`` (no indexing, no sampler).

    Example:
        >>> from gradwork.utils.data import DataLoader, IterableDataset
        >>> class Count(IterableDataset):
        ...     def __iter__(self):
        ...         return iter(range(5))
        >>> [batch.tolist() for batch in DataLoader(Count(), batch_size=2)]
        [[0, 1], [2, 3], [4]]
    """

    def __iter__(self) -> Iterator:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __add__(self, other):
        raise TypeError("IterableDataset does not support + (use itertools.chain)")


def _sample(array: np.ndarray, index) -> Tensor:
    """``array[index]`` as a tensor (an integer index of a 1-d array gives a NumPy scalar)."""
    return Tensor._make(np.asarray(array[index]))


class TensorDataset(Dataset):
    """Samples are the ``index``-th rows of tensors that share their first dimension.

    Args:
        *tensors: tensors of shapes ``(N, *)``, all with the same ``N``.

    Returns:
        ``dataset[i]`` is the tuple ``(tensors[0][i], tensors[1][i], ...)``.

    Example:
        >>> import gradwork
        >>> from gradwork.utils.data import TensorDataset
        >>> x, y = gradwork.arange(6.0).reshape(3, 2), gradwork.tensor([0, 1, 0])
        >>> dataset = TensorDataset(x, y)
        >>> len(dataset), [t.tolist() for t in dataset[1]]
        (3, [[2.0, 3.0], 1])
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        sizes = [tensor.shape[0] if tensor.ndim > 0 else None for tensor in tensors]
        if any(size != sizes[0] for size in sizes) or sizes[0] is None:
            shapes = ", ".join(str(tuple(tensor.shape)) for tensor in tensors)
            raise ValueError(f"Size mismatch between tensors: TensorDataset got shapes {shapes}")
        self.tensors = tensors

    def __getitem__(self, index) -> tuple[Tensor, ...]:
        return tuple(_sample(tensor._data, index) for tensor in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Args:
        dataset: the whole dataset.
        indices: the positions kept (any sequence of ints).

    Example:
        >>> from gradwork.utils.data import Subset
        >>> subset = Subset(["a", "b", "c", "d"], [3, 1])
        >>> len(subset), subset[0], subset[1]
        (2, 'd', 'b')
    """

    def __init__(self, dataset: Dataset | Sequence, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several map-style datasets one after another.

    Args:
        datasets: the datasets (none of them an ``IterableDataset``).

    Example:
        >>> from gradwork.utils.data import ConcatDataset
        >>> both = ConcatDataset([[1, 2, 3], [4, 5]])
        >>> len(both), both[3], both[-1]
        (5, 4, 5)
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise ValueError("datasets should not be an empty iterable")
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(accumulate(len(dataset) for dataset in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int):
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index = len(self) + index
        dataset_index = bisect.bisect_right(self.cumulative_sizes, index)
        start = 0 if dataset_index == 0 else self.cumulative_sizes[dataset_index - 1]
        return self.datasets[dataset_index][index - start]


def random_split(
    dataset: Dataset,
    lengths: Sequence[int | float],
    generator: Generator | None = None,
) -> list[Subset]:
    """Split ``dataset`` into disjoint random subsets of the given lengths.

    Args:
        dataset: the dataset to split.
        lengths: the size of each part, as ints summing to ``len(dataset)`` or as fractions
            summing to 1 (``floor(len * fraction)`` each, the remainder handed out one by one
            from the first part, as PyTorch does).
        generator: the random source (default: the default generator).

    Returns:
        one :class:`Subset` per length.

    Example:
        >>> import gradwork
        >>> from gradwork.utils.data import random_split
        >>> parts = random_split(range(10), [0.5, 0.3, 0.2], generator=gradwork.Generator())
        >>> [len(part) for part in parts]
        [5, 3, 2]
    """
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        sizes = []
        for fraction in lengths:
            if fraction < 0 or fraction > 1:
                raise ValueError(f"Fraction at index {len(sizes)} is not between 0 and 1")
            sizes.append(math.floor(len(dataset) * fraction))
        for index in range(len(dataset) - sum(sizes)):
            sizes[index % len(sizes)] += 1
        for index, size in enumerate(sizes):
            if size == 0:
                warnings.warn(
                    f"Length of split at index {index} is 0. This might result in an empty "
                    "dataset.",
                    stacklevel=2,
                )
        lengths = sizes
    if sum(lengths) != len(dataset):
        raise ValueError(
            f"random_split: sum of input lengths ({sum(lengths)}) does not equal the length of "
            f"the input dataset ({len(dataset)})"
        )
    indices = _generator(generator).permutation(sum(lengths)).tolist()
    return [
        Subset(dataset, indices[end - length : end])
        for end, length in zip(accumulate(lengths), lengths)
    ]


def _batch_of_tensors(dataset: Any, indices: np.ndarray) -> list[Tensor] | None:
    """The collated batch at ``indices`` in one indexing per tensor, or None if not possible.

    Works for a :class:`TensorDataset` and for a :class:`Subset` (of a subset ...) of one; it
    equals ``default_collate([dataset[i] for i in indices])`` without building each sample.
    """
    while isinstance(dataset, Subset):
        indices = np.asarray(dataset.indices)[indices]
        dataset = dataset.dataset
    if type(dataset) is not TensorDataset:  # a subclass may change __getitem__
        return None
    return [Tensor._make(tensor._data[indices]) for tensor in dataset.tensors]
