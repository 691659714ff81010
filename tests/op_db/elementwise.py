"""Catalogue entries for gradwork.ops.elementwise."""

from __future__ import annotations

import numpy as np
import torch

import gradwork
from tests.op_db.common import OpInfo, Sample, binary_strategy, unary_strategy


def _normal(rng, *shape, low=None):
    x = rng.standard_normal(shape)
    return x if low is None else np.abs(x) + low


def binary_samples(rng):
    """Same shapes, broadcasting both ways, size-1 dims, 0-d, and a Python scalar."""
    return [
        Sample((_normal(rng, 3, 4), _normal(rng, 3, 4)), name="same"),
        Sample((_normal(rng, 2, 3, 4), _normal(rng, 4)), name="bcast_right"),
        Sample((_normal(rng, 3, 1), _normal(rng, 1, 4)), name="outer"),
        Sample((_normal(rng), _normal(rng, 2, 3)), name="zero_dim"),
        Sample((_normal(rng, 2, 3), 1.5), name="scalar"),
        Sample((_normal(rng, 0, 3), _normal(rng, 3)), name="empty"),
    ]


def positive_binary_samples(rng):
    """Like binary_samples, with the divisor or exponent base kept away from zero."""
    return [
        Sample((_normal(rng, 3, 4, low=0.5), _normal(rng, 3, 4, low=0.5)), name="same"),
        Sample((_normal(rng, 2, 3, 4, low=0.5), _normal(rng, 4, low=0.5)), name="bcast_right"),
        Sample((_normal(rng, 3, 1, low=0.5), _normal(rng, 1, 4, low=0.5)), name="outer"),
        Sample((_normal(rng, 2, 3, low=0.5), 2.5), name="scalar"),
        Sample((1.5, _normal(rng, 2, 3)), name="scalar_base"),
    ]


def unary_samples(low=None):
    def samples(rng):
        return [
            Sample((_normal(rng, 3, 4, low=low),), name="matrix"),
            Sample((_normal(rng, low=low),), name="zero_dim"),
            Sample((_normal(rng, 2, 0, low=low),), name="empty"),
        ]

    return samples


def where_samples(rng):
    return [
        Sample((rng.random((3, 4)) > 0.5, _normal(rng, 3, 4), _normal(rng, 3, 4)), name="same"),
        Sample((rng.random((3, 1)) > 0.5, _normal(rng, 1, 4), _normal(rng, 4)), name="bcast"),
        Sample((rng.random((2, 3)) > 0.5, _normal(rng, 2, 3), 0.0), name="scalar"),
    ]


OPS: list[OpInfo] = [
    OpInfo("add", gradwork.add, torch.add, binary_samples, strategy=binary_strategy),
    OpInfo("sub", gradwork.sub, torch.sub, binary_samples, strategy=binary_strategy),
    OpInfo("mul", gradwork.mul, torch.mul, binary_samples, strategy=binary_strategy),
    OpInfo("div", gradwork.div, torch.div, positive_binary_samples),
    OpInfo("pow", gradwork.pow, torch.pow, positive_binary_samples),
    OpInfo("neg", gradwork.neg, torch.neg, unary_samples(), strategy=unary_strategy),
    OpInfo("exp", gradwork.exp, torch.exp, unary_samples(), strategy=unary_strategy),
    OpInfo(
        "log", gradwork.log, torch.log, unary_samples(low=0.1),
        strategy=lambda: unary_strategy(0.1, 5.0),
    ),
    OpInfo("where", gradwork.where, torch.where, where_samples),
    OpInfo(
        "clone", gradwork.clone, torch.clone, unary_samples(), strategy=unary_strategy
    ),
]
