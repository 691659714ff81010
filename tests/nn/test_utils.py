"""nn.utils: gradient clipping equals PyTorch's; parameters <-> one vector."""

import math

import numpy as np
import pytest
import torch

import gradwork
from gradwork.nn import Parameter
from gradwork.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    parameters_to_vector,
    vector_to_parameters,
)

SHAPES = [(3, 4), (5,), (2, 3, 2), ()]


def make_pair(scale, seed=0):
    """The same parameters and gradients in gradwork and in PyTorch."""
    rng = np.random.default_rng(seed)
    ours, theirs = [], []
    for shape in SHAPES:
        grad = np.asarray(rng.standard_normal(shape) * scale, dtype=np.float32)
        param = Parameter(gradwork.zeros(*shape))
        param.grad = gradwork.tensor(grad)
        reference = torch.zeros(shape, requires_grad=True)
        reference.grad = torch.from_numpy(grad.copy())
        ours.append(param)
        theirs.append(reference)
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, 0.5])
@pytest.mark.parametrize("max_norm, scale", [(1.0, 1.0), (100.0, 1.0), (0.1, 10.0)])
def test_clip_grad_norm_matches_pytorch(norm_type, max_norm, scale):
    ours, theirs = make_pair(scale)
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert total.dtype == gradwork.float32 and total.shape == ()
    assert total.item() == pytest.approx(expected.item(), rel=1e-6)
    for param, reference in zip(ours, theirs):
        np.testing.assert_allclose(param.grad.numpy(), reference.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_clip_grad_norm_single_tensor_and_no_grads():
    param = Parameter(gradwork.zeros(2))
    assert clip_grad_norm_(param, 1.0).item() == 0.0  # no gradient yet
    param.grad = gradwork.tensor([3.0, 4.0])
    assert clip_grad_norm_(param, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(param.grad.numpy(), [0.6, 0.8], rtol=1e-6)


def test_clip_grad_norm_nonfinite():
    ours, theirs = make_pair(1.0)
    ours[0].grad._data[0, 0] = np.nan
    theirs[0].grad[0, 0] = float("nan")
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    total = clip_grad_norm_(ours, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert math.isnan(total.item()) and math.isnan(expected.item())
    assert np.isnan(ours[1].grad.numpy()).all() and torch.isnan(theirs[1].grad).all()


def test_clip_grad_value_matches_pytorch():
    ours, theirs = make_pair(2.0)
    assert clip_grad_value_(ours, 0.5) is None
    torch.nn.utils.clip_grad_value_(theirs, 0.5)
    for param, reference in zip(ours, theirs):
        np.testing.assert_array_equal(param.grad.numpy(), reference.grad.numpy())


def test_parameters_to_vector_and_back():
    params = [Parameter(gradwork.randn(*shape)) for shape in SHAPES]
    vector = parameters_to_vector(params)
    expected = np.concatenate([p.numpy(force=True).ravel() for p in params])
    np.testing.assert_array_equal(vector.detach().numpy(), expected)
    assert vector.requires_grad  # differentiable, as in PyTorch
    vector.sum().backward()
    assert all(np.all(p.grad.numpy() == 1) for p in params)

    new = gradwork.arange(expected.size, dtype=gradwork.float32)
    vector_to_parameters(new, params)
    np.testing.assert_array_equal(parameters_to_vector(params).detach().numpy(), new.numpy())
    assert [p.shape for p in params] == SHAPES
    assert all(isinstance(p, Parameter) and p.requires_grad for p in params)
    with pytest.raises(TypeError, match="expected gradwork.Tensor"):
        vector_to_parameters(new.numpy(), params)
    with pytest.raises(RuntimeError, match="elements"):
        vector_to_parameters(gradwork.zeros(3), params)
