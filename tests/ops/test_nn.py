"""gradwork.ops.nn beyond the catalogue: stability edges, option combinations against PyTorch,
masks, dropout statistics and seeding, and error messages."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import gradwork


def _pair(array, requires_grad=True):
    return (
        gradwork.tensor(array, requires_grad=requires_grad),
        torch.tensor(array, requires_grad=requires_grad),
    )


def _close(ours, theirs, atol=1e-5, rtol=1e-5):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=atol, rtol=rtol)


# -- softmax --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_huge_logits_are_finite(name):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]], np.float32)
    ours, theirs = _pair(logits)
    out, ref = getattr(gradwork, name)(ours, 1), getattr(torch, name)(theirs, 1)
    assert out.dtype == gradwork.float32
    assert np.isfinite(out.detach().numpy()).all()
    _close(out, ref)
    weights = np.arange(9, dtype=np.float32).reshape(3, 3)
    (out * gradwork.tensor(weights)).sum().backward()
    (ref * torch.tensor(weights)).sum().backward()
    assert np.isfinite(ours.grad.detach().numpy()).all()
    _close(ours.grad, theirs.grad)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_minus_inf_entries(name):
    logits = np.array([[0.0, -np.inf, 1.0], [-np.inf, -np.inf, -np.inf]])
    out = getattr(gradwork, name)(gradwork.tensor(logits), -1).detach().numpy()
    ref = getattr(torch, name)(torch.tensor(logits), -1).detach().numpy()
    np.testing.assert_allclose(out, ref)  # the all -inf row is nan in both
    assert np.isnan(out[1]).all()


def test_softmax_dtype_and_integer_input():
    x = gradwork.tensor([1, 2, 3])
    assert gradwork.softmax(x, 0, dtype=gradwork.float64).dtype == gradwork.float64
    with pytest.raises(TypeError, match="softmax: expected a floating point input, got"):
        gradwork.softmax(x, 0)
    with pytest.raises(IndexError, match="log_softmax: dimension out of range"):
        gradwork.log_softmax(gradwork.zeros(2, 3), 2)


def test_softmax_tensor_methods():
    x = gradwork.tensor([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(
        x.softmax(1).detach().numpy(), gradwork.softmax(x, 1).detach().numpy()
    )
    np.testing.assert_allclose(
        x.log_softmax(0).detach().numpy(), gradwork.log_softmax(x, 0).detach().numpy()
    )


# -- layer norm -----------------------------------------------------------------------------------
def test_layer_norm_constant_rows_and_float32():
    x = np.ones((2, 5), np.float32)
    x[1] = np.arange(5)
    ours, theirs = _pair(x)
    out, ref = gradwork.layer_norm(ours, (5,)), F.layer_norm(theirs, (5,))
    assert out.dtype == gradwork.float32 and np.isfinite(out.detach().numpy()).all()
    _close(out, ref)
    (out * gradwork.tensor(x)).sum().backward()
    (ref * torch.tensor(x)).sum().backward()
    _close(ours.grad, theirs.grad, atol=1e-4)


def test_layer_norm_hessian_vector_product_matches_torch():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 4))
    ours, theirs = _pair(x)
    v = rng.standard_normal((3, 4))
    weight = rng.standard_normal((3, 4))
    (our_grad,) = gradwork.autograd.grad(
        (gradwork.layer_norm(ours, (4,)) ** 3 * gradwork.tensor(weight)).sum(),
        ours,
        create_graph=True,
    )
    (their_grad,) = torch.autograd.grad(
        (F.layer_norm(theirs, (4,)) ** 3 * torch.tensor(weight)).sum(), theirs, create_graph=True
    )
    (our_hvp,) = gradwork.autograd.grad((our_grad * gradwork.tensor(v)).sum(), ours)
    (their_hvp,) = torch.autograd.grad((their_grad * torch.tensor(v)).sum(), theirs)
    _close(our_hvp, their_hvp, atol=1e-8)


def test_layer_norm_errors():
    with pytest.raises(RuntimeError, match=r"layer_norm: normalized_shape \(3,\) must match"):
        gradwork.layer_norm(gradwork.zeros(2, 4), (3,))
    with pytest.raises(RuntimeError, match=r"expected weight of shape \(4,\), got \(3,\)"):
        gradwork.layer_norm(gradwork.zeros(2, 4), 4, gradwork.ones(3))


# -- attention ------------------------------------------------------------------------------------
def _attention_pair(rng, q_shape, k_shape, v_shape):
    return [_pair(rng.standard_normal(shape)) for shape in (q_shape, k_shape, v_shape)]


@pytest.mark.parametrize("mask_kind", ["bool_heads", "float", "none", "causal_long_source"])
def test_attention_batched_masks_match_torch(mask_kind):
    rng = np.random.default_rng(7)
    (q, tq), (k, tk), (v, tv) = _attention_pair(rng, (2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5))
    kwargs_ours, kwargs_theirs = {}, {}
    if mask_kind == "bool_heads":
        keep = rng.random((2, 1, 4, 6)) > 0.4
        keep[..., 0] = True
        kwargs_ours["attn_mask"], kwargs_theirs["attn_mask"] = (
            gradwork.tensor(keep),
            torch.tensor(keep),
        )
    elif mask_kind == "float":
        bias = rng.standard_normal((4, 6))
        kwargs_ours["attn_mask"], kwargs_theirs["attn_mask"] = (
            gradwork.tensor(bias),
            torch.tensor(bias),
        )
    elif mask_kind == "causal_long_source":
        kwargs_ours["is_causal"] = kwargs_theirs["is_causal"] = True
    out = gradwork.scaled_dot_product_attention(q, k, v, **kwargs_ours)
    ref = F.scaled_dot_product_attention(tq, tk, tv, **kwargs_theirs)
    _close(out, ref, atol=1e-9)
    upstream = rng.standard_normal(ref.shape)
    out.backward(gradwork.tensor(upstream))
    ref.backward(torch.tensor(upstream))
    for ours, theirs in ((q, tq), (k, tk), (v, tv)):
        _close(ours.grad, theirs.grad, atol=1e-9)


@pytest.mark.parametrize("float_mask", [False, True])
def test_attention_fully_masked_rows_give_zeros_like_torch(float_mask):
    rng = np.random.default_rng(8)
    (q, tq), (k, tk), (v, tv) = _attention_pair(rng, (2, 3, 4), (2, 5, 4), (2, 5, 3))
    keep = rng.random((3, 5)) > 0.3
    keep[:, 0] = True
    keep[1] = False
    mask = np.where(keep, 0.0, -np.inf) if float_mask else keep
    out = gradwork.scaled_dot_product_attention(q, k, v, gradwork.tensor(mask))
    ref = F.scaled_dot_product_attention(tq, tk, tv, torch.tensor(mask))
    assert not out.detach().numpy()[:, 1].any()
    _close(out, ref, atol=1e-9)
    out.sum().backward()
    ref.sum().backward()
    for ours, theirs in ((q, tq), (k, tk), (v, tv)):
        assert np.isfinite(ours.grad.detach().numpy()).all()
        _close(ours.grad, theirs.grad, atol=1e-9)


def test_attention_dropout_is_seeded():
    rng = np.random.default_rng(9)
    q, k, v = (gradwork.tensor(rng.standard_normal((2, 3, 4))) for _ in range(3))
    gradwork.manual_seed(3)
    first = gradwork.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    gradwork.manual_seed(3)
    second = gradwork.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    np.testing.assert_array_equal(first.detach().numpy(), second.detach().numpy())
    plain = gradwork.scaled_dot_product_attention(q, k, v)
    assert not np.allclose(first.detach().numpy(), plain.detach().numpy())


def test_attention_errors():
    q = gradwork.zeros(2, 3, 4)
    with pytest.raises(RuntimeError, match="must have the same last \\(embedding\\) dimension"):
        gradwork.scaled_dot_product_attention(q, gradwork.zeros(2, 5, 3), gradwork.zeros(2, 5, 3))
    with pytest.raises(RuntimeError, match="must have the same source length"):
        gradwork.scaled_dot_product_attention(q, gradwork.zeros(2, 5, 4), gradwork.zeros(2, 6, 4))
    with pytest.raises(ValueError, match="attn_mask cannot be given with is_causal=True"):
        gradwork.scaled_dot_product_attention(
            q, q, q, gradwork.ones(3, 3, dtype=gradwork.bool), is_causal=True
        )
    with pytest.raises(RuntimeError, match=r"attn_mask of shape \(4, 4\) does not broadcast"):
        gradwork.scaled_dot_product_attention(q, q, q, gradwork.ones(4, 4, dtype=gradwork.bool))


# -- dropout --------------------------------------------------------------------------------------
def test_dropout_seeding_and_scaling():
    x = gradwork.ones(200, 100)
    gradwork.manual_seed(0)
    first = gradwork.dropout(x, p=0.3)
    gradwork.manual_seed(0)
    second = gradwork.dropout(x, p=0.3)
    third = gradwork.dropout(x, p=0.3)
    np.testing.assert_array_equal(first.detach().numpy(), second.detach().numpy())
    assert not np.array_equal(second.detach().numpy(), third.detach().numpy())
    values = first.detach().numpy()
    assert set(np.unique(values)) == {np.float32(0.0), np.float32(1 / 0.7)}
    assert abs((values == 0).mean() - 0.3) < 0.02
    assert abs(values.mean() - 1.0) < 0.03  # the expectation is kept
    assert first.dtype == gradwork.float32


def test_dropout_gradient_is_the_mask():
    x = gradwork.randn(50, 40, requires_grad=True)
    out = gradwork.dropout(x, p=0.5)
    out.sum().backward()
    kept = out.detach().numpy() != 0
    np.testing.assert_allclose(x.grad.detach().numpy(), np.where(kept, 2.0, 0.0))


def test_dropout_edges():
    x = gradwork.randn(4, 5, requires_grad=True)
    assert gradwork.dropout(x, p=0.5, training=False) is x
    assert gradwork.dropout(x, p=0.0) is x
    zeros = gradwork.dropout(x, p=1.0)
    assert not zeros.detach().numpy().any()
    zeros.sum().backward()
    assert not x.grad.detach().numpy().any()
    with pytest.raises(
        ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"
    ):
        gradwork.dropout(x, p=1.5)
    y = gradwork.ones(10)
    gradwork.manual_seed(1)
    result = gradwork.dropout(y, p=0.5, inplace=True)
    assert result is y and set(np.unique(y.detach().numpy())) <= {0.0, 2.0}
