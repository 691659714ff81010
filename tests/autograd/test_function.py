"""Custom autograd.Function: ctx API, several and non-differentiable outputs, once_differentiable,
double backward, and the errors a wrong Function gets."""

from __future__ import annotations

import numpy as np
import pytest

import gradwork
from gradwork import autograd
from gradwork.autograd import Function, once_differentiable


class Cube(Function):
    """y = x^3 computed in NumPy; backward in gradwork ops, so it is differentiable again."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.detach().numpy() ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


class Scale(Function):
    """y = x * factor for a Python number ``factor`` (no gradient for it)."""

    @staticmethod
    def forward(ctx, x, factor):
        ctx.factor = factor
        return x * factor

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.factor  # the trailing None for ``factor`` may be left out


def _x(*values):
    return gradwork.tensor(list(values), dtype=gradwork.float64, requires_grad=True)


def test_save_for_backward_and_first_derivative():
    x = _x(1.0, 2.0)
    y = Cube.apply(x)
    assert y.grad_fn is not None and y.grad_fn.name() == "CubeBackward"
    np.testing.assert_allclose(y.detach().numpy(), [1.0, 8.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])


def test_custom_function_double_backward():
    x = _x(1.0, 2.0)
    (first,) = autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (second,) = autograd.grad(first.sum(), x)
    np.testing.assert_allclose(second.numpy(), [6.0, 12.0])


def test_non_tensor_argument_and_short_gradient_tuple():
    x = _x(1.0, 2.0)
    Scale.apply(x, 4.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 4.0])


def test_needs_input_grad():
    seen = []

    class Record(Function):
        @staticmethod
        def forward(ctx, a, b, c):
            seen.append(ctx.needs_input_grad)
            return a * b

        @staticmethod
        def backward(ctx, grad):
            return grad, None, None

    a = _x(1.0)
    Record.apply(a, gradwork.tensor([2.0], dtype=gradwork.float64), 3)
    assert seen == [(True, False, False)]


def test_apply_under_no_grad_records_nothing():
    x = _x(1.0)
    with gradwork.no_grad():
        y = Cube.apply(x)
    assert y.grad_fn is None and not y.requires_grad


class SortWithOrder(Function):
    """Sorted values and the order as a float tensor, marked non-differentiable."""

    @staticmethod
    def forward(ctx, x):
        order = np.argsort(x.detach().numpy())
        ctx.order = order
        values = gradwork.tensor(x.detach().numpy()[order])
        order_float = gradwork.tensor(order.astype(np.float64))
        ctx.mark_non_differentiable(order_float)
        return values, order_float

    @staticmethod
    def backward(ctx, grad_values, grad_order):
        assert grad_order is None or not grad_order.numpy().any()
        result = np.zeros_like(grad_values.numpy())
        result[ctx.order] = grad_values.numpy()
        return gradwork.tensor(result)


def test_multiple_outputs_and_mark_non_differentiable():
    x = _x(3.0, 1.0, 2.0)
    values, order = SortWithOrder.apply(x)
    assert values.requires_grad and not order.requires_grad
    np.testing.assert_allclose(order.numpy(), [1.0, 2.0, 0.0])
    (values * gradwork.tensor([1.0, 10.0, 100.0], dtype=gradwork.float64)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [100.0, 1.0, 10.0])


def test_single_output_marked_non_differentiable():
    class Floor(Function):
        @staticmethod
        def forward(ctx, x):
            out = gradwork.tensor(np.floor(x.detach().numpy()))
            ctx.mark_non_differentiable(out)
            return out

        @staticmethod
        def backward(ctx, grad):
            return grad

    y = Floor.apply(_x(1.5))
    assert not y.requires_grad and y.grad_fn is None


class SplitTwo(Function):
    """Two outputs, both differentiable: (2x, x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        ctx.received = None
        return x.detach().numpy() * 2, x.detach().numpy() ** 2

    @staticmethod
    def backward(ctx, grad_double, grad_square):
        (x,) = ctx.saved_tensors
        SplitTwo.received = (grad_double, grad_square)
        if grad_square is None:
            return grad_double * 2
        if grad_double is None:
            return grad_square * 2 * x
        return grad_double * 2 + grad_square * 2 * x


def test_multiple_outputs_gradients_are_summed():
    x = _x(1.0, 3.0)
    double, square = SplitTwo.apply(x)
    (double + square).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_unused_output_gets_zeros_unless_materialize_grads_is_off():
    x = _x(1.0, 3.0)
    double, _ = SplitTwo.apply(x)
    double.sum().backward()
    np.testing.assert_allclose(SplitTwo.received[1].numpy(), [0.0, 0.0])
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])

    class NoMaterialize(SplitTwo):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return SplitTwo.forward(ctx, x)

    x = _x(1.0, 3.0)
    _, square = NoMaterialize.apply(x)
    square.sum().backward()
    assert SplitTwo.received[0] is None
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 6.0])


class OnceCube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.detach().numpy() ** 3

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return gradwork.tensor(grad.detach().numpy() * 3 * x.detach().numpy() ** 2)


def test_once_differentiable_first_order_works():
    x = _x(1.0, 2.0)
    OnceCube.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])


def test_once_differentiable_raises_when_differentiated_twice():
    x = _x(1.0, 2.0)
    y = OnceCube.apply(x) * x  # the gradient reaching OnceCube depends on x: it requires grad
    (first,) = autograd.grad(y.sum(), x, create_graph=True)  # allowed, as in PyTorch
    with pytest.raises(RuntimeError, match="once_differentiable"):
        first.sum().backward()


def test_identity_function_output_is_a_new_tensor():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    x = _x(1.0, 2.0)
    y = Identity.apply(x)
    assert y is not x and x.grad_fn is None and y.grad_fn is not None
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_integer_output_carries_no_gradient():
    class Count(Function):
        @staticmethod
        def forward(ctx, x):
            return np.asarray((x.detach().numpy() > 0).sum())

        @staticmethod
        def backward(ctx, grad):
            raise AssertionError("never called")

    assert not Count.apply(_x(1.0, -1.0)).requires_grad


def test_backward_returning_too_many_gradients_is_an_error():
    class TooMany(Function):
        @staticmethod
        def forward(ctx, x):
            return x.detach().numpy() * 1

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    with pytest.raises(RuntimeError, match="returned 2 gradients.*1 input"):
        TooMany.apply(_x(1.0)).sum().backward()


def test_saved_tensors_after_backward_say_retain_graph():
    x = _x(1.0)
    y = Cube.apply(x)
    node = y.grad_fn
    y.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        node.saved_tensors  # noqa: B018
    z = Cube.apply(x)
    z.sum().backward(retain_graph=True)
    assert len(z.grad_fn.saved_tensors) == 1


def test_next_functions_describe_the_graph():
    x = _x(1.0)
    y = Cube.apply(x)
    z = Scale.apply(y, 2.0)
    assert z.grad_fn.next_functions[0][0] is y.grad_fn
    assert y.grad_fn.next_functions[0][0] is x
    assert z.grad_fn.next_functions[1] is None
