"""Differentiable primitives, grouped by kind; forward and backward side by side in each module."""

from gradwork.ops import (  # noqa: F401 - the submodules are the public surface
    activation,
    compare,
    conv,
    elementwise,
    indexing,
    linalg,
    loss,
    movement,
    nn,
    norm,
    pool,
    reduce,
    rnn,
    special,
)
