"""The SciPy fast paths of erf/erfc and of row sums equal the NumPy rules they replace."""

import numpy as np
import pytest

from gradwork.ops import indexing, special

scipy = pytest.importorskip("scipy")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scipy_erf_and_erfc_equal_cody(dtype):
    x = np.concatenate(
        [np.linspace(-30, 30, 20001), [0.0, -0.0, 0.46875, -0.46875, 4.0, -4.0, np.inf, -np.inf]]
    ).astype(dtype)
    tolerance = 1e-14 if dtype == np.float64 else 1e-6  # erfc tails: both ~1e-14 relative
    fast, plain = special._erf(x), special.erf_cody(x)
    assert fast.dtype == plain.dtype == dtype
    np.testing.assert_allclose(fast, plain, rtol=tolerance, atol=tolerance)
    fast, plain = special.erfc_array(x), special.erfc_cody(x)
    assert fast.dtype == plain.dtype == dtype
    tiny = np.finfo(dtype).smallest_normal  # subnormal tails may round differently
    np.testing.assert_allclose(fast, plain, rtol=10 * tolerance, atol=tiny)


def test_erf_keeps_float16():
    x = np.linspace(-3, 3, 11).astype(np.float16)
    assert special._erf(x).dtype == np.float16
    assert special.erfc_array(x).dtype == np.float16


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_row_sums_equal_bincount(dtype):
    rng = np.random.default_rng(0)
    index = rng.integers(0, 300, 20_000)
    rows = rng.standard_normal((20_000, 8)).astype(dtype)
    fast = indexing._sparse_sum_rows(index, rows, 300)
    plain = indexing._bincount_rows(index, rows, 300)
    assert fast.shape == plain.shape == (300, 8)
    np.testing.assert_allclose(fast, plain, rtol=1e-4 if dtype == np.float32 else 1e-12, atol=1e-3)


def test_large_index_add_takes_the_sparse_path_and_matches_add_at():
    rng = np.random.default_rng(1)
    index = rng.integers(0, 1000, indexing._SPARSE_MIN_VALUES)
    source = rng.standard_normal((indexing._SPARSE_MIN_VALUES, 2))
    out = rng.standard_normal((1000, 2))
    expected = out.copy()
    np.add.at(expected, index, source)
    indexing._index_add_into(out, 0, index, source)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_float32_erfc_accuracy_and_special_values():
    x = np.concatenate([np.linspace(-12, 12, 200001), [0.0, -0.0, np.inf, -np.inf, np.nan]])
    x = x.astype(np.float32)
    fast = np.empty_like(x)
    special.erfc_float32_into(x, fast)
    assert fast.dtype == np.float32 and fast.shape == x.shape
    reference = scipy.special.erfc(x.astype(np.float64))
    relative = np.abs(fast - reference) / np.where(reference > 0, reference, 1)
    assert relative[reference > 1e-10].max() < 2.2e-6
    assert relative[reference > np.finfo(np.float32).smallest_normal].max() < 8e-6
    np.testing.assert_array_equal(fast[-5:], [1.0, 1.0, 0.0, 2.0, np.nan])


def test_float32_gelu_uses_the_fast_erfc_and_matches_float64():
    import gradwork

    x = np.random.default_rng(3).standard_normal(10_000).astype(np.float32) * 4
    ours = gradwork.gelu(gradwork.tensor(x)).numpy()
    exact = gradwork.gelu(gradwork.tensor(x.astype(np.float64))).numpy()
    np.testing.assert_allclose(ours, exact, rtol=1e-5, atol=1e-30)  # 8e-6 in the far tail
    edges = gradwork.gelu(gradwork.tensor([np.inf, -np.inf, 0.0], dtype=gradwork.float32))
    np.testing.assert_array_equal(edges.numpy(), [np.inf, np.nan, 0.0])  # -inf * 0, as PyTorch
