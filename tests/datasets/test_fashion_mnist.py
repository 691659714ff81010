"""gradwork.datasets.FashionMNIST: the idx files of Debian's dataset-fashion-mnist package."""

import gzip
import os

import numpy as np
import pytest

import gradwork
from gradwork.datasets import FashionMNIST
from gradwork.datasets.fashion_mnist import DEFAULT_ROOT, read_idx
from gradwork.utils.data import DataLoader

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def installed():
    """The Debian package's files: required in CI, optional elsewhere."""
    if not os.path.exists(os.path.join(DEFAULT_ROOT, "t10k-labels-idx1-ubyte.gz")) and not (
        os.path.exists(os.path.join(DEFAULT_ROOT, "t10k-labels-idx1-ubyte"))
    ):
        message = f"Fashion-MNIST is not in {DEFAULT_ROOT}: apt-get install dataset-fashion-mnist"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return FashionMNIST(train=True), FashionMNIST(train=False)


def write_idx(path, array, compress=False):
    codes = {("u", 1): 0x08, ("i", 4): 0x0C, ("f", 4): 0x0D}
    header = bytes([0, 0, codes[array.dtype.kind, array.dtype.itemsize], array.ndim])
    header += np.asarray(array.shape, ">u4").tobytes()
    data = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    with (gzip.open if compress else open)(path, "wb") as file:
        file.write(data)


def test_sizes_dtypes_and_shapes(installed):
    train, test = installed
    assert len(train) == 60000 and len(test) == 10000
    assert train.data.dtype == gradwork.uint8 and tuple(train.data.shape) == (60000, 28, 28)
    assert train.targets.dtype == gradwork.int64 and tuple(test.targets.shape) == (10000,)
    assert len(train.classes) == 10 and train.class_to_idx["Ankle boot"] == 9


def test_known_contents(installed):
    train, test = installed
    assert train.targets[:5].tolist() == [9, 0, 0, 3, 0]
    assert test.classes[test[0][1]] == "Ankle boot"
    # Pixel sums of the canonical files (Xiao et al. 2017): catches a mis-parsed header.
    assert int(train.data.numpy().sum(dtype=np.int64)) == 3431114169
    assert int(test.data.numpy().sum(dtype=np.int64)) == 573469082


def test_classes_are_balanced(installed):
    train, test = installed
    assert (np.bincount(train.targets.numpy(), minlength=10) == 6000).all()
    assert (np.bincount(test.targets.numpy(), minlength=10) == 1000).all()


def test_sample_is_a_float_image_in_the_unit_interval(installed):
    _, test = installed
    image, label = test[17]
    assert image.dtype == gradwork.float32 and tuple(image.shape) == (1, 28, 28)
    assert isinstance(label, int)
    np.testing.assert_allclose(image.numpy()[0], test.data[17].numpy() / 255, rtol=1e-6)
    assert 0.0 <= image.numpy().min() and image.numpy().max() <= 1.0


def test_transforms_and_data_loader(installed):
    _, test = installed
    dataset = FashionMNIST(train=False, transform=lambda x: x.flatten(), target_transform=str)
    x, y = dataset[0]
    assert tuple(x.shape) == (784,) and y == "9"
    images, labels = next(iter(DataLoader(test, batch_size=16)))
    assert tuple(images.shape) == (16, 1, 28, 28) and labels.dtype == gradwork.int64


def test_missing_files_name_the_package(tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        FashionMNIST(root=str(tmp_path / "nowhere"))


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_reads_plain_and_gzipped_idx_files(tmp_path, compress):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], np.uint8)
    suffix = ".gz" if compress else ""
    write_idx(tmp_path / f"t10k-images-idx3-ubyte{suffix}", images, compress)
    write_idx(tmp_path / f"t10k-labels-idx1-ubyte{suffix}", labels, compress)
    dataset = FashionMNIST(root=str(tmp_path), train=False)
    np.testing.assert_array_equal(dataset.data.numpy(), images)
    assert dataset.targets.tolist() == [3, 1, 4, 1, 5]
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        FashionMNIST(root=str(tmp_path), train=True)


def test_read_idx_converts_big_endian_types(tmp_path):
    array = np.arange(6, dtype=np.int32).reshape(2, 3) - 3
    write_idx(tmp_path / "ints", array)
    result = read_idx(str(tmp_path / "ints"))
    assert result.dtype == np.int32 and result.dtype.isnative
    np.testing.assert_array_equal(result, array)


def test_read_idx_rejects_bad_files(tmp_path):
    (tmp_path / "junk").write_bytes(b"\x12\x34\x56\x78 not idx")
    with pytest.raises(ValueError, match="not an idx file"):
        read_idx(str(tmp_path / "junk"))
    write_idx(tmp_path / "short", np.zeros((4, 28, 28), np.uint8))
    data = (tmp_path / "short").read_bytes()
    (tmp_path / "short").write_bytes(data[:-10])
    with pytest.raises(ValueError, match="truncated or corrupted"):
        read_idx(str(tmp_path / "short"))
