"""Creation functions: dtypes and shapes as in PyTorch, memory sharing, ``requires_grad``."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import gradwork


def _dtype_name(dtype) -> str:
    return str(dtype).split(".")[1]


def _same_kind(ours, theirs):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert _dtype_name(ours.dtype) == _dtype_name(theirs.dtype)


TENSOR_DATA = [
    1.5,
    3,
    True,
    [1, 2, 3],
    [1.0, 2],
    [[True, False]],
    [[1, 2], [3, 4]],
    [],
    np.float64(2.0),
    np.array([1, 2], dtype=np.int32),
    np.array([1.0, 2.0], dtype=np.float64),
    np.array([1, 2], dtype=np.uint8),
    np.zeros((2, 0, 3), dtype=np.float16),
]


@pytest.mark.parametrize("data", TENSOR_DATA, ids=[repr(d)[:30] for d in TENSOR_DATA])
def test_tensor_infers_dtype_and_shape_like_torch(data):
    ours = gradwork.tensor(data)
    theirs = torch.tensor(data)
    _same_kind(ours, theirs)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_tensor_with_dtype_and_requires_grad():
    x = gradwork.tensor([1, 2], dtype=gradwork.float64, requires_grad=True)
    assert x.dtype == gradwork.float64 and x.requires_grad and x.is_leaf
    assert gradwork.tensor([1.5], dtype=gradwork.int32).tolist() == [1]
    assert gradwork.tensor([1], dtype="float").dtype == gradwork.float32
    assert gradwork.tensor([1], dtype=np.float16).dtype == gradwork.float16


def test_tensor_copies_and_as_tensor_shares():
    array = np.array([1.0, 2.0])
    copied, shared = gradwork.tensor(array), gradwork.as_tensor(array)
    array[0] = 9.0
    assert copied.tolist() == [1.0, 2.0] and shared.tolist() == [9.0, 2.0]
    assert shared.dtype == gradwork.float64
    assert gradwork.as_tensor(array, dtype=gradwork.float32).tolist() == [9.0, 2.0]
    existing = gradwork.tensor([1.0])
    assert gradwork.as_tensor(existing) is existing


def test_tensor_of_tensors_and_errors():
    assert gradwork.tensor([gradwork.tensor(1.0), gradwork.tensor(2.0)]).tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="rectangular"):
        gradwork.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="unsupported dtype"):
        gradwork.tensor(np.array([1 + 2j]))


def test_from_numpy_is_zero_copy():
    array = np.arange(6, dtype=np.int32).reshape(2, 3)
    x = gradwork.from_numpy(array)
    assert x.numpy() is array and x.dtype == gradwork.int32
    array[0, 0] = 100
    assert x.tolist()[0][0] == 100
    x.add_(1)
    assert array[0, 0] == 101
    with pytest.raises(TypeError, match="np.ndarray"):
        gradwork.from_numpy([1, 2])


SHAPE_FUNCTIONS = ["zeros", "ones", "empty", "rand", "randn"]


@pytest.mark.parametrize("name", SHAPE_FUNCTIONS)
@pytest.mark.parametrize("size", [((),), (3,), (2, 3), ((2, 3),), ([4, 1],), (0, 2)])
def test_shaped_creation_matches_torch(name, size):
    ours, theirs = getattr(gradwork, name)(*size), getattr(torch, name)(*size)
    _same_kind(ours, theirs)
    for dtype in ("float64", "float16"):
        ours = getattr(gradwork, name)(*size, dtype=getattr(gradwork, dtype))
        theirs = getattr(torch, name)(*size, dtype=getattr(torch, dtype))
        _same_kind(ours, theirs)
    x = getattr(gradwork, name)(*size, requires_grad=True)
    assert x.requires_grad and x.is_leaf


def test_zeros_ones_values_and_integer_dtype():
    assert gradwork.zeros(2, 2).numpy().sum() == 0 and gradwork.ones(3).tolist() == [1.0] * 3
    _same_kind(gradwork.zeros(2, dtype=gradwork.int64), torch.zeros(2, dtype=torch.int64))
    _same_kind(gradwork.ones(2, dtype=gradwork.bool), torch.ones(2, dtype=torch.bool))


@pytest.mark.parametrize("fill", [1.5, 2, True, -0.0])
def test_full_dtype_follows_fill_value(fill):
    ours, theirs = gradwork.full((2, 3), fill), torch.full((2, 3), fill)
    _same_kind(ours, theirs)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    _same_kind(
        gradwork.full((2,), fill, dtype=gradwork.float64),
        torch.full((2,), fill, dtype=torch.float64),
    )


ARANGE_CASES = [(5,), (2, 7), (1, 10, 3), (0.0, 1.0, 0.1), (5, 0, -1), (0, 1, 0.25), (-1.5, 2)]


@pytest.mark.parametrize("arguments", ARANGE_CASES)
def test_arange_matches_torch(arguments):
    ours, theirs = gradwork.arange(*arguments), torch.arange(*arguments)
    _same_kind(ours, theirs)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    _same_kind(
        gradwork.arange(*arguments, dtype=gradwork.float64),
        torch.arange(*arguments, dtype=torch.float64),
    )


def test_arange_zero_step_raises():
    with pytest.raises(RuntimeError, match="step"):
        gradwork.arange(0, 5, 0)


@pytest.mark.parametrize("arguments", [(0, 1, 5), (-2.0, 3.0, 7), (1, 1, 1), (0, 10, 0)])
def test_linspace_matches_torch(arguments):
    ours, theirs = gradwork.linspace(*arguments), torch.linspace(*arguments)
    _same_kind(ours, theirs)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_eye_matches_torch():
    for arguments in ((3,), (2, 4), (4, 2)):
        ours, theirs = gradwork.eye(*arguments), torch.eye(*arguments)
        _same_kind(ours, theirs)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    _same_kind(gradwork.eye(2, dtype=gradwork.int64), torch.eye(2, dtype=torch.int64))


def test_random_values_are_in_their_ranges():
    uniform = gradwork.rand(10_000)
    assert 0.0 <= uniform.numpy().min() and uniform.numpy().max() < 1.0
    normal = gradwork.randn(10_000, dtype=gradwork.float64)
    assert abs(normal.numpy().mean()) < 0.05 and abs(normal.numpy().std() - 1.0) < 0.05


def test_randint_matches_torch_in_shape_and_dtype():
    for ours, theirs in (
        (gradwork.randint(10, (3, 4)), torch.randint(10, (3, 4))),
        (gradwork.randint(-5, 5, (100,)), torch.randint(-5, 5, (100,))),
        (
            gradwork.randint(0, 3, (2,), dtype=gradwork.int32),
            torch.randint(0, 3, (2,), dtype=torch.int32),
        ),
    ):
        _same_kind(ours, theirs)
    values = gradwork.randint(-5, 5, (1000,)).numpy()
    assert values.min() == -5 and values.max() == 4


def test_randperm_is_a_permutation():
    ours, theirs = gradwork.randperm(10), torch.randperm(10)
    _same_kind(ours, theirs)
    assert sorted(ours.tolist()) == list(range(10))
    _same_kind(gradwork.randperm(4, dtype=gradwork.int32), torch.randperm(4, dtype=torch.int32))


LIKE_FUNCTIONS = ["zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"]


@pytest.mark.parametrize("name", LIKE_FUNCTIONS)
def test_like_functions_follow_the_input(name):
    source, t_source = (
        gradwork.zeros(2, 3, dtype=gradwork.float64),
        torch.zeros(2, 3, dtype=torch.float64),
    )
    _same_kind(getattr(gradwork, name)(source), getattr(torch, name)(t_source))
    _same_kind(
        getattr(gradwork, name)(source, dtype=gradwork.float16),
        getattr(torch, name)(t_source, dtype=torch.float16),
    )
    assert getattr(gradwork, name)(source, requires_grad=True).requires_grad


def test_full_like_and_randint_like():
    source, t_source = (
        gradwork.zeros(2, 3, dtype=gradwork.int32),
        torch.zeros(2, 3, dtype=torch.int32),
    )
    ours, theirs = gradwork.full_like(source, 7), torch.full_like(t_source, 7)
    _same_kind(ours, theirs)
    assert ours.numpy().tolist() == theirs.tolist()
    _same_kind(
        gradwork.full_like(source, 2.5, dtype=gradwork.float32),
        torch.full_like(t_source, 2.5, dtype=torch.float32),
    )
    _same_kind(gradwork.randint_like(source, 5), torch.randint_like(t_source, 5))
    assert gradwork.randint_like(source, 3, 5).numpy().min() >= 3


def test_default_dtype_changes_float_creation():
    gradwork.set_default_dtype(gradwork.float64)
    try:
        assert gradwork.tensor([1.0]).dtype == gradwork.float64
        assert gradwork.zeros(2).dtype == gradwork.float64
        assert gradwork.arange(0.0, 1.0, 0.5).dtype == gradwork.float64
        assert gradwork.tensor([1]).dtype == gradwork.int64
    finally:
        gradwork.set_default_dtype(gradwork.float32)
    assert gradwork.zeros(2).dtype == gradwork.float32
    with pytest.raises(TypeError, match="floating"):
        gradwork.set_default_dtype(gradwork.int64)


def test_cuda_creation_without_cupy_names_cupy():
    try:
        import cupy  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match="CuPy"):
            gradwork.zeros(2, device="cuda")
        with pytest.raises(RuntimeError, match="CuPy"):
            gradwork.tensor([1.0], device="cuda")
    else:
        pytest.skip("CuPy is installed")
