"""Specific tests of gradwork.ops.movement (PyTorch parity lives in the op catalogue)."""

from __future__ import annotations

import numpy as np
import pytest

import gradwork


def _leaf(*shape):
    return gradwork.tensor(
        np.arange(np.prod(shape), dtype=np.float64).reshape(shape), requires_grad=True
    )


# -- error messages -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, error, words",
    [
        (
            lambda: gradwork.cat([gradwork.zeros(2, 3), gradwork.zeros(2, 4)]),
            RuntimeError,
            ["cat", "(2, 3)", "(2, 4)", "dimension 0"],
        ),
        (
            lambda: gradwork.cat([gradwork.zeros(2, 3), gradwork.zeros(2)], dim=1),
            RuntimeError,
            ["cat", "(2, 3)", "(2,)"],
        ),
        (lambda: gradwork.cat([]), RuntimeError, ["cat", "non-empty"]),
        (lambda: gradwork.cat([gradwork.tensor(1.0)]), RuntimeError, ["cat", "zero-dimensional"]),
        (
            lambda: gradwork.stack([gradwork.zeros(2, 3), gradwork.zeros(3, 2)]),
            RuntimeError,
            ["stack", "(2, 3)", "(3, 2)", "entry 1"],
        ),
        (lambda: gradwork.zeros(2, 3).permute(0, 0), RuntimeError, ["permute", "(2, 3)"]),
        (lambda: gradwork.zeros(2, 3).permute(0), RuntimeError, ["permute", "(2, 3)"]),
        (lambda: gradwork.zeros(2, 3, 4).flatten(2, 1), RuntimeError, ["flatten", "start_dim"]),
        (lambda: gradwork.zeros(2, 3).transpose(0, 2), IndexError, ["transpose", "range"]),
        (lambda: gradwork.zeros(2, 3, 4).t(), RuntimeError, ["t:", "(2, 3, 4)"]),
        (lambda: gradwork.zeros(2, 3).unsqueeze(3), IndexError, ["unsqueeze"]),
        (lambda: gradwork.zeros(2, 3).repeat(2), RuntimeError, ["repeat", "(2, 3)"]),
        (lambda: gradwork.zeros(5).split([2, 2]), RuntimeError, ["split", "[2, 2]", "5"]),
        (lambda: gradwork.zeros(5).split(0), RuntimeError, ["split", "positive"]),
        (lambda: gradwork.zeros(5).chunk(0), RuntimeError, ["chunk", "positive"]),
        (
            lambda: gradwork.narrow(gradwork.zeros(4), 0, 2, 3),
            RuntimeError,
            ["narrow", "start (2) + length (3)", "(4)"],
        ),
        (lambda: gradwork.zeros(3).roll((1, 2), 0), RuntimeError, ["roll", "align"]),
        (lambda: gradwork.zeros(2, 3).flip(0, 0), RuntimeError, ["flip", "repeated"]),
        (lambda: gradwork.pad(gradwork.zeros(2, 3), (1,)), RuntimeError, ["pad", "divisible"]),
        (lambda: gradwork.pad(gradwork.zeros(3), (1, 1, 1, 1)), RuntimeError, ["pad", "(3,)"]),
        (
            lambda: gradwork.pad(gradwork.zeros(1, 3), (3, 0), mode="reflect"),
            RuntimeError,
            ["pad", "reflect", "size 3"],
        ),
        (
            lambda: gradwork.pad(gradwork.zeros(1, 3), (4, 0), mode="circular"),
            RuntimeError,
            ["pad", "circular"],
        ),
        (
            lambda: gradwork.pad(gradwork.zeros(1, 3), (1, 0), mode="wrap"),
            ValueError,
            ["pad", "'wrap'"],
        ),
        (
            lambda: gradwork.pad(gradwork.zeros(1, 3), (1, 0), mode="reflect", value=1.0),
            ValueError,
            ["pad", "value"],
        ),
        (
            lambda: gradwork.pad(gradwork.zeros(1, 3), (-2, -2)),
            RuntimeError,
            ["pad", "negative output size"],
        ),
        (lambda: gradwork.zeros(3).tril(), RuntimeError, ["tril", "2 dimensions", "(3,)"]),
        (
            lambda: gradwork.zeros(3).masked_fill(gradwork.zeros(3), 1.0),
            RuntimeError,
            ["masked_fill", "boolean"],
        ),
        (
            lambda: gradwork.zeros(3).masked_fill(gradwork.ones(2, dtype=gradwork.bool), 1.0),
            RuntimeError,
            ["masked_fill", "(2,)", "(3,)"],
        ),
        (
            lambda: gradwork.zeros(3).masked_fill(
                gradwork.ones(3, dtype=gradwork.bool), gradwork.zeros(1)
            ),
            RuntimeError,
            ["masked_fill", "0-dimensional"],
        ),
        (lambda: gradwork.zeros(2, 3).expand(2, 4), RuntimeError, ["expand", "(2, 4)", "(2, 3)"]),
        (lambda: gradwork.zeros(2, 3).reshape(4, -1), RuntimeError, ["reshape", "(2, 3)"]),
    ],
)
def test_error_messages(call, error, words):
    with pytest.raises(error) as raised:
        call()
    for word in words:
        assert word in str(raised.value), f"{word!r} not in {raised.value}"


# -- split, chunk, unbind: pieces left unused get zeros -----------------------------------------
def test_split_partial_use_gradient():
    x = _leaf(5, 2)
    first, _, last = x.split(2)
    (first * 2).sum().backward()
    expected = np.zeros((5, 2))
    expected[:2] = 2
    np.testing.assert_array_equal(x.grad.numpy(), expected)

    x.grad = None
    _, _, last = x.split(2)
    (last * 3).sum().backward()
    expected = np.zeros((5, 2))
    expected[4:] = 3
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_chunk_and_unbind_partial_use_gradient():
    x = _leaf(2, 6)
    _, middle, _ = x.chunk(3, dim=1)
    middle.sum().backward()
    expected = np.zeros((2, 6))
    expected[:, 2:4] = 1
    np.testing.assert_array_equal(x.grad.numpy(), expected)

    y = _leaf(3, 2)
    rows = y.unbind()
    (rows[1] * rows[1]).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [[0, 0], [4, 6], [0, 0]])


def test_split_partial_use_second_order():
    x = _leaf(4)
    a, _ = x.split([1, 3])
    (gradient,) = gradwork.autograd.grad((a**3).sum(), x, create_graph=True)
    np.testing.assert_array_equal(gradient.detach().numpy(), [0, 0, 0, 0])  # 3 * 0**2 at x[0] = 0
    x2 = gradwork.tensor([2.0, 1.0, 1.0, 1.0], dtype=gradwork.float64, requires_grad=True)
    a, _ = x2.split([1, 3])
    (gradient,) = gradwork.autograd.grad((a**3).sum(), x2, create_graph=True)
    (second,) = gradwork.autograd.grad(gradient.sum(), x2)
    np.testing.assert_array_equal(second.numpy(), [12, 0, 0, 0])


def test_chunk_and_split_counts():
    assert [p.shape for p in gradwork.zeros(6).chunk(4)] == [(2,), (2,), (2,)]
    assert [p.shape for p in gradwork.zeros(0).chunk(3)] == [(0,), (0,), (0,)]
    assert [p.shape for p in gradwork.zeros(0, 3).split(2)] == [(0, 3)]
    assert gradwork.zeros(0, 2).unbind() == ()


# -- views, aliases, dtypes ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "function",
    [
        lambda x: x.flatten(),
        lambda x: x.permute(2, 0, 1),
        lambda x: x.transpose(0, 1),
        lambda x: gradwork.narrow(x, 1, 1, 2),
        lambda x: x.unsqueeze(0).squeeze(0),
        lambda x: x.flip(1),
        lambda x: x.split(1)[1],
        lambda x: x.unbind(2)[0],
    ],
)
def test_returns_views(function):
    x = gradwork.zeros(2, 3, 4)
    assert np.shares_memory(function(x)._data, x._data)


def test_aliases():
    assert gradwork.concat is gradwork.cat
    assert gradwork.concatenate is gradwork.cat
    assert gradwork.swapaxes is gradwork.transpose
    assert gradwork.moveaxis is gradwork.movedim


def test_cat_promotes_dtypes_and_skips_legacy_empty():
    result = gradwork.cat([gradwork.tensor([1, 2]), gradwork.tensor([0.5])])
    assert result.dtype == gradwork.float32
    np.testing.assert_array_equal(result.numpy(), [1, 2, 0.5])
    x = _leaf(2, 3)
    empty = gradwork.zeros(0, dtype=gradwork.float64, requires_grad=True)
    out = gradwork.cat([x, empty, x], dim=1)
    assert out.shape == (2, 6)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))
    assert empty.grad.shape == (0,)


def test_repeat_and_tile_match_numpy():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(gradwork.tensor(x).repeat(2, 1, 3).numpy(), np.tile(x, (2, 1, 3)))
    np.testing.assert_array_equal(gradwork.tile(gradwork.tensor(x), (2,)).numpy(), np.tile(x, 2))


def test_pad_modes_values():
    x = gradwork.tensor([[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(
        gradwork.pad(x, (2, 1), mode="reflect").numpy(), [[3, 2, 1, 2, 3, 2]]
    )
    np.testing.assert_array_equal(
        gradwork.pad(x, (2, 1), mode="replicate").numpy(), [[1, 1, 1, 2, 3, 3]]
    )
    np.testing.assert_array_equal(
        gradwork.pad(x, (2, 1), mode="circular").numpy(), [[2, 3, 1, 2, 3, 1]]
    )
    np.testing.assert_array_equal(gradwork.pad(x, (1, -1), value=9.0).numpy(), [[9, 1, 2]])


def test_masked_fill_keeps_dtype_and_differentiates_value():
    ints = gradwork.tensor([1, 2, 3]).masked_fill(gradwork.tensor([True, False, True]), 1.7)
    assert ints.dtype == gradwork.int64
    np.testing.assert_array_equal(ints.numpy(), [1, 2, 1])
    value = gradwork.tensor(2.0, requires_grad=True)
    x = gradwork.zeros(2, 3, requires_grad=True)
    mask = gradwork.tensor([[True, False, True], [False, False, True]])
    x.masked_fill(mask, value).sum().backward()
    assert float(value.grad.numpy()) == 3.0
    np.testing.assert_array_equal(x.grad.numpy(), ~mask.numpy())
