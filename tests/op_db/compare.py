"""Catalogue entries for gradwork.ops.compare (the differentiable ones: sorting and selection)."""

from __future__ import annotations

import torch

import gradwork
from tests.op_db.common import OpInfo, Sample


def sort_samples(rng):
    return [
        Sample((rng.standard_normal((3, 5)),), name="last"),
        Sample((rng.standard_normal((3, 5)), 0), name="dim0"),
        Sample((rng.standard_normal((2, 3, 4)), 1, True), name="descending"),
        Sample((rng.standard_normal(()),), name="zero_dim"),
        Sample((rng.standard_normal((2, 0)),), name="empty"),
    ]


def topk_samples(rng):
    return [
        Sample((rng.standard_normal((3, 6)), 2), name="largest"),
        Sample((rng.standard_normal((3, 6)), 3, 0, False), name="smallest_dim0"),
        Sample((rng.standard_normal((2, 3, 4)), 4, -1), name="all"),
        Sample((rng.standard_normal((2, 5)), 0), name="k0"),
        Sample((rng.standard_normal(()), 1), name="zero_dim"),
    ]


def kthvalue_samples(rng):
    return [
        Sample((rng.standard_normal((3, 6)), 2), name="last"),
        Sample((rng.standard_normal((3, 6)), 3, 0, True), name="dim0_keepdim"),
        Sample((rng.standard_normal(7), 7), name="max"),
        Sample((rng.standard_normal(()), 1), name="zero_dim"),
    ]


OPS: list[OpInfo] = [
    OpInfo("sort", gradwork.sort, torch.sort, sort_samples),
    OpInfo("argsort", gradwork.argsort, torch.argsort, sort_samples, grad=False),
    OpInfo("msort", gradwork.msort, torch.msort, lambda rng: sort_samples(rng)[:1]),
    OpInfo("topk", gradwork.topk, torch.topk, topk_samples),
    OpInfo("kthvalue", gradwork.kthvalue, torch.kthvalue, kthvalue_samples),
]
