"""Catalogue entries for gradwork.ops.reduce.

PyTorch's reductions differ in which ``dim`` forms they accept (``prod``/``max`` take one int,
``logsumexp`` needs a dim); the small wrappers below call them the way gradwork's signatures allow.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from hypothesis import strategies as st

import gradwork
from tests.op_db.common import OpInfo, Sample, reduction_strategy


def _torch_reduction(function):
    """PyTorch reductions take no dim=None in every overload; drop it."""

    def call(x, dim=None, keepdim=False, **kwargs):
        if dim is None:
            return (
                function(x, **kwargs)
                if not keepdim
                else function(x, dim=tuple(range(x.ndim)), keepdim=True, **kwargs)
            )
        return function(x, dim=dim, keepdim=keepdim, **kwargs)

    return call


def _torch_single_dim(function):
    """For reductions over one int dim (prod, max, min): dim=None reduces everything."""

    def call(x, dim=None, keepdim=False, **kwargs):
        if dim is None:
            result = function(x, **kwargs)
            return result.reshape((1,) * x.ndim) if keepdim else result
        return function(x, dim, keepdim, **kwargs)

    return call


def _torch_logsumexp(x, dim=None, keepdim=False):
    return torch.logsumexp(x, tuple(range(x.ndim)) if dim is None else dim, keepdim)


def _single_dim(strategy):
    """A reduction_strategy with a tuple dim replaced by its first entry."""

    def fix(sample):
        dim = sample.kwargs.get("dim")
        if isinstance(dim, tuple):
            sample.kwargs["dim"] = dim[0]
        return sample

    return strategy.map(fix)


def _distinct(sample) -> bool:
    """No repeated values: std of a constant slice is not differentiable, and PyTorch's gradient
    there depends on how its mean rounds (gradwork's is exactly 0, tested in test_reduce.py)."""
    x = sample.args[0]
    return np.unique(x).size == x.size


def reduction_samples(rng):
    return [
        Sample((rng.standard_normal((3, 4, 5)),), {"dim": 1}, name="dim1"),
        Sample(
            (rng.standard_normal((3, 4, 5)),), {"dim": (0, 2), "keepdim": True}, name="dims_keep"
        ),
        Sample((rng.standard_normal((3, 4)),), {"dim": -1}, name="last"),
        Sample((rng.standard_normal((3, 4)),), {}, name="all"),
        Sample((rng.standard_normal(()),), {}, name="zero_dim"),
    ]


def variance_samples(rng):
    # a single element has N - correction = 0 (nan); the 0-d sample uses correction 0
    return [s for s in reduction_samples(rng) if s.name != "zero_dim"] + [
        Sample((rng.standard_normal(()),), {"correction": 0}, name="zero_dim"),
        Sample((rng.standard_normal((3, 4)),), {"dim": 1, "correction": 0}, name="correction0"),
        Sample((rng.standard_normal((3, 4)),), {"dim": 0, "correction": 2}, name="correction2"),
        Sample((rng.standard_normal((3, 4)),), {"dim": 1, "unbiased": False}, name="biased"),
        Sample((rng.standard_normal((2, 0)),), {"dim": 0}, name="empty_kept"),
    ]


def single_dim_samples(rng):
    """Samples for reductions over one int dim or everything (prod, max, min, cumsum-like)."""
    return [
        Sample((rng.standard_normal((3, 4, 5)),), {"dim": 1}, name="dim1"),
        Sample((rng.standard_normal((3, 4)),), {"dim": -1, "keepdim": True}, name="last_keep"),
        Sample((rng.standard_normal((3, 4)),), {}, name="all"),
        Sample((rng.standard_normal(()),), {"dim": 0}, name="zero_dim"),
    ]


def _with_zeros(rng, shape, count):
    x = rng.standard_normal(shape) + np.sign(rng.standard_normal(shape)) * 0.5
    x.reshape(-1)[rng.choice(x.size, count, replace=False)] = 0.0
    return x


def prod_samples(rng):
    rows = rng.standard_normal((4, 3)) + 1.0
    rows[1, 0] = 0.0  # one zero in row 1
    rows[2, 0] = rows[2, 2] = 0.0  # two zeros in row 2
    rows[3, :] = 0.0  # only zeros in row 3
    return single_dim_samples(rng) + [
        Sample((_with_zeros(rng, (5,), 1),), {}, name="one_zero"),
        Sample((_with_zeros(rng, (5,), 2),), {}, name="two_zeros"),
        Sample((_with_zeros(rng, (5,), 3),), {}, name="three_zeros"),
        Sample((rows,), {"dim": 1}, name="rows_with_zeros"),
        Sample((rows.T.copy(),), {"dim": 0, "keepdim": True}, name="columns_with_zeros"),
        Sample((rng.standard_normal((2, 0)),), {"dim": 1}, name="empty"),
    ]


def extremum_samples(rng):
    """amax/amin: distinct values (ties are their own entry)."""
    return reduction_samples(rng) + [
        Sample((rng.standard_normal((0, 3)),), {"dim": 1}, name="empty_kept"),
    ]


def tie_samples(rng):
    """Two-way ties, where central differences also give each tied element half (amax/amin;
    max/min without dim). max/min along a dim give the whole gradient to the first index, as
    PyTorch does: that is checked against PyTorch in tests/ops/test_reduce.py."""
    x = rng.standard_normal((3, 4))
    x[:, 2] = x.max(axis=1) + 1.0
    x[:, 0] = x[:, 2]
    y = rng.standard_normal((3, 4))
    y[:, 1] = y.min(axis=1) - 1.0
    y[:, 3] = y[:, 1]
    return [
        Sample((x,), {"dim": 1}, name="max_ties_rows"),
        Sample((y,), {"dim": 1}, name="min_ties_rows"),
        Sample((np.array([1.0, 3.0, -3.0, 3.0, -3.0]),), {}, name="all"),
    ]


def logsumexp_samples(rng):
    return [
        Sample((rng.standard_normal((3, 4, 5)),), {"dim": 1}, name="dim1"),
        Sample(
            (rng.standard_normal((3, 4, 5)),), {"dim": (0, 2), "keepdim": True}, name="dims_keep"
        ),
        Sample((rng.standard_normal((3, 4)),), {"dim": (0, 1)}, name="all"),
        Sample((rng.standard_normal(()),), {"dim": 0}, name="zero_dim"),
        Sample((50 * rng.standard_normal((3, 4)),), {"dim": 1}, name="spread"),
        Sample((rng.standard_normal((3, 4)) + 1e3,), {"dim": 0}, name="large"),
        Sample((rng.standard_normal((2, 0)),), {"dim": 0}, name="empty_kept"),
    ]


def cumsum_samples(rng):
    return [
        Sample((rng.standard_normal((3, 4)), 0), name="dim0"),
        Sample((rng.standard_normal((3, 4)), 1), name="dim1"),
        Sample((rng.standard_normal((2, 3, 4)), -1), name="last"),
        Sample((rng.standard_normal(()), 0), name="zero_dim"),
        Sample((rng.standard_normal((2, 0)), 1), name="empty"),
    ]


def _nonzero(rng, *shape):
    """Values at least 0.3 from zero, where |x|^(p-1) is singular for p < 2."""
    x = rng.standard_normal(shape)
    return np.sign(x) * (np.abs(x) + 0.3)


def norm_samples(*orders):
    return lambda rng: _norm_samples(rng, orders)


def _norm_samples(rng, orders):
    samples = []
    for p in orders:
        samples += [
            Sample((_nonzero(rng, 3, 4),), {"p": p}, name=f"p{p}_all"),
            Sample((_nonzero(rng, 3, 4),), {"p": p, "dim": 1}, name=f"p{p}_dim1"),
        ]
    if "fro" not in orders:
        return samples
    return samples + [
        Sample((_nonzero(rng, 2, 3, 4),), {"dim": (0, 2), "keepdim": True}, name="fro_dims_keep"),
        Sample((_nonzero(rng),), {"p": 2}, name="zero_dim"),
        Sample((rng.standard_normal((2, 0)),), {"p": 2, "dim": 1}, name="empty"),
    ]


def _norm_strategy():
    def with_order(sample, p):
        dim = sample.kwargs["dim"]
        if p == "fro" and isinstance(dim, tuple) and len(dim) > 2:
            p = 2  # PyTorch's Frobenius norm takes at most two dims
        return Sample(sample.args, {**sample.kwargs, "p": p})

    return reduction_strategy(0.3, 3.0, allow_empty=False).flatmap(
        lambda sample: st.sampled_from(["fro", 1, 2, 3, math.inf]).map(
            lambda p: with_order(sample, p)
        )
    )


OPS: list[OpInfo] = [
    OpInfo(
        "sum",
        gradwork.sum,
        _torch_reduction(torch.sum),
        reduction_samples,
        strategy=reduction_strategy,
    ),
    OpInfo(
        "mean",
        gradwork.mean,
        _torch_reduction(torch.mean),
        reduction_samples,
        strategy=lambda: reduction_strategy(allow_empty=False),
    ),
    OpInfo(
        "var",
        gradwork.var,
        _torch_reduction(torch.var),
        variance_samples,
        strategy=lambda: reduction_strategy(allow_empty=False),
    ),
    OpInfo(
        "std",
        gradwork.std,
        _torch_reduction(torch.std),
        variance_samples,
        strategy=lambda: reduction_strategy(allow_empty=False).filter(_distinct),
    ),
    OpInfo(
        "prod",
        gradwork.prod,
        _torch_single_dim(torch.prod),
        prod_samples,
        strategy=lambda: _single_dim(reduction_strategy()),
    ),
    OpInfo(
        "amax",
        gradwork.amax,
        _torch_reduction(torch.amax),
        extremum_samples,
        strategy=lambda: reduction_strategy(allow_empty=False),
    ),
    OpInfo(
        "amin",
        gradwork.amin,
        _torch_reduction(torch.amin),
        extremum_samples,
        strategy=lambda: reduction_strategy(allow_empty=False),
    ),
    # at a tie the first derivative jumps, so no second-order check there
    OpInfo("amax_ties", gradwork.amax, _torch_reduction(torch.amax), tie_samples, gradgrad=False),
    OpInfo("amin_ties", gradwork.amin, _torch_reduction(torch.amin), tie_samples, gradgrad=False),
    OpInfo(
        "max_ties",
        gradwork.max,
        _torch_single_dim(torch.max),
        lambda rng: [s for s in tie_samples(rng) if s.name == "all"],
        gradgrad=False,
    ),
    OpInfo(
        "min_ties",
        gradwork.min,
        _torch_single_dim(torch.min),
        lambda rng: [s for s in tie_samples(rng) if s.name == "all"],
        gradgrad=False,
    ),
    OpInfo(
        "max",
        gradwork.max,
        _torch_single_dim(torch.max),
        single_dim_samples,
        strategy=lambda: _single_dim(reduction_strategy(allow_empty=False)),
    ),
    OpInfo(
        "min",
        gradwork.min,
        _torch_single_dim(torch.min),
        single_dim_samples,
        strategy=lambda: _single_dim(reduction_strategy(allow_empty=False)),
    ),
    OpInfo(
        "logsumexp",
        gradwork.logsumexp,
        _torch_logsumexp,
        logsumexp_samples,
        strategy=reduction_strategy,
    ),
    OpInfo("cumsum", gradwork.cumsum, torch.cumsum, cumsum_samples),
    OpInfo(
        "norm",
        gradwork.norm,
        torch.norm,
        norm_samples("fro", 2, 3, 1.5, 0.5, 0, -1),
        strategy=_norm_strategy,
    ),
    # PyTorch's second derivative of these is a ZeroTensor, which the harness cannot compare
    OpInfo(
        "norm_piecewise",
        gradwork.norm,
        torch.norm,
        norm_samples(1, math.inf, -math.inf),
        gradgrad=False,
    ),
]
