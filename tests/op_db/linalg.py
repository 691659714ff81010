"""Catalogue entries for gradwork.ops.linalg."""

from __future__ import annotations

import torch

import gradwork
from tests.op_db.common import OpInfo, Sample


def matmul_samples(rng):
    n = rng.standard_normal
    return [
        Sample((n((3, 4)), n((4, 2))), name="2d_2d"),
        Sample((n(4), n(4)), name="1d_1d"),
        Sample((n(3), n((3, 2))), name="1d_2d"),
        Sample((n((2, 3)), n(3)), name="2d_1d"),
        Sample((n((2, 3, 4)), n((4, 2))), name="3d_2d"),
        Sample((n((3, 4)), n((2, 4, 2))), name="2d_3d"),
        Sample((n(3), n((2, 3, 2))), name="1d_3d"),
        Sample((n((2, 2, 3)), n(3)), name="3d_1d"),
        Sample((n((2, 1, 3, 4)), n((3, 4, 2))), name="broadcast_batch"),
        Sample((n((1, 2, 3)), n((2, 3, 2))), name="batch_size_one"),
        Sample((n((2, 3, 4)), n((2, 4, 2))), name="same_batch"),
    ]


def mm_samples(rng):
    return [Sample((rng.standard_normal((3, 4)), rng.standard_normal((4, 2))))]


def bmm_samples(rng):
    return [Sample((rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 3))))]


def outer_samples(rng):
    return [Sample((rng.standard_normal(3), rng.standard_normal(4)))]


def dot_samples(rng):
    return [Sample((rng.standard_normal(5), rng.standard_normal(5)))]


def einsum_samples(rng):
    n = rng.standard_normal
    return [
        Sample(("ij,jk->ik", n((3, 4)), n((4, 2))), name="matmul"),
        Sample(("bij,bjk->bik", n((2, 3, 4)), n((2, 4, 2))), name="bmm"),
        Sample(("ij,jk", n((3, 4)), n((4, 2))), name="implicit"),
        Sample(("ij->ji", n((3, 4))), name="transpose"),
        Sample(("ij->i", n((3, 4))), name="row_sum"),
        Sample(("ij->", n((3, 4))), name="total"),
        Sample(("ii->i", n((3, 3))), name="diagonal"),
        Sample(("ii", n((3, 3))), name="trace"),
        Sample(("iij,j->i", n((3, 3, 2)), n(2)), name="diagonal_contract"),
        Sample(("i,j->ij", n(3), n(4)), name="outer"),
        Sample(("ab,bc,cd->ad", n((2, 3)), n((3, 4)), n((4, 2))), name="chain"),
        Sample(("...ij,...jk->...ik", n((2, 1, 3, 4)), n((3, 4, 2))), name="ellipsis_broadcast"),
        Sample(("b...,b->...", n((2, 3, 2)), n(2)), name="ellipsis_front"),
        Sample(("ij,ij->ij", n((3, 1)), n((3, 4))), name="size_one_broadcast"),
        Sample(("ij,jk->ik", [n((3, 4)), n((4, 2))]), name="operand_list"),
    ]


def linear_samples(rng):
    n = rng.standard_normal
    return [
        Sample((n((4, 3)), n((2, 3)), n(2)), name="bias"),
        Sample((n((4, 3)), n((2, 3))), name="no_bias"),
        Sample((n((2, 3, 3)), n((2, 3)), n(2)), name="batched"),
        Sample((n(3), n((2, 3)), n(2)), name="vector"),
    ]


OPS: list[OpInfo] = [
    OpInfo("matmul", gradwork.matmul, torch.matmul, matmul_samples),
    OpInfo("mm", gradwork.mm, torch.mm, mm_samples),
    OpInfo("bmm", gradwork.bmm, torch.bmm, bmm_samples),
    OpInfo("outer", gradwork.outer, torch.outer, outer_samples),
    OpInfo("dot", gradwork.dot, torch.dot, dot_samples),
    OpInfo("einsum", gradwork.einsum, torch.einsum, einsum_samples),
    OpInfo("linear", gradwork.linear, torch.nn.functional.linear, linear_samples),
]
