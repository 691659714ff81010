"""Catalogue entries for gradwork.ops.movement."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import gradwork
from tests.op_db.common import OpInfo, Sample, _array


def _normal(rng, *shape):
    return rng.standard_normal(shape)


# -- samples ------------------------------------------------------------------------------------
def reshape_samples(rng):
    return [
        Sample((_normal(rng, 2, 3, 4), (6, -1)), name="infer"),
        Sample((_normal(rng, 2, 3), (3, 2)), name="plain"),
        Sample((_normal(rng), (1, 1)), name="zero_dim"),
        Sample((_normal(rng, 0, 3), (3, 0)), name="empty"),
    ]


def expand_samples(rng):
    return [
        Sample((_normal(rng, 3, 1), (2, 3, 4)), name="lead_and_one"),
        Sample((_normal(rng), (2, 2)), name="zero_dim"),
        Sample((_normal(rng, 1, 4), (2, 3, -1)), name="minus_one"),
        Sample((_normal(rng, 1, 3), (0, 3)), name="to_empty"),
    ]


def flatten_samples(rng):
    return [
        Sample((_normal(rng, 2, 3, 4),), name="all"),
        Sample((_normal(rng, 2, 3, 4), 1), name="start"),
        Sample((_normal(rng, 2, 1, 3, 4), -3, -2), name="negative"),
        Sample((_normal(rng),), name="zero_dim"),
        Sample((_normal(rng, 2, 0, 3), 1), name="empty"),
    ]


def unflatten_samples(rng):
    return [
        Sample((_normal(rng, 2, 12), 1, (3, 4)), name="plain"),
        Sample((_normal(rng, 12, 2), -2, (2, -1, 3)), name="infer"),
        Sample((_normal(rng, 3), 0, (1, 3, 1)), name="ones"),
    ]


def permute_samples(rng):
    return [
        Sample((_normal(rng, 2, 3, 4), (2, 0, 1)), name="plain"),
        Sample((_normal(rng, 2, 1, 4), (-1, 0, -2)), name="negative"),
        Sample((_normal(rng), ()), name="zero_dim"),
        Sample((_normal(rng, 2, 0, 3), (1, 2, 0)), name="empty"),
    ]


def transpose_samples(rng):
    return [
        Sample((_normal(rng, 2, 3, 4), 0, -1), name="outer"),
        Sample((_normal(rng, 3, 4), 1, 0), name="matrix"),
        Sample((_normal(rng, 3, 4), 1, 1), name="same"),
        Sample((_normal(rng), 0, -1), name="zero_dim"),
    ]


def t_samples(rng):
    return [
        Sample((_normal(rng, 3, 4),), name="matrix"),
        Sample((_normal(rng, 3),), name="vector"),
        Sample((_normal(rng),), name="zero_dim"),
    ]


def movedim_samples(rng):
    return [
        Sample((_normal(rng, 2, 3, 4), 0, -1), name="int"),
        Sample((_normal(rng, 2, 3, 4, 5), (0, 1), (3, 0)), name="tuple"),
    ]


def squeeze_samples(rng):
    return [
        Sample((_normal(rng, 1, 3, 1),), name="all"),
        Sample((_normal(rng, 1, 3, 1), -1), name="int"),
        Sample((_normal(rng, 1, 3, 1), (0, 1)), name="tuple_keeps_non_one"),
        Sample((_normal(rng),), name="zero_dim"),
        Sample((_normal(rng, 1, 0), 0), name="empty"),
    ]


def unsqueeze_samples(rng):
    return [
        Sample((_normal(rng, 2, 3), 1), name="middle"),
        Sample((_normal(rng, 2, 3), -1), name="last"),
        Sample((_normal(rng), 0), name="zero_dim"),
    ]


def repeat_samples(rng):
    return [
        Sample((_normal(rng, 2, 3), (2, 1, 3)), name="lead"),
        Sample((_normal(rng, 1, 3), (2, 2)), name="one"),
        Sample((_normal(rng), (3,)), name="zero_dim"),
        Sample((_normal(rng, 2, 3), (0, 2)), name="zero_repeat"),
    ]


def tile_samples(rng):
    return [
        Sample((_normal(rng, 2, 3), (2,)), name="short"),
        Sample((_normal(rng, 2, 3), (2, 1, 2)), name="long"),
    ]


def cat_samples(rng):
    return [
        Sample(([_normal(rng, 2, 3), _normal(rng, 1, 3), _normal(rng, 4, 3)],), name="dim0"),
        Sample(([_normal(rng, 2, 3), _normal(rng, 2, 1)], -1), name="negative"),
        Sample(([_normal(rng, 2, 3), _normal(rng, 0), _normal(rng, 2, 2)], 1), name="legacy"),
        Sample(([_normal(rng, 2, 0), _normal(rng, 2, 3)], 1), name="empty"),
        Sample(([_normal(rng, 3)],), name="single"),
    ]


def stack_samples(rng):
    return [
        Sample(([_normal(rng, 2, 3), _normal(rng, 2, 3)],), name="dim0"),
        Sample(([_normal(rng, 2, 3), _normal(rng, 2, 3), _normal(rng, 2, 3)], -1), name="last"),
        Sample(([_normal(rng), _normal(rng)],), name="zero_dim"),
    ]


def split_samples(rng):
    return [
        Sample((_normal(rng, 5, 2), 2), name="int"),
        Sample((_normal(rng, 2, 6), [1, 0, 5], 1), name="sections"),
        Sample((_normal(rng, 2, 3), 4, -1), name="one_piece"),
        Sample((_normal(rng, 0, 3), 2), name="empty"),
    ]


def chunk_samples(rng):
    return [
        Sample((_normal(rng, 6, 2), 4), name="fewer"),
        Sample((_normal(rng, 2, 5), 3, 1), name="uneven"),
        Sample((_normal(rng, 1, 3), 3), name="one"),
    ]


def unbind_samples(rng):
    return [
        Sample((_normal(rng, 3, 2),), name="dim0"),
        Sample((_normal(rng, 2, 3, 1), -2), name="negative"),
    ]


def narrow_samples(rng):
    return [
        Sample((_normal(rng, 5, 2), 0, 1, 3), name="plain"),
        Sample((_normal(rng, 2, 5), -1, -2, 2), name="negative"),
        Sample((_normal(rng, 2, 5), 1, 5, 0), name="empty"),
    ]


def flip_samples(rng):
    return [
        Sample((_normal(rng, 2, 3, 4), (0, 2)), name="two"),
        Sample((_normal(rng, 3, 4), (-1,)), name="negative"),
        Sample((_normal(rng, 0, 4), (0, 1)), name="empty"),
    ]


def roll_samples(rng):
    return [
        Sample((_normal(rng, 3, 4), 2), name="flat"),
        Sample((_normal(rng, 3, 4), (1, -5), (0, 1)), name="dims"),
        Sample((_normal(rng, 3, 4), 7, -1), name="wrap"),
        Sample((_normal(rng), 1), name="zero_dim"),
    ]


def pad_samples(rng):
    return [
        Sample((_normal(rng, 2, 3), (1, 2)), name="constant"),
        Sample((_normal(rng, 2, 3, 4), (1, 0, 2, 1), "constant", 1.5), name="constant_value"),
        Sample((_normal(rng, 3, 4), (-1, 2, 0, -2)), name="constant_negative"),
        Sample((_normal(rng, 2, 3, 5), (2, 3), "reflect"), name="reflect_1d"),
        Sample((_normal(rng, 1, 2, 3, 4), (2, 1, 2, 0), "reflect"), name="reflect_2d"),
        Sample((_normal(rng, 2, 3, 4), (3, 1), "replicate"), name="replicate_1d"),
        Sample((_normal(rng, 2, 2, 3, 2), (1, 2, 3, 0), "replicate"), name="replicate_2d"),
        Sample((_normal(rng, 2, 3, 4), (4, 2), "circular"), name="circular_1d"),
        Sample((_normal(rng, 1, 2, 3, 4), (1, 2, 3, 1), "circular"), name="circular_2d"),
        Sample((_normal(rng, 1, 2, 2, 3, 2), (1, 1, 1, 0, 0, 1), "replicate"), name="replicate_3d"),
    ]


def triangle_samples(rng):
    return [
        Sample((_normal(rng, 3, 4),), name="square"),
        Sample((_normal(rng, 2, 3, 4), 1), name="batched_up"),
        Sample((_normal(rng, 4, 3), -1), name="down"),
        Sample((_normal(rng, 0, 3),), name="empty"),
    ]


def masked_fill_samples(rng):
    return [
        Sample((_normal(rng, 3, 4), rng.random((3, 4)) > 0.5, -2.5), name="number"),
        Sample((_normal(rng, 3, 4), rng.random((1, 4)) > 0.5, 0.0), name="bcast_mask"),
        Sample((_normal(rng, 4), rng.random((3, 4)) > 0.5, 1.0), name="bcast_input"),
        Sample((_normal(rng, 3, 4), rng.random((3, 4)) > 0.5, _normal(rng)), name="tensor"),
        Sample((_normal(rng), np.array(True), 3.0), name="zero_dim"),
    ]


# -- hypothesis strategies ----------------------------------------------------------------------
_shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)


def _permute_strategy():
    @st.composite
    def build(draw):
        x = draw(_shapes.flatmap(lambda s: _array(s, -3, 3)))
        dims = draw(st.permutations(range(x.ndim)))
        return Sample((x, tuple(dims)))

    return build()


def _transpose_strategy():
    @st.composite
    def build(draw):
        x = draw(_shapes.flatmap(lambda s: _array(s, -3, 3)))
        bound = max(x.ndim, 1)
        dim0 = draw(st.integers(-bound, bound - 1))
        dim1 = draw(st.integers(-bound, bound - 1))
        return Sample((x, dim0, dim1))

    return build()


def _flatten_strategy():
    @st.composite
    def build(draw):
        x = draw(_shapes.flatmap(lambda s: _array(s, -3, 3)))
        if x.ndim == 0:
            return Sample((x,))
        start = draw(st.integers(0, x.ndim - 1))
        end = draw(st.integers(start, x.ndim - 1))
        negative = draw(st.booleans())
        return Sample((x, start - x.ndim if negative else start, end))

    return build()


def _squeeze_strategy():
    @st.composite
    def build(draw):
        shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=2))
        x = draw(_array(shape, -3, 3))
        if x.ndim == 0:
            return Sample((x,))
        dims = draw(
            st.one_of(
                st.none(),
                st.integers(-x.ndim, x.ndim - 1),
                st.lists(st.integers(0, x.ndim - 1), max_size=x.ndim, unique=True).map(tuple),
            )
        )
        return Sample((x,) if dims is None else (x, dims))

    return build()


def _cat_strategy(new_dim: bool):
    @st.composite
    def build(draw):
        shape = draw(
            hnp.array_shapes(min_dims=0 if new_dim else 1, max_dims=3, min_side=0, max_side=3)
        )
        count = draw(st.integers(1, 3))
        ndim = len(shape) + (1 if new_dim else 0)
        dim = draw(st.integers(-ndim, ndim - 1))
        arrays = []
        for _ in range(count):
            piece = list(shape)
            if not new_dim:
                piece[dim] = draw(st.integers(0, 3))
            arrays.append(draw(_array(tuple(piece), -3, 3)))
        return Sample((arrays, dim))

    return build()


def _roll_strategy():
    @st.composite
    def build(draw):
        x = draw(
            hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4).flatmap(
                lambda s: _array(s, -3, 3)
            )
        )
        dims = draw(st.lists(st.integers(0, x.ndim - 1), min_size=1, max_size=x.ndim, unique=True))
        shifts = draw(st.lists(st.integers(-6, 6), min_size=len(dims), max_size=len(dims)))
        return Sample((x, tuple(shifts), tuple(dims)))

    return build()


def _flip_strategy():
    @st.composite
    def build(draw):
        x = draw(
            hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=3).flatmap(
                lambda s: _array(s, -3, 3)
            )
        )
        dims = draw(st.lists(st.integers(0, x.ndim - 1), min_size=1, max_size=x.ndim, unique=True))
        return Sample((x, tuple(dims)))

    return build()


def _split_ref(x, split_size_or_sections, dim=0):
    return torch.split(x, split_size_or_sections, dim)


OPS: list[OpInfo] = [
    OpInfo("reshape", gradwork.reshape, torch.reshape, reshape_samples),
    OpInfo("expand", gradwork.ops.movement.expand, lambda x, s: x.expand(*s), expand_samples),
    OpInfo("flatten", gradwork.flatten, torch.flatten, flatten_samples, strategy=_flatten_strategy),
    OpInfo("unflatten", gradwork.unflatten, torch.unflatten, unflatten_samples),
    OpInfo("permute", gradwork.permute, torch.permute, permute_samples, strategy=_permute_strategy),
    OpInfo(
        "transpose",
        gradwork.transpose,
        torch.transpose,
        transpose_samples,
        strategy=_transpose_strategy,
    ),
    OpInfo("t", gradwork.t, torch.t, t_samples),
    OpInfo("movedim", gradwork.movedim, torch.movedim, movedim_samples),
    OpInfo("squeeze", gradwork.squeeze, torch.squeeze, squeeze_samples, strategy=_squeeze_strategy),
    OpInfo("unsqueeze", gradwork.unsqueeze, torch.unsqueeze, unsqueeze_samples),
    OpInfo("repeat", gradwork.repeat, lambda x, s: x.repeat(*s), repeat_samples),
    OpInfo("tile", gradwork.tile, torch.tile, tile_samples),
    OpInfo("cat", gradwork.cat, torch.cat, cat_samples, strategy=lambda: _cat_strategy(False)),
    OpInfo(
        "stack", gradwork.stack, torch.stack, stack_samples, strategy=lambda: _cat_strategy(True)
    ),
    OpInfo("split", gradwork.split, _split_ref, split_samples),
    OpInfo("chunk", gradwork.chunk, torch.chunk, chunk_samples),
    OpInfo("unbind", gradwork.unbind, torch.unbind, unbind_samples),
    OpInfo("narrow", gradwork.narrow, torch.narrow, narrow_samples),
    OpInfo("flip", gradwork.flip, torch.flip, flip_samples, strategy=_flip_strategy),
    OpInfo("roll", gradwork.roll, torch.roll, roll_samples, strategy=_roll_strategy),
    OpInfo("pad", gradwork.pad, torch.nn.functional.pad, pad_samples),
    OpInfo("tril", gradwork.tril, torch.tril, triangle_samples),
    OpInfo("triu", gradwork.triu, torch.triu, triangle_samples),
    OpInfo("masked_fill", gradwork.masked_fill, torch.masked_fill, masked_fill_samples),
]
