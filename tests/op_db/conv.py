"""Catalogue entries for gradwork.ops.conv.

Shapes stay small (gradcheck costs one forward per input element); max-pool inputs are a
permutation of well-separated values so that no window has a tie.
"""

from __future__ import annotations

import numpy as np
import torch.nn.functional as F

import gradwork
from tests.op_db.common import OpInfo, Sample


def _distinct(rng, shape):
    """Values 0.1 apart in random order: no ties, and finite differences never cross a max."""
    count = int(np.prod(shape))
    return (rng.permutation(count).reshape(shape) - count / 2) * 0.1


def conv2d_samples(rng):
    n = rng.standard_normal
    return [
        Sample((n((2, 2, 5, 5)), n((3, 2, 3, 3)), n(3)), name="bias"),
        Sample((n((2, 2, 5, 5)), n((3, 2, 3, 3))), {"stride": 2, "padding": 1}, name="stride_pad"),
        Sample((n((1, 2, 6, 5)), n((2, 2, 2, 3))), {"dilation": 2}, name="dilation"),
        Sample(
            (n((2, 4, 4, 4)), n((4, 2, 3, 3)), n(4)), {"groups": 2, "padding": 1}, name="groups"
        ),
        Sample((n((1, 2, 5, 5)), n((4, 1, 3, 3))), {"groups": 2}, name="groups_out2"),
        Sample((n((1, 2, 5, 4)), n((2, 2, 2, 3))), {"padding": "same"}, name="same_even"),
        Sample(
            (n((1, 2, 5, 5)), n((2, 2, 3, 3))),
            {"padding": "same", "dilation": 2},
            name="same_dilated",
        ),
        Sample((n((1, 2, 4, 4)), n((2, 2, 3, 3))), {"padding": "valid"}, name="valid"),
        Sample(
            (n((1, 2, 6, 5)), n((2, 2, 3, 2))), {"stride": (2, 1), "padding": (1, 0)}, name="tuples"
        ),
        Sample((n((2, 5, 5)), n((3, 2, 3, 3)), n(3)), {"padding": 1}, name="unbatched"),
        Sample((n((2, 3, 4, 4)), n((2, 3, 1, 1))), name="pointwise"),
        Sample((n((1, 2, 6, 6)), n((2, 2, 1, 1))), {"stride": 2}, name="pointwise_strided"),
    ]


def conv1d_samples(rng):
    n = rng.standard_normal
    return [
        Sample((n((2, 2, 7)), n((3, 2, 3)), n(3)), name="bias"),
        Sample((n((2, 2, 7)), n((3, 2, 3))), {"stride": 2, "padding": 1}, name="stride_pad"),
        Sample((n((1, 2, 8)), n((2, 2, 3))), {"dilation": 2}, name="dilation"),
        Sample((n((2, 4, 6)), n((2, 2, 3)), n(2)), {"groups": 2, "padding": 1}, name="groups"),
        Sample((n((1, 2, 7)), n((2, 2, 4))), {"padding": "same"}, name="same_even"),
        Sample((n((2, 7)), n((3, 2, 3)), n(3)), {"padding": (1,)}, name="unbatched"),
    ]


def conv_transpose2d_samples(rng):
    n = rng.standard_normal
    return [
        Sample((n((2, 2, 3, 3)), n((2, 3, 3, 3)), n(3)), name="bias"),
        Sample(
            (n((1, 2, 3, 3)), n((2, 2, 3, 3))),
            {"stride": 2, "padding": 1, "output_padding": 1},
            name="stride_pad_outpad",
        ),
        Sample((n((1, 2, 3, 3)), n((2, 2, 2, 2))), {"dilation": 2}, name="dilation"),
        Sample((n((1, 4, 3, 3)), n((4, 1, 3, 3)), n(2)), {"groups": 2, "stride": 2}, name="groups"),
        Sample(
            (n((1, 2, 3, 2)), n((2, 2, 3, 2))),
            {"stride": (2, 1), "padding": (1, 0), "output_padding": (1, 0)},
            name="tuples",
        ),
        Sample(
            (n((1, 2, 3, 3)), n((2, 2, 2, 2))),
            {"stride": 1, "dilation": 2, "output_padding": 1},
            name="outpad_by_dilation",
        ),
        Sample((n((2, 3, 3)), n((2, 3, 2, 2)), n(3)), {"stride": 2}, name="unbatched"),
    ]


def conv_transpose1d_samples(rng):
    n = rng.standard_normal
    return [
        Sample((n((2, 2, 4)), n((2, 3, 3)), n(3)), name="bias"),
        Sample(
            (n((1, 2, 4)), n((2, 2, 3))),
            {"stride": 2, "padding": 1, "output_padding": 1},
            name="stride_pad_outpad",
        ),
        Sample((n((1, 4, 4)), n((4, 1, 3))), {"groups": 2, "dilation": 2}, name="groups"),
        Sample((n((2, 4)), n((2, 3, 3)), n(3)), {"stride": 2}, name="unbatched"),
    ]


def unfold_samples(rng):
    n = rng.standard_normal
    return [
        Sample((n((2, 2, 4, 4)), 2), name="plain"),
        Sample(
            (n((1, 2, 5, 4)), (3, 2)),
            {"dilation": (1, 2), "padding": 1, "stride": 2},
            name="all_options",
        ),
        Sample((n((2, 4, 4)), 3), {"padding": 1}, name="unbatched"),
    ]


def fold_samples(rng):
    n = rng.standard_normal
    return [
        Sample((n((2, 8, 9)), (4, 4), 2), name="overlapping"),
        Sample(
            (n((1, 12, 6)), (5, 4), (3, 2)),
            {"dilation": (1, 2), "padding": 1, "stride": 2},
            name="all_options",
        ),
        Sample((n((4, 4)), (4, 4), 2), {"stride": 2}, name="unbatched"),
    ]


def max_pool2d_samples(rng):
    d = _distinct
    return [
        Sample((d(rng, (2, 2, 4, 4)), 2), name="plain"),
        Sample((d(rng, (1, 2, 5, 5)), 3), {"stride": 2, "padding": 1}, name="overlap_pad"),
        Sample((d(rng, (1, 2, 5, 5)), 2), {"ceil_mode": True}, name="ceil"),
        Sample(
            (d(rng, (1, 1, 6, 6)), 3),
            {"stride": 2, "padding": 1, "ceil_mode": True},
            name="ceil_pad",
        ),
        Sample((d(rng, (1, 2, 6, 5)), 2), {"stride": 1, "dilation": 2}, name="dilation"),
        Sample(
            (d(rng, (1, 2, 5, 4)), (3, 2)), {"stride": (2, 1), "padding": (1, 0)}, name="tuples"
        ),
        Sample((d(rng, (2, 4, 4)), 2), name="unbatched"),
        Sample(
            (d(rng, (1, 2, 5, 5)), 3),
            {"stride": 2, "padding": 1, "return_indices": True},
            name="indices",
        ),
    ]


def max_pool1d_samples(rng):
    d = _distinct
    return [
        Sample((d(rng, (2, 2, 6)), 2), name="plain"),
        Sample(
            (d(rng, (1, 2, 7)), 3), {"stride": 2, "padding": 1, "ceil_mode": True}, name="ceil_pad"
        ),
        Sample((d(rng, (1, 2, 8)), 2), {"dilation": 3}, name="dilation"),
        Sample((d(rng, (2, 7)), 3), {"stride": 2, "return_indices": True}, name="unbatched"),
    ]


def avg_pool2d_samples(rng):
    n = rng.standard_normal
    return [
        Sample((n((2, 2, 4, 4)), 2), name="plain"),
        Sample((n((1, 2, 5, 5)), 3), {"stride": 2, "padding": 1}, name="pad"),
        Sample(
            (n((1, 2, 5, 5)), 3),
            {"stride": 2, "padding": 1, "count_include_pad": False},
            name="exclude_pad",
        ),
        Sample((n((1, 2, 5, 5)), 2), {"ceil_mode": True}, name="ceil"),
        Sample(
            (n((1, 1, 6, 6)), 3), {"stride": 2, "padding": 1, "ceil_mode": True}, name="ceil_pad"
        ),
        Sample(
            (n((1, 1, 6, 6)), 3),
            {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
            name="ceil_exclude_pad",
        ),
        Sample((n((1, 2, 5, 4)), (3, 2)), {"stride": (2, 1), "padding": (1, 0)}, name="tuples"),
        Sample((n((1, 2, 4, 4)), 2), {"divisor_override": 3}, name="divisor_override"),
        Sample((n((2, 4, 4)), 2), name="unbatched"),
    ]


def avg_pool1d_samples(rng):
    n = rng.standard_normal
    return [
        Sample((n((2, 2, 6)), 2), name="plain"),
        Sample((n((1, 2, 7)), 3), {"stride": 2, "padding": 1, "ceil_mode": True}, name="ceil_pad"),
        Sample(
            (n((1, 2, 7)), 3),
            {"stride": 2, "padding": 1, "count_include_pad": False},
            name="exclude_pad",
        ),
        Sample((n((2, 7)), 3), {"stride": 2}, name="unbatched"),
    ]


def adaptive_avg_pool2d_samples(rng):
    n = rng.standard_normal
    return [
        Sample((n((2, 2, 6, 4)), (3, 2)), name="divisible"),
        Sample((n((1, 2, 5, 7)), (3, 4)), name="uneven"),
        Sample((n((2, 2, 5, 5)), 1), name="global"),
        Sample((n((1, 2, 5, 6)), (None, 4)), name="none_entry"),
        Sample((n((2, 5, 5)), 3), name="unbatched"),
    ]


def adaptive_avg_pool1d_samples(rng):
    n = rng.standard_normal
    return [
        Sample((n((2, 2, 6)), 3), name="divisible"),
        Sample((n((1, 2, 7)), 4), name="uneven"),
        Sample((n((2, 7)), 3), name="unbatched"),
    ]


OPS: list[OpInfo] = [
    OpInfo("conv2d", gradwork.conv2d, F.conv2d, conv2d_samples),
    OpInfo("conv1d", gradwork.conv1d, F.conv1d, conv1d_samples),
    OpInfo(
        "conv_transpose2d", gradwork.conv_transpose2d, F.conv_transpose2d, conv_transpose2d_samples
    ),
    OpInfo(
        "conv_transpose1d", gradwork.conv_transpose1d, F.conv_transpose1d, conv_transpose1d_samples
    ),
    OpInfo("unfold", gradwork.unfold, F.unfold, unfold_samples),
    OpInfo("fold", gradwork.fold, F.fold, fold_samples),
    OpInfo("max_pool2d", gradwork.max_pool2d, F.max_pool2d, max_pool2d_samples),
    OpInfo("max_pool1d", gradwork.max_pool1d, F.max_pool1d, max_pool1d_samples),
    OpInfo("avg_pool2d", gradwork.avg_pool2d, F.avg_pool2d, avg_pool2d_samples),
    OpInfo("avg_pool1d", gradwork.avg_pool1d, F.avg_pool1d, avg_pool1d_samples),
    OpInfo(
        "adaptive_avg_pool2d",
        gradwork.adaptive_avg_pool2d,
        F.adaptive_avg_pool2d,
        adaptive_avg_pool2d_samples,
    ),
    OpInfo(
        "adaptive_avg_pool1d",
        gradwork.adaptive_avg_pool1d,
        F.adaptive_avg_pool1d,
        adaptive_avg_pool1d_samples,
    ),
]
