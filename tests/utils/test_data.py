"""Datasets, samplers, DataLoader: determinism, batching, collation, the TensorDataset fast path."""

import collections

import numpy as np
import pytest
import torch
import torch.utils.data as torch_data

import gradwork
from gradwork.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    random_split,
)


def tensor_dataset(n=23):
    features = gradwork.tensor(np.arange(n * 3, dtype=np.float32).reshape(n, 3))
    labels = gradwork.tensor(np.arange(n) % 4)
    return TensorDataset(features, labels)


def as_lists(batches):
    """Batches (lists or dicts of tensors) as nested Python lists, for comparison."""
    out = []
    for batch in batches:
        if isinstance(batch, dict):
            out.append({key: value.tolist() for key, value in batch.items()})
        elif isinstance(batch, (list, tuple)):
            out.append([item.tolist() for item in batch])
        else:
            out.append(batch.tolist())
    return out


def plain_collate(samples):
    """default_collate under another name: the DataLoader then builds each sample (no fast path)."""
    return default_collate(samples)


# -- DataLoader ----------------------------------------------------------------------------------


def test_batches_in_order():
    loader = DataLoader(tensor_dataset(7), batch_size=3)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [labels.tolist() for _, labels in batches] == [[0, 1, 2], [3, 0, 1], [2]]
    features, labels = batches[0]
    assert features.shape == (3, 3) and features.dtype == gradwork.float32
    assert labels.dtype == gradwork.int64


def test_shuffle_is_reproducible_from_the_seed():
    dataset = tensor_dataset()
    loader = DataLoader(dataset, batch_size=5, shuffle=True)
    gradwork.manual_seed(0)
    first = as_lists(loader)
    second_epoch = as_lists(loader)
    gradwork.manual_seed(0)
    again = as_lists(loader)
    gradwork.manual_seed(1)
    other_seed = as_lists(loader)
    assert first == again
    assert first != second_epoch  # a new order every epoch
    assert first != other_seed
    order = [label for _, labels in first for label in labels]
    assert len(order) == len(dataset)
    rows = sorted(row[0] for features, _ in first for row in features)
    assert rows == [3.0 * i for i in range(len(dataset))]  # each sample exactly once


def test_shuffle_with_a_generator():
    dataset = tensor_dataset()

    def epochs(seed):
        loader = DataLoader(
            dataset, batch_size=4, shuffle=True, generator=gradwork.Generator().manual_seed(seed)
        )
        return as_lists(loader), as_lists(loader)

    assert epochs(3) == epochs(3)
    first, second = epochs(3)
    assert first != second
    # The loader's generator, not the default one, drives the order.
    gradwork.manual_seed(5)
    assert epochs(3) == (first, second)


def test_drop_last():
    dataset = tensor_dataset(10)
    kept = DataLoader(dataset, batch_size=4, drop_last=False)
    dropped = DataLoader(dataset, batch_size=4, drop_last=True)
    assert [len(labels) for _, labels in kept] == [4, 4, 2] and len(kept) == 3
    assert [len(labels) for _, labels in dropped] == [4, 4] and len(dropped) == 2
    exact = DataLoader(tensor_dataset(8), batch_size=4, drop_last=True, shuffle=True)
    assert [len(labels) for _, labels in exact] == [4, 4]


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
def test_fast_path_equals_plain_path(shuffle, drop_last):
    dataset = tensor_dataset()
    options = dict(batch_size=4, shuffle=shuffle, drop_last=drop_last)
    fast = DataLoader(dataset, generator=gradwork.Generator().manual_seed(7), **options)
    plain = DataLoader(
        dataset, generator=gradwork.Generator().manual_seed(7), collate_fn=plain_collate, **options
    )
    fast_batches, plain_batches = list(fast), list(plain)
    assert len(fast_batches) == len(plain_batches) > 0
    for fast_batch, plain_batch in zip(fast_batches, plain_batches):
        assert isinstance(fast_batch, list) and isinstance(plain_batch, list)
        for ours, theirs in zip(fast_batch, plain_batch):
            assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_fast_path_through_subsets():
    dataset = tensor_dataset()
    train, _ = random_split(dataset, [0.7, 0.3], generator=gradwork.Generator().manual_seed(0))
    nested = Subset(train, list(range(len(train)))[::-1])
    fast = as_lists(DataLoader(nested, batch_size=3))
    plain = as_lists(DataLoader(nested, batch_size=3, collate_fn=plain_collate))
    assert fast == plain
    expected = [dataset[train.indices[i]][1].item() for i in reversed(range(len(train)))]
    assert [label for _, labels in fast for label in labels] == expected


def test_batch_size_none_yields_converted_samples():
    samples = [np.full(2, i, dtype=np.float64) for i in range(3)]
    loader = DataLoader(samples, batch_size=None)
    batches = list(loader)
    assert len(loader) == 3
    assert all(isinstance(batch, gradwork.Tensor) for batch in batches)
    assert [batch.tolist() for batch in batches] == [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]


def test_custom_sampler_and_batch_sampler():
    data = list(range(10))
    loader = DataLoader(data, batch_size=2, sampler=[9, 8, 7, 6, 5])
    assert as_lists(loader) == [[9, 8], [7, 6], [5]]
    loader = DataLoader(data, batch_sampler=[[0, 5], [1, 2, 3]])
    assert as_lists(loader) == [[0, 5], [1, 2, 3]]
    assert len(loader) == 2


def test_dataset_with_getitems_is_fetched_in_one_call():
    class Squares(Dataset):
        calls = 0

        def __len__(self):
            return 6

        def __getitem__(self, index):
            raise AssertionError("__getitems__ should be used")

        def __getitems__(self, indices):
            Squares.calls += 1
            return [index * index for index in indices]

    assert as_lists(DataLoader(Squares(), batch_size=4)) == [[0, 1, 4, 9], [16, 25]]
    assert Squares.calls == 2


def test_iterable_dataset():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter([{"x": float(i), "y": i} for i in range(7)])

    batches = list(DataLoader(Stream(), batch_size=3))
    assert [batch["y"].tolist() for batch in batches] == [[0, 1, 2], [3, 4, 5], [6]]
    assert batches[0]["x"].dtype == gradwork.float64
    dropped = list(DataLoader(Stream(), batch_size=3, drop_last=True))
    assert len(dropped) == 2
    with pytest.raises(ValueError, match="shuffle"):
        DataLoader(Stream(), shuffle=True)
    with pytest.raises(TypeError):
        len(DataLoader(Stream(), batch_size=2))


def test_invalid_loader_arguments():
    dataset = tensor_dataset()
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(dataset, sampler=SequentialSampler(dataset), shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(dataset, batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="drop_last"):
        DataLoader(dataset, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(dataset, num_workers=-1)
    assert len(list(DataLoader(dataset, batch_size=8, num_workers=2))) == 3


# -- collation -----------------------------------------------------------------------------------

Point = collections.namedtuple("Point", ["x", "y"])


def to_comparable(value):
    """Nested structures of tensors (either library) as nested (dtype name, values)."""
    if isinstance(value, (gradwork.Tensor, torch.Tensor)):
        return (str(value.dtype).split(".")[-1], value.tolist())
    if isinstance(value, dict):
        return {key: to_comparable(item) for key, item in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return (type(value).__name__, [to_comparable(item) for item in value])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [to_comparable(item) for item in value])
    return value


COLLATE_CASES = {
    "tuples": [(np.arange(3.0), 1, 0.5), (np.arange(3.0) + 1, 2, 1.5)],
    "dicts": [{"a": np.float32(1.0), "b": [1, 2]}, {"a": np.float32(2.0), "b": [3, 4]}],
    "named tuples": [Point(np.int32(1), True), Point(np.int32(2), False)],
    "strings": [("cat", np.zeros((2, 2), np.float32)), ("dog", np.ones((2, 2), np.float32))],
    "nested": [{"pair": (1, {"z": 2.0})}, {"pair": (3, {"z": 4.0})}],
}


@pytest.mark.parametrize("name", list(COLLATE_CASES))
def test_default_collate_matches_pytorch(name):
    batch = COLLATE_CASES[name]
    ours = to_comparable(default_collate(batch))
    theirs = to_comparable(torch_data.default_collate(batch))
    assert ours == theirs


def test_default_collate_stacks_tensors_and_checks_shapes():
    samples = [gradwork.tensor([[1.0, 2.0]]), gradwork.tensor([[3.0, 4.0]])]
    batch = default_collate(samples)
    assert batch.shape == (2, 1, 2) and batch.tolist() == [[[1.0, 2.0]], [[3.0, 4.0]]]
    with pytest.raises(RuntimeError, match="same shape"):
        default_collate([gradwork.zeros(2), gradwork.zeros(3)])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate"):
        default_collate([object(), object()])


def test_default_convert():
    converted = default_convert((np.zeros(2), {"k": np.int64(3)}, "text"))
    assert isinstance(converted, list)
    assert converted[0].tolist() == [0.0, 0.0]
    assert converted[1]["k"].item() == 3
    assert converted[2] == "text"


# -- datasets ------------------------------------------------------------------------------------


def test_tensor_dataset():
    dataset = tensor_dataset(5)
    features, label = dataset[2]
    assert len(dataset) == 5
    assert features.tolist() == [6.0, 7.0, 8.0] and label.item() == 2
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(gradwork.zeros(3), gradwork.zeros(4))


def test_subset_and_concat():
    subset = Subset(list("abcdef"), [5, 0, 2])
    assert len(subset) == 3 and [subset[i] for i in range(3)] == ["f", "a", "c"]
    both = ConcatDataset([list("abc"), subset])
    assert len(both) == 6 and both.cumulative_sizes == [3, 6]
    assert [both[i] for i in range(6)] == ["a", "b", "c", "f", "a", "c"]
    assert both[-2] == "a"
    with pytest.raises(ValueError, match="exceed"):
        both[-7]
    assert len(tensor_dataset(3) + tensor_dataset(4)) == 7


@pytest.mark.parametrize(
    "lengths", [[0.5, 0.5], [0.3, 0.3, 0.4], [0.33, 0.33, 0.34], [0.1] * 10, [1.0]]
)
@pytest.mark.parametrize("size", [10, 23])
def test_random_split_sizes_match_pytorch(lengths, size):
    parts = random_split(range(size), lengths, generator=gradwork.Generator().manual_seed(0))
    reference = torch_data.random_split(range(size), lengths)
    assert [len(part) for part in parts] == [len(part) for part in reference]
    indices = [index for part in parts for index in part.indices]
    assert sorted(indices) == list(range(size))  # disjoint and covering


def test_random_split_is_reproducible_and_checks_lengths():
    def split(seed):
        generator = gradwork.Generator().manual_seed(seed)
        return [part.indices for part in random_split(range(20), [5, 15], generator=generator)]

    assert split(0) == split(0)
    assert split(0) != split(1)
    gradwork.manual_seed(4)
    first = [part.indices for part in random_split(range(20), [5, 15])]
    gradwork.manual_seed(4)
    assert first == [part.indices for part in random_split(range(20), [5, 15])]
    with pytest.raises(ValueError, match="does not equal"):
        random_split(range(20), [5, 10])
    with pytest.warns(UserWarning, match="Length of split at index [12] is 0"):
        random_split(range(2), [0.9, 0.05, 0.05])


# -- samplers ------------------------------------------------------------------------------------


def test_sequential_sampler():
    sampler = SequentialSampler(range(4))
    assert list(sampler) == [0, 1, 2, 3] and len(sampler) == 4


def test_random_sampler():
    generator = gradwork.Generator().manual_seed(0)
    permutation = list(RandomSampler(range(10), generator=generator))
    assert sorted(permutation) == list(range(10)) and permutation != list(range(10))
    chained = list(RandomSampler(range(4), num_samples=10, generator=generator))
    assert len(chained) == 10 and sorted(chained[:8]) == [0, 0, 1, 1, 2, 2, 3, 3]
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=50, generator=generator))
    assert len(drawn) == 50 and set(drawn) == {0, 1, 2}
    gradwork.manual_seed(2)
    first = list(RandomSampler(range(10)))
    gradwork.manual_seed(2)
    assert list(RandomSampler(range(10))) == first
    with pytest.raises(ValueError, match="num_samples"):
        RandomSampler(range(3), num_samples=0)


def test_subset_random_sampler():
    sampler = SubsetRandomSampler([4, 8, 15, 16], generator=gradwork.Generator().manual_seed(0))
    orders = [list(sampler) for _ in range(5)]
    assert all(sorted(order) == [4, 8, 15, 16] for order in orders)
    assert len({tuple(order) for order in orders}) > 1
    assert len(sampler) == 4


def test_weighted_random_sampler_frequencies():
    weights = [1.0, 2.0, 0.0, 5.0]
    sampler = WeightedRandomSampler(weights, 40000, generator=gradwork.Generator().manual_seed(0))
    counts = np.bincount(list(sampler), minlength=4) / 40000
    np.testing.assert_allclose(counts, np.array(weights) / 8.0, atol=0.01)
    assert counts[2] == 0.0 and len(sampler) == 40000


def test_weighted_random_sampler_without_replacement():
    generator = gradwork.Generator().manual_seed(0)
    weights = gradwork.tensor([1.0, 0.0, 3.0, 1.0, 10.0])
    draws = [
        list(WeightedRandomSampler(weights, 4, replacement=False, generator=generator))
        for _ in range(2000)
    ]
    assert all(len(set(draw)) == 4 and 1 not in draw for draw in draws)
    # The heaviest index is almost always drawn first: P = 10 / 15.
    first = np.bincount([draw[0] for draw in draws], minlength=5) / len(draws)
    assert first[4] == pytest.approx(10 / 15, abs=0.03)
    with pytest.raises(ValueError, match="without replacement"):
        WeightedRandomSampler(weights, 5, replacement=False)


def test_batch_sampler():
    sampler = SequentialSampler(range(7))
    assert list(BatchSampler(sampler, 3, drop_last=False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(sampler, 3, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(sampler, 3, drop_last=False)) == 3
    assert len(BatchSampler(sampler, 3, drop_last=True)) == 2
    keys = BatchSampler(["a", "b", "c"], 2, drop_last=False)  # any iterable of keys
    assert list(keys) == [["a", "b"], ["c"]]
    assert all(
        isinstance(index, int) for batch in BatchSampler(sampler, 3, False) for index in batch
    )
    with pytest.raises(ValueError, match="batch_size"):
        BatchSampler(sampler, 0, drop_last=False)
