"""gradwork.ops.norm beyond the catalogue: running statistics updated in place exactly like
PyTorch's, the eval path, ``eps=None`` for RMS norm, and error messages."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import gradwork

DTYPES = pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
TOLERANCES = {np.float64: (1e-12, 1e-10), np.float32: (1e-6, 1e-5)}


def _pair(array):
    return gradwork.tensor(array), torch.tensor(array)


@DTYPES
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 2, 3)], ids=["2d", "3d", "4d"])
@pytest.mark.parametrize("momentum", [0.1, 0.7, 1.0])
def test_batch_norm_running_statistics_match_torch(shape, momentum, dtype):
    rng = np.random.default_rng(0)
    ours_mean, theirs_mean = _pair(rng.standard_normal(3).astype(dtype))
    ours_var, theirs_var = _pair(rng.random(3).astype(dtype) + 0.5)
    atol, rtol = TOLERANCES[dtype]
    for _ in range(3):
        x = (3 * rng.standard_normal(shape) + 2).astype(dtype)
        ours_out = gradwork.batch_norm(
            gradwork.tensor(x), ours_mean, ours_var, training=True, momentum=momentum
        )
        theirs_out = F.batch_norm(
            torch.tensor(x), theirs_mean, theirs_var, training=True, momentum=momentum
        )
        np.testing.assert_allclose(ours_out.numpy(), theirs_out.numpy(), atol=10 * atol, rtol=rtol)
    np.testing.assert_allclose(ours_mean.numpy(), theirs_mean.numpy(), atol=atol, rtol=rtol)
    np.testing.assert_allclose(ours_var.numpy(), theirs_var.numpy(), atol=atol, rtol=rtol)
    assert ours_mean.dtype == ours_var.dtype == gradwork.tensor(x).dtype


def test_batch_norm_running_statistics_stay_out_of_the_graph():
    mean, var = gradwork.zeros(2), gradwork.ones(2)
    x = gradwork.randn(4, 2, requires_grad=True)
    version = mean._version
    gradwork.batch_norm(x, mean, var, training=True).sum().backward()
    assert mean.grad_fn is None and not mean.requires_grad and var.grad_fn is None
    assert mean._version > version  # updated in place, visible to autograd's checks


def test_batch_norm_eval_uses_running_statistics():
    x = gradwork.tensor([[1.0, 2.0], [3.0, 6.0]])
    mean, var = gradwork.tensor([1.0, 2.0]), gradwork.tensor([4.0, 16.0])
    y = gradwork.batch_norm(x, mean, var, gradwork.tensor([2.0, 1.0]), gradwork.ones(2), eps=0.0)
    np.testing.assert_allclose(y.numpy(), [[1.0, 1.0], [3.0, 2.0]])
    assert mean.tolist() == [1.0, 2.0]  # not updated outside training


def _second_order_grads(fast: bool, x, weight, bias):
    """A gradient penalty through batch norm: the second pass is first order, so it takes the
    fused node's fast rule (with gradients for its ``y`` and ``rstd`` outputs) when enabled."""
    from gradwork.autograd import engine

    previous = engine.settings.fast_backward
    engine.settings.fast_backward = fast
    try:
        leaves = [t for t in (x, weight, bias) if t is not None]
        out = gradwork.batch_norm(x, None, None, weight, bias, training=True)
        first = gradwork.autograd.grad((out * out * out).sum(), leaves, create_graph=True)
        penalty = sum((g * g).sum() for g in first)
        return [g.numpy() for g in gradwork.autograd.grad(penalty, leaves)]
    finally:
        engine.settings.fast_backward = previous


@pytest.mark.parametrize("affine", ["both", "weight", "bias", "none"])
@pytest.mark.parametrize("layout", ["contiguous", "channel_major"])
def test_fused_batch_norm_fast_rule_equals_plain_rule_to_second_order(affine, layout):
    """Input layouts: ordinary (N, C, H, W), and the channel-major view a convolution returns."""
    rng = np.random.default_rng(7)
    array = rng.standard_normal((3, 4, 2, 5))
    if layout == "channel_major":
        array = np.ascontiguousarray(array.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    x = gradwork.tensor(array, requires_grad=True)
    weight = gradwork.tensor(rng.standard_normal(4), requires_grad=True)
    bias = gradwork.tensor(rng.standard_normal(4), requires_grad=True)
    weight = weight if affine in ("both", "weight") else None
    bias = bias if affine in ("both", "bias") else None
    fast = _second_order_grads(True, x, weight, bias)
    plain = _second_order_grads(False, x, weight, bias)
    for f, p in zip(fast, plain):
        np.testing.assert_allclose(f, p, rtol=1e-10, atol=1e-12)


def test_fused_batch_norm_matches_torch_on_a_convolution_output_float32():
    rng = np.random.default_rng(8)
    shapes = ((8, 3, 9, 9), (5, 3, 3, 3), (5,), (5,))
    arrays = [rng.standard_normal(shape).astype(np.float32) for shape in shapes]
    upstream = rng.standard_normal((8, 5, 9, 9)).astype(np.float32)

    def run(lib, make):
        x, w, g, b = (make(a) for a in arrays)
        out = lib.batch_norm(lib.conv2d(x, w, padding=1), None, None, g, b, training=True)
        out.backward(make(upstream))
        return [out.detach().numpy()] + [t.grad.numpy() for t in (x, w, g, b)]

    ours = run(gradwork, lambda a: gradwork.tensor(a, requires_grad=True))
    theirs = run(F, lambda a: torch.tensor(a, requires_grad=True))
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine, reference, rtol=1e-4, atol=1e-4)


@DTYPES
def test_instance_norm_running_statistics_match_torch(dtype):
    rng = np.random.default_rng(1)
    ours_mean, theirs_mean = _pair(np.zeros(3, dtype))
    ours_var, theirs_var = _pair(np.ones(3, dtype))
    for _ in range(2):
        x = (2 * rng.standard_normal((4, 3, 5)) - 1).astype(dtype)
        gradwork.instance_norm(gradwork.tensor(x), ours_mean, ours_var, momentum=0.3)
        F.instance_norm(torch.tensor(x), theirs_mean, theirs_var, momentum=0.3)
    atol, rtol = TOLERANCES[dtype]
    np.testing.assert_allclose(ours_mean.numpy(), theirs_mean.numpy(), atol=atol, rtol=rtol)
    np.testing.assert_allclose(ours_var.numpy(), theirs_var.numpy(), atol=atol, rtol=rtol)


@DTYPES
def test_rms_norm_default_eps_is_finfo_eps(dtype):
    # mean square ~1e-10: the default eps (finfo eps) dominates, so it must be PyTorch's
    x = (1e-5 * np.random.default_rng(2).standard_normal((3, 4))).astype(dtype)
    ours, theirs = gradwork.rms_norm(gradwork.tensor(x), (4,)), F.rms_norm(torch.tensor(x), (4,))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5)


def test_group_norm_is_layer_norm_with_one_group():
    x = gradwork.randn(2, 4, 3)
    ours = gradwork.group_norm(x, 1)
    reference = gradwork.layer_norm(x, (4, 3))
    np.testing.assert_allclose(ours.numpy(), reference.numpy(), atol=1e-6)


def test_errors_name_op_and_shapes():
    x = gradwork.randn(4, 3)
    with pytest.raises(RuntimeError, match=r"batch_norm: expected weight of shape \(3,\).*\(4,\)"):
        gradwork.batch_norm(x, None, None, gradwork.ones(4), training=True)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        gradwork.batch_norm(gradwork.randn(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match="running_mean and running_var must be given"):
        gradwork.batch_norm(x, None, None)
    with pytest.raises(ValueError, match=r"batch_norm: expected input of shape \(N, C, \*\)"):
        gradwork.batch_norm(gradwork.randn(3), None, None, training=True)
    with pytest.raises(ValueError, match=r"num_groups \(2\).*channels \(3\)"):
        gradwork.group_norm(x, 2)
    with pytest.raises(RuntimeError, match=r"normalized_shape \(4,\).*\(4, 3\)"):
        gradwork.rms_norm(x, 4)
    with pytest.raises(ValueError, match="spatial dimension"):
        gradwork.instance_norm(x)
    with pytest.raises(TypeError, match="floating point"):
        gradwork.group_norm(gradwork.ones(2, 2, dtype=gradwork.int64), 1)
