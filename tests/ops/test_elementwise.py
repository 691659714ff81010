"""Tests of gradwork.ops.elementwise beyond the catalogue: numerical edges, erf accuracy, dtype
promotion against PyTorch, zero-gradient ops, and error messages."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import gradwork
from gradwork.ops.elementwise import negative_part, positive_part

EDGES = [-math.inf, -1e4, -100.0, -20.0, -1.0, 0.0, 1.0, 20.0, 100.0, 1e4, math.inf]


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


# -- numerical edges ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize(
    "ours,theirs",
    [
        (gradwork.sigmoid, torch.sigmoid),
        (gradwork.tanh, torch.tanh),
        (gradwork.softplus, F.softplus),
        (
            lambda x: gradwork.softplus(x, beta=2.0, threshold=5.0),
            lambda x: F.softplus(x, 2.0, 5.0),
        ),
        (gradwork.relu, torch.relu),
        (gradwork.elu, F.elu),
        (gradwork.erf, torch.erf),
        (gradwork.erfc, torch.erfc),
        (gradwork.exp, torch.exp),
        (gradwork.expm1, torch.expm1),
    ],
    ids=[
        "sigmoid",
        "tanh",
        "softplus",
        "softplus_beta",
        "relu",
        "elu",
        "erf",
        "erfc",
        "exp",
        "expm1",
    ],
)
def test_stable_at_extremes(ours, theirs, dtype):
    """Values and gradients at +-1e4 and +-inf match PyTorch, without NumPy warnings."""
    x, x_torch = _pair(EDGES, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = ours(x)
        y.backward(gradwork.ones_like(y))
    y_torch = theirs(x_torch)
    y_torch.backward(torch.ones_like(y_torch))
    assert _same_dtype(y, y_torch)
    np.testing.assert_allclose(_numpy(y), _numpy(y_torch), rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(x.grad.numpy(), x_torch.grad.numpy(), rtol=1e-6, atol=1e-30)


def test_sigmoid_and_softplus_have_no_nan_at_extremes():
    x = gradwork.tensor(EDGES, requires_grad=True)
    for function in (gradwork.sigmoid, gradwork.softplus, gradwork.tanh):
        x.grad = None
        y = function(x)
        y.sum().backward()
        assert not np.isnan(y.detach().numpy()).any()
        assert not np.isnan(x.grad.numpy()).any()
    assert gradwork.sigmoid(gradwork.tensor([-1e4])).item() == 0.0
    assert gradwork.softplus(gradwork.tensor([1e4])).item() == 1e4


def test_sigmoid_keeps_precision_in_the_tails():
    x = gradwork.tensor([-40.0, -700.0], dtype=gradwork.float64)
    expected = [1 / (1 + math.exp(40.0)), 1 / (1 + math.exp(700.0))]
    np.testing.assert_allclose(gradwork.sigmoid(x).numpy(), expected, rtol=1e-14)


def test_gelu_accurate_for_large_negative_inputs():
    """erfc(-x/sqrt2) instead of 1 + erf(x/sqrt2): no cancellation where Phi(x) is tiny (the
    remaining error is erfc's condition number, 2 z^2, times the rounding of z = -x/sqrt2)."""
    x = np.array([-10.0, -20.0, -30.0])
    expected = [v * 0.5 * math.erfc(-v / math.sqrt(2)) for v in x]
    np.testing.assert_allclose(gradwork.gelu(gradwork.tensor(x)).numpy(), expected, rtol=1e-12)


# -- erf ------------------------------------------------------------------------------------------
def test_erf_matches_math_erf_in_float64():
    x = np.concatenate(
        [
            np.linspace(-30.0, 30.0, 60001),
            np.geomspace(1e-300, 1.0, 500),
            -np.geomspace(1e-300, 1.0, 500),
            [0.0, 0.46875, -0.46875, 4.0, -4.0, 26.5, -26.5],
        ]
    )
    ours = gradwork.erf(gradwork.tensor(x)).numpy()
    expected = np.array([math.erf(v) for v in x])
    relative = np.abs(ours - expected) / np.maximum(np.abs(expected), 1e-300)
    assert relative.max() < 1e-14


def test_erfc_matches_math_erfc_in_float64():
    x = np.linspace(-10.0, 26.0, 36001)
    ours = gradwork.erfc(gradwork.tensor(x)).numpy()
    expected = np.array([math.erfc(v) for v in x])
    relative = np.abs(ours - expected) / expected
    assert relative.max() < 1e-13  # SciPy's erfc: ~6e-14 in the far tail (erfc(26) ~ 1e-296)


def test_erf_special_values_and_dtype():
    x = gradwork.tensor([math.inf, -math.inf, math.nan, 0.0, 40.0])
    y = gradwork.erf(x)
    assert y.dtype == gradwork.float32
    np.testing.assert_array_equal(y.numpy(), [1.0, -1.0, np.nan, 0.0, 1.0])
    np.testing.assert_array_equal(gradwork.erfc(x).numpy(), [0.0, 2.0, np.nan, 1.0, 0.0])
    x32 = np.linspace(-6, 6, 2001, dtype=np.float32)
    np.testing.assert_allclose(
        gradwork.erf(gradwork.tensor(x32)).numpy(),
        torch.erf(torch.tensor(x32)).numpy(),
        atol=2e-7,
    )


def test_gelu_third_derivative_matches_torch():
    """Backward is written in differentiable ops (through erfc): derivatives of any order."""
    x, x_torch = _pair([-2.0, -0.3, 0.7, 1.9])
    results = []
    for inputs, function, autograd in (
        (x, gradwork.gelu, gradwork.autograd),
        (x_torch, F.gelu, torch.autograd),
    ):
        y = function(inputs).sum()
        (first,) = autograd.grad(y, inputs, create_graph=True)
        (second,) = autograd.grad(first.sum(), inputs, create_graph=True)
        (third,) = autograd.grad(second.sum(), inputs)
        results.append(_numpy(third))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10)


# -- dtypes ---------------------------------------------------------------------------------------
PROMOTION_CASES = [
    ("int64 * 2.5", lambda t: t.tensor([1, 2, 3]) * 2.5),
    ("int64 + float32", lambda t: t.tensor([1, 2]) + t.tensor([0.5, 1.5])),
    ("bool + int64", lambda t: t.tensor([True, False]) + t.tensor([2, 3])),
    ("bool + True", lambda t: t.tensor([True, False]) + True),
    ("int32 + int64", lambda t: t.tensor([1, 2], dtype=t.int32) + t.tensor([3, 4])),
    ("int32 + 5", lambda t: t.tensor([1, 2], dtype=t.int32) + 5),
    ("float32 + 0-d float64", lambda t: t.tensor([1.0, 2.0]) + t.tensor(0.5, dtype=t.float64)),
    ("int64 + 0-d float64", lambda t: t.tensor([1, 2]) + t.tensor(0.5, dtype=t.float64)),
    ("int64 / int64", lambda t: t.tensor([3, 4]) / t.tensor([2, 8])),
    ("int64 // int64", lambda t: t.tensor([7, -7]) // t.tensor([2, 2])),
    ("int64 % 3", lambda t: t.tensor([7, -7]) % 3),
    ("float32 % int64", lambda t: t.tensor([7.5, -7.5]) % t.tensor([2, 2])),
    ("sqrt(int64)", lambda t: t.sqrt(t.tensor([4, 9]))),
    ("sigmoid(int64)", lambda t: t.sigmoid(t.tensor([0, 1]))),
    ("exp(bool)", lambda t: t.exp(t.tensor([True, False]))),
    ("reciprocal(int64)", lambda t: t.reciprocal(t.tensor([2, 4]))),
    ("abs(int32)", lambda t: t.abs(t.tensor([-2, 3], dtype=t.int32))),
    ("square(int64)", lambda t: t.square(t.tensor([-2, 3]))),
    ("relu(int64)", lambda t: t.relu(t.tensor([-2, 3]))),
    ("floor(int64)", lambda t: t.floor(t.tensor([-2, 3]))),
    ("sign(int64)", lambda t: t.sign(t.tensor([-2, 0, 3]))),
    ("clamp(int64, 1.5)", lambda t: t.clamp(t.tensor([1, 2, 3]), min=1.5)),
    ("clamp(int64, 0, 2)", lambda t: t.clamp(t.tensor([-1, 2, 3]), 0, 2)),
    ("maximum(int64, float32)", lambda t: t.maximum(t.tensor([1, 5]), t.tensor([2.5, 0.5]))),
    ("where(bool, int64, 0.5)", lambda t: t.where(t.tensor([True, False]), t.tensor([1, 2]), 0.5)),
    ("float64 * float32", lambda t: t.tensor([1.0], dtype=t.float64) * t.tensor([2.0])),
]


@pytest.mark.parametrize(
    "case", [c[1] for c in PROMOTION_CASES], ids=[c[0] for c in PROMOTION_CASES]
)
def test_dtype_promotion_matches_torch(case):
    ours, theirs = case(gradwork), case(torch)
    assert _same_dtype(ours, theirs)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize(
    "function",
    [
        gradwork.sigmoid,
        gradwork.tanh,
        gradwork.gelu,
        gradwork.silu,
        gradwork.softplus,
        gradwork.elu,
        gradwork.erf,
        gradwork.sqrt,
        gradwork.rsqrt,
        gradwork.log1p,
        gradwork.sin,
        gradwork.relu,
        gradwork.abs,
        gradwork.leaky_relu,
        gradwork.round,
    ],
    ids=lambda f: f.__name__,
)
def test_float32_stays_float32(function):
    x = gradwork.tensor([0.5, 1.5, 2.0], requires_grad=True)
    y = function(x)
    y.sum().backward()
    assert y.dtype == gradwork.float32
    assert x.grad.dtype == gradwork.float32


# -- piecewise gradients --------------------------------------------------------------------------
def test_clamp_gradient_at_the_boundaries_is_one_like_torch():
    values = [-2.0, -1.0, 0.0, 1.0, 2.0]
    x, x_torch = _pair(values)
    gradwork.clamp(x, -1.0, 1.0).sum().backward()
    torch.clamp(x_torch, -1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0, 1.0, 0.0])
    np.testing.assert_array_equal(x.grad.numpy(), x_torch.grad.numpy())


def test_clamp_with_tensor_bounds_matches_torch_on_ties():
    x, x_torch = _pair([-2.0, -1.0, 0.0, 1.0, 2.0, 3.0])
    low, low_torch = _pair([-1.0, -1.0, -1.0, -1.0, 3.0, 3.0])
    high, high_torch = _pair([1.0, 1.0, 1.0, 1.0, 2.0, 3.0])
    gradwork.clamp(x, low, high).sum().backward()
    torch.clamp(x_torch, low_torch, high_torch).sum().backward()
    for ours, theirs in ((x, x_torch), (low, low_torch), (high, high_torch)):
        np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_clamp_needs_a_bound_and_min_above_max_gives_max():
    with pytest.raises(RuntimeError, match="clamp: at least one of 'min' or 'max'"):
        gradwork.clamp(gradwork.tensor([1.0]))
    np.testing.assert_array_equal(gradwork.clamp(gradwork.tensor([0.0, 5.0]), 3, 1).numpy(), [1, 1])


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_split_ties_half_half(name):
    a, a_torch = _pair([1.0, 2.0, 3.0])
    b, b_torch = _pair([1.0, 5.0, 0.0])
    getattr(gradwork, name)(a, b).sum().backward()
    getattr(torch, name)(a_torch, b_torch).sum().backward()
    assert a.grad.numpy()[0] == b.grad.numpy()[0] == 0.5
    np.testing.assert_array_equal(a.grad.numpy(), a_torch.grad.numpy())
    np.testing.assert_array_equal(b.grad.numpy(), b_torch.grad.numpy())


@pytest.mark.parametrize("name", ["sign", "floor", "ceil", "round", "trunc"])
def test_step_functions_have_zero_gradients(name):
    x = gradwork.tensor([-1.7, -0.2, 0.4, 2.5], requires_grad=True)
    y = getattr(gradwork, name)(x)
    np.testing.assert_array_equal(_numpy(y), getattr(torch, name)(torch.tensor(_numpy(x))).numpy())
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(4, np.float32))


def test_integer_step_functions_return_copies():
    x = gradwork.tensor([1, -2])
    y = gradwork.floor(x)
    assert y.dtype == gradwork.int64 and y._data is not x._data
    np.testing.assert_array_equal(gradwork.sign(gradwork.tensor([True, False])).numpy(), [1, 0])


def test_round_half_to_even_and_decimals_like_torch():
    values = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 1.234567])
    np.testing.assert_array_equal(
        gradwork.round(gradwork.tensor(values)).numpy(), torch.round(torch.tensor(values)).numpy()
    )
    np.testing.assert_allclose(
        gradwork.round(gradwork.tensor(values), decimals=3).numpy(),
        torch.round(torch.tensor(values), decimals=3).numpy(),
    )


def test_abs_and_relu_gradient_at_zero_is_zero():
    x = gradwork.tensor([0.0, 0.0], requires_grad=True)
    (gradwork.abs(x) + gradwork.relu(x)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


# -- division and remainder -----------------------------------------------------------------------
def test_floor_divide_and_remainder_follow_python_semantics():
    a = [7, -7, 7, -7]
    b = [2, 2, -2, -2]
    for dtype in (np.int64, np.float64):
        x, y = np.array(a, dtype), np.array(b, dtype)
        ours = gradwork.floor_divide(gradwork.tensor(x), gradwork.tensor(y))
        np.testing.assert_array_equal(
            ours.numpy(), torch.floor_divide(torch.tensor(x), torch.tensor(y)).numpy()
        )
        ours = gradwork.remainder(gradwork.tensor(x), gradwork.tensor(y))
        np.testing.assert_array_equal(
            ours.numpy(), torch.remainder(torch.tensor(x), torch.tensor(y)).numpy()
        )
        np.testing.assert_array_equal(ours.numpy(), np.array([a_ % b_ for a_, b_ in zip(a, b)]))


def test_integer_division_by_zero_raises():
    for function in (gradwork.floor_divide, gradwork.remainder):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            function(gradwork.tensor([1, 2]), gradwork.tensor([1, 0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = gradwork.floor_divide(gradwork.tensor([1.0, -1.0, 0.0]), 0.0)
    np.testing.assert_array_equal(y.numpy(), [np.inf, -np.inf, np.nan])


def test_division_by_zero_is_silent_like_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = gradwork.tensor([1.0, -1.0, 0.0]) / 0.0
        z = gradwork.log(gradwork.tensor([0.0, -1.0]))
        r = gradwork.reciprocal(gradwork.tensor([0.0]))
    np.testing.assert_array_equal(y.numpy(), [np.inf, -np.inf, np.nan])
    np.testing.assert_array_equal(z.numpy(), [-np.inf, np.nan])
    assert r.item() == math.inf


# -- logical and classification -------------------------------------------------------------------
@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_binary_matches_torch(name):
    a = np.array([[0.0, 1.0, 2.0], [0.0, 0.0, -1.0]])
    b = np.array([1, 0, 3])
    ours = getattr(gradwork, name)(gradwork.tensor(a), gradwork.tensor(b))
    theirs = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
    assert ours.dtype == gradwork.bool
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_logical_not_and_classification_match_torch():
    values = np.array([0.0, 1.5, np.nan, np.inf, -np.inf])
    for name in ("logical_not", "isnan", "isinf", "isfinite"):
        ours = getattr(gradwork, name)(gradwork.tensor(values))
        theirs = getattr(torch, name)(torch.tensor(values))
        assert ours.dtype == gradwork.bool
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert not gradwork.isnan(gradwork.tensor([1, 2])).numpy().any()


# -- errors ---------------------------------------------------------------------------------------
def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(
        RuntimeError, match=r"maximum: shapes \(2, 3\) and \(4,\) are not broadcastable"
    ):
        gradwork.maximum(gradwork.ones(2, 3), gradwork.ones(4))
    with pytest.raises(RuntimeError, match=r"logical_and: shapes \(2,\) and \(3,\)"):
        gradwork.logical_and(gradwork.ones(2), gradwork.ones(3))
    with pytest.raises(RuntimeError, match="clamp: shapes"):
        gradwork.clamp(gradwork.ones(2), gradwork.zeros(3), None)


def test_non_tensor_input_is_a_clear_type_error():
    with pytest.raises(TypeError, match="sigmoid: argument 'input' must be a Tensor, not list"):
        gradwork.sigmoid([1.0, 2.0])
    with pytest.raises(TypeError, match="add: unsupported operand type str"):
        gradwork.add(gradwork.ones(2), "a")


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh'"):
        gradwork.gelu(gradwork.ones(2), approximate="fast")
    with pytest.raises(RuntimeError, match="relu: not implemented for bool"):
        gradwork.relu(gradwork.tensor([True]))


# -- bitwise operators ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "left,right",
    [([1, 2, 12], [3, 1, 10]), ([True, False, True], [True, True, False])],
    ids=["int", "bool"],
)
def test_bitwise_operators_match_torch(left, right):
    a, b = gradwork.tensor(left), gradwork.tensor(right)
    ta, tb = torch.tensor(left), torch.tensor(right)
    for ours, theirs in [(a & b, ta & tb), (a | b, ta | tb), (a ^ b, ta ^ tb), (~a, ~ta)]:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")


def test_bitwise_rejects_floats():
    with pytest.raises(TypeError, match="bitwise_and: expected integer or bool tensors"):
        gradwork.tensor([1.0]) & gradwork.tensor([1.0])


def test_zero_dim_results_support_inplace_ops():
    total = gradwork.ones(3).sum()
    total.mul_(2)
    assert total.item() == 6.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("shape", [(), (7,), (4, 6), (3, 4, 5)])
def test_positive_and_negative_parts_equal_numpy_maximum_and_minimum(dtype, shape):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal(shape) * 5).astype(dtype)
    for view in (array, array.T, array[..., ::2] if array.ndim else array):
        np.testing.assert_array_equal(positive_part(view), np.maximum(view, 0))
        np.testing.assert_array_equal(negative_part(view), np.minimum(view, 0))
        assert positive_part(view).dtype == dtype and positive_part(view).shape == view.shape
    edges = np.array([np.nan, -np.inf, np.inf, -0.0, 0.0, 1e-45, -1e38], np.float32)
    np.testing.assert_array_equal(positive_part(edges), np.maximum(edges, 0))
    np.testing.assert_array_equal(negative_part(edges), np.minimum(edges, 0))
