"""gradwork.datasets.Digits: scikit-learn's 8x8 digits with a fixed, stratified split."""

import importlib
import os
import sys

import numpy as np
import pytest

import gradwork
from gradwork.datasets import Digits
from gradwork.datasets import digits as digits_module

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture
def load_digits():
    """scikit-learn's loader: required in CI, optional elsewhere."""
    try:
        return importlib.import_module("sklearn.datasets").load_digits
    except ImportError as error:
        message = f"scikit-learn is missing ({error}): pip install scikit-learn"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def test_sizes_dtypes_and_shapes(load_digits):
    train, test = Digits(), Digits(train=False)
    assert len(train) == 1442 and len(test) == 355
    assert train.data.dtype == gradwork.float32 and tuple(train.data.shape) == (1442, 1, 8, 8)
    assert train.targets.dtype == gradwork.int64 and tuple(test.targets.shape) == (355,)
    x, y = test[0]
    assert tuple(x.shape) == (1, 8, 8) and x.dtype == gradwork.float32 and isinstance(y, int)
    assert train.classes == [str(digit) for digit in range(10)]


def test_pixels_are_scaled_to_the_unit_interval(load_digits):
    data = Digits().data.numpy()
    assert data.min() == 0.0 and data.max() == 1.0
    np.testing.assert_array_equal(np.unique(data * 16), np.arange(17))


def test_split_is_every_fifth_image_of_each_digit(load_digits):
    bunch = load_digits()
    images, targets = (bunch.images / 16).astype(np.float32), bunch.target
    test_rows = np.zeros(len(targets), bool)
    for digit in range(10):
        test_rows[np.flatnonzero(targets == digit)[4::5]] = True
    np.testing.assert_array_equal(Digits(train=False).data.numpy()[:, 0], images[test_rows])
    np.testing.assert_array_equal(Digits(train=True).data.numpy()[:, 0], images[~test_rows])
    np.testing.assert_array_equal(Digits(train=False).targets.numpy(), targets[test_rows])


def test_classes_are_balanced_in_both_splits(load_digits):
    for train, low, high in ((True, 139, 147), (False, 34, 36)):
        counts = np.bincount(Digits(train=train).targets.numpy(), minlength=10)
        assert counts.min() >= low and counts.max() <= high, counts


def test_deterministic_and_independent(load_digits):
    first, second = Digits(), Digits()
    np.testing.assert_array_equal(first.data.numpy(), second.data.numpy())
    first.data.zero_()
    assert second.data.sum().item() > 0


def test_transforms(load_digits):
    dataset = Digits(transform=lambda x: x.reshape(64), target_transform=lambda y: -y)
    x, y = dataset[5]
    assert tuple(x.shape) == (64,) and y == -int(Digits().targets[5])


def test_missing_scikit_learn_names_the_install_command(monkeypatch):
    digits_module._load.cache_clear()
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes `import sklearn...` fail
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    try:
        with pytest.raises(ImportError, match="pip install scikit-learn"):
            Digits()
    finally:
        digits_module._load.cache_clear()
