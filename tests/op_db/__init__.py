"""The single op catalogue (PyTorch's OpInfo idea): one entry per differentiable op.

Each :class:`OpInfo` names the gradwork op, the PyTorch reference, sample inputs and tolerances.
``tests/ops/test_catalogue.py`` derives from it: forward and gradient parity with PyTorch in
float32 and float64, float64 gradcheck, gradgradcheck, second-order parity with PyTorch, and
hypothesis-generated shapes. Adding an op is one entry in the module of its kind.
"""

from __future__ import annotations

from tests.op_db import (
    compare,
    conv,
    elementwise,
    indexing,
    linalg,
    loss,
    movement,
    nn,
    norm,
    reduce,
)
from tests.op_db.common import OpInfo, Sample

OPS: list[OpInfo] = [
    *elementwise.OPS,
    *reduce.OPS,
    *movement.OPS,
    *indexing.OPS,
    *linalg.OPS,
    *conv.OPS,
    *nn.OPS,
    *norm.OPS,
    *loss.OPS,
    *compare.OPS,
]

__all__ = ["OPS", "OpInfo", "Sample"]
