"""gradwork.func: grad, value_and_grad, vjp, jvp, jacrev, hessian, hvp, against torch.func."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.func

import gradwork
from gradwork import func


def _pair(*shape, seed=0):
    array = np.random.default_rng(seed).standard_normal(shape)
    return gradwork.tensor(array), torch.tensor(array)


def _close(ours, theirs, atol=1e-10):
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _close(a, b, atol)
        return
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=atol, rtol=1e-9)


def f_ours(x, y):
    return (x.exp() * y + x * x * y * y).sum()


def f_theirs(x, y):
    return (x.exp() * y + x * x * y * y).sum()


def test_grad_matches_torch_func():
    (x, tx), (y, ty) = _pair(3, seed=1), _pair(3, seed=2)
    _close(func.grad(f_ours)(x, y), torch.func.grad(f_theirs)(tx, ty))
    _close(func.grad(f_ours, argnums=1)(x, y), torch.func.grad(f_theirs, argnums=1)(tx, ty))
    _close(
        func.grad(f_ours, argnums=(0, 1))(x, y), torch.func.grad(f_theirs, argnums=(0, 1))(tx, ty)
    )


def test_grad_returns_plain_tensors_and_leaves_inputs_alone():
    x, _ = _pair(3)
    gradient = func.grad(lambda x: (x * x).sum())(x)
    assert not gradient.requires_grad and gradient.grad_fn is None
    assert not x.requires_grad and x.grad is None


def test_grad_and_value_and_value_and_grad_with_aux():
    x, tx = _pair(4)

    def ours(x):
        loss = (x * x).sum()
        return loss, {"loss": loss}

    def theirs(x):
        loss = (x * x).sum()
        return loss, {"loss": loss}

    gradient, (value, aux) = func.grad_and_value(ours, has_aux=True)(x)
    t_gradient, (t_value, t_aux) = torch.func.grad_and_value(theirs, has_aux=True)(tx)
    _close(gradient, t_gradient)
    _close(value, t_value)
    _close(aux["loss"], t_aux["loss"])
    (value2, aux2), gradient2 = func.value_and_grad(ours, has_aux=True)(x)
    _close(value2, t_value)
    _close(gradient2, t_gradient)
    gradient3, aux3 = func.grad(ours, has_aux=True)(x)
    _close(gradient3, t_gradient)
    assert set(aux3) == {"loss"}


@pytest.mark.parametrize("order", [2, 3, 4])
def test_nested_grad_gives_higher_derivatives(order):
    x = gradwork.tensor(1.5, dtype=gradwork.float64)
    function = lambda x: x**5  # noqa: E731
    transformed = function
    for _ in range(order):
        transformed = func.grad(transformed)
    expected = {2: 20 * 1.5**3, 3: 60 * 1.5**2, 4: 120 * 1.5}[order]
    assert transformed(x).item() == pytest.approx(expected)


def test_grad_of_grad_with_two_arguments():
    (x, tx), (y, ty) = _pair(3, seed=3), _pair(3, seed=4)
    # d/dy of sum(d f/dx): a mixed second derivative
    ours = func.grad(lambda x, y: func.grad(f_ours)(x, y).sum(), argnums=1)(x, y)
    theirs = torch.func.grad(lambda x, y: torch.func.grad(f_theirs)(x, y).sum(), argnums=1)(tx, ty)
    _close(ours, theirs)


def test_grad_composes_with_autograd_through_captured_tensors():
    x, tx = _pair(3, seed=5)
    w = gradwork.tensor([1.0, 2.0, 3.0], dtype=gradwork.float64, requires_grad=True)
    tw = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    gradient = func.grad(lambda x: (w * x * x).sum())(x)  # 2 w x: depends on w
    assert gradient.requires_grad
    (gradient * gradient).sum().backward()
    t_gradient = torch.func.grad(lambda x: (tw * x * x).sum())(tx)
    (t_gradient * t_gradient).sum().backward()
    _close(w.grad, tw.grad)


def test_grad_of_tensor_that_requires_grad_stays_connected():
    x = gradwork.tensor([1.0, 2.0], dtype=gradwork.float64, requires_grad=True)
    gradient = func.grad(lambda x: (x**3).sum())(x)  # 3 x^2
    gradient.sum().backward()  # d/dx sum(3 x^2) = 6 x
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])


def test_grad_over_dict_of_parameters():
    params = {"w": gradwork.tensor([1.0, 2.0]), "b": gradwork.tensor(0.5)}
    x = gradwork.tensor([3.0, 4.0])
    grads = func.grad(lambda p, x: ((p["w"] * x).sum() + p["b"]) ** 2)(params, x)
    value = 2 * (11.0 + 0.5)
    assert set(grads) == {"w", "b"}
    np.testing.assert_allclose(grads["w"].numpy(), [value * 3, value * 4])
    assert grads["b"].item() == pytest.approx(value)


def test_grad_under_no_grad_still_differentiates():
    x, tx = _pair(3)
    with gradwork.no_grad():
        gradient = func.grad(lambda x: (x * x * x).sum())(x)
    _close(gradient, 3 * tx**2)


def test_grad_of_unused_argument_is_zeros():
    x, _ = _pair(2)
    y, _ = _pair(3)
    _, gradient_y = func.grad(lambda x, y: (x * x).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gradient_y.numpy(), np.zeros(3))


def test_grad_errors_are_plain():
    x, _ = _pair(3)
    with pytest.raises(RuntimeError, match="single element"):
        func.grad(lambda x: x * 2)(x)
    with pytest.raises(RuntimeError, match="argnums"):
        func.grad(lambda x: x.sum(), argnums=2)(x)
    with pytest.raises(RuntimeError, match="floating point"):
        func.grad(lambda x: x.sum())(gradwork.arange(3))


def test_vjp_matches_torch_and_can_be_called_twice():
    x, tx = _pair(3, seed=6)
    v, tv = _pair(3, seed=7)
    output, vjp_fn = func.vjp(lambda x: x.exp() * x, x)
    t_output, t_vjp_fn = torch.func.vjp(lambda x: x.exp() * x, tx)
    _close(output, t_output)
    assert not output.requires_grad
    _close(vjp_fn(v), t_vjp_fn(tv))
    _close(vjp_fn(v * 2), t_vjp_fn(tv * 2))


def test_vjp_with_two_primals_and_two_outputs():
    (x, tx), (y, ty) = _pair(2, seed=8), _pair(2, seed=9)
    (u, tu), (w, tw) = _pair(2, seed=10), _pair(2, seed=11)
    _, vjp_fn = func.vjp(lambda x, y: (x * y, x.exp()), x, y)
    _, t_vjp_fn = torch.func.vjp(lambda x, y: (x * y, x.exp()), tx, ty)
    _close(vjp_fn((u, w)), t_vjp_fn((tu, tw)))
    with pytest.raises(RuntimeError, match="cotangent"):
        vjp_fn((u, gradwork.ones(5, dtype=gradwork.float64)))


def test_jvp_matches_torch():
    (x, tx), (y, ty) = _pair(3, seed=12), _pair(3, seed=13)
    (v, tv), (w, tw) = _pair(3, seed=14), _pair(3, seed=15)

    def ours(x, y):
        return x.exp() * y * y

    def theirs(x, y):
        return x.exp() * y * y

    output, product = func.jvp(ours, (x, y), (v, w))
    t_output, t_product = torch.func.jvp(theirs, (tx, ty), (tv, tw))
    _close(output, t_output)
    _close(product, t_product)
    assert not product.requires_grad


def test_jvp_of_linear_function_and_of_constant():
    x, _ = _pair(3)
    v, _ = _pair(3, seed=1)
    _, product = func.jvp(lambda x: 3 * x, (x,), (v,))  # J = 3 I: constant backward graph
    _close(product, torch.tensor(3 * v.numpy()))
    _, product = func.jvp(lambda x: gradwork.ones(2, dtype=gradwork.float64), (x,), (v,))
    np.testing.assert_array_equal(product.numpy(), np.zeros(2))


def test_jacrev_matches_torch_func():
    (x, tx), (y, ty) = _pair(2, 3, seed=16), _pair(3, seed=17)

    def ours(x, y):
        return (x * y).exp().sum(0) * y

    def theirs(x, y):
        return (x * y).exp().sum(0) * y

    _close(func.jacrev(ours)(x, y), torch.func.jacrev(theirs)(tx, ty))
    _close(
        func.jacrev(ours, argnums=(0, 1))(x, y), torch.func.jacrev(theirs, argnums=(0, 1))(tx, ty)
    )
    _close(func.jacobian(ours, argnums=1)(x, y), torch.func.jacrev(theirs, argnums=1)(tx, ty))
    _close(func.jacfwd(ours)(x, y), torch.func.jacfwd(theirs)(tx, ty))


def test_hessian_matches_torch_func():
    x, tx = _pair(4, seed=18)

    def ours(x):
        return (x.exp() * x * x).sum() + (x.sum()) ** 3

    def theirs(x):
        return (x.exp() * x * x).sum() + (x.sum()) ** 3

    _close(func.hessian(ours)(x), torch.func.hessian(theirs)(tx), atol=1e-9)
    matrix, t_matrix = _pair(2, 2, seed=19)
    _close(
        func.hessian(lambda m: (m * m * m).sum())(matrix),
        torch.func.hessian(lambda m: (m * m * m).sum())(t_matrix),
    )


def test_hvp_matches_hessian_times_vector():
    x, tx = _pair(4, seed=20)
    v, tv = _pair(4, seed=21)

    def ours(x):
        return (x.exp() * x * x).sum()

    def theirs(x):
        return (x.exp() * x * x).sum()

    expected = torch.func.hessian(theirs)(tx) @ tv
    _close(func.hvp(ours, (x,), (v,)), expected)
    (y, ty), (w, tw) = _pair(4, seed=22), _pair(4, seed=23)
    products = func.hvp(lambda x, y: (x * x * y).sum(), (x, y), (v, w))
    _, t_products = torch.func.jvp(
        torch.func.grad(lambda x, y: (x * x * y).sum(), argnums=(0, 1)), (tx, ty), (tv, tw)
    )
    _close(products, t_products)


def test_transforms_compose_across_kinds():
    x, tx = _pair(3, seed=24)
    v, tv = _pair(3, seed=25)

    def f(x):
        return (x.exp() * x * x).sum()

    _close(
        func.jvp(func.grad(f), (x,), (v,))[1], torch.func.jvp(torch.func.grad(f), (tx,), (tv,))[1]
    )
    _close(
        func.jacrev(lambda x: func.jvp(lambda y: y * y * y, (x,), (v,))[1])(x),
        torch.func.jacrev(lambda x: torch.func.jvp(lambda y: y * y * y, (x,), (tv,))[1])(tx),
    )
    _close(
        func.grad(lambda x: func.vjp(lambda y: y.exp() * y, x)[1](v)[0].sum())(x),
        torch.func.grad(lambda x: torch.func.vjp(lambda y: y.exp() * y, x)[1](tv)[0].sum())(tx),
    )
