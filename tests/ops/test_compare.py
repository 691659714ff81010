"""gradwork.ops.compare beyond the catalogue: NaN and tie order, gradients of selections,
comparisons, and error messages."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import gradwork


def _np(tensor):
    return tensor.detach().numpy()


@pytest.mark.parametrize("descending", [False, True])
def test_sort_nan_and_ties_match_torch_stable(descending):
    values = np.array([[2.0, np.nan, 1.0, 2.0, -np.inf, 1.0, np.inf, np.nan, 2.0]])
    ours = gradwork.sort(gradwork.tensor(values), descending=descending, stable=True)
    theirs = torch.sort(torch.tensor(values), descending=descending, stable=True)
    np.testing.assert_array_equal(_np(ours.values), theirs.values.numpy())
    np.testing.assert_array_equal(_np(ours.indices), theirs.indices.numpy())
    assert ours.indices.dtype == gradwork.int64


@pytest.mark.parametrize("dtype", [np.int64, np.uint8, np.bool_])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_integer_and_bool(dtype, descending):
    values = np.array([[3, 0, 1, 3, 1], [0, 1, 1, 0, 1]]).astype(dtype)
    ours = gradwork.sort(gradwork.tensor(values), dim=1, descending=descending)
    theirs = torch.sort(torch.tensor(values), dim=1, descending=descending, stable=True)
    np.testing.assert_array_equal(_np(ours.values), theirs.values.numpy())
    np.testing.assert_array_equal(_np(ours.indices), theirs.indices.numpy())


def test_argsort_and_tensor_methods():
    x = gradwork.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    np.testing.assert_array_equal(_np(x.argsort()), [[1, 2, 0], [0, 2, 1]])
    np.testing.assert_array_equal(_np(x.argsort(0, True)), [[0, 1, 1], [1, 0, 0]])
    np.testing.assert_array_equal(_np(x.sort(1, True).values), [[3, 2, 1], [5, 4, 0]])
    values, indices = x.topk(1)
    np.testing.assert_array_equal(_np(values), [[3.0], [5.0]])
    np.testing.assert_array_equal(_np(indices), [[0], [1]])


def test_topk_gradient_scatters_to_chosen_positions():
    x = gradwork.tensor([[1.0, 4.0, 2.0, 3.0], [9.0, 8.0, 7.0, 6.0]], requires_grad=True)
    result = gradwork.topk(x, 2, largest=False)
    assert not result.indices.requires_grad
    (result.values * gradwork.tensor([[10.0, 20.0], [30.0, 40.0]])).sum().backward()
    np.testing.assert_array_equal(_np(x.grad), [[10, 0, 20, 0], [0, 0, 40, 30]])


def test_topk_nan_is_largest_like_torch():
    values = np.array([1.0, np.nan, 3.0, -1.0])
    ours = gradwork.topk(gradwork.tensor(values), 2)
    theirs = torch.topk(torch.tensor(values), 2)
    np.testing.assert_array_equal(_np(ours.values), theirs.values.numpy())
    np.testing.assert_array_equal(_np(ours.indices), theirs.indices.numpy())


def test_sort_second_order_gradient():
    x = gradwork.tensor([3.0, 1.0, 2.0], requires_grad=True)
    (grad,) = gradwork.autograd.grad((gradwork.sort(x).values ** 3).sum(), x, create_graph=True)
    np.testing.assert_allclose(_np(grad), 3 * np.array([3.0, 1.0, 2.0]) ** 2)
    (second,) = gradwork.autograd.grad(grad.sum(), x)
    np.testing.assert_allclose(_np(second), 6 * np.array([3.0, 1.0, 2.0]))


def test_kthvalue_matches_torch():
    values = np.random.default_rng(0).standard_normal((3, 5, 4))
    for k, dim, keepdim in [(1, 1, False), (5, 1, True), (2, -1, False)]:
        ours = gradwork.kthvalue(gradwork.tensor(values), k, dim, keepdim)
        theirs = torch.kthvalue(torch.tensor(values), k, dim, keepdim)
        np.testing.assert_array_equal(_np(ours.values), theirs.values.numpy())
        np.testing.assert_array_equal(_np(ours.indices), theirs.indices.numpy())


def test_selection_errors():
    x = gradwork.zeros(2, 3)
    with pytest.raises(IndexError, match=r"topk: k \(4\) is out of range: dimension 1 of input"):
        gradwork.topk(x, 4)
    with pytest.raises(IndexError, match=r"kthvalue: k \(0\) is out of range"):
        gradwork.kthvalue(x, 0)
    with pytest.raises(IndexError, match="sort: dimension out of range"):
        gradwork.sort(x, 2)
    with pytest.raises(TypeError, match="argument 'input' must be a Tensor"):
        gradwork.sort([3, 1, 2])


def test_comparisons_still_work():
    a = gradwork.tensor([1.0, 2.0, 3.0])
    b = gradwork.tensor([3.0, 2.0, 1.0])
    assert (a == b).tolist() == [False, True, False]
    assert (a != b).tolist() == [True, False, True]
    assert (a < b).tolist() == [True, False, False]
    assert (a <= 2).tolist() == [True, True, False]
    assert (a > b).tolist() == [False, False, True]
    assert gradwork.ge(a, b).tolist() == [False, True, True]
    assert gradwork.equal(a, a.clone()) and not gradwork.equal(a, b)
    assert gradwork.allclose(a, a + 1e-9) and not gradwork.allclose(a, b)
    assert gradwork.isclose(a, b).tolist() == [False, True, False]
    with pytest.raises(RuntimeError, match=r"lt: shapes \(3,\) and \(2,\) are not broadcastable"):
        gradwork.lt(a, gradwork.zeros(2))
