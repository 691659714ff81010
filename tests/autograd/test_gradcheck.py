"""gradcheck and gradgradcheck accept correct gradients and reject wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

import gradwork
from gradwork.autograd import Function, gradcheck, gradgradcheck
from gradwork.autograd.gradcheck import GradcheckError


def _x(*shape, seed=0):
    array = np.random.default_rng(seed).uniform(0.5, 1.5, shape)
    return gradwork.tensor(array, requires_grad=True)


class CubeRight(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.detach().numpy() ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


class CubeWrongFirst(CubeRight):
    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x * x  # should be 3 x^2


class CubeWrongSecond(CubeRight):
    """Right first derivative, but computed from a detached x: the second derivative is lost."""

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x.detach() * x.detach()


def test_gradcheck_passes_for_composite_of_several_inputs_and_outputs():
    a, b = _x(2, 3, seed=1), _x(3, seed=2)

    def function(a, b):
        return (a * b).exp() / (b + 1.0), (a.log() * b).sum(0)

    assert gradcheck(function, (a, b))


def test_gradcheck_passes_for_correct_custom_function():
    assert gradcheck(CubeRight.apply, (_x(4),))


def test_gradcheck_rejects_a_wrong_backward():
    with pytest.raises(GradcheckError, match="Jacobian mismatch.*input 0"):
        gradcheck(CubeWrongFirst.apply, (_x(4),))
    assert gradcheck(CubeWrongFirst.apply, (_x(4),), raise_exception=False) is False
    assert issubclass(GradcheckError, RuntimeError)


def test_gradcheck_rejects_a_gradient_that_is_missing():
    class Detached(Function):
        @staticmethod
        def forward(ctx, x):
            return x.detach().numpy() * 2

        @staticmethod
        def backward(ctx, grad):
            return None

    assert not gradcheck(Detached.apply, (_x(3),), raise_exception=False)


def test_gradgradcheck_passes_and_rejects():
    assert gradgradcheck(CubeRight.apply, (_x(3),))
    assert gradgradcheck(lambda x: (x * x).exp().log() * x, (_x(2, 2),))
    assert gradcheck(CubeWrongSecond.apply, (_x(3),))  # first order is right
    with pytest.raises(GradcheckError):
        gradgradcheck(CubeWrongSecond.apply, (_x(3),))
    assert gradgradcheck(CubeWrongSecond.apply, (_x(3),), raise_exception=False) is False


def test_gradcheck_perturbs_non_contiguous_inputs():
    base = _x(3, 2, seed=3).detach()
    transposed = base.T.requires_grad_()  # a non-contiguous view
    assert not transposed.is_contiguous()
    assert gradcheck(lambda x: (x * x).sum(1), (transposed,))
    np.testing.assert_array_equal(transposed.detach().numpy(), base.numpy().T)  # restored


def test_gradcheck_leaves_inputs_unchanged():
    x = _x(3)
    before = x.detach().numpy().copy()
    gradcheck(CubeRight.apply, (x,))
    np.testing.assert_array_equal(x.detach().numpy(), before)
    assert x.grad is None


def test_gradcheck_warns_on_single_precision():
    x = gradwork.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="float64"):
        gradcheck(lambda x: x * 2, (x,), atol=1e-2, rtol=1e-2, eps=1e-3)
