"""Catalogue entries for gradwork.ops.movement."""

from __future__ import annotations

import torch

import gradwork
from tests.op_db.common import OpInfo, Sample


def reshape_samples(rng):
    return [
        Sample((rng.standard_normal((2, 3, 4)), (6, -1)), name="infer"),
        Sample((rng.standard_normal((2, 3)), (3, 2)), name="plain"),
        Sample((rng.standard_normal(()), (1, 1)), name="zero_dim"),
    ]


def expand_samples(rng):
    return [
        Sample((rng.standard_normal((3, 1)), (2, 3, 4)), name="lead_and_one"),
        Sample((rng.standard_normal(()), (2, 2)), name="zero_dim"),
        Sample((rng.standard_normal((1, 4)), (2, 3, -1)), name="minus_one"),
    ]


OPS: list[OpInfo] = [
    OpInfo("reshape", gradwork.reshape, torch.reshape, reshape_samples),
    OpInfo("expand", gradwork.ops.movement.expand, lambda x, s: x.expand(*s), expand_samples),
]
