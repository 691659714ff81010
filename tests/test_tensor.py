"""The Tensor class: attributes, conversion, repr, in-place ops, views, DLPack, Python protocols."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import gradwork


def _pair(*shape, seed=0, dtype=np.float32):
    array = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return gradwork.tensor(array), torch.tensor(array)


def _same(ours, theirs):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)


# -- attributes -----------------------------------------------------------------------------------
def test_attributes():
    x = gradwork.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.size() == (2, 3, 4) and x.size(-1) == 4
    assert x.ndim == 3 and x.dim() == 3 and x.numel() == 24 and len(x) == 2
    assert x.dtype == gradwork.float32 and x.device == gradwork.device("cpu")
    assert x.is_leaf and not x.requires_grad and x.grad is None
    assert x.is_floating_point() and x.element_size() == 4
    with pytest.raises(IndexError, match="out of range"):
        x.size(3)


def test_requires_grad_only_for_floating_point():
    with pytest.raises(RuntimeError, match="only floating point"):
        gradwork.tensor([1, 2], requires_grad=True)
    x = gradwork.tensor([1.0]).requires_grad_()
    assert x.requires_grad
    y = x * 2
    assert not y.is_leaf
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad_(False)


# -- conversion -----------------------------------------------------------------------------------
def test_item_tolist_numpy():
    assert gradwork.tensor(2.5).item() == 2.5 and isinstance(gradwork.tensor(3).item(), int)
    assert gradwork.tensor([[1.5]]).item() == 1.5
    with pytest.raises(RuntimeError, match="2 elements"):
        gradwork.tensor([1.0, 2.0]).item()
    assert gradwork.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert gradwork.tensor(True).tolist() is True
    x = gradwork.tensor([1.0, 2.0])
    array = x.numpy()
    array[0] = 5.0  # numpy() shares memory, as in PyTorch
    assert x.tolist() == [5.0, 2.0]


def test_numpy_on_tensor_requiring_grad_raises():
    x = gradwork.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach\\(\\).numpy\\(\\)"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0]
    assert x.numpy(force=True).tolist() == [1.0]
    assert np.asarray(x).tolist() == [1.0]


def test_to_dtype_and_shortcuts():
    x = gradwork.tensor([1.7, -2.2])
    assert x.to(gradwork.float64).dtype == gradwork.float64
    assert x.to(dtype=gradwork.float16).dtype == gradwork.float16
    assert x.to(torch_free := gradwork.int32).dtype == torch_free  # noqa: F841
    assert x.long().tolist() == torch.tensor([1.7, -2.2]).long().tolist() == [1, -2]
    assert x.int().dtype == gradwork.int32 and x.double().dtype == gradwork.float64
    assert x.half().dtype == gradwork.float16 and x.bool().tolist() == [True, True]
    assert gradwork.tensor([1, 2]).float().dtype == gradwork.float32
    assert x.float() is x and x.to("cpu") is x  # no conversion, no copy
    assert x.to("cpu", copy=True) is not x
    assert x.to(gradwork.zeros(1, dtype=gradwork.float64)).dtype == gradwork.float64
    assert x.type() == "gradwork.float32" and x.type(gradwork.float64).dtype == gradwork.float64


def test_to_dtype_is_differentiable():
    x = gradwork.tensor([1.0, 2.0], requires_grad=True)
    y = x.double() * 3
    y.sum().backward()
    assert x.grad.dtype == gradwork.float32 and x.grad.tolist() == [3.0, 3.0]


def test_detach_shares_memory_and_leaves_the_graph():
    x = gradwork.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    detached = y.detach()
    assert not detached.requires_grad and detached.grad_fn is None
    detached.zero_()
    assert y.tolist() == [0.0, 0.0]
    x.detach().fill_(7.0)
    assert x.tolist() == [7.0, 7.0]
    assert x.data.tolist() == [7.0, 7.0] and not x.data.requires_grad


def test_clone_is_a_copy_in_the_graph():
    x = gradwork.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    with gradwork.no_grad():
        y.add_(1)
    assert x.tolist() == [1.0, 2.0]
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_transposes_match_torch():
    x, tx = _pair(2, 3, 4)
    _same(x.T, tx.permute(2, 1, 0))
    _same(x.mT, tx.mT)
    m, tm = _pair(3, 5)
    _same(m.T, tm.T)


# -- repr -----------------------------------------------------------------------------------------
def test_repr_shows_dtype_grad_and_shape_as_pytorch_does():
    assert repr(gradwork.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(gradwork.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(gradwork.tensor(3.0)) == "tensor(3.)"
    assert (
        repr(gradwork.tensor([1, 2], dtype=gradwork.int32))
        == "tensor([1, 2], dtype=gradwork.int32)"
    )
    assert repr(gradwork.tensor([1.0], dtype=gradwork.float64)) == (
        "tensor([1.], dtype=gradwork.float64)"
    )
    assert repr(gradwork.tensor([True, False])) == "tensor([ True, False])"
    assert repr(gradwork.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(gradwork.tensor([1.0], requires_grad=True) * 2) == (
        "tensor([2.], grad_fn=<MulBackward>)"
    )
    assert repr(gradwork.zeros(0)) == "tensor([])"
    assert repr(gradwork.zeros(2, 0)) == "tensor([], size=(2, 0))"
    assert repr(gradwork.zeros(0, dtype=gradwork.int64)) == "tensor([], dtype=gradwork.int64)"
    assert repr(gradwork.zeros(2, 2)) == "tensor([[0., 0.],\n        [0., 0.]])"
    assert "..." in repr(gradwork.zeros(10_000))


# -- in-place operations --------------------------------------------------------------------------
INPLACE_CASES = [
    ("add_", lambda t, o, lib: t.add_(o)),
    ("add_alpha", lambda t, o, lib: t.add_(o, alpha=-0.5)),
    ("add_scalar", lambda t, o, lib: t.add_(2.5)),
    ("sub_", lambda t, o, lib: t.sub_(o, alpha=2)),
    ("mul_", lambda t, o, lib: t.mul_(o)),
    ("mul_broadcast", lambda t, o, lib: t.mul_(o[0])),
    ("div_", lambda t, o, lib: t.div_(o)),
    ("pow_", lambda t, o, lib: t.abs().pow_(1.5) if lib is torch else t.pow_(1.5)),
    ("neg_", lambda t, o, lib: t.neg_()),
    ("zero_", lambda t, o, lib: t.zero_()),
    ("fill_", lambda t, o, lib: t.fill_(-3.25)),
    ("copy_", lambda t, o, lib: t.copy_(o)),
    ("copy_broadcast", lambda t, o, lib: t.copy_(o[1])),
    ("clamp_", lambda t, o, lib: t.clamp_(-0.5, 0.5)),
    ("clamp_min", lambda t, o, lib: t.clamp_(min=0.0)),
    ("clamp_max", lambda t, o, lib: t.clamp_(max=0.0)),
    ("addcmul_", lambda t, o, lib: t.addcmul_(o, o * 2, value=0.5)),
    ("addcdiv_", lambda t, o, lib: t.addcdiv_(o, o * o + 1, value=-2)),
    ("lerp_", lambda t, o, lib: t.lerp_(o, 0.25)),
    ("lerp_tensor_weight", lambda t, o, lib: t.lerp_(o, o * o / (o * o + 1))),
    ("masked_fill_", lambda t, o, lib: t.masked_fill_(o > 0, 9.0)),
]


@pytest.mark.parametrize("name,apply", INPLACE_CASES, ids=[case[0] for case in INPLACE_CASES])
def test_inplace_ops_match_torch(name, apply):
    (x, tx), (other, t_other) = _pair(3, 4, seed=1), _pair(3, 4, seed=2)
    if name == "pow_":
        x, tx = x.abs(), tx.abs()
    version = x._version
    result = apply(x, other, gradwork)
    t_result = apply(tx, t_other, torch)
    assert result is x
    assert x._version == version + 1
    _same(x, t_result if name == "pow_" else tx)


def test_copy_converts_dtype_like_torch():
    x, tx = gradwork.zeros(3), torch.zeros(3)
    x.copy_(gradwork.tensor([1, 2, 3]))
    tx.copy_(torch.tensor([1, 2, 3]))
    _same(x, tx)
    ints = gradwork.zeros(2, dtype=gradwork.int64)
    ints.copy_(gradwork.tensor([1.7, -1.7]))
    assert (
        ints.tolist() == torch.zeros(2, dtype=torch.int64).copy_(torch.tensor([1.7, -1.7])).tolist()
    )


def test_inplace_errors():
    ints = gradwork.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        ints.mul_(0.5)
    with pytest.raises(RuntimeError, match="cannot be written"):
        gradwork.zeros(3).add_(gradwork.ones(2, 3))
    with pytest.raises(RuntimeError, match="min.*max"):
        gradwork.zeros(3).clamp_()


def test_inplace_operators_are_inplace():
    x = gradwork.tensor([1.0, 2.0])
    alias = x
    x += 1
    x *= 2
    x -= 1
    x /= 3
    assert alias is x and x.tolist() == pytest.approx([1.0, 5.0 / 3.0])


def test_random_inplace_fills():
    x = gradwork.empty(1000)
    x.uniform_(2.0, 3.0)
    assert 2.0 <= x.numpy().min() and x.numpy().max() < 3.0
    x.normal_(5.0, 0.1)
    assert abs(x.numpy().mean() - 5.0) < 0.05


# -- Python protocol ------------------------------------------------------------------------------
def test_python_protocols():
    assert bool(gradwork.tensor([1.0])) and not bool(gradwork.tensor(0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(gradwork.tensor([1.0, 2.0]))
    assert float(gradwork.tensor(2.5)) == 2.5 and int(gradwork.tensor(7)) == 7
    assert [1, 2, 3][gradwork.tensor(1)] == 2
    with pytest.raises(TypeError, match="0-d"):
        len(gradwork.tensor(1.0))
    assert -gradwork.tensor([1.0]) is not None and (+gradwork.tensor([1.0])).tolist() == [1.0]
    assert hash(gradwork.tensor(1.0)) != hash(gradwork.tensor(1.0))
    assert gradwork.is_tensor(gradwork.tensor(1.0)) and not gradwork.is_tensor(1.0)


def test_tensor_constructor_follows_gradwork_tensor():
    x = gradwork.Tensor([1.0, 2.0], requires_grad=True)
    assert x.dtype == gradwork.float32 and x.requires_grad
    array = np.array([1.0, 2.0])
    assert gradwork.Tensor(array).numpy() is array  # wraps without copying


# -- DLPack ---------------------------------------------------------------------------------------
def test_dlpack_to_torch_shares_memory():
    x = gradwork.tensor([1.0, 2.0, 3.0])
    shared = torch.from_dlpack(x)
    assert shared.dtype == torch.float32
    shared[0] = 10.0
    assert x.tolist() == [10.0, 2.0, 3.0]
    with pytest.raises(RuntimeError, match="requires grad"):
        torch.from_dlpack(gradwork.tensor([1.0], requires_grad=True))


def test_dlpack_from_torch_shares_memory():
    for dtype in (torch.float32, torch.float64, torch.int64, torch.int32, torch.uint8):
        source = torch.arange(6, dtype=dtype).reshape(2, 3)
        x = gradwork.from_dlpack(source)
        assert x.shape == (2, 3) and str(x.dtype) == "gradwork." + str(dtype).split(".")[1]
        source[1, 2] = 42
        assert x.tolist()[1][2] == 42
    round_trip = gradwork.from_dlpack(torch.from_dlpack(gradwork.tensor([[1.5, 2.5]])))
    assert round_trip.tolist() == [[1.5, 2.5]]
