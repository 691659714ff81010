"""dtypes and PyTorch's type promotion: tensor-tensor, with 0-d tensors, with Python scalars."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

import gradwork
from gradwork import _dtype

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
PAIRS = [(a, b) for a in NAMES for b in NAMES]


def _ours(name, shape):
    return gradwork.ones(shape, dtype=getattr(gradwork, name))


def _theirs(name, shape):
    return torch.ones(shape, dtype=getattr(torch, name))


def _name(dtype) -> str:
    return str(dtype).split(".")[1]


@pytest.mark.parametrize("a,b", PAIRS)
def test_promote_types_matches_torch(a, b):
    ours = gradwork.promote_types(getattr(gradwork, a), getattr(gradwork, b))
    assert _name(ours) == _name(torch.promote_types(getattr(torch, a), getattr(torch, b)))


@pytest.mark.parametrize("a,b", PAIRS)
def test_tensor_tensor_and_zero_dim_promotion_matches_torch(a, b):
    for shape_a, shape_b in (((2,), (2,)), ((2,), ()), ((), (2,)), ((), ())):
        ours = _ours(a, shape_a) + _ours(b, shape_b)
        theirs = _theirs(a, shape_a) + _theirs(b, shape_b)
        assert _name(ours.dtype) == _name(theirs.dtype), (shape_a, shape_b)
        assert tuple(ours.shape) == tuple(theirs.shape)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scalar", [True, 3, 2.5])
@pytest.mark.parametrize("shape", [(2,), ()])
def test_tensor_scalar_promotion_matches_torch(name, scalar, shape):
    ours = _ours(name, shape) * scalar
    theirs = _theirs(name, shape) * scalar
    assert _name(ours.dtype) == _name(theirs.dtype)
    ours = scalar * _ours(name, shape)
    assert _name(ours.dtype) == _name(theirs.dtype)


def test_result_type_of_three_operands():
    operands = (_ours("int32", (2,)), _ours("float64", ()), 2)
    theirs = torch.result_type(
        torch.ones(2, dtype=torch.int32), torch.ones((), dtype=torch.float64)
    )
    assert _name(_dtype.from_numpy(_dtype.result_type(*operands))) == _name(theirs)


def test_float_scalar_follows_default_dtype():
    gradwork.set_default_dtype(gradwork.float64)
    try:
        assert (gradwork.tensor([1, 2]) * 0.5).dtype == gradwork.float64
        assert (gradwork.tensor([1.0], dtype=gradwork.float32) * 0.5).dtype == gradwork.float32
    finally:
        gradwork.set_default_dtype(gradwork.float32)
    assert (gradwork.tensor([1, 2]) * 0.5).dtype == gradwork.float32


def test_dtype_objects():
    assert gradwork.float32.is_floating_point and not gradwork.int64.is_floating_point
    assert gradwork.int8.is_signed and not gradwork.uint8.is_signed
    assert gradwork.float64.itemsize == 8 and gradwork.float64.numpy == np.float64
    assert repr(gradwork.int16) == "gradwork.int16"
    assert gradwork.float is gradwork.float32 and gradwork.double is gradwork.float64
    assert gradwork.long is gradwork.int64 and gradwork.half is gradwork.float16
    assert pickle.loads(pickle.dumps(gradwork.float16)) is gradwork.float16


def test_as_dtype_accepts_names_numpy_and_python_types():
    assert _dtype.as_dtype("double") is gradwork.float64
    assert _dtype.as_dtype(np.int32) is gradwork.int32
    assert _dtype.as_dtype(float) is gradwork.float32
    assert _dtype.as_dtype(int) is gradwork.int64 and _dtype.as_dtype(bool) is gradwork.bool
    with pytest.raises(TypeError, match="unsupported dtype.*complex"):
        _dtype.as_dtype(np.complex64)
