"""Catalogue entries for gradwork.ops.elementwise.

Inputs for gradcheck stay away from the points where an op is not differentiable (0 for abs and
relu, the bounds for clamp, integers for floor/round, multiples of the divisor for remainder).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

import gradwork
from tests.op_db.common import OpInfo, Sample, binary_strategy, unary_strategy


def _normal(rng, *shape, low=None):
    x = rng.standard_normal(shape)
    return x if low is None else np.abs(x) + low


def _away(rng, *shape, points=(0.0,), margin=0.2, scale=1.0):
    """Normal samples (times ``scale``) pushed at least ``margin`` away from each of ``points``."""
    x = scale * rng.standard_normal(shape)
    for point in points:
        offset = x - point
        near = np.abs(offset) < margin
        x = np.where(near, point + np.where(offset < 0, -margin, margin) + offset, x)
    return x


def _off_grid(rng, *shape, step=1.0):
    """Values at least step/5 from every multiple of ``step`` and from the midpoints between."""
    base = np.floor(3 * rng.standard_normal(shape))
    return step * (base + rng.choice([0.25, 0.35, 0.65, 0.8], shape))


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


def tensor_binary_samples(rng):
    """binary_samples without the Python scalar (for ops that take two tensors)."""
    return [s for s in binary_samples(rng) if s.name != "scalar"]


def tie_samples(rng):
    """Equal elements, where the gradient is split half/half (as central differences also do)."""
    x = _normal(rng, 3, 4)
    tied = np.where(rng.random((3, 4)) > 0.5, x, _normal(rng, 3, 4))
    return [Sample((x, tied), name="ties"), Sample((x[0], x[0]), name="all_tied")]


def positive_binary_samples(rng):
    """Like binary_samples, with the divisor or exponent base kept away from zero."""
    return [
        Sample((_normal(rng, 3, 4, low=0.5), _normal(rng, 3, 4, low=0.5)), name="same"),
        Sample((_normal(rng, 2, 3, 4, low=0.5), _normal(rng, 4, low=0.5)), name="bcast_right"),
        Sample((_normal(rng, 3, 1, low=0.5), _normal(rng, 1, 4, low=0.5)), name="outer"),
        Sample((_normal(rng, 2, 3, low=0.5), 2.5), name="scalar"),
        Sample((1.5, _normal(rng, 2, 3)), name="scalar_base"),
    ]


def remainder_samples(rng):
    """Dividends away from multiples of the divisor (where the remainder jumps)."""

    def dividend(divisor, shape):
        fraction = rng.uniform(0.2, 0.8, shape)
        return divisor * (rng.integers(-3, 3, shape) + fraction)

    divisor = _away(rng, 3, 4, margin=0.5)
    column = _away(rng, 3, 1, margin=0.5)
    return [
        Sample((dividend(divisor, (3, 4)), divisor), name="same"),
        Sample((dividend(column, (3, 4)), column), name="bcast"),
        Sample((dividend(2.5, (2, 3)), 2.5), name="scalar"),
        Sample((dividend(-1.5, ()), -1.5), name="zero_dim_negative_divisor"),
    ]


def unary_samples(low=None):
    def samples(rng):
        return [
            Sample((_normal(rng, 3, 4, low=low),), name="matrix"),
            Sample((_normal(rng, low=low),), name="zero_dim"),
            Sample((_normal(rng, 2, 0, low=low),), name="empty"),
        ]

    return samples


def away_samples(points=(0.0,), scale=1.0, **kwargs):
    """Unary samples away from ``points``, with ``kwargs`` passed to the op."""

    def samples(rng):
        return [
            Sample((_away(rng, 3, 4, points=points, scale=scale),), dict(kwargs), name="matrix"),
            Sample((_away(rng, points=points, scale=scale),), dict(kwargs), name="zero_dim"),
            Sample((_away(rng, 2, 0, points=points),), dict(kwargs), name="empty"),
        ]

    return samples


def step_samples(step=1.0, **kwargs):
    def samples(rng):
        return [
            Sample((_off_grid(rng, 3, 4, step=step),), dict(kwargs), name="matrix"),
            Sample((_off_grid(rng, step=step),), dict(kwargs), name="zero_dim"),
            Sample((_off_grid(rng, 2, 0, step=step),), dict(kwargs), name="empty"),
        ]

    return samples


def activation_samples(**kwargs):
    """A spread of values (including large ones) and the common shapes, with op arguments."""

    def samples(rng):
        return [
            Sample((_away(rng, 3, 4, scale=3.0),), dict(kwargs), name="matrix"),
            Sample((np.array([-30.0, -8.0, -2.5, 2.5, 8.0, 30.0]),), dict(kwargs), name="tails"),
            Sample((_away(rng),), dict(kwargs), name="zero_dim"),
            Sample((_normal(rng, 2, 0),), dict(kwargs), name="empty"),
        ]

    return samples


def clamp_samples(rng):
    """Number and tensor bounds (broadcast), one-sided, and min > max; x away from the bounds."""
    low = _normal(rng, 4)
    high = low + 1.5
    inside = low + rng.choice([-0.6, -0.3, 0.4, 0.8, 1.1, 1.9, 2.5], (3, 4))
    return [
        Sample((_away(rng, 3, 4, points=(-0.5, 0.5)), -0.5, 0.5), name="numbers"),
        Sample((_away(rng, 3, 4, points=(-0.5,)), -0.5, None), name="min_only"),
        Sample((_away(rng, 3, 4, points=(0.5,)), None, 0.5), name="max_only"),
        Sample((inside, low, high), name="tensors_bcast"),
        Sample((inside, low, None), name="tensor_min"),
        Sample((inside, None, high), name="tensor_max"),
        Sample((inside, high, low), name="min_above_max"),
        Sample((_away(rng, points=(-0.5, 0.5)), -0.5, 0.5), name="zero_dim"),
        Sample((_normal(rng, 0, 3), -0.5, 0.5), name="empty"),
    ]


def lerp_samples(rng):
    return [
        Sample((_normal(rng, 3, 4), _normal(rng, 3, 4), 0.3), name="number"),
        Sample((_normal(rng, 3, 4), _normal(rng, 3, 4), rng.random((3, 4))), name="tensor"),
        Sample((_normal(rng, 3, 4), _normal(rng, 4), rng.random((3, 1))), name="bcast"),
        Sample((_normal(rng), _normal(rng), 0.7), name="zero_dim"),
    ]


def where_samples(rng):
    return [
        Sample((rng.random((3, 4)) > 0.5, _normal(rng, 3, 4), _normal(rng, 3, 4)), name="same"),
        Sample((rng.random((3, 1)) > 0.5, _normal(rng, 1, 4), _normal(rng, 4)), name="bcast"),
        Sample((rng.random((2, 3)) > 0.5, _normal(rng, 2, 3), 0.0), name="scalar"),
    ]


def _abs_reference(x):
    """torch.abs, written so that PyTorch's second derivative is not a ZeroTensor (which the
    harness cannot convert to NumPy); values and both derivatives are those of torch.abs."""
    return torch.where(x > 0, x, torch.where(x < 0, -x, x * 0))


def _domain(low, high, **kwargs):
    return lambda: unary_strategy(low, high, **kwargs)


OPS: list[OpInfo] = [
    OpInfo("add", gradwork.add, torch.add, binary_samples, strategy=binary_strategy),
    OpInfo("sub", gradwork.sub, torch.sub, binary_samples, strategy=binary_strategy),
    OpInfo("mul", gradwork.mul, torch.mul, binary_samples, strategy=binary_strategy),
    OpInfo("div", gradwork.div, torch.div, positive_binary_samples),
    OpInfo("pow", gradwork.pow, torch.pow, positive_binary_samples),
    OpInfo("neg", gradwork.neg, torch.neg, unary_samples(), strategy=unary_strategy),
    OpInfo("abs", gradwork.abs, _abs_reference, away_samples(), strategy=unary_strategy),
    OpInfo("exp", gradwork.exp, torch.exp, unary_samples(), strategy=unary_strategy),
    OpInfo("expm1", gradwork.expm1, torch.expm1, unary_samples(), strategy=unary_strategy),
    OpInfo("log", gradwork.log, torch.log, unary_samples(low=0.1), strategy=_domain(0.1, 5.0)),
    OpInfo(
        "log1p",
        gradwork.log1p,
        torch.log1p,
        unary_samples(low=-0.5),
        strategy=_domain(-0.9, 5.0),
    ),
    OpInfo("log2", gradwork.log2, torch.log2, unary_samples(low=0.1), strategy=_domain(0.1, 5.0)),
    OpInfo("sqrt", gradwork.sqrt, torch.sqrt, unary_samples(low=0.1), strategy=_domain(0.1, 5.0)),
    OpInfo(
        "rsqrt", gradwork.rsqrt, torch.rsqrt, unary_samples(low=0.2), strategy=_domain(0.2, 5.0)
    ),
    OpInfo("square", gradwork.square, torch.square, unary_samples(), strategy=unary_strategy),
    OpInfo(
        "reciprocal",
        gradwork.reciprocal,
        torch.reciprocal,
        away_samples(),
        strategy=_domain(0.2, 5.0),
    ),
    OpInfo("sin", gradwork.sin, torch.sin, unary_samples(), strategy=unary_strategy),
    OpInfo("cos", gradwork.cos, torch.cos, unary_samples(), strategy=unary_strategy),
    OpInfo("tanh", gradwork.tanh, torch.tanh, activation_samples(), strategy=unary_strategy),
    OpInfo(
        "sigmoid",
        gradwork.sigmoid,
        torch.sigmoid,
        activation_samples(),
        strategy=_domain(-30.0, 30.0),
    ),
    OpInfo("erf", gradwork.erf, torch.erf, activation_samples(), strategy=unary_strategy),
    OpInfo("erfc", gradwork.erfc, torch.erfc, activation_samples(), strategy=unary_strategy),
    OpInfo("relu", gradwork.relu, torch.relu, away_samples(), strategy=unary_strategy),
    OpInfo(
        "leaky_relu",
        gradwork.leaky_relu,
        F.leaky_relu,
        away_samples(),
        strategy=unary_strategy,
    ),
    OpInfo(
        "leaky_relu_slope",
        gradwork.leaky_relu,
        F.leaky_relu,
        away_samples(negative_slope=0.2),
        strategy=_domain(-3.0, 3.0, negative_slope=0.2),
    ),
    OpInfo("elu", gradwork.elu, F.elu, away_samples(scale=3.0), strategy=unary_strategy),
    OpInfo(
        "elu_alpha",
        gradwork.elu,
        F.elu,
        away_samples(alpha=0.5),
        strategy=_domain(-3.0, 3.0, alpha=0.5),
    ),
    OpInfo("gelu", gradwork.gelu, F.gelu, activation_samples(), strategy=unary_strategy),
    OpInfo(
        "gelu_tanh",
        gradwork.gelu,
        F.gelu,
        activation_samples(approximate="tanh"),
        strategy=_domain(-3.0, 3.0, approximate="tanh"),
    ),
    OpInfo("silu", gradwork.silu, F.silu, activation_samples(), strategy=unary_strategy),
    OpInfo(
        "softplus",
        gradwork.softplus,
        F.softplus,
        activation_samples(),
        strategy=_domain(-30.0, 30.0),
    ),
    OpInfo(
        "softplus_beta",
        gradwork.softplus,
        F.softplus,
        away_samples(points=(0.5,), beta=2.0, threshold=1.0),
        strategy=_domain(-3.0, 3.0, beta=2.0, threshold=1.0),
    ),
    OpInfo(
        "clamp",
        gradwork.clamp,
        torch.clamp,
        clamp_samples,
        strategy=_domain(-3.0, 3.0, min=-0.5, max=0.5),
    ),
    OpInfo(
        "maximum",
        gradwork.maximum,
        torch.maximum,
        tensor_binary_samples,
        strategy=binary_strategy,
    ),
    OpInfo(
        "minimum",
        gradwork.minimum,
        torch.minimum,
        tensor_binary_samples,
        strategy=binary_strategy,
    ),
    # at a tie the first derivative jumps, so no second-order check there
    OpInfo("maximum_ties", gradwork.maximum, torch.maximum, tie_samples, gradgrad=False),
    OpInfo("minimum_ties", gradwork.minimum, torch.minimum, tie_samples, gradgrad=False),
    OpInfo("sign", gradwork.sign, torch.sign, away_samples(), strategy=unary_strategy),
    OpInfo("floor", gradwork.floor, torch.floor, step_samples(), strategy=unary_strategy),
    OpInfo("ceil", gradwork.ceil, torch.ceil, step_samples(), strategy=unary_strategy),
    OpInfo("round", gradwork.round, torch.round, step_samples(), strategy=unary_strategy),
    OpInfo("round_decimals", gradwork.round, torch.round, step_samples(step=0.1, decimals=1)),
    OpInfo("trunc", gradwork.trunc, torch.trunc, step_samples(), strategy=unary_strategy),
    OpInfo("remainder", gradwork.remainder, torch.remainder, remainder_samples),
    OpInfo(
        "floor_divide", gradwork.floor_divide, torch.floor_divide, remainder_samples, grad=False
    ),
    OpInfo("lerp", gradwork.lerp, torch.lerp, lerp_samples),
    OpInfo("where", gradwork.where, torch.where, where_samples),
    OpInfo("clone", gradwork.clone, torch.clone, unary_samples(), strategy=unary_strategy),
]
