"""Every first-order fast path (``Function.fast_backward``, on NumPy arrays) equals the plain
rule it sits beside (``Function.backward``, in gradwork ops), on every catalogue sample."""

import numpy as np
import pytest

import gradwork
from gradwork.autograd import engine
from tests.ops.test_catalogue import _cases, _convert, _leaves, _outputs


def _first_order_grads(info, sample, fast: bool):
    previous = engine.settings.fast_backward
    engine.settings.fast_backward = fast
    try:
        arguments, _, differentiable = _convert(sample, np.float64)
        leaves = _leaves(arguments, differentiable)
        outputs = [
            o
            for o in _outputs(info.op(*arguments, **sample.kwargs))
            if isinstance(o, gradwork.Tensor) and o.requires_grad
        ]
        if not outputs or not leaves:
            pytest.skip("nothing to differentiate in this sample")
        rng = np.random.default_rng(3)
        vectors = [gradwork.tensor(rng.standard_normal(o.shape)) for o in outputs]
        return gradwork.autograd.grad(outputs, leaves, vectors, allow_unused=True)
    finally:
        engine.settings.fast_backward = previous


@pytest.mark.parametrize("info,sample", _cases(lambda info: info.grad))
def test_fast_backward_equals_plain_rule(info, sample):
    fast = _first_order_grads(info, sample, fast=True)
    plain = _first_order_grads(info, sample, fast=False)
    for k, (f, p) in enumerate(zip(fast, plain)):
        assert (f is None) == (p is None), f"{info.name}: input {k} gradient presence differs"
        if f is not None:
            assert f.dtype == p.dtype and f.shape == p.shape
            np.testing.assert_allclose(f.numpy(), p.numpy(), rtol=1e-12, atol=1e-12)


def test_fast_paths_exist_for_the_hot_ops():
    from gradwork.ops import activation, conv, elementwise, linalg, loss, movement, norm, reduce

    hot = [
        elementwise.Add, elementwise.Sub, elementwise.Mul, elementwise.Div, elementwise.Neg,
        elementwise.Exp, elementwise.Tanh, elementwise.Sigmoid, activation.Relu, reduce.Sum,
        movement.Reshape, movement.Expand, movement.Permute, linalg.MatMul, linalg.Linear,
        loss.CrossEntropy, conv.Convolution, norm.BatchNorm,
    ]  # fmt: skip
    assert all(function.fast_backward is not None for function in hot)


def test_leaf_grads_from_fast_paths_are_owned_tensors():
    x = gradwork.ones(3, requires_grad=True)
    y = gradwork.ones(3, requires_grad=True)
    (x + y).sum().backward()  # Add's fast path hands the same array to both inputs
    assert x.grad is not y.grad
    x.grad.zero_()
    assert y.grad.tolist() == [1.0, 1.0, 1.0]
