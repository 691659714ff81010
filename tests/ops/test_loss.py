"""gradwork.ops.loss beyond the catalogue: stability edges, option combinations against
PyTorch and error messages."""

from __future__ import annotations

import itertools

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


# -- cross entropy and nll ------------------------------------------------------------------------
def _class_case(rng, spatial: bool, ignored: int):
    shape = (6, 4, 3) if spatial else (6, 4)
    logits = rng.standard_normal(shape).astype(np.float32)
    target = rng.integers(0, 4, (6, 3) if spatial else (6,))
    target.flat[:ignored] = -100
    return logits, target


@pytest.mark.parametrize(
    "reduction,label_smoothing,weighted,ignored,spatial",
    list(
        itertools.product(
            ["none", "mean", "sum"], [0.0, 0.25], [False, True], [0, 2], [False, True]
        )
    ),
)
def test_cross_entropy_option_combinations(reduction, label_smoothing, weighted, ignored, spatial):
    rng = np.random.default_rng(0)
    logits, target = _class_case(rng, spatial, ignored)
    weight = (rng.random(4) + 0.5).astype(np.float32) if weighted else None
    ours, theirs = _pair(logits)
    kwargs = {"reduction": reduction, "label_smoothing": label_smoothing}
    out = gradwork.cross_entropy(
        ours, gradwork.tensor(target), None if weight is None else gradwork.tensor(weight), **kwargs
    )
    ref = F.cross_entropy(
        theirs, torch.tensor(target), None if weight is None else torch.tensor(weight), **kwargs
    )
    assert out.dtype == gradwork.float32
    _close(out, ref)
    upstream = rng.standard_normal(ref.shape).astype(np.float32)
    out.backward(gradwork.tensor(upstream))
    ref.backward(torch.tensor(upstream))
    _close(ours.grad, theirs.grad)


def test_cross_entropy_custom_ignore_index_matches_torch():
    rng = np.random.default_rng(1)
    logits, target = _class_case(rng, False, 0)
    target[:3] = 2
    ours, theirs = _pair(logits)
    out = gradwork.cross_entropy(ours, gradwork.tensor(target), ignore_index=2, label_smoothing=0.1)
    ref = F.cross_entropy(theirs, torch.tensor(target), ignore_index=2, label_smoothing=0.1)
    _close(out, ref)
    out.backward()
    ref.backward()
    _close(ours.grad, theirs.grad)
    assert not ours.grad.detach().numpy()[:3].any()  # ignored rows get no gradient


@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
def test_cross_entropy_huge_logits_are_finite(label_smoothing):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [0.0, 0.0, -1e4]], np.float32)
    target = np.array([1, 0, 2])
    ours, theirs = _pair(logits)
    out = gradwork.cross_entropy(ours, gradwork.tensor(target), label_smoothing=label_smoothing)
    ref = F.cross_entropy(theirs, torch.tensor(target), label_smoothing=label_smoothing)
    assert np.isfinite(out.item())
    _close(out, ref, rtol=1e-6)
    out.backward()
    ref.backward()
    assert np.isfinite(ours.grad.detach().numpy()).all()
    _close(ours.grad, theirs.grad)


def test_cross_entropy_minus_inf_logit_of_another_class():
    logits = np.array([[0.0, -np.inf, 1.0], [2.0, 0.0, -np.inf]])
    target = np.array([0, 1])
    ours, theirs = _pair(logits)
    out = gradwork.cross_entropy(ours, gradwork.tensor(target))
    ref = F.cross_entropy(theirs, torch.tensor(target))
    assert np.isfinite(out.item())
    _close(out, ref)
    out.backward()
    ref.backward()
    _close(ours.grad, theirs.grad)


def test_cross_entropy_all_ignored_is_nan_with_zero_gradient():
    ours, theirs = _pair(np.random.default_rng(2).standard_normal((3, 4)))
    target = np.full(3, -100)
    out = gradwork.cross_entropy(ours, gradwork.tensor(target), label_smoothing=0.1)
    ref = F.cross_entropy(theirs, torch.tensor(target), label_smoothing=0.1)
    assert np.isnan(out.item()) and np.isnan(ref.item())
    out.backward()
    ref.backward()
    np.testing.assert_array_equal(ours.grad.detach().numpy(), theirs.grad.detach().numpy())
    assert not ours.grad.detach().numpy().any()


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_cross_entropy_probability_targets_with_weight_and_smoothing(reduction):
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((4, 3, 2))
    probabilities = rng.random((4, 3, 2))
    probabilities /= probabilities.sum(1, keepdims=True)
    weight = rng.random(3) + 0.5
    ours, theirs = _pair(logits)
    our_target, their_target = _pair(probabilities)
    kwargs = {"reduction": reduction, "label_smoothing": 0.2}
    out = gradwork.cross_entropy(ours, our_target, gradwork.tensor(weight), **kwargs)
    ref = F.cross_entropy(theirs, their_target, torch.tensor(weight), **kwargs)
    _close(out, ref)
    out.sum().backward()
    ref.sum().backward()
    _close(ours.grad, theirs.grad)
    _close(our_target.grad, their_target.grad)


def test_cross_entropy_unbatched():
    ours, theirs = _pair(np.array([0.5, -1.0, 2.0]))
    out = gradwork.cross_entropy(ours, gradwork.tensor(2), reduction="none")
    ref = F.cross_entropy(theirs, torch.tensor(2), reduction="none")
    assert out.shape == ()
    _close(out, ref)


def test_cross_entropy_errors():
    logits = gradwork.zeros(32, 10)
    with pytest.raises(
        ValueError,
        match=r"cross_entropy: expected target of shape \(32,\) for input of shape \(32, 10\), "
        r"got \(32, 1\)",
    ):
        gradwork.cross_entropy(logits, gradwork.zeros(32, 1, dtype=gradwork.int64))
    with pytest.raises(ValueError, match=r"got \(32,\) of dtype"):
        gradwork.cross_entropy(logits, gradwork.zeros(32))
    labels = gradwork.zeros(32, dtype=gradwork.int64)
    labels[3] = 10
    with pytest.raises(IndexError, match="target class 10 is out of range for 10 classes"):
        gradwork.cross_entropy(logits, labels)
    labels[3] = -1
    with pytest.raises(IndexError, match="target class -1 is out of range"):
        gradwork.cross_entropy(logits, labels)
    labels[3] = 0
    with pytest.raises(ValueError, match="cross_entropy: reduction must be one of .* got 'avg'"):
        gradwork.cross_entropy(logits, labels, reduction="avg")
    with pytest.raises(ValueError, match=r"expected weight of shape \(10,\)"):
        gradwork.cross_entropy(logits, labels, gradwork.ones(5))
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0"):
        gradwork.cross_entropy(logits, labels, label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="ignore_index is not supported"):
        gradwork.cross_entropy(logits, gradwork.zeros(32, 10), ignore_index=1)
    with pytest.raises(TypeError, match="expected a floating point input"):
        gradwork.cross_entropy(labels.reshape(4, 8), labels[:4])
    with pytest.raises(TypeError, match="argument 'target' must be a Tensor"):
        gradwork.cross_entropy(logits, [0] * 32)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_nll_loss_weight_ignore_and_minus_inf(reduction):
    rng = np.random.default_rng(4)
    log_probs = np.log(rng.dirichlet(np.ones(4), 5))
    log_probs[0, 3] = -np.inf  # a class with probability 0 that is not the target
    target = np.array([1, 2, -100, 0, 3])
    weight = rng.random(4) + 0.5
    ours, theirs = _pair(log_probs)
    out = gradwork.nll_loss(
        ours, gradwork.tensor(target), gradwork.tensor(weight), reduction=reduction
    )
    ref = F.nll_loss(theirs, torch.tensor(target), torch.tensor(weight), reduction=reduction)
    assert np.isfinite(out.detach().numpy()).all()
    _close(out, ref)
    out.sum().backward()
    ref.sum().backward()
    _close(ours.grad, theirs.grad)


def test_nll_loss_errors():
    with pytest.raises(ValueError, match=r"nll_loss: expected target of shape \(2, 5\)"):
        gradwork.nll_loss(gradwork.zeros(2, 3, 5), gradwork.zeros(2, 3, dtype=gradwork.int64))
    with pytest.raises(IndexError, match="nll_loss: target class 3 is out of range for 3 classes"):
        gradwork.nll_loss(gradwork.zeros(2, 3), gradwork.tensor([0, 3]))


# -- binary cross entropy -------------------------------------------------------------------------
def test_bce_with_logits_huge_logits_and_pos_weight():
    logits = np.array([[1e4, -1e4, 0.5], [-1e4, 1e4, -30.0]], np.float32)
    target = np.array([[0.0, 1.0, 0.3], [0.2, 1.0, 0.0]], np.float32)
    pos_weight = np.array([2.0, 0.5, 3.0], np.float32)
    ours, theirs = _pair(logits)
    out = gradwork.binary_cross_entropy_with_logits(
        ours, gradwork.tensor(target), pos_weight=gradwork.tensor(pos_weight), reduction="none"
    )
    ref = F.binary_cross_entropy_with_logits(
        theirs, torch.tensor(target), pos_weight=torch.tensor(pos_weight), reduction="none"
    )
    assert out.dtype == gradwork.float32 and np.isfinite(out.detach().numpy()).all()
    _close(out, ref, rtol=1e-6)
    out.sum().backward()
    ref.sum().backward()
    assert np.isfinite(ours.grad.detach().numpy()).all()
    _close(ours.grad, theirs.grad)


def test_bce_at_zero_and_one_is_finite_like_torch():
    probabilities = np.array([0.0, 1.0, 0.0, 1.0])
    target = np.array([1.0, 0.0, 0.0, 1.0])
    ours, theirs = _pair(probabilities)
    out = gradwork.binary_cross_entropy(ours, gradwork.tensor(target))
    ref = F.binary_cross_entropy(theirs, torch.tensor(target))
    assert out.item() == pytest.approx(50.0)  # each log is clamped at -100
    _close(out, ref)
    out.backward()
    ref.backward()
    assert np.isfinite(ours.grad.detach().numpy()).all()
    _close(ours.grad, theirs.grad, rtol=1e-6)


def test_bce_errors():
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        gradwork.binary_cross_entropy(gradwork.tensor([1.5]), gradwork.tensor([1.0]))
    with pytest.raises(ValueError, match=r"expected target of the same shape as input \(2, 3\)"):
        gradwork.binary_cross_entropy_with_logits(gradwork.zeros(2, 3), gradwork.zeros(3))


# -- regression losses ----------------------------------------------------------------------------
def test_regression_losses_broadcast_with_warning():
    ours, theirs = _pair(np.random.default_rng(5).standard_normal((3, 4)))
    with pytest.warns(UserWarning, match="mse_loss: target shape \\(4,\\) differs"):
        out = gradwork.mse_loss(ours, gradwork.ones(4))
    with pytest.warns(UserWarning):
        ref = F.mse_loss(theirs, torch.ones(4))
    _close(out, ref)


def test_regression_loss_errors():
    x = gradwork.zeros(3)
    with pytest.raises(ValueError, match="smooth_l1_loss: beta must be non-negative"):
        gradwork.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(ValueError, match="huber_loss: delta must be positive"):
        gradwork.huber_loss(x, x, delta=0.0)
    with pytest.raises(ValueError, match="kl_div: reduction must be one of"):
        gradwork.kl_div(x, x, reduction="avg")


def test_kl_div_zero_target_gives_zero_not_nan():
    log_q = gradwork.tensor([-0.5, -1.0, -2.0], requires_grad=True)
    target = gradwork.tensor([0.0, 0.5, 0.5], requires_grad=True)
    out = gradwork.kl_div(log_q, target, reduction="sum")
    ref = F.kl_div(torch.tensor([-0.5, -1.0, -2.0]), torch.tensor([0.0, 0.5, 0.5]), reduction="sum")
    assert out.item() == pytest.approx(ref.item())
    out.backward()
    assert np.isfinite(log_q.grad.numpy()).all() and np.isfinite(target.grad.numpy()).all()


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("spatial", [False, True])
@pytest.mark.parametrize("ignore", [None, -100, 2])
def test_index_target_fast_path_equals_dense_coefficients(reduction, spatial, ignore):
    """CrossEntropyLabels (picked by index) equals CrossEntropy with one-hot coefficients."""
    from gradwork.ops import loss

    rng = np.random.default_rng(7)
    logits, target = _class_case(rng, spatial, 0)
    if ignore is not None:
        target.flat[:2] = ignore
    ignore_index = -100 if ignore is None else ignore
    fast_input = gradwork.tensor(logits, requires_grad=True)
    fast = gradwork.cross_entropy(
        fast_input, gradwork.tensor(target), ignore_index=ignore_index, reduction=reduction
    )
    assert type(fast.grad_fn) is loss.CrossEntropyLabels
    plain_input = gradwork.tensor(logits, requires_grad=True)
    q, class_dim, divisor = loss._index_coefficients(
        "cross_entropy", plain_input, gradwork.tensor(target), None, ignore_index, 0.0
    )
    plain = loss.CrossEntropy.apply(plain_input, q, class_dim, reduction, divisor)
    np.testing.assert_allclose(fast.detach().numpy(), plain.detach().numpy(), rtol=1e-6)
    vector = gradwork.tensor(rng.standard_normal(fast.shape).astype(np.float32))
    fast.backward(vector)
    plain.backward(vector)
    np.testing.assert_allclose(fast_input.grad.numpy(), plain_input.grad.numpy(), atol=1e-7)


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("spatial", [False, True])
def test_cross_entropy_of_a_permuted_input_matches_torch(fast, spatial, monkeypatch):
    """Logits whose memory is not in C order (a permuted view): the targets are picked by their
    position in the flattened array, so the layout must not matter, forward or backward."""
    from gradwork.autograd import engine

    monkeypatch.setattr(engine.settings, "fast_backward", fast)
    rng = np.random.default_rng(11)
    logits, target = _class_case(rng, spatial, 2)
    order = tuple(reversed(range(logits.ndim)))
    ours, theirs = _pair(np.ascontiguousarray(logits.transpose(order)))
    ours_logits, theirs_logits = ours.permute(order), theirs.permute(order)
    assert not ours_logits._data.flags.c_contiguous
    loss = gradwork.cross_entropy(ours_logits, gradwork.tensor(target))
    expected = F.cross_entropy(theirs_logits, torch.tensor(target))
    _close(loss, expected)
    loss.backward()
    expected.backward()
    _close(ours.grad, theirs.grad)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(0, 3), (0, 3, 4)])
def test_cross_entropy_of_an_empty_batch_matches_torch(shape, reduction):
    ours, theirs = _pair(np.zeros(shape, np.float32))
    target = np.zeros(shape[:1] + shape[2:], np.int64)
    loss = gradwork.cross_entropy(ours, gradwork.tensor(target), reduction=reduction)
    expected = F.cross_entropy(theirs, torch.tensor(target), reduction=reduction)
    _close(loss, expected)
    loss.sum().backward()
    expected.sum().backward()
    _close(ours.grad, theirs.grad)
