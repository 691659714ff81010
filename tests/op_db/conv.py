"""Catalogue entries for gradwork.ops.conv."""

from __future__ import annotations

from tests.op_db.common import OpInfo

OPS: list[OpInfo] = []
