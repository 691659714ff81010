"""The OpInfo and Sample records, and shape strategies shared by the catalogue's modules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


@dataclass
class Sample:
    """One call: ``op(*args, **kwargs)``. NumPy float arrays in ``args`` become tensors that
    require grad (unless their position is in ``no_grad``); integer/bool arrays become plain
    tensors; anything else is passed unchanged to both libraries."""

    args: tuple
    kwargs: dict = field(default_factory=dict)
    no_grad: tuple = ()  # positions of float array arguments that must not require grad
    name: str = ""


@dataclass
class OpInfo:
    name: str
    op: Callable  # gradwork: op(*args, **kwargs)
    ref: Callable  # PyTorch: ref(*args, **kwargs), same arguments
    samples: Callable[[np.random.Generator], list]  # -> list[Sample]
    grad: bool = True  # has a gradient to check
    gradgrad: bool = True  # second derivatives checked (gradgradcheck + parity with PyTorch)
    atol: float = 1e-5  # float32 tolerances against PyTorch
    rtol: float = 1e-4
    gradcheck_atol: float = 1e-5
    strategy: Callable | None = None  # hypothesis: st.SearchStrategy[Sample], or None
    nondeterministic_grad: bool = False  # e.g. ties in max: compare forward only


# -- hypothesis strategies for generic kinds of op ---------------------------------------------
def _array(shape, low: float, high: float):
    return hnp.arrays(
        np.float64,
        shape,
        elements=st.floats(low, high, allow_nan=False, allow_infinity=False, width=64),
    )


def unary_strategy(low: float = -3.0, high: float = 3.0, **kwargs):
    """Samples ``(x,)`` of any shape with up to 4 dimensions, including 0-d and empty dims."""
    shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)
    return shapes.flatmap(lambda s: _array(s, low, high)).map(lambda x: Sample((x,), dict(kwargs)))


def binary_strategy(low: float = -3.0, high: float = 3.0):
    """Samples ``(a, b)`` with mutually broadcastable shapes (size-1 dims, 0-d, empty dims)."""
    shapes = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4)
    return shapes.flatmap(
        lambda s: st.tuples(
            _array(s.input_shapes[0], low, high), _array(s.input_shapes[1], low, high)
        )
    ).map(lambda pair: Sample(pair))


def reduction_strategy(low: float = -3.0, high: float = 3.0, allow_empty: bool = True, **kwargs):
    """Samples ``(x, dim, keepdim)`` with ``dim`` None, an int or a tuple of distinct dims."""

    @st.composite
    def build(draw):
        shape = draw(
            hnp.array_shapes(min_dims=0, max_dims=4, min_side=0 if allow_empty else 1, max_side=4)
        )
        x = draw(_array(shape, low, high))
        ndim = len(shape)
        if ndim == 0:
            dim = draw(st.sampled_from([None, 0, -1]))
        else:
            dim = draw(
                st.one_of(
                    st.none(),
                    st.integers(-ndim, ndim - 1),
                    st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(
                        tuple
                    ),
                )
            )
        keepdim = draw(st.booleans())
        return Sample((x,), {"dim": dim, "keepdim": keepdim, **kwargs})

    return build()
