"""What NumPy cannot do faster: the hot kernels of the missed workloads, each timed three ways.

For each kernel (at the shape a benchmark workload runs it): gradwork's op, PyTorch's op, and
the *NumPy floor*: the NumPy work any NumPy implementation of the kernel must do at least once
(exact GELU and softmax an ``exp`` of every element, layer norm a sum over every row,
an im2col convolution's training pass its three GEMMs and a copy of its column matrix). Where
PyTorch's whole kernel takes less time than that floor, no NumPy engine can reach PyTorch on it.
Forward passes without autograd, except the convolutions (forward and backward); at the thread
count the caller pinned (the benchmark runs this at 1 thread).
"""

from __future__ import annotations

import timeit
from dataclasses import dataclass

import numpy as np

__all__ = ["Floor", "measure_floors", "floor_table"]


@dataclass
class Floor:
    kernel: str
    floor_name: str
    floor: float  # seconds per call, best of the repeats
    ours: float
    theirs: float


def _best(call, seconds: float = 0.4) -> float:
    call()
    number = max(1, int(0.05 / max(timeit.timeit(call, number=1), 1e-7)))
    repeats = max(3, int(seconds / 0.05))
    return min(timeit.repeat(call, number=number, repeat=repeats)) / number


def measure_floors(seconds: float = 0.4) -> list[Floor]:
    """Time every kernel (``seconds`` of repeats per measurement)."""
    import torch

    import gradwork
    import gradwork.nn.functional as F

    rng = np.random.default_rng(0)

    def draw(*shape):
        array = rng.standard_normal(shape).astype(np.float32)
        return array, gradwork.from_numpy(array), torch.from_numpy(array)

    rows = []
    with gradwork.no_grad(), torch.no_grad():
        x, ours, theirs = draw(32 * 64, 512)
        rows.append(
            Floor(
                "exact GELU, 2048 x 512 (char GPT's MLP)",
                "np.exp",
                _best(lambda: np.exp(x), seconds),
                _best(lambda: F.gelu(ours), seconds),
                _best(lambda: torch.nn.functional.gelu(theirs), seconds),
            )
        )
        x, ours, theirs = draw(32, 4, 64, 64)
        rows.append(
            Floor(
                "softmax, 32 x 4 x 64 x 64 (char GPT's attention)",
                "np.exp",
                _best(lambda: np.exp(x), seconds),
                _best(lambda: F.softmax(ours, -1), seconds),
                _best(lambda: torch.softmax(theirs, -1), seconds),
            )
        )
        x, ours, theirs = draw(32 * 64, 128)
        ones = np.ones(128, np.float32)
        rows.append(
            Floor(
                "layer norm, 2048 x 128 (char GPT)",
                "a row sum (np.matmul with ones)",
                _best(lambda: np.matmul(x, ones), seconds),
                _best(lambda: F.layer_norm(ours, (128,)), seconds),
                _best(lambda: torch.nn.functional.layer_norm(theirs, (128,)), seconds),
            )
        )
        for batch, channels, size in ((64, 8, 14), (64, 16, 7), (64, 32, 4)):
            rows.append(_convolution_floor(batch, channels, size, draw, seconds))
    return rows


def _convolution_floor(batch: int, channels: int, size: int, draw, seconds: float) -> Floor:
    """A training pass of a 3x3 'same' convolution, ``channels`` to ``channels``: forward plus
    the input and weight gradients. The floor is what any im2col convolution must do: its three
    GEMMs (``W @ cols``, ``G @ cols^T``, ``W^T @ G``) at the fewest columns, ``N H W``, and one
    contiguous copy of its column matrix (im2col's reads are strided, so slower still)."""
    import torch

    import gradwork
    import gradwork.nn.functional as F

    x, _, _ = draw(batch, channels, size, size)
    weight, _, _ = draw(channels, channels, 3, 3)
    upstream, _, _ = draw(batch, channels, size, size)
    columns, _, _ = draw(channels * 9, batch * size * size)
    grad_matrix, _, _ = draw(channels, batch * size * size)
    matrix = weight.reshape(channels, -1)
    copy = np.empty_like(columns)

    def gemms_and_copy():
        np.copyto(copy, columns)
        np.matmul(matrix, columns)
        np.matmul(grad_matrix, columns.T)
        np.matmul(matrix.T, grad_matrix)

    def training_pass(library, convolve):
        x_, weight_ = (library.tensor(a, requires_grad=True) for a in (x, weight))
        upstream_ = library.tensor(upstream)
        return lambda: convolve(x_, weight_, padding=1).backward(upstream_)

    with gradwork.enable_grad(), torch.enable_grad():
        ours = _best(training_pass(gradwork, F.conv2d), seconds)
        theirs = _best(training_pass(torch, torch.nn.functional.conv2d), seconds)
    return Floor(
        f"3x3 convolution, forward + backward, {batch} x {channels} x {size} x {size}, "
        f"{channels} filters (ResNet)",
        "its 3 im2col GEMMs and one copy of its columns",
        _best(gemms_and_copy, seconds),
        ours,
        theirs,
    )


def floor_table(rows: list[Floor]) -> list[str]:
    """Markdown rows: times in microseconds and PyTorch's time over the NumPy floor's."""
    lines = [
        "| kernel | NumPy floor | floor µs | gradwork µs | PyTorch µs | PyTorch / floor |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.kernel} | {row.floor_name} | {row.floor * 1e6:.0f} | {row.ours * 1e6:.0f} "
            f"| {row.theirs * 1e6:.0f} | {row.theirs / row.floor:.2f} |"
        )
    return lines
