"""Tests derived from the op catalogue (tests/op_db): every entry, every sample.

- forward values and input gradients equal PyTorch's, in float32 and float64;
- float64 finite-difference gradcheck and gradgradcheck;
- second-order gradients (gradient of a vector-Jacobian product) equal PyTorch's;
- hypothesis-generated shapes (broadcasting, 0-d, size-1 and empty dims) agree with PyTorch.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings

import gradwork
from tests.op_db import OPS, Sample

TORCH_DTYPES = {np.float32: torch.float32, np.float64: torch.float64}


def _cases(predicate=lambda info: True):
    cases = []
    for info in OPS:
        if not predicate(info):
            continue
        samples = info.samples(np.random.default_rng(0))
        for index, sample in enumerate(samples):
            label = sample.name or str(index)
            cases.append(pytest.param(info, sample, id=f"{info.name}-{label}"))
    return cases


def _convert(sample: Sample, float_dtype):
    """The same arguments for gradwork and PyTorch, and the positions that require grad."""
    ours, theirs, differentiable = [], [], []
    for position, value in enumerate(sample.args):
        if isinstance(value, np.generic):
            value = np.asarray(value)  # rng.standard_normal(()) gives a NumPy scalar: a 0-d array
        if isinstance(value, np.ndarray):
            if value.dtype.kind == "f":
                array = value.astype(float_dtype)
                wants_grad = position not in sample.no_grad
                ours.append(gradwork.tensor(array, requires_grad=wants_grad))
                theirs.append(torch.tensor(array, requires_grad=wants_grad))
                if wants_grad:
                    differentiable.append(position)
            else:
                ours.append(gradwork.tensor(value))
                theirs.append(torch.tensor(value))
        elif isinstance(value, list) and value and all(isinstance(v, np.ndarray) for v in value):
            # a list of tensors (cat, stack): each float array requires grad
            ours.append([gradwork.tensor(v.astype(float_dtype), requires_grad=True) for v in value])
            theirs.append([torch.tensor(v.astype(float_dtype), requires_grad=True) for v in value])
            differentiable.append(position)
        else:
            ours.append(value)
            theirs.append(value)
    return ours, theirs, differentiable


def _leaves(arguments, differentiable):
    found = []
    for position in differentiable:
        value = arguments[position]
        found.extend(value if isinstance(value, list) else [value])
    return found


def _outputs(result):
    """The outputs as a flat list (tuples and named tuples unpacked)."""
    if isinstance(result, (tuple, list)):
        return list(result)
    return [result]


def _to_numpy(value):
    if isinstance(value, gradwork.Tensor):
        return value.detach().numpy()
    if isinstance(value, torch.Tensor):
        if value._is_zerotensor():  # PyTorch's symbolic zeros (e.g. second derivative of |x|)
            return np.zeros(value.shape, torch.empty(0, dtype=value.dtype).numpy().dtype)
        return value.detach().numpy()
    return np.asarray(value)


def _tolerances(info, float_dtype):
    if float_dtype == np.float64:
        return 1e-9, 1e-7
    return info.atol, info.rtol


def _assert_close(ours, theirs, atol, rtol, what):
    ours, theirs = _to_numpy(ours), _to_numpy(theirs)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != PyTorch's {theirs.shape}"
    if ours.dtype.kind in "biu" or theirs.dtype.kind in "biu":
        np.testing.assert_array_equal(ours, theirs, err_msg=what)
    else:
        np.testing.assert_allclose(ours, theirs, atol=atol, rtol=rtol, err_msg=what)


def _check_against_torch(info, sample, float_dtype):
    ours_args, theirs_args, differentiable = _convert(sample, float_dtype)
    ours_out = _outputs(info.op(*ours_args, **sample.kwargs))
    theirs_out = _outputs(info.ref(*theirs_args, **sample.kwargs))
    atol, rtol = _tolerances(info, float_dtype)
    assert len(ours_out) == len(theirs_out)
    for k, (o, t) in enumerate(zip(ours_out, theirs_out)):
        _assert_close(o, t, atol, rtol, f"{info.name} output {k}")
    if not info.grad or info.nondeterministic_grad or not differentiable:
        return
    pairs = [
        (o, t)
        for o, t in zip(ours_out, theirs_out)
        if isinstance(t, torch.Tensor) and t.requires_grad
    ]
    if not pairs:
        return
    rng = np.random.default_rng(1)
    vectors = [rng.standard_normal(t.shape).astype(float_dtype) for _, t in pairs]
    our_leaves = _leaves(ours_args, differentiable)
    their_leaves = _leaves(theirs_args, differentiable)
    our_grads = gradwork.autograd.grad(
        [o for o, _ in pairs], our_leaves, [gradwork.tensor(v) for v in vectors], allow_unused=True
    )
    their_grads = torch.autograd.grad(
        [t for _, t in pairs], their_leaves, [torch.tensor(v) for v in vectors], allow_unused=True
    )
    for k, (o, t) in enumerate(zip(our_grads, their_grads)):
        if t is None:
            assert o is None or not np.any(_to_numpy(o)), f"{info.name}: grad {k} should be zero"
            continue
        assert o is not None, f"{info.name}: gradwork gave no gradient for input {k}"
        _assert_close(o, t, atol * 10, rtol * 10, f"{info.name} gradient of input {k}")


@pytest.mark.parametrize("float_dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("info,sample", _cases())
def test_matches_torch(info, sample, float_dtype):
    _check_against_torch(info, sample, float_dtype)


def _float64_function(info, sample):
    ours_args, _, differentiable = _convert(sample, np.float64)
    leaves = _leaves(ours_args, differentiable)

    def function(*leaf_values):
        arguments = list(ours_args)
        consumed = 0
        for position in differentiable:
            if isinstance(arguments[position], list):
                count = len(arguments[position])
                arguments[position] = list(leaf_values[consumed : consumed + count])
                consumed += count
            else:
                arguments[position] = leaf_values[consumed]
                consumed += 1
        result = info.op(*arguments, **sample.kwargs)
        return tuple(r for r in _outputs(result) if isinstance(r, gradwork.Tensor))

    return function, leaves


@pytest.mark.parametrize("info,sample", _cases(lambda info: info.grad))
def test_gradcheck(info, sample):
    function, leaves = _float64_function(info, sample)
    if not leaves:
        pytest.skip("no differentiable input in this sample")
    assert gradwork.autograd.gradcheck(function, leaves, atol=info.gradcheck_atol)


@pytest.mark.parametrize("info,sample", _cases(lambda info: info.grad and info.gradgrad))
def test_gradgradcheck(info, sample):
    function, leaves = _float64_function(info, sample)
    if not leaves:
        pytest.skip("no differentiable input in this sample")
    assert gradwork.autograd.gradgradcheck(function, leaves, atol=info.gradcheck_atol)


@pytest.mark.parametrize("info,sample", _cases(lambda info: info.grad and info.gradgrad))
def test_second_order_matches_torch(info, sample):
    """d/dx <v, J(x) u>: the gradient of a vector-Jacobian product, against PyTorch."""
    ours_args, theirs_args, differentiable = _convert(sample, np.float64)
    if not differentiable:
        pytest.skip("no differentiable input in this sample")
    ours_out = [o for o in _outputs(info.op(*ours_args, **sample.kwargs)) if _floating(o)]
    theirs_out = [t for t in _outputs(info.ref(*theirs_args, **sample.kwargs)) if _floating(t)]
    our_leaves = _leaves(ours_args, differentiable)
    their_leaves = _leaves(theirs_args, differentiable)
    rng = np.random.default_rng(2)
    vectors = [rng.standard_normal(t.shape) for t in theirs_out]
    our_first = gradwork.autograd.grad(
        ours_out,
        our_leaves,
        [gradwork.tensor(v) for v in vectors],
        create_graph=True,
        allow_unused=True,
    )
    their_first = torch.autograd.grad(
        theirs_out,
        their_leaves,
        [torch.tensor(v) for v in vectors],
        create_graph=True,
        allow_unused=True,
    )
    weights = [rng.standard_normal(t.shape) if t is not None else None for t in their_first]
    our_scalar = sum(
        (g * gradwork.tensor(w)).sum()
        for g, w in zip(our_first, weights)
        if g is not None and w is not None
    )
    their_scalar = sum(
        (g * torch.tensor(w)).sum() for g, w in zip(their_first, weights) if g is not None
    )
    if not isinstance(their_scalar, torch.Tensor) or not their_scalar.requires_grad:
        pytest.skip("the first derivative does not depend on the inputs (linear op)")
    our_second = (
        gradwork.autograd.grad(our_scalar, our_leaves, allow_unused=True)
        if (isinstance(our_scalar, gradwork.Tensor) and our_scalar.requires_grad)
        else [None] * len(our_leaves)
    )
    their_second = torch.autograd.grad(their_scalar, their_leaves, allow_unused=True)
    for k, (o, t) in enumerate(zip(our_second, their_second)):
        if t is None:
            assert o is None or not np.any(_to_numpy(o))
            continue
        if o is None:
            np.testing.assert_allclose(_to_numpy(t), 0, atol=1e-9)
            continue
        _assert_close(o, t, 1e-8, 1e-6, f"{info.name} second derivative of input {k}")


def _floating(value) -> bool:
    return (
        hasattr(value, "dtype")
        and value.dtype
        in (
            gradwork.float32,
            gradwork.float64,
            torch.float32,
            torch.float64,
        )
        and value.requires_grad
    )


@pytest.mark.parametrize(
    "info", [pytest.param(info, id=info.name) for info in OPS if info.strategy is not None]
)
def test_hypothesis_shapes(info):
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(info.strategy())
    def check(sample):
        _check_against_torch(info, sample, np.float64)

    check()
