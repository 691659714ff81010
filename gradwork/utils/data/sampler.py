"""Samplers: the order in which a ``DataLoader`` visits a dataset's indices.

Each sampler draws a whole epoch's indices in one vectorised call (``_indices``) and iterates over
them; ``BatchSampler`` slices that array into batches, which the ``DataLoader`` uses directly.
Without a ``generator`` a random sampler draws a fresh seed from the default generator at each
epoch, so ``gradwork.manual_seed`` makes the order reproducible.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized

import numpy as np

from gradwork.random import Generator, _generator
from gradwork.tensor import Tensor

__all__ = [
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
]


class Sampler:
    """Base class: an iterable of dataset indices, with ``__len__`` where the count is known.

    Subclasses define ``__iter__``; the built-in ones also define ``_indices()``, the epoch's
    indices as one int64 array, which ``BatchSampler`` slices instead of iterating.
    """

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


def _epoch_generator(generator: Generator | None) -> Generator:
    """The given generator, or a fresh one seeded from the default generator (as PyTorch does)."""
    if generator is not None:
        return generator
    seed = int(_generator(None).integers(0, 2**63 - 1, (), np.int64))
    return Generator().manual_seed(seed)


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order.

    Example:
        >>> from gradwork.utils.data import SequentialSampler
        >>> list(SequentialSampler(range(4)))
        [0, 1, 2, 3]
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def _indices(self) -> np.ndarray:
        return np.arange(len(self.data_source), dtype=np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Random indices: a permutation of the dataset, or draws with replacement.

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw ``num_samples`` indices independently (default False: permutations).
        num_samples: how many indices per epoch (default ``len(data_source)``); without
            replacement more than the length chains permutations.
        generator: the random source (default: a seed drawn from the default generator each epoch).

    Example:
        >>> import gradwork
        >>> from gradwork.utils.data import RandomSampler
        >>> order = list(RandomSampler(range(5), generator=gradwork.Generator().manual_seed(0)))
        >>> sorted(order)
        [0, 1, 2, 3, 4]
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Generator | None = None,
    ) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got {replacement!r}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got {self.num_samples!r}"
            )

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _indices(self) -> np.ndarray:
        n = len(self.data_source)
        generator = _epoch_generator(self.generator)
        if self.replacement:
            return generator.integers(0, n, (self.num_samples,), np.int64)
        permutations = [generator.permutation(n) for _ in range(self.num_samples // n)]
        permutations.append(generator.permutation(n)[: self.num_samples % n])
        return np.concatenate(permutations).astype(np.int64, copy=False)

    def __iter__(self) -> Iterator[int]:
        return iter(self._indices().tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a random order each epoch.

    Example:
        >>> import gradwork
        >>> from gradwork.utils.data import SubsetRandomSampler
        >>> sampler = SubsetRandomSampler([10, 20, 30], generator=gradwork.Generator())
        >>> sorted(sampler)
        [10, 20, 30]
    """

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices = indices
        self.generator = generator

    def _indices(self) -> np.ndarray:
        order = _epoch_generator(self.generator).permutation(len(self.indices))
        return np.asarray(self.indices, dtype=np.int64)[order]

    def __iter__(self) -> Iterator[int]:
        return iter(self._indices().tolist())

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """Indices ``0..len(weights)-1`` drawn with probabilities proportional to ``weights``.

    Without replacement the draw is sequential sampling proportional to the remaining weights,
    done at once with exponential keys (Efraimidis & Spirakis 2006): the ``num_samples`` indices
    with the smallest ``Exp(1) / weight``.

    Args:
        weights: non-negative weights (need not sum to 1).
        num_samples: how many indices per epoch.
        replacement: draw with replacement (default True).
        generator: the random source (default: a seed drawn from the default generator each epoch).

    Example:
        >>> import gradwork
        >>> from gradwork.utils.data import WeightedRandomSampler
        >>> sampler = WeightedRandomSampler([0.0, 1.0, 0.0], 4, generator=gradwork.Generator())
        >>> list(sampler)
        [1, 1, 1, 1]
    """

    def __init__(
        self,
        weights: Sequence[float],
        num_samples: int,
        replacement: bool = True,
        generator: Generator | None = None,
    ) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got {num_samples!r}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got {replacement!r}")
        weights = np.asarray(weights._data if isinstance(weights, Tensor) else weights, np.float64)
        if weights.ndim != 1:
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape {weights.shape}"
            )
        if (weights < 0).any() or not np.isfinite(weights).all() or weights.sum() <= 0:
            raise ValueError("weights must be finite, non-negative and not all zero")
        if not replacement and num_samples > np.count_nonzero(weights):
            raise ValueError(
                f"cannot draw {num_samples} samples without replacement from "
                f"{np.count_nonzero(weights)} non-zero weights"
            )
        self.weights = weights
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def _indices(self) -> np.ndarray:
        generator = _epoch_generator(self.generator)
        size = self.num_samples if self.replacement else len(self.weights)
        uniform = generator.random((size,), np.float64)
        if self.replacement:
            cumulative = np.cumsum(self.weights)
            # u in [0, 1) scaled to [0, total): the first cumulative weight above it. Rounding
            # can make u * total equal total, so clip to the last index with a positive weight.
            drawn = np.searchsorted(cumulative, uniform * cumulative[-1], side="right")
            return np.minimum(drawn, np.flatnonzero(self.weights)[-1]).astype(np.int64)
        with np.errstate(divide="ignore"):
            keys = -np.log1p(-uniform) / self.weights  # Exp(1) / w; inf for zero weights
        return np.argsort(keys, kind="stable")[: self.num_samples].astype(np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(self._indices().tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Group another sampler's indices into lists of ``batch_size``.

    Args:
        sampler: the sampler (or any iterable of indices).
        batch_size: the size of each batch.
        drop_last: drop the last batch if it is smaller than ``batch_size``.

    Example:
        >>> from gradwork.utils.data import BatchSampler, SequentialSampler
        >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
        [[0, 1], [2, 3], [4]]
        >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=True))
        [[0, 1], [2, 3]]
    """

    def __init__(self, sampler: Sampler | Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def _batches(self) -> Iterator[np.ndarray | list]:
        """The batches: int64 slices of the epoch's index array when the sampler gives one,
        lists otherwise (a custom sampler may yield any kind of key)."""
        epoch_indices = getattr(self.sampler, "_indices", None)
        if epoch_indices is None:
            batch = []
            for index in self.sampler:
                batch.append(index)
                if len(batch) == self.batch_size:
                    yield batch
                    batch = []
            if batch and not self.drop_last:
                yield batch
            return
        indices = epoch_indices()
        stop = len(indices) - len(indices) % self.batch_size if self.drop_last else len(indices)
        for start in range(0, stop, self.batch_size):
            yield indices[start : start + self.batch_size]

    def __iter__(self) -> Iterator[list]:
        for batch in self._batches():
            yield batch.tolist() if isinstance(batch, np.ndarray) else batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
