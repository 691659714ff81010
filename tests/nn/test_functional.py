"""gradwork.nn.functional: the namespace mirrors torch.nn.functional; its own composites match."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import gradwork
import gradwork.nn.functional as F


def test_every_exported_name_exists_in_torch_functional():
    missing = [name for name in F.__all__ if not hasattr(TF, name)]
    assert not missing, f"names that torch.nn.functional does not have: {missing}"


def test_one_hot_matches_torch():
    labels = np.array([[0, 3], [2, 1]])
    ours = F.one_hot(gradwork.tensor(labels), 4)
    np.testing.assert_array_equal(ours.numpy(), TF.one_hot(torch.tensor(labels), 4).numpy())
    assert ours.dtype == gradwork.int64
    assert F.one_hot(gradwork.tensor([1, 2])).shape == (2, 3)


def test_one_hot_errors():
    with pytest.raises(RuntimeError, match=r"one_hot: class values must be in \[0, 3\)"):
        F.one_hot(gradwork.tensor([0, 3]), 3)
    with pytest.raises(RuntimeError, match="one_hot: expected an integer tensor"):
        F.one_hot(gradwork.tensor([0.0]), 3)


@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, 0), (2.0, -1)])
def test_normalize_matches_torch_with_gradient(p, dim):
    rng = np.random.default_rng(0)
    array = rng.standard_normal((3, 4))
    array[0] = 0.0  # a zero row: eps keeps it finite
    ours = gradwork.tensor(array, requires_grad=True)
    theirs = torch.tensor(array, requires_grad=True)
    out, ref = F.normalize(ours, p, dim), TF.normalize(theirs, p, dim)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), atol=1e-12)
    weights = rng.standard_normal((3, 4))
    (out * gradwork.tensor(weights)).sum().backward()
    (ref * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-10)
