"""Catalogue entries for gradwork.ops.nn."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

import gradwork
from tests.op_db.common import OpInfo, Sample, unary_strategy


def softmax_samples(rng):
    return [
        Sample((rng.standard_normal((3, 4)), 1), name="rows"),
        Sample((rng.standard_normal((3, 4)), 0), name="columns"),
        Sample((rng.standard_normal((2, 3, 4)), -1), name="batched"),
        Sample((rng.standard_normal(()), 0), name="zero_dim"),
        Sample((rng.standard_normal((2, 0)), 1), name="empty"),
        Sample((5 * rng.standard_normal((2, 5)), 1), name="spread"),
    ]


def layer_norm_samples(rng):
    return [
        Sample((rng.standard_normal((2, 3, 4)), (4,)), name="last"),
        Sample(
            (
                rng.standard_normal((2, 3, 4)),
                (3, 4),
                rng.standard_normal((3, 4)),
                rng.standard_normal((3, 4)),
            ),
            name="two_dims_affine",
        ),
        Sample(
            (rng.standard_normal((5, 6)), (6,), rng.standard_normal(6), None),
            {"eps": 1e-3},
            name="weight_only",
        ),
        Sample((rng.standard_normal(4), (4,)), name="vector"),
    ]


def attention_samples(rng):
    def q(*shape):
        return rng.standard_normal(shape)

    keep = rng.random((3, 5)) > 0.3
    keep[:, 0] = True
    dead_row = rng.random((2, 3, 5)) > 0.3
    dead_row[:, 1] = False
    dead_row[:, [0, 2], 0] = True
    bias = rng.standard_normal((3, 5))
    bias[1] = -np.inf
    return [
        Sample((q(2, 3, 4), q(2, 5, 4), q(2, 5, 6)), name="plain"),
        Sample((q(2, 3, 4), q(2, 5, 4), q(2, 5, 4), keep), name="bool_mask"),
        Sample(
            (q(2, 3, 4), q(2, 5, 4), q(2, 5, 6), rng.standard_normal((3, 5))), name="float_mask"
        ),
        Sample(
            (q(2, 3, 4), q(2, 5, 4), q(2, 5, 6), rng.standard_normal((2, 3, 5))),
            no_grad=(3,),
            name="float_mask_constant",
        ),
        Sample((q(2, 4, 4), q(2, 4, 4), q(2, 4, 3)), {"is_causal": True}, name="causal"),
        Sample((q(2, 3, 4), q(2, 5, 4), q(2, 5, 6)), {"scale": 0.3}, name="scale"),
        Sample((q(2, 3, 4), q(2, 5, 4), q(2, 5, 6), dead_row), name="dead_row_bool"),
        Sample((q(3, 4), q(5, 4), q(5, 2), bias), no_grad=(3,), name="dead_row_float"),
        Sample((q(3, 4), q(5, 4), q(5, 2)), name="unbatched"),
    ]


def dropout_samples(rng):
    return [
        Sample((rng.standard_normal((3, 4)),), {"p": 0.0}, name="p0"),
        Sample((rng.standard_normal((3, 4)),), {"p": 0.5, "training": False}, name="eval"),
    ]


def embedding_samples(rng):
    # padding_idx and scale_grad_by_freq change the gradient on purpose (finite differences
    # disagree), so their parity with PyTorch is tested in tests/nn/test_layers.py
    return [
        Sample((rng.integers(0, 5, (2, 3)), rng.standard_normal((5, 4))), name="plain"),
        Sample((np.array([0, 1, 1, 3, 1, 0]), rng.standard_normal((4, 2))), name="repeats"),
        Sample((np.int64(2), rng.standard_normal((3, 2))), name="scalar_index"),
    ]


def bilinear_samples(rng):
    return [
        Sample(
            (
                rng.standard_normal((4, 3)),
                rng.standard_normal((4, 2)),
                rng.standard_normal((5, 3, 2)),
            )
        ),
        Sample(
            (
                rng.standard_normal((2, 3, 3)),
                rng.standard_normal((2, 3, 4)),
                rng.standard_normal((2, 3, 4)),
                rng.standard_normal(2),
            ),
            name="batched_bias",
        ),
        Sample(
            (rng.standard_normal(3), rng.standard_normal(2), rng.standard_normal((1, 3, 2))),
            name="unbatched",
        ),
    ]


def hardtanh_samples(rng):
    return [
        Sample((2 * rng.standard_normal((3, 4)),)),
        Sample((2 * rng.standard_normal((3, 4)), -0.5, 1.5), name="bounds"),
    ]


def activation_samples(rng):
    return [Sample((4 * rng.standard_normal((3, 5)),)), Sample((rng.standard_normal(()),))]


OPS: list[OpInfo] = [
    OpInfo(
        "softmax",
        gradwork.softmax,
        torch.softmax,
        softmax_samples,
        strategy=lambda: unary_strategy(dim=-1),
    ),
    OpInfo(
        "log_softmax",
        gradwork.log_softmax,
        torch.log_softmax,
        softmax_samples,
        strategy=lambda: unary_strategy(dim=-1),
    ),
    OpInfo("layer_norm", gradwork.layer_norm, F.layer_norm, layer_norm_samples),
    OpInfo(
        "scaled_dot_product_attention",
        gradwork.scaled_dot_product_attention,
        F.scaled_dot_product_attention,
        attention_samples,
    ),
    OpInfo("dropout", gradwork.dropout, F.dropout, dropout_samples),
    OpInfo("embedding", gradwork.embedding, F.embedding, embedding_samples),
    OpInfo("bilinear", gradwork.bilinear, F.bilinear, bilinear_samples),
    OpInfo("hardtanh", gradwork.hardtanh, F.hardtanh, hardtanh_samples),
    OpInfo("relu6", gradwork.relu6, F.relu6, activation_samples),
    OpInfo("mish", gradwork.mish, F.mish, activation_samples),
    OpInfo("softsign", gradwork.softsign, F.softsign, activation_samples),
]
