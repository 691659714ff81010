"""Catalogue entries for gradwork.ops.loss."""

from __future__ import annotations

import numpy as np
import torch.nn.functional as F

import gradwork
from tests.op_db.common import OpInfo, Sample


def _labels(rng, classes, *shape, ignore=0, ignore_index=-100):
    labels = rng.integers(0, classes, shape)
    if ignore:
        labels.flat[:ignore] = ignore_index
    return labels


def _probabilities(rng, shape, axis):
    values = rng.random(shape) + 0.1
    return values / values.sum(axis=axis, keepdims=True)


def cross_entropy_samples(rng):
    weight = rng.random(4) + 0.5
    return [
        Sample((rng.standard_normal((5, 4)), _labels(rng, 4, 5)), name="indices"),
        Sample(
            (rng.standard_normal((5, 4)), _labels(rng, 4, 5), weight), no_grad=(2,), name="weight"
        ),
        Sample((rng.standard_normal((5, 4)), _labels(rng, 4, 5, ignore=2)), name="ignore"),
        Sample(
            (rng.standard_normal((5, 4)), _labels(rng, 4, 5)),
            {"ignore_index": 1},
            name="ignore_class",
        ),
        Sample(
            (rng.standard_normal((5, 4)), _labels(rng, 4, 5, ignore=2), weight),
            {"label_smoothing": 0.2},
            no_grad=(2,),
            name="smooth_weight_ignore",
        ),
        Sample(
            (rng.standard_normal((5, 4)), _labels(rng, 4, 5, ignore=1)),
            {"label_smoothing": 0.1, "reduction": "none"},
            name="smooth_none",
        ),
        Sample(
            (rng.standard_normal((5, 4)), _labels(rng, 4, 5), weight),
            {"reduction": "sum"},
            no_grad=(2,),
            name="sum",
        ),
        Sample(
            (rng.standard_normal((2, 3, 2, 2)), _labels(rng, 3, 2, 2, 2, ignore=1)),
            name="spatial",
        ),
        Sample(
            (rng.standard_normal((2, 3, 4)), _labels(rng, 3, 2, 4)),
            {"reduction": "none"},
            name="spatial_none",
        ),
        Sample((rng.standard_normal(4), np.int64(2)), name="unbatched"),
        Sample((rng.standard_normal((4, 3)), _probabilities(rng, (4, 3), 1)), name="probs"),
        Sample(
            (rng.standard_normal((4, 3)), _probabilities(rng, (4, 3), 1), rng.random(3) + 0.5),
            {"label_smoothing": 0.3},
            no_grad=(2,),
            name="probs_smooth_weight",
        ),
        Sample(
            (rng.standard_normal((2, 3, 2)), _probabilities(rng, (2, 3, 2), 1)),
            {"reduction": "none"},
            name="probs_spatial_none",
        ),
        Sample(
            (rng.standard_normal((2, 3)), _probabilities(rng, (2, 3), 1)),
            {"reduction": "sum"},
            no_grad=(1,),
            name="probs_constant",
        ),
        Sample((rng.standard_normal((0, 4)), _labels(rng, 4, 0)), name="empty"),
    ]


def nll_samples(rng):
    weight = rng.random(4) + 0.5
    return [
        Sample((rng.standard_normal((5, 4)), _labels(rng, 4, 5)), name="plain"),
        Sample(
            (rng.standard_normal((5, 4)), _labels(rng, 4, 5, ignore=2), weight),
            no_grad=(2,),
            name="weight_ignore",
        ),
        Sample(
            (rng.standard_normal((5, 4)), _labels(rng, 4, 5)),
            {"reduction": "none"},
            name="none",
        ),
        Sample(
            (rng.standard_normal((2, 3, 2, 2)), _labels(rng, 3, 2, 2, 2)),
            {"reduction": "sum"},
            name="spatial_sum",
        ),
        Sample((rng.standard_normal(4), np.int64(1)), name="unbatched"),
    ]


def bce_logits_samples(rng):
    def x():
        return 3 * rng.standard_normal((3, 4))

    return [
        Sample((x(), rng.random((3, 4)), None, None), name="plain"),
        Sample(
            (x(), rng.random((3, 4)), rng.random((3, 4)), None),
            {"reduction": "sum"},
            no_grad=(2,),
            name="weight",
        ),
        Sample(
            (x(), rng.random((3, 4)), None, rng.random(4) + 0.5),
            {"reduction": "none"},
            no_grad=(3,),
            name="pos_weight",
        ),
        Sample(
            (x(), rng.random((3, 4)), rng.random(4), rng.random(4) + 0.5),
            no_grad=(2, 3),
            name="both",
        ),
        Sample((rng.standard_normal(()), rng.random(()), None, None), name="zero_dim"),
    ]


def _bce_logits(x, t, weight, pos_weight, **kwargs):
    return gradwork.binary_cross_entropy_with_logits(x, t, weight, pos_weight=pos_weight, **kwargs)


def _bce_logits_ref(x, t, weight, pos_weight, **kwargs):
    return F.binary_cross_entropy_with_logits(x, t, weight, pos_weight=pos_weight, **kwargs)


def bce_samples(rng):
    def p(*shape):
        return 0.05 + 0.9 * rng.random(shape)

    return [
        Sample((p(3, 4), rng.random((3, 4))), name="plain"),
        Sample((p(3, 4), rng.random((3, 4)), rng.random((3, 4))), no_grad=(2,), name="weight"),
        Sample((p(3, 4), rng.random((3, 4))), {"reduction": "none"}, name="none"),
        Sample((p(5), rng.random(5)), {"reduction": "sum"}, name="sum"),
    ]


def regression_samples(**extra):
    def samples(rng):
        return [
            Sample((rng.standard_normal((3, 4)), rng.standard_normal((3, 4))), dict(extra)),
            Sample(
                (rng.standard_normal((3, 4)), rng.standard_normal((3, 4))),
                {"reduction": "none", **extra},
                name="none",
            ),
            Sample(
                (rng.standard_normal(5), rng.standard_normal(5)),
                {"reduction": "sum", **extra},
                name="sum",
            ),
            Sample(
                (rng.standard_normal((3, 4)), rng.standard_normal((3, 4))),
                dict(extra),
                no_grad=(1,),
                name="constant_target",
            ),
        ]

    return samples


def kl_div_samples(rng):
    def log_p(*shape):
        return np.log(_probabilities(rng, shape, -1))

    return [
        Sample((log_p(3, 4), _probabilities(rng, (3, 4), -1)), {"reduction": "batchmean"}),
        Sample((log_p(3, 4), _probabilities(rng, (3, 4), -1)), {"reduction": "sum"}, name="sum"),
        Sample((log_p(3, 4), _probabilities(rng, (3, 4), -1)), {"reduction": "none"}, name="none"),
        Sample(
            (log_p(3, 4), log_p(3, 4)),
            {"reduction": "batchmean", "log_target": True},
            name="log_target",
        ),
        Sample((log_p(2, 5), _probabilities(rng, (2, 5), -1)), {"reduction": "mean"}, name="mean"),
    ]


def cosine_similarity_samples(rng):
    return [
        Sample((rng.standard_normal((4, 3)), rng.standard_normal((4, 3)))),
        Sample(
            (rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 4))), {"dim": -1}, name="bc"
        ),
        Sample((rng.standard_normal((3, 2)), np.zeros((3, 2))), no_grad=(1,), name="zero_vector"),
        Sample(
            (rng.standard_normal((3, 5)), rng.standard_normal((3, 5))),
            {"dim": 0, "eps": 0.5},
            name="dim0_eps",
        ),
    ]


def pairwise_distance_samples(rng):
    return [
        Sample((rng.standard_normal((4, 3)), rng.standard_normal((4, 3)))),
        Sample((rng.standard_normal((4, 3)), rng.standard_normal(3)), {"p": 1.0}, name="p1_bc"),
        Sample(
            (rng.standard_normal((4, 3)), rng.standard_normal((4, 3))),
            {"p": 3.0, "keepdim": True},
            name="p3_keepdim",
        ),
        Sample((rng.standard_normal(5), rng.standard_normal(5)), name="vector"),
    ]


def _signs(rng, *shape):
    return np.where(rng.random(shape) > 0.5, 1, -1).astype(np.int64)


def cosine_embedding_samples(rng):
    return [
        Sample((rng.standard_normal((5, 3)), rng.standard_normal((5, 3)), _signs(rng, 5))),
        Sample(
            (rng.standard_normal((5, 3)), rng.standard_normal((5, 3)), _signs(rng, 5)),
            {"margin": -0.3, "reduction": "none"},
            name="margin_none",
        ),
        Sample(
            (rng.standard_normal(4), rng.standard_normal(4), np.int64(-1)),
            {"reduction": "sum"},
            name="unbatched",
        ),
    ]


def triplet_samples(rng):
    def x(*shape):
        return rng.standard_normal(shape)

    return [
        Sample((x(5, 3), x(5, 3), x(5, 3))),
        Sample((x(5, 3), x(5, 3), x(5, 3)), {"swap": True, "margin": 2.0}, name="swap"),
        Sample((x(5, 3), x(5, 3), x(5, 3)), {"p": 1.0, "reduction": "none"}, name="p1_none"),
        Sample((x(4), x(4), x(4)), {"margin": 3.0, "reduction": "sum"}, name="unbatched"),
    ]


OPS: list[OpInfo] = [
    OpInfo("cross_entropy", gradwork.cross_entropy, F.cross_entropy, cross_entropy_samples),
    OpInfo("nll_loss", gradwork.nll_loss, F.nll_loss, nll_samples),
    OpInfo("binary_cross_entropy_with_logits", _bce_logits, _bce_logits_ref, bce_logits_samples),
    OpInfo(
        "binary_cross_entropy",
        gradwork.binary_cross_entropy,
        F.binary_cross_entropy,
        bce_samples,
        gradcheck_atol=1e-4,
    ),
    OpInfo("mse_loss", gradwork.mse_loss, F.mse_loss, regression_samples()),
    OpInfo("l1_loss", gradwork.l1_loss, F.l1_loss, regression_samples()),
    OpInfo("smooth_l1_loss", gradwork.smooth_l1_loss, F.smooth_l1_loss, regression_samples()),
    OpInfo(
        "smooth_l1_loss_beta",
        gradwork.smooth_l1_loss,
        F.smooth_l1_loss,
        regression_samples(beta=0.5),
    ),
    OpInfo(
        "smooth_l1_loss_beta0",
        gradwork.smooth_l1_loss,
        F.smooth_l1_loss,
        regression_samples(beta=0.0),
    ),
    OpInfo("huber_loss", gradwork.huber_loss, F.huber_loss, regression_samples(delta=0.7)),
    OpInfo("kl_div", gradwork.kl_div, F.kl_div, kl_div_samples),
    OpInfo(
        "cosine_similarity",
        gradwork.cosine_similarity,
        F.cosine_similarity,
        cosine_similarity_samples,
    ),
    OpInfo(
        "pairwise_distance",
        gradwork.pairwise_distance,
        F.pairwise_distance,
        pairwise_distance_samples,
    ),
    OpInfo(
        "cosine_embedding_loss",
        gradwork.cosine_embedding_loss,
        F.cosine_embedding_loss,
        cosine_embedding_samples,
    ),
    OpInfo(
        "triplet_margin_loss",
        gradwork.triplet_margin_loss,
        F.triplet_margin_loss,
        triplet_samples,
    ),
]
