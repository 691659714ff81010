"""The backward engine: backward/grad, higher order, hooks, grad modes, anomaly mode, versions,
freeing the graph, deep graphs. Numbers are compared with PyTorch where it defines them."""

from __future__ import annotations

import gc
import time
import weakref

import numpy as np
import pytest
import torch

import gradwork
from gradwork import autograd
from gradwork.autograd.function import Node


def _pair(*shape, seed=0, requires_grad=True):
    array = np.random.default_rng(seed).standard_normal(shape)
    return (
        gradwork.tensor(array, requires_grad=requires_grad),
        torch.tensor(array, requires_grad=requires_grad),
    )


def _close(ours, theirs, atol=1e-10):
    assert ours is not None and theirs is not None
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=atol, rtol=1e-9)


# -- backward and grad ----------------------------------------------------------------------------
def test_backward_matches_torch_with_broadcasting():
    (x, tx), (y, ty) = _pair(2, 3, seed=1), _pair(3, seed=2)
    ((x * y).exp() / (y * y + 1.0)).log().mean().backward()
    ((tx * ty).exp() / (ty * ty + 1.0)).log().mean().backward()
    _close(x.grad, tx.grad)
    _close(y.grad, ty.grad)


def test_gradients_accumulate_over_two_backward_calls():
    x = gradwork.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    first = x.grad.numpy().copy()
    (x * 3).sum().backward()
    np.testing.assert_allclose(first, [2.0, 4.0])
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0])


def test_grad_is_not_shared_between_leaves_or_with_the_graph():
    # the same gradient array must not become two leaves' .grad (later in-place updates of one
    # .grad, e.g. by an optimizer, would change the other)
    a = gradwork.tensor([1.0, 2.0], requires_grad=True)
    b = gradwork.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    with gradwork.no_grad():
        a.grad.mul_(10)
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])


def test_retain_graph_allows_a_second_backward():
    x, tx = _pair(3)
    y, ty = (x.exp() * x).sum(), (tx.exp() * tx).sum()
    y.backward(retain_graph=True)
    y.backward()
    ty.backward(retain_graph=True)
    ty.backward()
    _close(x.grad, tx.grad)


def test_second_backward_through_freed_graph_says_retain_graph():
    x = gradwork.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_saved_tensors_are_freed_after_backward():
    x = gradwork.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    node = y.grad_fn
    y.sum().backward()
    assert node._saved is None
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        node.saved_tensors  # noqa: B018


def test_backward_on_non_scalar_without_gradient_is_a_plain_error():
    x = gradwork.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="only for scalar outputs.*shape \\(2,\\)"):
        (x * 2).backward()


def test_backward_on_tensor_that_does_not_require_grad_is_a_plain_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        gradwork.tensor([1.0, 2.0]).sum().backward()
    x = gradwork.tensor([1.0], requires_grad=True)
    with gradwork.no_grad():
        y = x * 2
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_backward_with_explicit_gradient_and_shape_check():
    (x, tx), (v, tv) = _pair(2, 3, seed=3), _pair(2, 3, seed=4, requires_grad=False)
    (x * x * x).backward(v)
    (tx * tx * tx).backward(tv)
    _close(x.grad, tx.grad)
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).backward(gradwork.ones(3, dtype=gradwork.float64))


def test_backward_of_several_roots():
    x, tx = _pair(3)
    y1, y2 = x * x, x.exp()
    g1, g2 = gradwork.ones(3, dtype=gradwork.float64), gradwork.full((3,), 2.0).double()
    autograd.backward([y1, y2], [g1, g2])
    torch.autograd.backward(
        [tx * tx, tx.exp()], [torch.ones(3).double(), 2 * torch.ones(3).double()]
    )
    _close(x.grad, tx.grad)


def test_backward_inputs_argument_limits_accumulation():
    a = gradwork.tensor([1.0, 2.0], requires_grad=True)
    b = gradwork.tensor([3.0, 4.0], requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 4.0])
    assert b.grad is None
    (a * b).sum().backward(inputs=b)
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 2.0])
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 4.0])


def test_grad_returns_gradients_without_touching_dot_grad():
    (x, tx), (y, ty) = _pair(3, seed=5), _pair(3, seed=6)
    gx, gy = autograd.grad((x * y.exp()).sum(), (x, y))
    tgx, tgy = torch.autograd.grad((tx * ty.exp()).sum(), (tx, ty))
    _close(gx, tgx)
    _close(gy, tgy)
    assert x.grad is None and y.grad is None


def test_grad_with_grad_outputs_matches_torch():
    (x, tx), (v, tv) = _pair(2, 2, seed=7), _pair(2, 2, seed=8, requires_grad=False)
    (g,) = autograd.grad(x.exp() * x, x, grad_outputs=v)
    (tg,) = torch.autograd.grad(tx.exp() * tx, tx, grad_outputs=tv)
    _close(g, tg)


def test_grad_allow_unused_and_materialize_grads():
    x = gradwork.tensor([1.0, 2.0], requires_grad=True)
    unused = gradwork.tensor([5.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        autograd.grad((x * x).sum(), (x, unused))
    gx, gu = autograd.grad((x * x).sum(), (x, unused), allow_unused=True)
    np.testing.assert_allclose(gx.numpy(), [2.0, 4.0])
    assert gu is None
    gx, gu = autograd.grad((x * x).sum(), (x, unused), materialize_grads=True)
    np.testing.assert_array_equal(gu.numpy(), [0.0])
    assert gu.shape == unused.shape


def test_grad_with_respect_to_non_leaf():
    x, tx = _pair(3)
    h, th = x.exp(), tx.exp()
    y, ty = (h * h * x).sum(), (th * th * tx).sum()
    gh, gx = autograd.grad(y, (h, x))
    tgh, tgx = torch.autograd.grad(ty, (th, tx))
    _close(gh, tgh)
    _close(gx, tgx)


def test_grad_of_input_that_does_not_require_grad_raises():
    x = gradwork.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad((x * 2).sum(), gradwork.tensor([1.0]))


# -- higher order ---------------------------------------------------------------------------------
def test_third_and_fourth_derivative_of_x_to_the_fourth():
    x = gradwork.tensor(1.5, dtype=gradwork.float64, requires_grad=True)
    y = x**4
    derivatives = []
    for _ in range(4):
        (y,) = autograd.grad(y, x, create_graph=True)
        derivatives.append(y.item())
    np.testing.assert_allclose(derivatives, [4 * 1.5**3, 12 * 1.5**2, 24 * 1.5, 24.0])


def test_hessian_vector_product_matches_torch():
    (x, tx), (v, tv) = _pair(4, seed=9), _pair(4, seed=10, requires_grad=False)

    def f(x):
        return (x.exp() * x * x).sum() + x.sum() ** 3

    (g,) = autograd.grad(f(x), x, create_graph=True)
    (hv,) = autograd.grad(g, x, grad_outputs=v)
    (tg,) = torch.autograd.grad(f(tx), tx, create_graph=True)
    (thv,) = torch.autograd.grad(tg, tx, grad_outputs=tv)
    _close(hv, thv)


def test_gradient_penalty_matches_torch():
    (w, tw), (x, tx) = _pair(3, seed=11), _pair(5, 3, seed=12)

    def critic(w, x):
        return ((x * w).sum(1).exp() + 1.0).log()

    for weights, inputs, lib in ((w, x, gradwork), (tw, tx, torch)):
        output = critic(weights, inputs)
        (gradient,) = lib.autograd.grad(output.sum(), inputs, create_graph=True)
        penalty = (((gradient * gradient).sum(1) - 1.0) ** 2).mean()
        (output.mean() + 10 * penalty).backward()
    _close(w.grad, tw.grad)
    _close(x.grad, tx.grad)


def test_maml_one_inner_step_matches_torch():
    (w, tw) = _pair(3, seed=13)
    (x, tx), (y, ty) = (
        _pair(4, 3, seed=14, requires_grad=False),
        _pair(4, seed=15, requires_grad=False),
    )
    (xq, txq), (yq, tyq) = (
        _pair(4, 3, seed=16, requires_grad=False),
        _pair(4, seed=17, requires_grad=False),
    )

    def loss(w, x, y):
        return (((x * w).sum(1).exp() - y) ** 2).mean()

    for weights, lib, data in ((w, gradwork, (x, y, xq, yq)), (tw, torch, (tx, ty, txq, tyq))):
        support_x, support_y, query_x, query_y = data
        (g,) = lib.autograd.grad(loss(weights, support_x, support_y), weights, create_graph=True)
        adapted = weights - 0.1 * g
        loss(adapted, query_x, query_y).backward()
    _close(w.grad, tw.grad)


def test_create_graph_backward_gives_differentiable_grad():
    x = gradwork.tensor([1.0, 2.0], dtype=gradwork.float64, requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    first = x.grad
    x.grad = None
    first.sum().backward()  # d/dx sum(3 x^2) = 6x
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])


# -- hooks ----------------------------------------------------------------------------------------
def test_leaf_hook_sees_and_replaces_gradient():
    x = gradwork.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda grad: seen.append(grad.numpy().copy()))
    x.register_hook(lambda grad: grad * 10)
    (x * x).sum().backward()
    np.testing.assert_allclose(seen[0], [2.0, 4.0])
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 40.0])


def test_leaf_reached_by_several_paths_gets_one_summed_gradient_after_the_nodes():
    """A leaf's hook runs once, on the sum of every path's gradient, after every node (the
    engine delivers leaf gradients last); as PyTorch, .grad is the hook's result."""
    x, tx = _pair(3)
    calls = []
    for leaf in (x, tx):
        y = leaf * 2
        y.register_hook(lambda grad: calls.append("node") or grad)
        leaf.register_hook(lambda grad: calls.append("leaf") or grad * 3)
        (y * leaf + leaf.exp() + y).sum().backward()
    assert calls == ["node", "leaf"] * 2
    _close(x.grad, tx.grad)


def test_non_leaf_hook_changes_what_flows_further():
    x, tx = _pair(3)
    for leaf in (x, tx):
        h = leaf * leaf
        h.register_hook(lambda grad: grad * 0 + 1)  # the gradient below h is ones
        (h.exp()).sum().backward()
    _close(x.grad, tx.grad)
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy())


def test_hook_handle_remove():
    x = gradwork.tensor([1.0], requires_grad=True)
    handle = x.register_hook(lambda grad: grad * 100)
    (x * 2).sum().backward()
    handle.remove()
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [202.0])
    h = x * 3
    handle = h.register_hook(lambda grad: grad * 100)
    handle.remove()
    x.grad = None
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0])


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require grad"):
        gradwork.tensor([1.0]).register_hook(lambda grad: grad)


def test_retain_grad_keeps_non_leaf_gradient():
    x, tx = _pair(3)
    h, th = x.exp(), tx.exp()
    other = x * 2
    h.retain_grad()
    th.retain_grad()
    (h * h).sum().backward()
    (th * th).sum().backward()
    _close(h.grad, th.grad)
    assert other.grad is None


def test_retain_grad_twice_does_not_double_and_sees_hook_changes():
    x = gradwork.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1.0
    h.retain_grad()
    h.retain_grad()
    h.register_hook(lambda grad: grad * 3)  # PyTorch: .grad shows the hook's result
    h.sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [3.0, 3.0])
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    th = t * 1.0
    th.retain_grad()
    th.register_hook(lambda grad: grad * 3)
    th.sum().backward()
    np.testing.assert_allclose(th.grad.numpy(), h.grad.numpy())


# -- grad modes -----------------------------------------------------------------------------------
def test_no_grad_and_enable_grad_nest_as_context_managers():
    x = gradwork.tensor([1.0], requires_grad=True)
    with gradwork.no_grad():
        assert not (x * 2).requires_grad
        with gradwork.enable_grad():
            assert (x * 2).requires_grad
            with gradwork.no_grad():
                assert not gradwork.is_grad_enabled()
            assert gradwork.is_grad_enabled()
        assert not gradwork.is_grad_enabled()
    assert gradwork.is_grad_enabled() and (x * 2).requires_grad


def test_grad_modes_as_decorators():
    x = gradwork.tensor([1.0], requires_grad=True)

    @gradwork.no_grad()
    def without(t):
        return t * 2

    @gradwork.no_grad
    def without_parentheses(t):
        return t * 2

    @gradwork.enable_grad()
    def with_grad(t):
        return t * 2

    @gradwork.set_grad_enabled(False)
    def disabled(t):
        return t * 2

    assert gradwork.is_grad_enabled()  # decorating does not switch the mode
    assert not without(x).requires_grad
    assert not without_parentheses(x).requires_grad
    assert not disabled(x).requires_grad
    with gradwork.no_grad():
        assert with_grad(x).requires_grad
    assert gradwork.is_grad_enabled()


def test_set_grad_enabled_as_call_and_context_manager():
    x = gradwork.tensor([1.0], requires_grad=True)
    with gradwork.set_grad_enabled(False):
        assert not (x * 2).requires_grad
        with gradwork.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not gradwork.is_grad_enabled()
    assert gradwork.is_grad_enabled()
    gradwork.set_grad_enabled(False)
    try:
        assert not gradwork.is_grad_enabled()
    finally:
        gradwork.set_grad_enabled(True)
    assert gradwork.is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError):
        with gradwork.no_grad():
            raise ValueError
    assert gradwork.is_grad_enabled()

    @gradwork.no_grad()
    def failing():
        raise ValueError

    with pytest.raises(ValueError):
        failing()
    assert gradwork.is_grad_enabled()


def test_backward_under_no_grad_still_computes_gradients():
    x = gradwork.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    with gradwork.no_grad():
        y.backward()
        assert not gradwork.is_grad_enabled()  # the engine restores the caller's mode
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


# -- anomaly mode ---------------------------------------------------------------------------------
def test_anomaly_mode_names_forward_op_producing_inf():
    x = gradwork.tensor([1.0, 0.0], requires_grad=True)
    with autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="Log forward"):
            x.log()
    assert not autograd.is_anomaly_enabled()
    x.log()  # with the mode off, nothing is raised


def test_anomaly_mode_names_backward_op_producing_inf():
    x = gradwork.tensor([0.0, 4.0], requires_grad=True)
    with autograd.detect_anomaly():
        y = (x**0.5).sum()  # d sqrt(x)/dx = inf at 0
        with pytest.raises(RuntimeError, match="PowBackward.*non-finite") as error:
            y.backward()
    assert "test_engine.py" in str(error.value)  # the forward call site is reported


def test_anomaly_mode_sqrt_backward():
    x = gradwork.tensor([0.0, 4.0], requires_grad=True)
    with autograd.detect_anomaly():
        y = x.sqrt().sum()
        with pytest.raises(RuntimeError, match="SqrtBackward"):
            y.backward()


def test_without_anomaly_mode_non_finite_values_pass_silently():
    x = gradwork.tensor([0.0, 4.0], requires_grad=True)
    y = x.log()
    (x**0.5).sum().backward()
    assert np.isinf(y.detach().numpy()[0])
    assert np.isinf(x.grad.numpy()[0])


def test_set_detect_anomaly():
    with autograd.set_detect_anomaly(True):
        assert autograd.is_anomaly_enabled()
        with autograd.set_detect_anomaly(False):
            assert not autograd.is_anomaly_enabled()
        assert autograd.is_anomaly_enabled()
    assert not autograd.is_anomaly_enabled()


# -- in-place changes and the version counter -----------------------------------------------------
def test_modifying_a_saved_input_before_backward_raises():
    x = gradwork.tensor([1.0, 2.0], requires_grad=True)
    w = gradwork.tensor([3.0, 4.0])
    y = (x * w).sum()  # Mul saves w for x's gradient
    w.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_modifying_a_saved_output_before_backward_raises():
    x = gradwork.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()  # Exp saves its output
    z = y.sum()
    with gradwork.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*version 1"):
        z.backward()


def test_detach_shares_the_version_counter():
    x = gradwork.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    x.detach().zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_inplace_on_leaf_requiring_grad_raises_under_recording():
    w = gradwork.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place operation.*no_grad"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="in-place"):
        w.zero_()
    np.testing.assert_allclose(w.detach().numpy(), [1.0, 2.0])


def test_optimizer_style_update_under_no_grad():
    w = gradwork.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with gradwork.no_grad():
            w.sub_(w.grad, alpha=0.25)
            w -= 0.0  # ``-=`` is in place, as in PyTorch
        w.grad = None
    np.testing.assert_allclose(w.detach().numpy(), np.array([1.0, 2.0]) * 0.5**3)
    assert w.is_leaf and w.requires_grad
    assert w._version == 6


def test_unsaved_tensor_may_be_modified():
    x = gradwork.tensor([1.0, 2.0], requires_grad=True)
    c = gradwork.tensor([1.0, 1.0])
    y = (x + c).sum()  # Add saves nothing
    c.add_(5)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


# -- freeing the graph and deep graphs ------------------------------------------------------------
def _live_nodes() -> int:
    return sum(1 for obj in gc.get_objects() if issubclass(type(obj), Node))


@pytest.mark.slow
def test_memory_does_not_grow_over_ten_thousand_training_steps():
    gradwork.manual_seed(0)
    x = gradwork.randn(16, 4)
    y = (x * gradwork.tensor([1.0, -2.0, 0.5, 3.0])).sum(1)
    w = gradwork.zeros(4, requires_grad=True)
    gc.collect()
    baseline = _live_nodes()
    counts, losses = [], []
    start = time.perf_counter()
    for step in range(10_000):
        error = (x * w).sum(1) - y
        loss = (error * error).mean()
        loss.backward()
        with gradwork.no_grad():
            w.sub_(w.grad, alpha=0.05)
        w.grad = None
        if step == 0:
            first_node = weakref.ref(loss.grad_fn)
        if step in (999, 9_999):
            losses.append(loss.item())
            del error, loss
            gc.collect()
            counts.append(_live_nodes())
    elapsed = time.perf_counter() - start
    assert first_node() is None  # freed without waiting for the cycle collector
    assert counts[0] == counts[1] == baseline
    assert losses[1] < 1e-6
    assert elapsed < 60


def test_graph_is_released_by_reference_counting():
    gc.disable()
    try:
        x = gradwork.tensor([1.0, 2.0], requires_grad=True)
        y = (x.exp() * x).sum()
        nodes = [weakref.ref(y.grad_fn)] + [
            weakref.ref(edge[0]) for edge in y.grad_fn.next_functions if edge is not None
        ]
        y.backward()
        del y
        assert all(node() is None for node in nodes)
    finally:
        gc.enable()


def test_deep_chain_backward_has_no_recursion_limit():
    x = gradwork.tensor(1.0, dtype=gradwork.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001 + 0.0
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001**10_000)
    deep = x
    for _ in range(20_000):
        deep = deep + 1.0
    del deep  # deallocating a deep graph must not overflow either


def test_diamond_graph_gradient_accumulates_once_per_path():
    x, tx = _pair(3)
    for leaf in (x, tx):
        a = leaf * 2
        b = a.exp()
        c = a * a
        (b + c + a).sum().backward()
    _close(x.grad, tx.grad)
