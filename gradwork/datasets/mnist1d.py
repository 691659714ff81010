"""MNIST-1D (Greydanus 2020, "Scaling down deep learning"), generated here from its recipe.

Each sample is one of ten hand-drawn 12-point digit templates, distorted by the published
procedure: random zero padding, linear stretching, a random scale, a random circular shift,
correlated Gaussian noise in the padding, i.i.d. Gaussian noise everywhere, a random linear
shear, and finally resampling to 40 points. The defaults are those of the reference package's
``get_dataset_args()`` (5000 samples, 80/20 split, seed 42), and the random numbers are drawn
in the reference order from NumPy's legacy ``RandomState`` (a stream frozen across NumPy
versions), so the arrays equal the reference package's ``make_dataset`` output; the transforms
are vectorised over all samples, so generating the dataset takes a fraction of a second.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gradwork.tensor import Tensor
from gradwork.utils.data.dataset import Dataset

__all__ = ["MNIST1D", "make_mnist1d", "mnist1d_templates"]

# The ten digit outlines of the reference implementation, 12 points each (rows are digits 0-9).
_DIGITS = np.array(
    [
        [5, 6, 6.5, 6.75, 7, 7, 7, 7, 6.75, 6.5, 6, 5],
        [5, 3, 3, 3.4, 3.8, 4.2, 4.6, 5, 5.4, 5.8, 5, 5],
        [5, 6, 6.5, 6.5, 6, 5.25, 4.75, 4, 3.5, 3.5, 4, 5],
        [5, 6, 6.5, 6.5, 6, 5, 5, 6, 6.5, 6.5, 6, 5],
        [5, 4.4, 3.8, 3.2, 2.6, 2.6, 5, 5, 5, 5, 5, 5],
        [5, 3, 3, 3, 3, 5, 6, 6.5, 6.5, 6, 4.5, 5],
        [5, 4, 3.5, 3.25, 3, 3, 3, 3, 3.25, 3.5, 4, 5],
        [5, 7, 7, 6.6, 6.2, 5.8, 5.4, 5, 4.6, 4.2, 5, 5],
        [5, 4, 3.5, 3.5, 4, 5, 5, 4, 3.5, 3.5, 4, 5],
        [5, 4, 3.5, 3.5, 4, 5, 5, 5, 5, 4.7, 4.3, 5],
    ]
)

# Added to the template before padding so that no template point is exactly zero: exact zeros
# mark the padding, which later receives the correlated noise.
_EPS = 1e-8


def mnist1d_templates() -> dict[str, np.ndarray]:
    """The ten digit templates: whitened, starting at 0, scaled by 1/6.

    Returns:
        ``{"x": (10, 12) float64 signals, "t": (12,) coordinates in [-5/6, 5/6], "y": labels}``.

    Example:
        >>> from gradwork.datasets import mnist1d_templates
        >>> templates = mnist1d_templates()
        >>> templates["x"].shape, templates["x"][:, 0].tolist() == [0.0] * 10
        ((10, 12), True)
    """
    x = _DIGITS - _DIGITS.mean(1, keepdims=True)
    x /= x.std(1, keepdims=True)
    x -= x[:, :1]
    return {"x": x / 6.0, "t": np.linspace(-5, 5, 12) / 6.0, "y": np.arange(10)}


def _interpolate(y: np.ndarray, length: int) -> np.ndarray:
    """Resample the last axis of ``y`` from ``linspace(0, 1, n)`` to ``linspace(0, 1, length)``.

    Piecewise linear, computed as ``np.interp`` computes it (which SciPy's ``interp1d`` calls for
    1-d data): ``slope * (x - x_j) + y_j`` on the interval ``x_j <= x < x_j+1``, and exactly
    ``y_j`` where ``x`` is a grid point, so the results agree to the last bit.
    """
    grid = np.linspace(0, 1, y.shape[-1])
    new_grid = np.linspace(0, 1, length)
    start = (np.searchsorted(grid, new_grid, side="right") - 1).clip(0, len(grid) - 2)
    slope = (y[..., start + 1] - y[..., start]) / (grid[start + 1] - grid[start])
    out = slope * (new_grid - grid[start]) + y[..., start]
    nearest = np.searchsorted(grid, new_grid).clip(0, len(grid) - 1)
    on_grid = grid[nearest] == new_grid
    out[..., on_grid] = y[..., nearest[on_grid]]
    return out


def _gaussian_kernel(sigma: float) -> np.ndarray:
    """The normalised Gaussian weights at offsets ``-4 sigma .. 4 sigma`` (SciPy's truncation)."""
    radius = int(4.0 * sigma + 0.5)
    offsets = np.arange(-radius, radius + 1)
    weights = np.exp(-0.5 / (sigma * sigma) * offsets**2)
    return weights / weights.sum()


def _gaussian_filter(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing of the last axis, with mirrored ends (SciPy's ``mode="reflect"``).

    Summed as ``scipy.ndimage.gaussian_filter`` sums a symmetric kernel (centre first, then
    each pair of mirrored neighbours from the outermost in), to agree to the last bit.
    """
    weights = _gaussian_kernel(sigma)
    radius = len(weights) // 2
    length = x.shape[-1]
    padded = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(radius, radius)], mode="symmetric")

    def window(offset: int) -> np.ndarray:
        return padded[..., radius + offset : radius + offset + length]

    out = x * weights[radius]
    for offset in range(radius, 0, -1):
        out += (window(-offset) + window(offset)) * weights[radius - offset]
    return out


@functools.lru_cache(maxsize=8)
def _generate(
    num_samples: int,
    train_split: float,
    template_len: int,
    padding: tuple[int, int],
    scale_coeff: float,
    max_translation: int,
    corr_noise_scale: float,
    iid_noise_scale: float,
    shear_scale: float,
    shuffle_seq: bool,
    final_seq_length: int,
    seed: int,
) -> dict[str, np.ndarray]:
    templates = mnist1d_templates()
    low, high = padding
    length = template_len + high  # the length of every sample between padding and subsampling
    if max_translation > length:
        raise ValueError(
            f"MNIST1D: max_translation ({max_translation}) must not exceed template_len + "
            f"padding[1] ({length})"
        )
    per_class = num_samples // 10
    labels = np.repeat(templates["y"], per_class)
    count = len(labels)

    # The random numbers, drawn one sample after another in the reference's order. Drawing is
    # the only per-sample loop: the legacy stream interleaves scalars and normal vectors (whose
    # polar method caches a spare value), so the draws cannot be batched without changing them.
    rng = np.random.RandomState(seed)
    pad_draw, scale_draw, shear_draw = np.empty(count), np.empty(count), np.empty(count)
    shifts = np.empty(count, np.int64)
    corr_draw, iid_draw = np.empty((count, length)), np.empty((count, length))
    for index in range(count):
        pad_draw[index] = rng.random_sample()
        scale_draw[index] = rng.random_sample()
        shifts[index] = rng.randint(max_translation)
        corr_draw[index] = rng.standard_normal(length)
        iid_draw[index] = rng.standard_normal(length)
        shear_draw[index] = rng.random_sample()

    # Pad with zeros, then stretch to ``length`` points; rows are grouped by their padding.
    pads = low + (pad_draw * (high - low + 1)).astype(np.int64)
    x = np.empty((count, length))
    signals = templates["x"][labels] + _EPS
    for pad in np.unique(pads):
        rows = pads == pad
        padded = np.concatenate([signals[rows], np.zeros((int(rows.sum()), int(pad)))], axis=1)
        x[rows] = _interpolate(padded, length)
    x *= (1 + scale_coeff * (scale_draw - 0.5))[:, None]
    # Circular shift to the right by ``shifts`` points.
    x = np.take_along_axis(x, (np.arange(length) - shifts[:, None]) % length, axis=1)
    noise = _gaussian_filter(corr_noise_scale * corr_draw, 2)
    x = np.where(x != 0, x, noise)  # correlated noise where the signal is padding
    x = x + iid_noise_scale * iid_draw
    x = x - (shear_scale * (shear_draw - 0.5))[:, None] * np.linspace(-0.5, 0.5, length)
    x = _interpolate(x, final_seq_length)
    t = _interpolate(_interpolate(templates["t"], length), final_seq_length)

    order = rng.permutation(count)
    x, labels = x[order], labels[order]
    if shuffle_seq:
        x = x[:, rng.permutation(final_seq_length)]
    t = t / x.std()
    x = (x - x.mean()) / x.std()  # the whole dataset centred, with standard deviation 1
    split = int(count * train_split)
    arrays = {
        "x": x[:split],
        "y": labels[:split],
        "x_test": x[split:],
        "y_test": labels[split:],
        "t": t,
        "templates": templates["x"],
    }
    for array in arrays.values():
        array.setflags(write=False)  # shared by every caller through the cache
    return arrays


def make_mnist1d(
    num_samples: int = 5000,
    train_split: float = 0.8,
    template_len: int = 12,
    padding: Sequence[int] = (36, 60),
    scale_coeff: float = 0.4,
    max_translation: int = 48,
    corr_noise_scale: float = 0.25,
    iid_noise_scale: float = 2e-2,
    shear_scale: float = 0.75,
    shuffle_seq: bool = False,
    final_seq_length: int = 40,
    seed: int = 42,
) -> dict[str, np.ndarray]:
    """Generate MNIST-1D as NumPy arrays (cached: the same arguments return the same arrays).

    Args:
        num_samples: samples in total, ``num_samples // 10`` per digit (default 5000).
        train_split: the fraction in the training set (default 0.8: 4000 train, 1000 test).
        template_len: the template's length; with ``padding[1]`` it sets the working length.
        padding: the range ``(low, high)`` of zeros appended to the template (default (36, 60)).
        scale_coeff: the signal is scaled by a factor uniform in ``1 +- scale_coeff / 2``.
        max_translation: circular shifts are uniform in ``[0, max_translation)`` points.
        corr_noise_scale: the standard deviation of the noise that fills the padding (before
            its Gaussian smoothing with sigma 2).
        iid_noise_scale: the standard deviation of the noise added to every point.
        shear_scale: a line of slope uniform in ``+- shear_scale / 2`` is subtracted.
        shuffle_seq: permute the 40 positions (one permutation for all samples) to remove the
            spatial structure.
        final_seq_length: the length of each sample (default 40).
        seed: the seed of NumPy's legacy ``RandomState`` (default 42, the reference's).

    Returns:
        read-only arrays in the reference's layout: ``x`` (float64 ``(N_train, 40)``), ``y``
        (int64 ``(N_train,)``), ``x_test``, ``y_test``, ``t`` (the 40 coordinates of a sample,
        for plotting) and ``templates`` (``(10, 12)``).

    Example:
        >>> from gradwork.datasets import make_mnist1d
        >>> arrays = make_mnist1d()
        >>> arrays["x"].shape, arrays["x_test"].shape, arrays["y"].dtype
        ((4000, 40), (1000, 40), dtype('int64'))
    """
    return _generate(
        int(num_samples),
        float(train_split),
        int(template_len),
        (int(padding[0]), int(padding[1])),
        float(scale_coeff),
        int(max_translation),
        float(corr_noise_scale),
        float(iid_noise_scale),
        float(shear_scale),
        bool(shuffle_seq),
        int(final_seq_length),
        int(seed),
    )


class MNIST1D(Dataset):
    """MNIST-1D: 1-d signals of length 40 in 10 digit classes, generated in memory.

    Greydanus, "Scaling down deep learning" (2020), https://github.com/greydanus/mnist1d. The
    arrays equal those of the reference package for the same seed and arguments (see
    :func:`make_mnist1d`, which takes the keyword arguments).

    Args:
        root: ignored (nothing is read or written); accepted for torchvision's signature.
        train: the 4000 training samples (default) or the 1000 test samples.
        transform: a callable applied to each signal (a float32 tensor ``(40,)``).
        target_transform: a callable applied to each label (an int).
        seed: the generator's seed (default 42, the reference's).
        **kwargs: the other generation arguments of :func:`make_mnist1d`.

    Attributes:
        data: float32 tensor ``(N, 40)``, normalised over the whole dataset (mean 0, std 1).
        targets: int64 tensor ``(N,)``.
        templates: float64 tensor ``(10, 12)``, the undistorted digits.
        t: float64 tensor ``(40,)``, the coordinates of the points (for plotting).
        classes: the class names, ``"0"`` to ``"9"``.

    Shape: ``dataset[i]`` is ``(x, y)`` with ``x`` of shape ``(40,)`` and ``y`` an int.

    Example:
        >>> from gradwork.datasets import MNIST1D
        >>> train, test = MNIST1D(train=True), MNIST1D(train=False)
        >>> len(train), len(test), tuple(train.data.shape), train.targets.dtype
        (4000, 1000, (4000, 40), gradwork.int64)
        >>> x, y = train[0]
        >>> tuple(x.shape), type(y).__name__
        ((40,), 'int')
    """

    classes = [str(digit) for digit in range(10)]

    def __init__(
        self,
        root: str | None = None,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        seed: int = 42,
        **kwargs: Any,
    ) -> None:
        self.root = root
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        arrays = make_mnist1d(seed=seed, **kwargs)
        x, y = (arrays["x"], arrays["y"]) if train else (arrays["x_test"], arrays["y_test"])
        self.data = Tensor._make(x.astype(np.float32))
        self.targets = Tensor._make(y.astype(np.int64))
        self.templates = Tensor._make(arrays["templates"].copy())
        self.t = Tensor._make(arrays["t"].copy())

    def __len__(self) -> int:
        return self.data.shape[0]

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        x = Tensor._make(self.data._data[index].copy())
        y = int(self.targets._data[index])
        if self.transform is not None:
            x = self.transform(x)
        if self.target_transform is not None:
            y = self.target_transform(y)
        return x, y

    def __repr__(self) -> str:
        split = "Train" if self.train else "Test"
        return f"Dataset MNIST1D\n    Number of datapoints: {len(self)}\n    Split: {split}"
