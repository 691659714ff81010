"""Catalogue entries for gradwork.ops.indexing."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import gradwork
from tests.op_db.common import OpInfo, Sample, _array


def _normal(rng, *shape):
    return rng.standard_normal(shape)


def _indexed(x, index=None, *, pre=(), post=()):
    """``x[pre + (index,) + post]``: an index whose tensor part comes from the sample's arrays."""
    if index is None:
        return x[pre]
    return x[pre + (index,) + post]


def getitem_samples(rng):
    """Basic indices as kwargs ``pre`` (passed unchanged), tensor indices as arguments."""
    x = _normal(rng, 3, 4, 5)
    return [
        Sample((x,), {"pre": (1,)}, name="int"),
        Sample((x,), {"pre": (-1, slice(1, None, 2))}, name="negative_int_slice"),
        Sample((x,), {"pre": (Ellipsis, None, slice(0, 3))}, name="ellipsis_none"),
        Sample((x,), {"pre": (slice(5, 9),)}, name="empty_slice"),
        Sample((x,), {"pre": ([0, 2, 0],)}, name="list"),
        Sample((x,), {"pre": ([[0, 1], [1, 1]], slice(None), [2, 2])}, name="lists_split"),
        Sample((x,), {"pre": (0, slice(None), [0, 1])}, name="int_then_list"),
        Sample((x,), {"pre": (slice(None), None, [0, 1], 1)}, name="none_list_int"),
        Sample((_normal(rng),), {"pre": (None,)}, name="zero_dim_none"),
        Sample((_normal(rng),), {"pre": (Ellipsis,)}, name="zero_dim_ellipsis"),
        Sample((x, np.array([2, 0, 2, 2, -1])), name="tensor_repeated"),
        Sample((x, np.array([[1, 1], [0, 3]])), {"pre": (slice(None),)}, name="tensor_2d_dim1"),
        Sample((x, np.array([4, 4, 0])), {"pre": (Ellipsis,)}, name="tensor_last"),
        Sample((x, np.array([1, 0])), {"pre": (1,), "post": (slice(1, 3),)}, name="int_tensor"),
        Sample((x, rng.random((3, 4)) > 0.5), name="mask_2d"),
        Sample((x, rng.random(4) > 0.5), {"pre": (slice(None),)}, name="mask_dim1"),
        Sample((x, np.zeros(3, dtype=bool)), name="mask_empty"),
        Sample((x, np.array([1, 1])), {"pre": (slice(None),), "post": ([0, 4],)}, name="pairs"),
        Sample((x, np.array(2)), name="zero_dim_tensor_index"),
        Sample((_normal(rng, 2, 0, 3), np.array([1, 0, 1])), name="empty_dim"),
    ]


def _getitem_strategy():
    """Random basic slices of random shapes, followed by an integer-array index."""

    @st.composite
    def build(draw):
        shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
        x = draw(_array(shape, -3, 3))
        pre = []
        for size in shape[:-1]:
            kind = draw(st.sampled_from(["int", "slice", "none_slice"]))
            if kind == "int":
                pre.append(draw(st.integers(-size, size - 1)))
            else:
                if kind == "none_slice":
                    pre.append(None)
                start = draw(st.one_of(st.none(), st.integers(-size - 1, size + 1)))
                stop = draw(st.one_of(st.none(), st.integers(-size - 1, size + 1)))
                step = draw(st.one_of(st.none(), st.integers(1, 3)))
                pre.append(slice(start, stop, step))
        index = draw(
            st.lists(st.integers(-shape[-1], shape[-1] - 1), min_size=0, max_size=5).map(
                lambda values: np.array(values, dtype=np.int64)
            )
        )
        return Sample((x, index), {"pre": tuple(pre)})

    return build()


def gather_samples(rng):
    return [
        Sample((_normal(rng, 3, 4), 1, rng.integers(0, 4, (3, 5))), name="dim1_repeats"),
        Sample((_normal(rng, 3, 4), 0, rng.integers(0, 3, (2, 2))), name="smaller_index"),
        Sample((_normal(rng, 2, 3, 4), -1, rng.integers(0, 4, (2, 3, 1))), name="negative_dim"),
        Sample((_normal(rng, 3, 4), 0, np.zeros((0, 4), np.int64)), name="empty_index"),
        Sample((_normal(rng), 0, np.array(0)), name="zero_dim"),
    ]


def index_select_samples(rng):
    return [
        Sample((_normal(rng, 5, 3), 0, np.array([4, 0, 4, 1])), name="dim0_repeats"),
        Sample((_normal(rng, 2, 5, 3), -2, np.array([3])), name="negative_dim"),
        Sample((_normal(rng, 3, 4), 1, np.array(2)), name="zero_dim_index"),
        Sample((_normal(rng, 3, 4), 1, np.zeros(0, np.int64)), name="empty_index"),
        Sample((_normal(rng), 0, np.array([0])), name="zero_dim"),
    ]


def index_add_samples(rng):
    return [
        Sample((_normal(rng, 4, 3), 0, np.array([0, 2, 0, 3, 0]), _normal(rng, 5, 3)), name="rows"),
        Sample(
            (_normal(rng, 2, 4, 3), 1, np.array([3, 3, 1]), _normal(rng, 2, 3, 3)),
            {"alpha": 2.5},
            name="dim1_alpha",
        ),
        Sample((_normal(rng, 5), 0, np.array([1, 1, 4]), _normal(rng, 3)), name="vector"),
        Sample((_normal(rng, 3, 2), -1, np.array([1, 0, 1, 1]), _normal(rng, 3, 4)), name="wide"),
        Sample((_normal(rng, 3, 2), 0, np.zeros(0, np.int64), _normal(rng, 0, 2)), name="empty"),
    ]


def scatter_add_samples(rng):
    return [
        Sample(
            (_normal(rng, 3, 4), 0, rng.integers(0, 3, (5, 4)), _normal(rng, 5, 4)), name="dim0"
        ),
        Sample(
            (_normal(rng, 3, 4), 1, rng.integers(0, 4, (2, 3)), _normal(rng, 3, 5)), name="block"
        ),
        Sample(
            (_normal(rng, 2, 3, 4), -1, rng.integers(0, 4, (2, 3, 6)), _normal(rng, 2, 3, 6)),
            name="negative_dim",
        ),
        Sample((_normal(rng), 0, np.array(0), _normal(rng)), name="zero_dim"),
    ]


def scatter_samples(rng):
    # distinct positions per column: which duplicate write wins is unspecified in PyTorch
    rows = np.stack([rng.permutation(4)[:3] for _ in range(5)], axis=1)  # (3, 5)
    return [
        Sample((_normal(rng, 4, 5), 0, rows, _normal(rng, 3, 5)), name="src"),
        Sample((_normal(rng, 4, 5), 0, rows[:2, :3], _normal(rng, 3, 5)), name="src_block"),
        Sample((_normal(rng, 5, 4), 1, rows.T.copy(), -1.5), name="value"),
    ]


def take_along_dim_samples(rng):
    return [
        Sample((_normal(rng, 3, 4), rng.integers(0, 12, (5,))), name="flat"),
        Sample((_normal(rng, 3, 4), rng.integers(0, 4, (3, 2)), 1), name="dim1"),
        Sample((_normal(rng, 3, 4), rng.integers(0, 3, (2, 1)), 0), name="broadcast_index"),
        Sample((_normal(rng, 1, 4), rng.integers(0, 4, (3, 2)), -1), name="broadcast_input"),
    ]


def masked_select_samples(rng):
    return [
        Sample((_normal(rng, 3, 4), rng.random((3, 4)) > 0.5), name="same"),
        Sample((_normal(rng, 3, 1), rng.random((3, 4)) > 0.5), name="bcast_input"),
        Sample((_normal(rng, 3, 4), rng.random(4) > 0.5), name="bcast_mask"),
        Sample((_normal(rng), np.array(True)), name="zero_dim"),
    ]


def nonzero_samples(rng):
    return [
        Sample((rng.integers(0, 2, (3, 4)),), name="matrix"),
        Sample((np.array([0.0, 1.5, 0.0, -2.0]),), name="float"),
        Sample((np.array(3),), name="zero_dim"),
        Sample((rng.integers(0, 2, (3, 4)),), {"as_tuple": True}, name="as_tuple"),
    ]


def _block_ref(function):
    """PyTorch's op on the index-shaped block of ``src``: its own backward rejects a larger src."""

    def ref(input, dim, index, src, **kwargs):
        if isinstance(src, torch.Tensor):
            src = src[tuple(slice(0, size) for size in index.shape)]
        return function(input, dim, index, src, **kwargs)

    return ref


OPS: list[OpInfo] = [
    OpInfo("getitem", _indexed, _indexed, getitem_samples, strategy=_getitem_strategy),
    OpInfo("gather", gradwork.gather, torch.gather, gather_samples),
    OpInfo("index_select", gradwork.index_select, torch.index_select, index_select_samples),
    OpInfo("index_add", gradwork.index_add, torch.index_add, index_add_samples),
    OpInfo("scatter_add", gradwork.scatter_add, _block_ref(torch.scatter_add), scatter_add_samples),
    OpInfo("scatter", gradwork.scatter, _block_ref(torch.scatter), scatter_samples),
    OpInfo("take_along_dim", gradwork.take_along_dim, torch.take_along_dim, take_along_dim_samples),
    OpInfo("masked_select", gradwork.masked_select, torch.masked_select, masked_select_samples),
    OpInfo("nonzero", gradwork.nonzero, torch.nonzero, nonzero_samples, grad=False),
]
