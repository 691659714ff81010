"""Specific tests of gradwork.ops.indexing (PyTorch parity lives in the op catalogue)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import gradwork
from gradwork.ops.indexing import _index_add_into


def _leaf(*shape):
    return gradwork.tensor(
        np.arange(np.prod(shape), dtype=np.float64).reshape(shape), requires_grad=True
    )


# -- error messages -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda x: x[::-1], ValueError, ["step must be greater than zero"]),
        (lambda x: x[:, ::0], ValueError, ["step must be greater than zero"]),
        (lambda x: x[3], IndexError, ["getitem", "index 3", "dimension 0", "size 3"]),
        (lambda x: x[:, -5], IndexError, ["index -5", "dimension 1", "size 4"]),
        (lambda x: x[gradwork.tensor([0, 7])], IndexError, ["index 7", "size 3"]),
        (lambda x: x[:, [1, -9]], IndexError, ["index -9", "dimension 1", "size 4"]),
        (lambda x: x[gradwork.tensor([True, False])], IndexError, ["mask", "(2,)", "(3, 4)"]),
        (lambda x: x[0, 0, 0], IndexError, ["too many indices", "(3, 4)"]),
        (lambda x: x[..., ...], IndexError, ["single ellipsis"]),
        (lambda x: x[1.5], IndexError, ["getitem", "float"]),
        (lambda x: x[gradwork.tensor([0.0])], IndexError, ["long", "float"]),
        (
            lambda x: x.gather(1, gradwork.tensor([[4]])),
            RuntimeError,
            ["gather", "index 4", "dimension 1", "size 4"],
        ),
        (lambda x: x.gather(1, gradwork.tensor([0])), RuntimeError, ["gather", "(1,)", "(3, 4)"]),
        (
            lambda x: x.gather(0, gradwork.tensor([[0] * 5])),
            RuntimeError,
            ["gather", "(1, 5)", "(3, 4)"],
        ),
        (
            lambda x: x.index_select(0, gradwork.tensor([0, 3])),
            IndexError,
            ["index_select", "index 3", "size 3"],
        ),
        (
            lambda x: x.index_select(1, gradwork.tensor([-1])),
            IndexError,
            ["index_select", "index -1"],
        ),
        (
            lambda x: x.index_select(0, gradwork.tensor([[0]])),
            RuntimeError,
            ["index_select", "vector", "(1, 1)"],
        ),
        (
            lambda x: x.index_add(0, gradwork.tensor([0, 1]), gradwork.ones(3, 4)),
            RuntimeError,
            ["index_add", "(3, 4)", "(2, 4)"],
        ),
        (
            lambda x: x.index_add(0, gradwork.tensor([5]), gradwork.ones(1, 4)),
            IndexError,
            ["index_add", "index 5", "size 3"],
        ),
        (
            lambda x: x.index_add(
                0, gradwork.tensor([0]), gradwork.ones(1, 4, dtype=gradwork.float64)
            ),
            RuntimeError,
            ["index_add", "float32", "float64"],
        ),
        (
            lambda x: x.scatter_add(0, gradwork.tensor([[3]]), gradwork.ones(1, 1)),
            RuntimeError,
            ["scatter_add", "index 3", "size 3"],
        ),
        (
            lambda x: x.scatter_add(0, gradwork.tensor([[0, 0]]), gradwork.ones(1, 1)),
            RuntimeError,
            ["scatter_add", "(1, 2)", "(1, 1)"],
        ),
        (
            lambda x: gradwork.masked_select(x, gradwork.zeros(3, 4)),
            RuntimeError,
            ["masked_select", "bool"],
        ),
        (
            lambda x: gradwork.take_along_dim(x, gradwork.tensor([0]), 0),
            RuntimeError,
            ["take_along_dim", "(3, 4)", "(1,)"],
        ),
    ],
)
def test_error_messages(call, error, words):
    x = gradwork.zeros(3, 4)
    with pytest.raises(error) as raised:
        call(x)
    for word in words:
        assert word in str(raised.value), f"{word!r} not in {raised.value}"


# -- getitem ------------------------------------------------------------------------------------
def test_getitem_repeated_indices_accumulate_gradient():
    x = _leaf(4, 3)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[:, 0], [3, 0, 1, 0])

    x.grad = None
    index = gradwork.tensor([[1, 1], [2, 1]])
    weights = gradwork.tensor(np.arange(12.0).reshape(4, 3))  # any grad_output
    (x[:, index].sum(dim=(1, 2)) * weights[:, 0]).sum().backward()
    expected = np.zeros((4, 3))
    expected[:, 1] = 3 * np.arange(0.0, 12.0, 3)
    expected[:, 2] = 1 * np.arange(0.0, 12.0, 3)
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_getitem_repeated_indices_match_torch_with_several_arrays():
    rng = np.random.default_rng(0)
    data = rng.standard_normal((4, 5, 6))
    rows, cols = rng.integers(0, 4, (7, 1)), rng.integers(0, 6, (1, 3))
    ours = gradwork.tensor(data, requires_grad=True)
    theirs = torch.tensor(data, requires_grad=True)
    weight = rng.standard_normal((7, 3, 5))
    (ours[rows, :, cols] * gradwork.tensor(weight)).sum().backward()
    (theirs[torch.tensor(rows), :, torch.tensor(cols)] * torch.tensor(weight)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-12)


def test_getitem_basic_indices_are_views():
    x = gradwork.zeros(3, 4)
    assert np.shares_memory(x[1]._data, x._data)
    assert np.shares_memory(x[:, 1:3]._data, x._data)
    assert np.shares_memory(x[None, ..., 2]._data, x._data)
    assert x[1, 2].shape == ()
    assert isinstance(x[1, 2]._data, np.ndarray)


def test_getitem_follows_torch_placement_of_advanced_dims():
    x = gradwork.zeros(2, 3, 4)
    assert x[0, :, [0, 1]].shape == (3, 2)  # NumPy would give (2, 3)
    assert x[[0, 1], :, [1, 2]].shape == (2, 3)
    assert x[True].shape == (1, 2, 3, 4)
    assert x[False].shape == (0, 2, 3, 4)
    assert x[gradwork.tensor(1)].shape == (3, 4)


# -- setitem ------------------------------------------------------------------------------------
def test_setitem_semantics():
    x = gradwork.zeros(3, 4)
    x[0] = 1.0
    x[1, [0, 2]] = gradwork.tensor([5.0, 6.0])
    x[x > 5.5] = -1.0
    x[2, 1:] = [7.0, 8.0, 9.0]
    x[..., 0] = gradwork.tensor(3, dtype=gradwork.int64)  # cast to float32
    expected = np.array([[3, 1, 1, 1], [3, 0, -1, 0], [3, 7, 8, 9]], dtype=np.float32)
    np.testing.assert_array_equal(x.numpy(), expected)
    assert x.dtype == gradwork.float32


def test_setitem_bumps_version_and_is_seen_by_saved_tensors():
    x = gradwork.ones(3)
    assert x._version == 0
    x[0] = 2.0
    x[[1, 2]] = 0.0
    assert x._version == 2

    w = gradwork.ones(3, requires_grad=True)
    h = w * 2
    y = h * h  # saves h
    with gradwork.no_grad():
        h[0] = 5.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_setitem_through_a_view_bumps_the_base_version():
    x = gradwork.zeros(3, 4)
    x[0][1] = 5.0  # x[0] is a view sharing x's version counter, as in PyTorch
    assert x._version == 1 and float(x[0, 1]._data) == 5.0
    x.t()[2, 0] = 1.0
    assert x._version == 2 and float(x[0, 2]._data) == 1.0

    w = gradwork.ones(3, 4, requires_grad=True)
    h = w * 2
    y = h * h  # saves h
    with gradwork.no_grad():
        h[0][1] = 3.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_setitem_refuses_tensors_that_require_grad():
    leaf = gradwork.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="setitem"):
        leaf[0] = 1.0
    with gradwork.no_grad():
        leaf[0] = 1.0
    assert leaf.detach().numpy()[0] == 1.0
    target = gradwork.zeros(3)
    with pytest.raises(RuntimeError, match="requires grad"):
        target[0] = leaf.sum()


def test_setitem_shape_mismatch():
    x = gradwork.zeros(3, 4)
    with pytest.raises(RuntimeError, match=r"setitem.*\(2,\).*\(4,\)"):
        x[0] = gradwork.ones(2)
    with pytest.raises(RuntimeError, match="setitem"):
        gradwork.zeros(3).expand(2, 3)[0, 0] = 1.0


# -- index_add: the fast path equals the plain rule ---------------------------------------------
@pytest.mark.parametrize(
    "shape, axis, count",
    [
        ((50, 16), 0, 400),  # graph-net aggregation: many messages, few features
        ((50,), 0, 300),  # 1-d
        ((7, 64), 0, 5),  # few wide rows: np.add.at path
        ((3, 40, 5), 1, 200),  # inner dimension
        ((6, 4), 1, 0),  # no indices
        ((0, 3), 0, 0),  # empty target
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_index_add_fast_path_equals_add_at(shape, axis, count, dtype):
    rng = np.random.default_rng(0)
    index = rng.integers(0, shape[axis], count) if shape[axis] else np.zeros(0, np.int64)
    source_shape = shape[:axis] + (count,) + shape[axis + 1 :]
    source = (rng.standard_normal(source_shape) * 10).astype(dtype)
    start = (rng.standard_normal(shape) * 10).astype(dtype)
    expected = start.copy()
    np.add.at(expected, (slice(None),) * axis + (index,), source)
    fast = start.copy()
    _index_add_into(fast, axis, index, source)
    if dtype == np.float32:
        np.testing.assert_allclose(fast, expected, rtol=1e-5, atol=1e-4)
    else:
        np.testing.assert_allclose(fast, expected, rtol=1e-12, atol=1e-9)
    result = gradwork.index_add(
        gradwork.tensor(start), axis, gradwork.tensor(index), gradwork.tensor(source)
    )
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-5, atol=1e-4)


def test_scatter_add_with_repeats_equals_add_at():
    rng = np.random.default_rng(1)
    index = rng.integers(0, 5, (40, 3))
    source = rng.standard_normal((40, 3))
    expected = np.zeros((5, 3))
    np.add.at(expected, (index, np.arange(3)), source)
    result = gradwork.zeros(5, 3, dtype=gradwork.float64).scatter_add(
        0, gradwork.tensor(index), gradwork.tensor(source)
    )
    np.testing.assert_allclose(result.numpy(), expected, atol=1e-12)
    counts = gradwork.zeros(5, 3, dtype=gradwork.int64).scatter_add(
        0, gradwork.tensor(index), gradwork.ones(40, 3, dtype=gradwork.int64)
    )
    np.testing.assert_array_equal(counts.numpy().sum(0), [40, 40, 40])


def test_message_passing_gradients_match_torch():
    rng = np.random.default_rng(2)
    nodes, edges, features = 30, 200, 8
    source, target = rng.integers(0, nodes, edges), rng.integers(0, nodes, edges)
    h = rng.standard_normal((nodes, features))
    ours = gradwork.tensor(h, requires_grad=True)
    theirs = torch.tensor(h, requires_grad=True)
    out_ours = gradwork.zeros(nodes, features, dtype=gradwork.float64).index_add(
        0, gradwork.tensor(target), ours.index_select(0, gradwork.tensor(source))
    )
    out_theirs = torch.zeros(nodes, features, dtype=torch.float64).index_add(
        0, torch.tensor(target), theirs.index_select(0, torch.tensor(source))
    )
    np.testing.assert_allclose(out_ours.detach().numpy(), out_theirs.detach().numpy(), atol=1e-12)
    (out_ours**2).sum().backward()
    (out_theirs**2).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-10)


def test_nonzero_and_masked_select_have_no_grad_on_indices():
    x = gradwork.tensor([[0.0, 1.0], [2.0, 0.0]], requires_grad=True)
    indices = gradwork.nonzero(x)
    assert indices.dtype == gradwork.int64 and not indices.requires_grad
    np.testing.assert_array_equal(indices.numpy(), [[0, 1], [1, 0]])
    rows, cols = gradwork.nonzero(x, as_tuple=True)
    np.testing.assert_array_equal(rows.numpy(), [0, 1])
    selected = gradwork.masked_select(x, x > 0.5)
    selected.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1], [1, 0]])
