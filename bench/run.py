"""Regenerate BENCHMARKS.md: ``python bench/run.py`` (from the repository root; about 10 minutes).

What it measures:

* the autograd-overhead microbenchmarks (:mod:`bench.autograd_overhead`, in a fresh process);
* NumPy's float32 GEMM rate at 1 and 2 threads, the ceiling for the GFLOP/s column;
* every workload of :mod:`bench.workloads` in gradwork and PyTorch eager, from identical weights:
  at 1 thread both libraries in this process, interleaved rounds; at 2 threads each library in its
  own worker process (``python bench/run.py --worker NAME LIBRARY --threads 2``), gradwork and
  PyTorch processes alternating, one ratio per pair of processes. Before timing, the first three
  losses of the two libraries must agree to rtol 1e-4 (a benchmark of different work is void:
  a mismatch stops the run);
* peak memory of one gradwork training step, in a fresh process (the arrays held between steps
  plus tracemalloc's peak growth during the step; NumPy reports its buffers to tracemalloc),
  against the step's live bytes;
* where a gradwork step goes: :mod:`gradwork.profiler` over a few steps of each workload;
* an A/A run, PyTorch against itself, to show the noise level of the ratios.

Flags: ``--quick`` (a smoke test of a couple of minutes; prints the report instead of writing
BENCHMARKS.md unless ``--output`` is given), ``--only NAME`` (one workload; repeatable).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(ROOT))

from bench.common import compare, pin_threads  # noqa: E402  (imports neither NumPy nor torch)

BENCHMARKS = {
    "autograd_overhead": "Autograd overhead (1 thread, interleaved in one process)",
}
FIRST_STEPS = 3  # losses compared between the libraries before timing
RTOL = 1e-4  # their allowed relative difference (float32)
AA_WORKLOAD = "mlp784"  # the workload of the A/A (PyTorch against PyTorch) noise check


@dataclass
class Settings:
    """How long to measure; ``--quick`` shrinks everything."""

    rounds: int  # interleaved rounds at 1 thread (fewer for slow workloads, at least 3)
    round_seconds: float  # target time of one library's share of a round
    budget_seconds: float  # target of the 1-thread timing of one workload
    pairs: int  # gradwork/PyTorch process pairs at 2 threads
    worker_seconds: float  # timed seconds per worker process
    overhead_rounds: int  # rounds of the autograd-overhead microbenchmarks
    floor_seconds: float  # repeats per measurement of a NumPy floor

    @classmethod
    def of(cls, quick: bool) -> Settings:
        if quick:
            return cls(2, 0.05, 2.0, 1, 0.3, 3, 0.02)
        return cls(10, 0.25, 15.0, 6, 2.0, 21, 0.5)


# -- worker processes ---------------------------------------------------------------------------
def _gemm_worker(threads: int, seconds: float = 2.0) -> dict:
    """Best float32 GEMM rate (GFLOP/s) per size over ``seconds`` of repeats: the best, not the
    median, because other jobs on a shared machine only ever slow a product down."""
    import numpy as np

    rng = np.random.default_rng(0)
    rates = {}
    for size in (512, 1024):
        a = rng.standard_normal((size, size), dtype=np.float32)
        b = rng.standard_normal((size, size), dtype=np.float32)
        a @ b
        best, stop = float("inf"), time.perf_counter() + seconds
        while time.perf_counter() < stop:
            start = time.perf_counter()
            a @ b
            best = min(best, time.perf_counter() - start)
        rates[size] = 2 * size**3 / best / 1e9
    return {"rates": rates, "threads": threads}


def _profile_worker(name: str, seconds: float) -> dict:
    """Where one gradwork step goes: :mod:`gradwork.profiler` over ``seconds`` of steps."""
    from bench.workloads import by_name
    from gradwork.profiler import profile

    run = by_name(name).build("gradwork")
    run.step()
    run.step()
    steps, start = 0, time.perf_counter()
    with profile() as prof:
        while steps < 3 or time.perf_counter() - start < seconds:
            run.step()
            steps += 1
    rows = [(row.name, row.total_time / prof.wall_time) for row in prof.rows()]
    return {"rows": rows, "other": prof.other_time / prof.wall_time}


def _workload_worker(name: str, library: str, threads: int, seconds: float, memory: bool) -> dict:
    from bench.workloads import by_name, resident_bytes

    workload = by_name(name)
    if memory:
        import tracemalloc

        workload.build(library, threads).step()  # imports and cached data, untraced
        tracemalloc.start()
        run = workload.build(library, threads)
        run.step()  # traced, so that the step below is seen freeing what this one left
        start = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        run.step()
        growth = tracemalloc.get_traced_memory()[1] - start
        tracemalloc.stop()
        peak = resident_bytes(run) + growth
        return {"peak": peak, "live": run.live_bytes(), "flops": run.flops_per_step}
    run = workload.build(library, threads)
    losses = [run.step() for _ in range(FIRST_STEPS)]
    run.step()  # one more warm-up step
    times = []
    start = time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < seconds and len(times) < 500):
        begin = time.perf_counter()
        run.step()
        times.append(time.perf_counter() - begin)
    return {"losses": losses, "times": times, "flops": run.flops_per_step}


def _worker(arguments) -> None:
    pin_threads(arguments.threads)  # before NumPy or PyTorch loads
    name, library = arguments.worker
    if name == "gemm":
        result = _gemm_worker(arguments.threads)
    elif arguments.profile:
        result = _profile_worker(name, arguments.seconds)
    else:
        result = _workload_worker(
            name, library, arguments.threads, arguments.seconds, arguments.memory
        )
    print(json.dumps(result))


def _spawn(*arguments: str) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", *arguments]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"worker {' '.join(arguments)} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# -- measurements -------------------------------------------------------------------------------
def _relative_difference(ours: list, theirs: list) -> float:
    return max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(ours, theirs))


def _check_losses(title: str, ours: list, theirs: list, setting: str) -> float:
    difference = _relative_difference(ours, theirs)
    if not difference <= RTOL:
        raise SystemExit(
            f"FIRST-LOSS MISMATCH in {title!r} ({setting}): gradwork {ours} vs PyTorch {theirs} "
            f"(max relative difference {difference:.2e} > {RTOL}); the benchmark is void."
        )
    return difference


@dataclass
class Timing:
    """Per-step times (seconds) of one workload at one thread setting."""

    ours: float  # median gradwork seconds per step
    theirs: float  # median PyTorch seconds per step
    ratios: list  # PyTorch time / gradwork time, one per round (1 thread) or process pair
    difference: float  # max relative difference of the first losses
    flops: float  # per step


def _interleaved(ours, theirs, title: str, settings: Settings):
    """Time two runs (already past their first-loss steps) in interleaved rounds."""
    ours.step(), theirs.step()  # warm-up
    calibration = []
    for run in (ours, theirs):
        start = time.perf_counter()
        run.step()
        calibration.append(time.perf_counter() - start)
    slowest = max(calibration)
    calls = max(1, round(settings.round_seconds / slowest))
    rounds = int(settings.budget_seconds / (sum(calibration) * calls))
    rounds = max(3 if settings.rounds >= 3 else settings.rounds, min(settings.rounds, rounds))
    return compare(title, ours.step, theirs.step, rounds=rounds, calls=calls, warmup=1)


def one_thread(workload, settings: Settings) -> Timing:
    """Both libraries in this process at one thread, interleaved."""
    ours, theirs = workload.build("gradwork", 1), workload.build("torch", 1)
    our_losses = [ours.step() for _ in range(FIRST_STEPS)]
    their_losses = [theirs.step() for _ in range(FIRST_STEPS)]
    difference = _check_losses(workload.title, our_losses, their_losses, "1 thread")
    comparison = _interleaved(ours, theirs, workload.title, settings)
    return Timing(
        statistics.median(comparison.ours),
        statistics.median(comparison.theirs),
        comparison.ratios,
        difference,
        ours.flops_per_step,
    )


def two_threads(workload, settings: Settings) -> Timing:
    """Each library in its own process at two threads; gradwork and PyTorch alternate."""
    ours, theirs, ratios, difference = [], [], [], 0.0
    for pair in range(settings.pairs):
        order = ("gradwork", "torch") if pair % 2 == 0 else ("torch", "gradwork")
        results = {
            library: _spawn(
                workload.name, library, "--threads", "2", "--seconds", str(settings.worker_seconds)
            )
            for library in order
        }
        difference = max(
            difference,
            _check_losses(
                workload.title,
                results["gradwork"]["losses"],
                results["torch"]["losses"],
                "2 threads",
            ),
        )
        ours.append(statistics.median(results["gradwork"]["times"]))
        theirs.append(statistics.median(results["torch"]["times"]))
        ratios.append(theirs[-1] / ours[-1])
    flops = results["gradwork"]["flops"]
    return Timing(statistics.median(ours), statistics.median(theirs), ratios, difference, flops)


def a_a(workload, settings: Settings):
    """PyTorch against PyTorch: the spread of ratios that noise alone gives."""
    first, second = workload.build("torch", 1), workload.build("torch", 1)
    for _ in range(FIRST_STEPS):
        first.step(), second.step()
    return _interleaved(first, second, workload.title, settings)


# -- the report ---------------------------------------------------------------------------------
def _run_module(name: str, rounds: int) -> str:
    code = f"from bench import {name} as m; print(m.run(rounds={rounds}))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def _milliseconds(seconds: float) -> str:
    return f"{seconds * 1e3:,.2f}" if seconds < 0.1 else f"{seconds * 1e3:,.1f}"


def _timing_table(workloads, timings: dict) -> list:
    lines = [
        "| workload | category | gradwork ms/step | PyTorch ms/step | ratio (median) | "
        "ratio min–max | first-loss rel diff |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for workload in workloads:
        timing = timings[workload.name]
        lines.append(
            f"| {workload.title} | {workload.category} | {_milliseconds(timing.ours)} | "
            f"{_milliseconds(timing.theirs)} | **{statistics.median(timing.ratios):.2f}** | "
            f"{min(timing.ratios):.2f}–{max(timing.ratios):.2f} | {timing.difference:.1e} |"
        )
    return lines


def _threading(selected) -> str:
    """Which workloads ran on gradwork's own threads at 2 threads, and why."""
    own = [workload.name for workload in selected if workload.own_threads]
    if not own:
        return "gradwork uses BLAS's two threads."
    return (
        f"gradwork runs {', '.join(own)} on its own threads (`gradwork.set_num_threads(2)`, "
        "BLAS at one thread) and the other workloads on BLAS's two threads, whichever is faster "
        "for that kind of model: on small convolutions and MLPs the parts of a product are too "
        "short for a hand-off to a sleeping thread to pay (`gradwork/_threads.py`)."
    )


def _efficiency_table(workloads, timings: dict, ceilings: dict, memory: dict) -> list:
    lines = [
        "| workload | GFLOP/step | GFLOP/s (1 thr) | % of ceiling (1 thr) | GFLOP/s (2 thr) | "
        "% of ceiling (2 thr) | peak MB | live MB | peak/live |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for workload in workloads:
        flops = timings[1][workload.name].flops
        cells = [workload.title, f"{flops / 1e9:.3f}"]
        for threads in (1, 2):
            rate = flops / timings[threads][workload.name].ours / 1e9
            cells += [f"{rate:.1f}", f"{100 * rate / ceilings[threads]:.0f}%"]
        peak, live = memory[workload.name]["peak"], memory[workload.name]["live"]
        cells += [f"{peak / 1e6:.1f}", f"{live / 1e6:.1f}", f"{peak / live:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _profile_table(workloads, profiles: dict, top: int = 5) -> list:
    lines = ["| workload | largest shares of a step |", "|---|---|"]
    for workload in workloads:
        profile = profiles[workload.name]
        shares = [f"{name} {share:.0%}" for name, share in profile["rows"][:top]]
        shares.append(f"other {profile['other']:.0%}")
        lines.append(f"| {workload.title} | {' · '.join(shares)} |")
    return lines


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a smoke test: few, short rounds")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this workload")
    parser.add_argument("--output", help="where to write the report (default: BENCHMARKS.md)")
    parser.add_argument(
        "--worker", nargs=2, metavar=("WORKLOAD", "LIBRARY"), help=argparse.SUPPRESS
    )
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=2.0, help=argparse.SUPPRESS)
    parser.add_argument("--memory", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.worker:
        return _worker(arguments)

    pin_threads(1)
    import numpy
    import torch

    torch.set_num_threads(1)
    from bench.floors import floor_table, measure_floors
    from bench.workloads import WORKLOADS, by_name

    settings = Settings.of(arguments.quick)
    selected = [by_name(name) for name in arguments.only] if arguments.only else WORKLOADS
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {message}", flush=True)

    sections = [
        "# Benchmarks",
        "",
        f"Generated by `python bench/run.py` on {datetime.date.today().isoformat()}: "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, NumPy {numpy.__version__}, "
        f"PyTorch {torch.__version__}. The machine was shared with other jobs, so the numbers "
        "are noisy; the ratios, taken between neighbouring measurements, are the steadier figure.",
        "",
        "Ratios are throughput ratios, PyTorch time / gradwork time (> 1: gradwork is faster), "
        "median with the min–max spread; times are medians per step.",
    ]
    if not arguments.only:
        for name, title in BENCHMARKS.items():
            progress(f"{name} ...")
            sections += ["", f"## {title}", "", _run_module(name, settings.overhead_rounds)]

    def measure_gemm() -> dict:
        progress("GEMM ceiling ...")
        return {
            threads: _spawn("gemm", "numpy", "--threads", str(threads))["rates"]
            for threads in (1, 2)
        }

    gemm_runs = [measure_gemm()]

    timings = {1: {}, 2: {}}
    for workload in selected:
        progress(f"{workload.name}: 1 thread ...")
        timings[1][workload.name] = one_thread(workload, settings)
    for workload in selected:
        progress(f"{workload.name}: 2 threads ...")
        timings[2][workload.name] = two_threads(workload, settings)
    memory = {}
    for workload in selected:
        progress(f"{workload.name}: memory ...")
        memory[workload.name] = _spawn(workload.name, "gradwork", "--memory")
    profiles = {}
    for workload in selected:
        progress(f"{workload.name}: profile ...")
        profiles[workload.name] = _spawn(
            workload.name, "gradwork", "--profile", "--seconds", str(settings.worker_seconds)
        )
    gemm_runs.append(measure_gemm())  # again at the end: the best of both is the ceiling
    gemm = {
        threads: {size: max(run[threads][size] for run in gemm_runs) for size in gemm_runs[0][1]}
        for threads in (1, 2)
    }
    ceilings = {threads: max(gemm[threads].values()) for threads in (1, 2)}
    progress("NumPy floors ...")
    floors = measure_floors(settings.floor_seconds)
    aa_workload = by_name(AA_WORKLOAD) if not arguments.only else selected[0]
    progress(f"A/A on {aa_workload.name} ...")
    aa_ratios = a_a(aa_workload, settings).ratios

    sections += [
        "",
        "## Model workloads",
        "",
        "Each workload trains the same model from identical weights (the gradwork model's "
        "`state_dict` copied into a PyTorch mirror, `bench/torch_models.py`) on the same "
        "pre-generated batches, cycled, with the same optimizer; MiniLM runs inference under "
        "`no_grad`. Definitions in `bench/workloads.py`. Before timing, the first "
        f"{FIRST_STEPS} losses of the two libraries must agree to rtol {RTOL:g} (float32); the "
        "last column is their largest relative difference.",
        "",
        "### 1 thread (both libraries in one process, interleaved rounds)",
        "",
        *_timing_table(selected, timings[1]),
        "",
        f"### 2 threads (one process per library, alternating; {settings.pairs} pairs, "
        "one ratio per pair)",
        "",
        "On a 2-core machine shared with other jobs, a second thread competes with those jobs: "
        "a step far slower than at 1 thread (and a wide min–max) is thread contention in the "
        "BLAS / OpenMP pools, not the framework; trust the 1-thread table first. "
        + _threading(selected),
        "",
        *_timing_table(selected, timings[2]),
        "",
        "### Arithmetic rate and memory (gradwork)",
        "",
        "GFLOP/step counts the multiply-adds of matrix products and convolutions (attention's "
        "two products and GCN's messages included) x 2, training = 3 x forward. The ceiling is "
        "NumPy's float32 GEMM rate on this machine: "
        + "; ".join(
            f"{threads} thread{'s' if threads > 1 else ''}: "
            + ", ".join(f"{size}³ {rate:.1f}" for size, rate in gemm[threads].items())
            + " GFLOP/s"
            for threads in (1, 2)
        )
        + " (best over two seconds of repeats, at the start and at the end of the run; the "
        "higher of the two sizes' rates is the ceiling). Peak MB is what a training step holds at "
        "its highest, in a fresh process: the arrays held between steps (parameters, gradients, "
        "buffers, optimizer state, the step's batch) plus tracemalloc's peak growth during the "
        "step (every temporary, and the Python objects the step creates). Live MB is what the "
        "step must hold: parameters, gradients, optimizer state and the arrays "
        "the autograd graph saves for backward, each buffer counted once.",
        "",
        *_efficiency_table(selected, timings, ceilings, memory),
        "",
        "### Where gradwork's time goes (1 thread)",
        "",
        "`gradwork.profiler` over a few steps of each workload (forward and backward together; "
        "`other` is Python outside the ops: modules, the loss's argument checks, the loop). "
        "`python -m gradwork.profiler` prints the full table for a step of your own.",
        "",
        *_profile_table(selected, profiles),
        "",
        "### NumPy floors of the kernels behind the misses (1 thread)",
        "",
        "Each kernel at a workload's shape (forward only; the convolutions forward and "
        "backward): gradwork, PyTorch, and the NumPy work any NumPy implementation must do "
        "at least once (`bench/floors.py`). Where PyTorch / floor is below 1, PyTorch's whole "
        "kernel is faster than that NumPy work alone: NumPy's transcendental loops (no AVX-512 "
        "here) cannot be made up for by fewer passes. For the convolutions, PyTorch's direct "
        "convolution takes little more than the GEMMs and the one copy an im2col convolution "
        "cannot avoid. gradwork's 16- and 32-channel convolutions (channels-last columns) add "
        "the padding, the layout copies and the input gradient's own unfold or fold; its "
        "8-channel one goes by rows (channels-last runs of 24 elements are too short), which "
        "adds the row layout's extra GEMM columns as well. Layer norm's row is a kernel "
        "gradwork now runs faster than PyTorch (its row sums by BLAS).",
        "",
        *floor_table(floors),
        "",
        "### A/A noise check",
        "",
        f"PyTorch against itself on {aa_workload.title} (1 thread, interleaved as above): "
        f"ratio median {statistics.median(aa_ratios):.2f}, min–max "
        f"{min(aa_ratios):.2f}–{max(aa_ratios):.2f} over {len(aa_ratios)} rounds. Ratios "
        "within that spread of 1 are noise.",
    ]
    report = "\n".join(sections) + "\n"
    progress("done")
    if arguments.output or not (arguments.quick or arguments.only):
        output = Path(arguments.output or ROOT / "BENCHMARKS.md")
        output.write_text(report)
        print(f"wrote {output}")
    else:
        print(report)


if __name__ == "__main__":
    main()
