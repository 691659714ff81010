"""Timing helpers shared by the benchmarks: interleaved rounds, medians and spreads of ratios.

Thread counts must be fixed before NumPy or PyTorch is imported, so each benchmark script calls
:func:`pin_threads` first thing.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass


def pin_threads(threads: int = 1) -> None:
    """Fix BLAS and PyTorch thread counts (call before importing numpy or torch)."""
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(threads)


@dataclass
class Comparison:
    """Per-call times of the same workload in gradwork and PyTorch over interleaved rounds."""

    name: str
    ours: list  # seconds per call, one entry per round
    theirs: list

    @property
    def ratios(self) -> list:
        """Throughput ratios, gradwork / PyTorch: > 1 means gradwork is faster."""
        return [t / o for o, t in zip(self.ours, self.theirs)]

    def row(self) -> str:
        ratios = self.ratios
        return (
            f"| {self.name} | {statistics.median(self.ours) * 1e6:,.1f} | "
            f"{statistics.median(self.theirs) * 1e6:,.1f} | **{statistics.median(ratios):.2f}** | "
            f"{min(ratios):.2f}–{max(ratios):.2f} |"
        )


def time_call(function, calls: int) -> float:
    """Seconds per call of ``function`` over ``calls`` back-to-back calls."""
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls


def compare(name: str, ours, theirs, *, rounds: int = 15, calls: int = 50, warmup: int = 20):
    """Time two callables in alternating rounds (so machine noise hits both alike)."""
    for _ in range(warmup):
        ours()
        theirs()
    our_times, their_times = [], []
    for round_index in range(rounds):
        pair = [(ours, our_times), (theirs, their_times)]
        if round_index % 2:
            pair.reverse()  # alternate which library goes first in a round
        for function, times in pair:
            times.append(time_call(function, calls))
    return Comparison(name, our_times, their_times)


TABLE_HEADER = (
    "| workload | gradwork µs/step | PyTorch µs/step | ratio (median) | ratio min–max |\n"
    "|---|---:|---:|---:|---:|"
)
