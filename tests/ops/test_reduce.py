"""Tests of gradwork.ops.reduce beyond the catalogue: prod with zeros, ties in max/min, stable
logsumexp, variance corrections, norms at zero, integer reductions, and error messages."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import gradwork


def _pair(values, dtype=np.float64, requires_grad=True):
    array = np.asarray(values, dtype)
    return (
        gradwork.tensor(array, requires_grad=requires_grad),
        torch.tensor(array, requires_grad=requires_grad),
    )


def _numpy(value):
    return value.detach().numpy()


def _same_dtype(ours, theirs) -> bool:
    return ours.dtype.name == str(theirs.dtype).removeprefix("torch.")


# -- prod -----------------------------------------------------------------------------------------
PROD_INPUTS = {
    "no_zero": [2.0, -3.0, 0.5, 4.0],
    "one_zero": [2.0, 0.0, 0.5, 4.0],
    "two_zeros": [2.0, 0.0, 0.5, 0.0],
    "three_zeros": [0.0, 0.0, 0.5, 0.0],
    "all_zeros": [0.0, 0.0, 0.0, 0.0],
}


@pytest.mark.parametrize("values", PROD_INPUTS.values(), ids=PROD_INPUTS.keys())
def test_prod_gradient_and_hessian_with_zeros_match_torch(values):
    x, x_torch = _pair(values)
    hessians = []
    for inputs, prod, autograd in (
        (x, gradwork.prod, gradwork.autograd),
        (x_torch, torch.prod, torch.autograd),
    ):
        (gradient,) = autograd.grad(prod(inputs), inputs, create_graph=True)
        rows = [
            autograd.grad((gradient * unit).sum(), inputs, retain_graph=True)[0]
            for unit in (type(inputs)(np.eye(4)[i]) for i in range(4))
        ]
        hessians.append((_numpy(gradient), np.stack([_numpy(r) for r in rows])))
    np.testing.assert_allclose(hessians[0][0], hessians[1][0])
    np.testing.assert_allclose(hessians[0][1], hessians[1][1])


def test_prod_gradient_with_one_zero_is_the_product_of_the_others():
    x = gradwork.tensor([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 3.0]], requires_grad=True)
    x.prod(dim=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 6, 0], [0, 0, 0], [6, 3, 2]])


def test_prod_dtypes_like_torch():
    for values, dtype in (
        ([1, 2, 3], np.int32),
        ([True, False], np.bool_),
        ([1.5, 2.0], np.float32),
    ):
        ours = gradwork.prod(gradwork.tensor(np.array(values, dtype)))
        theirs = torch.prod(torch.tensor(np.array(values, dtype)))
        assert _same_dtype(ours, theirs)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    assert gradwork.prod(gradwork.ones(2, 0), dim=1).tolist() == [1.0, 1.0]


# -- max / min / amax / amin ----------------------------------------------------------------------
def test_max_with_dim_returns_named_tuple_like_torch():
    x = np.array([[1.0, 5.0, 5.0], [7.0, 2.0, 7.0]])
    ours = gradwork.max(gradwork.tensor(x), dim=1, keepdim=True)
    theirs = torch.max(torch.tensor(x), dim=1, keepdim=True)
    values, indices = ours
    assert ours.values is values and ours.indices is indices
    assert type(ours).__name__ == "max"
    assert indices.dtype == gradwork.int64
    np.testing.assert_array_equal(values.numpy(), theirs.values.numpy())
    np.testing.assert_array_equal(indices.numpy(), theirs.indices.numpy())
    assert type(gradwork.min(gradwork.tensor(x), 0)).__name__ == "min"


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_along_dim_send_the_gradient_to_the_first_tie(name):
    x, x_torch = _pair([[3.0, 1.0, 3.0, 1.0], [0.0, 2.0, 2.0, 0.0]])
    getattr(gradwork, name)(x, dim=1).values.sum().backward()
    getattr(torch, name)(x_torch, dim=1).values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), x_torch.grad.numpy())


@pytest.mark.parametrize(
    "name,reference",
    [("max", torch.max), ("min", torch.min), ("amax", torch.amax), ("amin", torch.amin)],
)
def test_full_reductions_split_the_gradient_among_ties(name, reference):
    x, x_torch = _pair([[4.0, -4.0, 4.0], [-4.0, 4.0, 0.0]])
    getattr(gradwork, name)(x).backward()
    reference(x_torch).backward()
    np.testing.assert_allclose(x.grad.numpy(), x_torch.grad.numpy())
    assert np.isclose(x.grad.numpy().sum(), 1.0)


def test_amax_ties_along_dims_match_torch():
    x, x_torch = _pair([[[1.0, 2.0], [2.0, 2.0]], [[0.0, 0.0], [0.0, -1.0]]])
    gradwork.amax(x, dim=(1, 2)).sum().backward()
    torch.amax(x_torch, dim=(1, 2)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x_torch.grad.numpy())


def test_max_nan_propagates():
    x = gradwork.tensor([[1.0, math.nan, 3.0]])
    assert math.isnan(x.max().item())
    values, indices = x.max(dim=1)
    assert math.isnan(values.item()) and indices.item() == 1


def test_max_of_tensor_pair_is_maximum():
    a, b = gradwork.tensor([1.0, 4.0]), gradwork.tensor([3.0, 2.0])
    np.testing.assert_array_equal(gradwork.max(a, b).numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(a.min(b).numpy(), [1.0, 2.0])


def test_extrema_of_empty_inputs_raise_like_torch():
    with pytest.raises(RuntimeError, match=r"max\(\): expected reduction dim to be specified"):
        gradwork.zeros(0).max()
    with pytest.raises(IndexError, match=r"amax\(\): expected reduction dim 1 to have non-zero"):
        gradwork.zeros(2, 0).amax(1)
    with pytest.raises(IndexError, match=r"argmax\(\): expected reduction dim 1"):
        gradwork.zeros(2, 0).argmax(1)
    assert gradwork.zeros(0, 3).amax(1).shape == (0,)


# -- argmax / argmin / all / any ------------------------------------------------------------------
@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (None, True), (0, False), (-1, True)])
def test_arg_extrema_match_torch(name, dim, keepdim):
    x = np.array([[1.0, 5.0, 5.0], [7.0, -2.0, 7.0]])
    ours = getattr(gradwork, name)(gradwork.tensor(x), dim, keepdim)
    theirs = getattr(torch, name)(torch.tensor(x), dim, keepdim)
    assert ours.dtype == gradwork.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("name", ["all", "any"])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_, np.uint8])
def test_all_any_match_torch(name, dtype):
    x = np.array([[1, 0, 2], [3, 4, 5]]).astype(dtype)
    for arguments in ((), (1,), (0, True)):
        ours = getattr(gradwork, name)(gradwork.tensor(x), *arguments)
        theirs = getattr(torch, name)(torch.tensor(x), *arguments)
        assert _same_dtype(ours, theirs)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# -- logsumexp ------------------------------------------------------------------------------------
def test_logsumexp_is_stable_for_large_and_infinite_inputs():
    rows = [[1e4, 1e4, 0.0], [-1e4, -1e4, -1e4], [-math.inf, 0.0, 1.0], [-math.inf] * 3]
    x, x_torch = _pair(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = gradwork.logsumexp(x, dim=1)
        y.sum().backward()
    y_torch = torch.logsumexp(x_torch, dim=1)
    y_torch.sum().backward()
    np.testing.assert_allclose(_numpy(y), _numpy(y_torch))
    assert _numpy(y)[3] == -math.inf
    # PyTorch's gradient for a row of -inf is nan; gradwork's is 0. Elsewhere they agree.
    np.testing.assert_allclose(x.grad.numpy()[:3], x_torch.grad.numpy()[:3])
    np.testing.assert_array_equal(x.grad.numpy()[3], [0.0, 0.0, 0.0])


def test_logsumexp_positive_infinity_and_empty():
    assert gradwork.logsumexp(gradwork.tensor([1.0, math.inf]), 0).item() == math.inf
    empty = gradwork.logsumexp(gradwork.zeros(2, 0), dim=1)
    np.testing.assert_array_equal(empty.numpy(), [-math.inf, -math.inf])
    assert gradwork.logsumexp(gradwork.tensor([1, 2]), 0).dtype == gradwork.float32


# -- var / std ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"unbiased": False},
        {"unbiased": True},
        {"correction": 0},
        {"correction": 2},
        {"dim": 1, "correction": 3},
        {"dim": 0, "keepdim": True},
    ],
    ids=str,
)
@pytest.mark.parametrize("name", ["var", "std"])
def test_variance_corrections_match_torch(name, kwargs):
    values = np.random.default_rng(0).standard_normal((4, 3))
    x, x_torch = _pair(values)
    y = getattr(gradwork, name)(x, **kwargs)
    y_torch = getattr(torch, name)(x_torch, **kwargs)
    np.testing.assert_allclose(_numpy(y), _numpy(y_torch))
    y.sum().backward()
    y_torch.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x_torch.grad.numpy())


def test_variance_positional_unbiased_and_degenerate_counts():
    x = gradwork.tensor([1.0, 2.0, 4.0])
    assert np.isclose(x.var(False).item(), np.var([1.0, 2.0, 4.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(gradwork.tensor([1.0]).var().item())
        assert gradwork.var(x, correction=5).item() == math.inf
        assert math.isnan(gradwork.zeros(0).var().item())
    with pytest.raises(RuntimeError, match="var: pass either 'unbiased' or 'correction'"):
        gradwork.var(x, unbiased=True, correction=1)


def test_std_of_a_constant_has_zero_gradient_like_torch():
    x, x_torch = _pair([[2.1576, 2.1576, 2.1576], [1.0, 2.0, 4.0]])
    gradwork.std(x, dim=1).sum().backward()
    torch.std(x_torch, dim=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(x.grad.numpy(), x_torch.grad.numpy())


def test_variance_is_accurate_for_large_offsets():
    values = 1e8 + np.array([1.0, 2.0, 3.0, 4.0])
    assert gradwork.var(gradwork.tensor(values)).item() == pytest.approx(5 / 3, rel=1e-12)


# -- norm -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", ["fro", 2, 1, math.inf, -math.inf, 0, 3, 0.5])
def test_norm_of_zero_vector_has_zero_gradient_like_torch(p):
    x, x_torch = _pair([[0.0, 0.0, 0.0], [3.0, -4.0, 0.0]])
    gradwork.norm(x, p, dim=1).sum().backward()
    torch.norm(x_torch, p, dim=1).sum().backward()
    assert not np.isnan(x.grad.numpy()).any()
    np.testing.assert_array_equal(x.grad.numpy()[0], [0.0, 0.0, 0.0])
    # PyTorch leaves no gradient at all for p = 0 (it is zero everywhere)
    expected = x_torch.grad.numpy() if x_torch.grad is not None else np.zeros((2, 3))
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_norm_values_match_torch():
    values = np.random.default_rng(1).standard_normal((3, 4))
    for p in ("fro", 2, 1, math.inf, -math.inf, 0, 3, 0.5, -2):
        for dim in (None, 0, (0, 1)):
            ours = gradwork.norm(gradwork.tensor(values), p, dim)
            theirs = torch.norm(torch.tensor(values), p, dim)
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), err_msg=f"p={p} dim={dim}")


def test_norm_errors():
    with pytest.raises(
        RuntimeError, match="norm: expected a floating point tensor, got dtype gradwork.int64"
    ):
        gradwork.norm(gradwork.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="norm: p='nuc' is not supported"):
        gradwork.norm(gradwork.ones(2, 2), "nuc")
    with pytest.raises(RuntimeError, match="Frobenius norm takes at most 2 dims"):
        gradwork.norm(gradwork.ones(2, 2, 2), "fro", dim=(0, 1, 2))


# -- cumsum ---------------------------------------------------------------------------------------
def test_cumsum_dtypes_and_gradient_like_torch():
    for values, dtype in (([1, 2], np.int32), ([True, True], np.bool_), ([1.5, 2.0], np.float32)):
        ours = gradwork.cumsum(gradwork.tensor(np.array(values, dtype)), 0)
        theirs = torch.cumsum(torch.tensor(np.array(values, dtype)), 0)
        assert _same_dtype(ours, theirs)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    x, x_torch = _pair(np.arange(12.0).reshape(3, 4))
    weights = np.random.default_rng(2).standard_normal((3, 4))
    (gradwork.cumsum(x, 1) * gradwork.tensor(weights)).sum().backward()
    (torch.cumsum(x_torch, 1) * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x_torch.grad.numpy())


# -- dtypes and errors ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda x: x.var(1),
        lambda x: x.std(),
        lambda x: x.prod(0),
        lambda x: x.amax(1),
        lambda x: x.max(1).values,
        lambda x: x.logsumexp(1),
        lambda x: x.cumsum(0),
        lambda x: x.norm(),
        lambda x: x.norm(3, 1),
    ],
)
def test_float32_stays_float32(call):
    x = gradwork.randn(3, 4, requires_grad=True)
    y = call(x)
    y.sum().backward()
    assert y.dtype == gradwork.float32 and x.grad.dtype == gradwork.float32


def test_bad_dim_names_the_op_and_the_range():
    x = gradwork.ones(2, 3)
    for name in ("var", "std", "prod", "amax", "amin", "logsumexp", "argmax", "all", "norm"):
        with pytest.raises(
            IndexError,
            match=rf"{name}: dimension out of range \(expected to be in "
            r"range of \[-2, 1\], but got 2\)",
        ):
            getattr(gradwork, name)(x, dim=2)
    with pytest.raises(IndexError, match=r"max: dimension out of range"):
        x.max(dim=-3)
    with pytest.raises(IndexError, match=r"cumsum: dimension out of range"):
        x.cumsum(5)


def test_integer_inputs_to_floating_reductions_are_rejected_clearly():
    x = gradwork.tensor([1, 2, 3])
    with pytest.raises(
        RuntimeError, match="var: expected a floating point tensor, got dtype gradwork.int64"
    ):
        x.var()
    with pytest.raises(RuntimeError, match="std: expected a floating point tensor"):
        x.std()
    np.testing.assert_array_equal(x.max().numpy(), 3)
    assert x.max().dtype == gradwork.int64


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(7,), (2048, 128), (3, 4, 64, 64), (5, 0)])
def test_sum_last_axis_by_blas_equals_numpy_sum(shape, dtype):
    """Softmax, attention and layer norm sum their rows with one matrix-vector product."""
    from gradwork.ops.reduce import sum_last_axis

    array = np.random.default_rng(4).random(shape).astype(dtype)
    expected = array.astype(np.float64).sum(-1, keepdims=True)
    tolerance = 1e-6 if dtype == np.float32 else 1e-13
    for layout in (array, array.T.copy().T):  # contiguous, and a transposed (strided) copy
        result = sum_last_axis(layout)
        assert result.dtype == dtype and result.shape == expected.shape
        np.testing.assert_allclose(result, expected, rtol=tolerance, atol=tolerance)


def test_sum_last_axis_propagates_nan_and_inf():
    from gradwork.ops.reduce import sum_last_axis

    rows = np.array([[1.0, np.nan, 2.0], [np.inf, 1.0, 0.0], [np.inf, -np.inf, 1.0]], np.float32)
    rows = np.tile(rows, (6000, 1))  # many rows, summed in one matrix-vector product
    with np.errstate(invalid="ignore"):  # inf - inf, as NumPy's own sum warns
        result = sum_last_axis(rows)[:3, 0]
    assert np.isnan(result[0]) and result[1] == np.inf and np.isnan(result[2])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shape, count", [((2048, 384), 1), ((4, 5, 6), 2), ((3, 4), 2), ((0, 3), 1), ((2, 3), 0)]
)
def test_sum_leading_axes_by_blas_equals_numpy_sum(shape, count, dtype):
    """Bias gradients (Linear's, and broadcast adds in sum_to) sum leading axes this way."""
    from gradwork.ops.reduce import sum_leading_axes, sum_to_array

    array = np.random.default_rng(5).random(shape).astype(dtype)
    expected = array.astype(np.float64).sum(tuple(range(count)))
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    for layout in (array, np.asfortranarray(array)):
        result = sum_leading_axes(layout, count)
        assert result.dtype == dtype and result.shape == expected.shape
        np.testing.assert_allclose(result, expected, rtol=tolerance, atol=tolerance)
    result = sum_to_array(array, shape[count:])
    np.testing.assert_allclose(result, expected, rtol=tolerance, atol=tolerance)


def test_cached_ones_grow_on_demand_and_are_read_only():
    from gradwork.ops import reduce

    small = reduce._ones(3, np.dtype(np.float32))
    large = reduce._ones(5000, np.dtype(np.float32))
    huge = reduce._ones(reduce._ONES_CACHED_MAX + 1, np.dtype(np.float64))
    assert small.shape == (3,) and large.shape == (5000,) and huge.shape[0] > 1 << 20
    assert (large == 1).all() and (small == 1).all() and large.dtype == np.float32
    with pytest.raises(ValueError):
        large[0] = 2
