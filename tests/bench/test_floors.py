"""bench.floors: every kernel is timed three ways and tabulated (no timing asserted)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.floors import floor_table, measure_floors  # noqa: E402


def test_floors_time_every_kernel_three_ways():
    rows = measure_floors(seconds=0.01)
    assert len(rows) == 6
    for row in rows:
        assert row.floor > 0 and row.ours > 0 and row.theirs > 0
    table = floor_table(rows)
    assert len(table) == 2 + len(rows) and table[2].startswith("| exact GELU")
