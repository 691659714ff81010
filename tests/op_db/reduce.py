"""Catalogue entries for gradwork.ops.reduce."""

from __future__ import annotations

import torch

import gradwork
from tests.op_db.common import OpInfo, Sample, reduction_strategy


def _torch_reduction(function):
    """PyTorch reductions take no dim=None in every overload; drop it."""

    def call(x, dim=None, keepdim=False, **kwargs):
        if dim is None:
            return function(x, **kwargs) if not keepdim else function(
                x, dim=tuple(range(x.ndim)), keepdim=True, **kwargs
            )
        return function(x, dim=dim, keepdim=keepdim, **kwargs)

    return call


def reduction_samples(rng):
    return [
        Sample((rng.standard_normal((3, 4, 5)),), {"dim": 1}, name="dim1"),
        Sample((rng.standard_normal((3, 4, 5)),), {"dim": (0, 2), "keepdim": True}, name="dims_keep"),
        Sample((rng.standard_normal((3, 4)),), {"dim": -1}, name="last"),
        Sample((rng.standard_normal((3, 4)),), {}, name="all"),
        Sample((rng.standard_normal(()),), {}, name="zero_dim"),
    ]


OPS: list[OpInfo] = [
    OpInfo(
        "sum", gradwork.sum, _torch_reduction(torch.sum), reduction_samples,
        strategy=reduction_strategy,
    ),
    OpInfo(
        "mean", gradwork.mean, _torch_reduction(torch.mean), reduction_samples,
        strategy=lambda: reduction_strategy(allow_empty=False),
    ),
]
