"""``DataLoader``: batches of samples from a dataset, in a sampler's order, collated into tensors.

Loading happens in the calling process (``num_workers`` is accepted for compatibility and
ignored). A ``TensorDataset`` (or a ``Subset`` of one) with the default collate function takes a
fast path: each batch is one fancy-indexing of each tensor's array by the batch's index array,
instead of building ``batch_size`` samples and stacking them; the result is the same.
"""

from __future__ import annotations

import collections.abc
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from gradwork.random import Generator
from gradwork.tensor import Tensor
from gradwork.utils.data.dataset import Dataset, IterableDataset, _batch_of_tensors
from gradwork.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
)

__all__ = ["DataLoader", "default_collate", "default_convert"]

_COLLATE_ERROR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _is_string_array(array: np.ndarray) -> bool:
    return array.dtype.kind in "SUaO"


def default_collate(batch: Sequence) -> Any:
    """Merge a list of samples into a batch, as ``torch.utils.data.default_collate``.

    Rules, applied recursively to the samples' structure:
    tensors -> stacked along a new first dimension; NumPy arrays and NumPy scalars -> tensors,
    stacked; Python floats -> a float64 tensor; ints -> int64; bools -> bool; strings and bytes
    -> the sequence of them, unchanged; dicts -> a dict of collated values; named tuples -> the
    same named tuple; tuples and lists -> a list of collated positions (PyTorch turns tuples into
    lists too).

    Shape: ``B`` samples of shape ``(*)`` -> ``(B, *)``.

    Example:
        >>> import gradwork
        >>> from gradwork.utils.data import default_collate
        >>> samples = [(gradwork.tensor([1.0, 2.0]), 0), (gradwork.tensor([3.0, 4.0]), 1)]
        >>> batch = default_collate(samples)
        >>> batch[0].tolist(), batch[1].tolist(), batch[1].dtype
        ([[1.0, 2.0], [3.0, 4.0]], [0, 1], gradwork.int64)
        >>> default_collate([{"x": 1.5}, {"x": 2.5}])["x"].dtype
        gradwork.float64
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return Tensor._make(_stack([sample._data for sample in batch]))
    if isinstance(elem, np.ndarray):
        if _is_string_array(elem):
            raise TypeError(_COLLATE_ERROR.format(elem.dtype))
        return Tensor._make(_stack(batch))
    if isinstance(elem, np.generic) and not isinstance(elem, (np.str_, np.bytes_)):
        return Tensor._make(np.array(batch))
    if isinstance(elem, bool):
        return Tensor._make(np.array(batch, dtype=np.bool_))
    if isinstance(elem, float):
        return Tensor._make(np.array(batch, dtype=np.float64))
    if isinstance(elem, int):
        return Tensor._make(np.array(batch, dtype=np.int64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([sample[key] for sample in batch]) for key in elem}
        try:
            return type(elem)(collated)
        except TypeError:  # a mapping type that cannot be built from a dict
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a named tuple
        return type(elem)(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        # zip gives tuples; like PyTorch, strings come back as that tuple.
        return [default_collate(samples) for samples in zip(*batch)]
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def _stack(arrays: list[np.ndarray]) -> np.ndarray:
    try:
        return np.stack(arrays)
    except ValueError:
        shapes = sorted({tuple(np.shape(array)) for array in arrays})
        raise RuntimeError(
            f"default_collate: stack expects each sample to have the same shape, got shapes "
            f"{shapes}"
        ) from None


def default_convert(data: Any) -> Any:
    """Turn NumPy arrays and scalars inside ``data`` into tensors, without batching.

    The collate function when ``batch_size=None`` (the dataset yields whole batches).

    Example:
        >>> import numpy as np
        >>> from gradwork.utils.data import default_convert
        >>> default_convert({"x": np.zeros(2)})["x"].tolist()
        [0.0, 0.0]
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if _is_string_array(data) else Tensor._make(data)
    if isinstance(data, np.generic) and not isinstance(data, (np.str_, np.bytes_)):
        return Tensor._make(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(value) for key, value in data.items()}
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(value) for value in data))
    if isinstance(data, tuple):
        return [default_convert(value) for value in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(value) for value in data]
    return data


class DataLoader:
    """Iterate over a dataset in batches, as ``torch.utils.data.DataLoader`` (single process).

    Args:
        dataset: a map-style :class:`Dataset` (anything with ``__getitem__`` and ``__len__``) or
            an :class:`IterableDataset`.
        batch_size: samples per batch (default 1); ``None`` yields samples one by one, unbatched.
        shuffle: reshuffle the order at every epoch (default False).
        sampler: the order of the indices (exclusive with ``shuffle``).
        batch_sampler: yields whole batches of indices (exclusive with ``batch_size``,
            ``shuffle``, ``sampler`` and ``drop_last``).
        num_workers: accepted for compatibility; loading always happens in this process.
        collate_fn: merges a list of samples into a batch (default :func:`default_collate`).
        pin_memory: accepted for compatibility; ignored.
        drop_last: drop the last incomplete batch (default False).
        generator: the random source of ``shuffle`` (default: a seed drawn from the default
            generator at each epoch, so ``gradwork.manual_seed`` fixes the order).

    Example:
        >>> import gradwork
        >>> from gradwork.utils.data import DataLoader, TensorDataset
        >>> x, y = gradwork.arange(10.0).reshape(5, 2), gradwork.arange(5)
        >>> loader = DataLoader(TensorDataset(x, y), batch_size=2)
        >>> [(xb.shape, yb.tolist()) for xb, yb in loader]
        [((2, 2), [0, 1]), ((2, 2), [2, 3]), ((1, 2), [4])]
        >>> len(loader)
        3
    """

    def __init__(
        self,
        dataset: Dataset | Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | collections.abc.Iterable | None = None,
        batch_sampler: Sampler | collections.abc.Iterable | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        *,
        generator: Generator | None = None,
    ) -> None:
        if num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; use num_workers=0 to disable "
                "multiprocessing."
            )
        if isinstance(dataset, IterableDataset):
            if shuffle not in (None, False):
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but "
                    f"got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified sampler option, but "
                    f"got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler "
                    f"option, but got batch_sampler={batch_sampler}"
                )
        else:
            shuffle = bool(shuffle)
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last"
            )
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if sampler is None and not isinstance(dataset, IterableDataset):
            if shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and sampler is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    @property
    def _auto_collation(self) -> bool:
        """Whether samples are grouped into batches (``batch_size`` or ``batch_sampler`` set)."""
        return self.batch_sampler is not None or (
            isinstance(self.dataset, IterableDataset) and self.batch_size is not None
        )

    def __iter__(self) -> Iterator:
        if isinstance(self.dataset, IterableDataset):
            return self._iterate_stream()
        if self._auto_collation:
            return self._iterate_batches()
        return (self.collate_fn(self.dataset[index]) for index in self.sampler)

    def _iterate_batches(self) -> Iterator:
        batches = (
            self.batch_sampler._batches()
            if isinstance(self.batch_sampler, BatchSampler)
            else iter(self.batch_sampler)
        )
        fast = self.collate_fn is default_collate
        getitems = getattr(self.dataset, "__getitems__", None)
        for indices in batches:
            if fast and isinstance(indices, np.ndarray):
                batch = _batch_of_tensors(self.dataset, indices)
                if batch is not None:
                    yield batch
                    continue
            if isinstance(indices, np.ndarray):
                indices = indices.tolist()
            samples = getitems(indices) if getitems else [self.dataset[i] for i in indices]
            yield self.collate_fn(samples)

    def _iterate_stream(self) -> Iterator:
        if self.batch_size is None:
            for sample in self.dataset:
                yield self.collate_fn(sample)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            length = len(self.dataset)  # a TypeError if the stream has no length, as in PyTorch
            if self.batch_size is None:
                return length
            if self.drop_last:
                return length // self.batch_size
            return -(-length // self.batch_size)
        return len(self.batch_sampler if self._auto_collation else self.sampler)
