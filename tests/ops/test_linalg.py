"""gradwork.ops.linalg beyond the catalogue: error messages, larger shapes, double backward."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import gradwork


def _pair(array, requires_grad=True):
    return (
        gradwork.tensor(array, requires_grad=requires_grad),
        torch.tensor(array, requires_grad=requires_grad),
    )


def test_matmul_shape_error_names_shapes_and_sizes():
    with pytest.raises(RuntimeError) as error:
        gradwork.matmul(gradwork.zeros(32, 784), gradwork.zeros(100, 10))
    assert str(error.value) == (
        "matmul: shapes (32, 784) and (100, 10) cannot be multiplied (784 != 100)"
    )


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: gradwork.ones(3) @ gradwork.ones(4),
            "(3,) and (4,) cannot be multiplied (3 != 4)",
        ),
        (lambda: gradwork.matmul(gradwork.ones(()), gradwork.ones(3)), "at least 1 dimension"),
        (
            lambda: gradwork.matmul(gradwork.ones(2, 3, 4), gradwork.ones(3, 4, 5)),
            "batch dimensions (2,) and (3,)",
        ),
        (lambda: gradwork.mm(gradwork.ones(2, 3), gradwork.ones(2, 3)), "(3 != 2)"),
        (lambda: gradwork.mm(gradwork.ones(2, 3, 1), gradwork.ones(1, 3)), "expected 2-D"),
        (lambda: gradwork.bmm(gradwork.ones(2, 3, 4), gradwork.ones(3, 4, 5)), "batch sizes"),
        (lambda: gradwork.bmm(gradwork.ones(3, 4), gradwork.ones(4, 5)), "expected 3-D"),
        (lambda: gradwork.dot(gradwork.ones(3), gradwork.ones(4)), "inconsistent tensor sizes"),
        (
            lambda: gradwork.matmul(
                gradwork.ones(2, 3), gradwork.ones(3, 2, dtype=gradwork.float64)
            ),
            "same dtype",
        ),
        (
            lambda: gradwork.linear(gradwork.ones(4, 5), gradwork.ones(3, 4)),
            "linear: input of shape (4, 5) and weight of shape (3, 4) cannot be multiplied "
            "(in_features 5 != 4)",
        ),
        (
            lambda: gradwork.linear(gradwork.ones(4, 4), gradwork.ones(3, 4), gradwork.ones(4)),
            "expected bias of shape (3,)",
        ),
    ],
)
def test_errors(call, message):
    with pytest.raises(RuntimeError) as error:
        call()
    assert message in str(error.value)


@pytest.mark.parametrize(
    "equation, shapes, message",
    [
        ("ij,jk->ik", [(2, 3)], "1 tensor(s) were given"),
        ("ij->k", [(2, 3)], "output subscript 'k'"),
        ("ij,jk->ik", [(2, 3), (4, 5)], "subscript 'j' has size 4"),
        ("ijk->i", [(2, 3)], "has 3 subscripts"),
        ("i1->i", [(2, 3)], "invalid subscript '1'"),
    ],
)
def test_einsum_errors(equation, shapes, message):
    operands = [gradwork.ones(*shape) for shape in shapes]
    with pytest.raises((RuntimeError, ValueError)) as error:
        gradwork.einsum(equation, *operands)
    assert message in str(error.value)


def test_matmul_large_batched_parity_float32():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((8, 1, 64, 96)).astype(np.float32)
    b = rng.standard_normal((5, 96, 48)).astype(np.float32)
    (ga, ta), (gb, tb) = _pair(a), _pair(b)
    ours, theirs = ga @ gb, ta @ tb
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-4, atol=1e-4)
    upstream = rng.standard_normal(theirs.shape).astype(np.float32)
    ours.backward(gradwork.tensor(upstream))
    theirs.backward(torch.tensor(upstream))
    assert ga.grad.dtype == gradwork.float32
    np.testing.assert_allclose(ga.grad.numpy(), ta.grad.numpy(), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(gb.grad.numpy(), tb.grad.numpy(), rtol=1e-4, atol=1e-3)


def test_linear_mlp_sized_parity_float32():
    rng = np.random.default_rng(1)
    x, w, b = (
        rng.standard_normal(shape).astype(np.float32) for shape in [(128, 784), (100, 784), (100,)]
    )
    (gx, tx), (gw, tw), (gb, tb) = _pair(x), _pair(w), _pair(b)
    ours = gradwork.linear(gx, gw, gb)
    theirs = torch.nn.functional.linear(tx, tw, tb)
    assert ours.dtype == gradwork.float32
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-4, atol=1e-3)
    (ours.tanh().sum()).backward()
    (theirs.tanh().sum()).backward()
    for mine, reference in [(gx, tx), (gw, tw), (gb, tb)]:
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-4, atol=1e-3)


def test_linear_double_backward_matches_torch():
    """Gradient penalty through a two-layer MLP: d/dW || d loss / d x ||^2."""
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(shape) for shape in [(5, 4), (6, 4), (6,), (3, 6)]]
    (gx, tx), (gw1, tw1), (gb1, tb1), (gw2, tw2) = (_pair(a) for a in arrays)

    def penalty(lib, x, w1, b1, w2):
        functional = gradwork if lib is gradwork else torch.nn.functional
        hidden = functional.linear(x, w1, b1).tanh()
        out = functional.linear(hidden, w2).sum()
        (grad_x,) = lib.autograd.grad(out, [x], create_graph=True)
        return (grad_x * grad_x).sum()

    ours = penalty(gradwork, gx, gw1, gb1, gw2)
    theirs = penalty(torch, tx, tw1, tb1, tw2)
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-10)
    our_grads = gradwork.autograd.grad(ours, [gw1, gb1, gw2])
    their_grads = torch.autograd.grad(theirs, [tw1, tb1, tw2])
    for mine, reference in zip(our_grads, their_grads):
        np.testing.assert_allclose(mine.numpy(), reference.numpy(), rtol=1e-8, atol=1e-10)


def test_matmul_keeps_float32_and_folds_batch_into_one_gemm():
    x = gradwork.ones(4, 5, 3, requires_grad=True)
    w = gradwork.ones(3, 2, requires_grad=True)
    y = x @ w
    assert y.shape == (4, 5, 2) and y.dtype == gradwork.float32
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.full((3, 2), 20.0, np.float32))
    assert x.grad.dtype == gradwork.float32


def test_einsum_attention_pattern_parity():
    rng = np.random.default_rng(3)
    q, k = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((2, 3, 6, 4))
    (gq, tq), (gk, tk) = _pair(q), _pair(k)
    ours = gradwork.einsum("bhqd,bhkd->bhqk", gq, gk)
    theirs = torch.einsum("bhqd,bhkd->bhqk", tq, tk)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10)
    (ours * ours).sum().backward()
    (theirs * theirs).sum().backward()
    np.testing.assert_allclose(gq.grad.numpy(), tq.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(gk.grad.numpy(), tk.grad.numpy(), rtol=1e-10)
