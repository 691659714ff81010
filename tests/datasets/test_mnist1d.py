"""gradwork.datasets.MNIST1D: generated arrays equal the reference package's, bit for bit."""

import importlib
import os
import time

import numpy as np
import pytest

import gradwork
from gradwork.datasets import MNIST1D, make_mnist1d, mnist1d_templates
from gradwork.utils.data import DataLoader

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def reference():
    """The reference package ``mnist1d``: required in CI, optional elsewhere."""
    try:
        return importlib.import_module("mnist1d.data")
    except ImportError as error:
        message = f"the reference package is missing ({error}): pip install mnist1d"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def reference_args(**overrides):
    data = reference()
    args = data.get_dataset_args()
    for name, value in overrides.items():
        setattr(args, name, value)
    return args


@pytest.mark.parametrize(
    "overrides",
    [
        {},  # the published defaults: 4000 + 1000 samples, seed 42
        {
            "seed": 3,
            "num_samples": 1200,
            "train_split": 0.75,
            "padding": [20, 44],
            "max_translation": 30,
            "shear_scale": 1.5,
            "shuffle_seq": True,
            "final_seq_length": 64,
        },
    ],
    ids=["defaults", "other-args"],
)
def test_arrays_equal_the_reference_package(overrides):
    args = reference_args(**overrides)
    state = np.random.get_state()  # the reference seeds NumPy's global generator
    try:
        expected = reference().make_dataset(args)
    finally:
        np.random.set_state(state)
    arguments = {key: value for key, value in vars(args).items() if key != "url"}
    ours = make_mnist1d(**arguments)
    for key in ("x", "y", "x_test", "y_test", "t"):
        assert ours[key].shape == expected[key].shape, key
        assert ours[key].dtype == expected[key].dtype, key
        np.testing.assert_array_equal(ours[key], expected[key], err_msg=key)
    np.testing.assert_array_equal(ours["templates"], expected["templates"]["x"])


def test_templates_equal_the_reference_package():
    expected, ours = reference().get_templates(), mnist1d_templates()
    for key in ("x", "t", "y"):
        np.testing.assert_array_equal(ours[key], expected[key])


def test_default_arguments_match_the_reference_package():
    args = vars(reference_args())
    ours = make_mnist1d.__defaults__
    names = make_mnist1d.__code__.co_varnames[: make_mnist1d.__code__.co_argcount]
    for name, default in zip(names, ours):
        expected = args[name]
        assert (list(default) if isinstance(default, tuple) else default) == expected, name


def test_sizes_dtypes_and_shapes():
    train, test = MNIST1D(), MNIST1D(train=False)
    assert len(train) == 4000 and len(test) == 1000
    assert train.data.dtype == gradwork.float32 and tuple(train.data.shape) == (4000, 40)
    assert train.targets.dtype == gradwork.int64 and tuple(train.targets.shape) == (4000,)
    assert tuple(test.data.shape) == (1000, 40)
    assert tuple(train.templates.shape) == (10, 12) and tuple(train.t.shape) == (40,)
    x, y = train[0]
    assert isinstance(x, gradwork.Tensor) and x.dtype == gradwork.float32
    assert tuple(x.shape) == (40,) and isinstance(y, int) and 0 <= y < 10
    assert train.classes == [str(digit) for digit in range(10)]


def test_float32_data_is_the_rounded_float64_arrays():
    arrays = make_mnist1d()
    np.testing.assert_array_equal(MNIST1D().data.numpy(), arrays["x"].astype(np.float32))
    np.testing.assert_array_equal(MNIST1D(train=False).targets.numpy(), arrays["y_test"])


def test_classes_are_balanced_and_data_normalised():
    train, test = MNIST1D(), MNIST1D(train=False)
    counts = np.bincount(train.targets.numpy(), minlength=10)
    counts_test = np.bincount(test.targets.numpy(), minlength=10)
    assert (counts + counts_test == 500).all()  # 500 per digit, shuffled before the split
    assert counts.min() > 350 and counts_test.min() > 70
    everything = np.concatenate([make_mnist1d()["x"], make_mnist1d()["x_test"]])
    assert abs(everything.mean()) < 1e-12 and abs(everything.std() - 1) < 1e-12


def test_generation_is_deterministic_cached_and_fast():
    assert make_mnist1d() is make_mnist1d()  # cached
    start = time.perf_counter()
    arrays = make_mnist1d(seed=12345)
    assert time.perf_counter() - start < 5.0
    np.testing.assert_array_equal(MNIST1D(seed=12345).data.numpy(), arrays["x"].astype(np.float32))
    assert not np.array_equal(arrays["x"], make_mnist1d()["x"])
    assert not arrays["x"].flags.writeable  # shared through the cache


def test_dataset_tensors_are_independent_copies():
    first, second = MNIST1D(), MNIST1D()
    first.data.zero_()
    assert second.data.abs().sum().item() > 0


def test_transforms_and_data_loader():
    dataset = MNIST1D(transform=lambda x: x * 2, target_transform=lambda y: y + 10)
    x, y = dataset[3]
    np.testing.assert_array_equal(x.numpy(), 2 * dataset.data[3].numpy())
    assert y == int(dataset.targets[3]) + 10
    xs, ys = next(iter(DataLoader(MNIST1D(), batch_size=32)))
    assert tuple(xs.shape) == (32, 40) and ys.dtype == gradwork.int64
    np.testing.assert_array_equal(xs.numpy(), MNIST1D().data[:32].numpy())


def test_shifts_longer_than_the_signal_are_rejected():
    with pytest.raises(ValueError, match="max_translation"):
        make_mnist1d(max_translation=100)
