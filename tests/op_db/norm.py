"""Catalogue entries for gradwork.ops.norm."""

from __future__ import annotations

import torch.nn.functional as F

import gradwork
from tests.op_db.common import OpInfo, Sample


def batch_norm_samples(rng):
    def stats(channels):
        return rng.standard_normal(channels), rng.random(channels) + 0.5

    mean3, var3 = stats(3)
    mean4, var4 = stats(4)
    return [
        Sample((rng.standard_normal((4, 3)), None, None), {"training": True}, name="train_2d"),
        Sample(
            (rng.standard_normal((2, 3, 5)), mean3, var3, rng.standard_normal(3), None),
            {"training": True, "momentum": 0.3},
            no_grad=(1, 2),
            name="train_3d_running_weight",
        ),
        Sample(
            (rng.standard_normal((2, 4, 3, 3)), mean4, var4, rng.standard_normal(4), rng.random(4)),
            {"training": True, "eps": 1e-3},
            no_grad=(1, 2),
            name="train_4d_affine",
        ),
        Sample(
            (rng.standard_normal((2, 4, 3, 3)), mean4, var4, rng.standard_normal(4), rng.random(4)),
            {"training": False},
            no_grad=(1, 2),
            name="eval_affine",
        ),
        Sample(
            (rng.standard_normal((5, 3)), mean3, var3),
            {"training": False},
            no_grad=(1, 2),
            name="eval_2d",
        ),
    ]


def instance_norm_samples(rng):
    mean, var = rng.standard_normal(3), rng.random(3) + 0.5
    return [
        Sample((rng.standard_normal((2, 3, 5)),), name="plain_1d"),
        Sample(
            (rng.standard_normal((2, 3, 3, 4)), mean, var, rng.standard_normal(3), rng.random(3)),
            {"momentum": 0.2},
            no_grad=(1, 2),
            name="running_affine",
        ),
        Sample(
            (rng.standard_normal((2, 3, 4)), mean, var, None, None),
            {"use_input_stats": False},
            no_grad=(1, 2),
            name="running_stats",
        ),
    ]


def group_norm_samples(rng):
    return [
        Sample((rng.standard_normal((2, 6, 3)), 3), name="plain"),
        Sample(
            (rng.standard_normal((2, 4, 3, 2)), 2, rng.standard_normal(4), rng.standard_normal(4)),
            name="affine_4d",
        ),
        Sample((rng.standard_normal((3, 4)), 1, rng.standard_normal(4)), name="one_group_2d"),
        Sample((rng.standard_normal((2, 4, 5)), 4), {"eps": 1e-3}, name="instance"),
    ]


def rms_norm_samples(rng):
    return [
        Sample((rng.standard_normal((2, 3, 4)), (4,)), name="last"),
        Sample(
            (rng.standard_normal((2, 3, 4)), (3, 4), rng.standard_normal((3, 4))),
            name="two_dims_weight",
        ),
        Sample((rng.standard_normal((5, 6)), (6,), None), {"eps": 1e-3}, name="eps"),
        Sample((rng.standard_normal(4), (4,)), name="vector"),
    ]


OPS: list[OpInfo] = [
    OpInfo("batch_norm", gradwork.batch_norm, F.batch_norm, batch_norm_samples),
    OpInfo("instance_norm", gradwork.instance_norm, F.instance_norm, instance_norm_samples),
    OpInfo("group_norm", gradwork.group_norm, F.group_norm, group_norm_samples),
    OpInfo("rms_norm", gradwork.rms_norm, F.rms_norm, rms_norm_samples),
]
