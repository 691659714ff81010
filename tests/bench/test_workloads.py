"""bench.workloads: every workload's gradwork and PyTorch runs compute the same losses, count
positive FLOPs and account for memory sanely (tiny scales; no timing here)."""

import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import gradwork

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # ``bench`` lives beside ``gradwork``, outside the package
    sys.path.insert(0, str(ROOT))

from bench import workloads  # noqa: E402
from bench.workloads import WORKLOADS, by_name, saved_bytes  # noqa: E402

NAMES = [workload.name for workload in WORKLOADS]
CACHES = [workloads._mnist1d, workloads._fashion, workloads._shakespeare, workloads._minilm]


@pytest.mark.parametrize("name", NAMES)
def test_first_losses_agree_and_flops_are_counted(name):
    workload = by_name(name)
    ours, theirs = workload.build("gradwork", tiny=True), workload.build("torch", tiny=True)
    our_losses = [ours.step() for _ in range(2)]
    their_losses = [theirs.step() for _ in range(2)]
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-4)
    assert all(np.isfinite(our_losses))
    assert ours.flops_per_step > 0 and ours.flops_per_step == theirs.flops_per_step
    assert workload.category in {"overhead", "gemm", "conv", "inference", "graph"}


@pytest.mark.parametrize("name", NAMES)
def test_live_bytes_are_positive_and_below_the_traced_peak(name):
    workload = by_name(name)
    workload.build("gradwork", tiny=True).step()  # imports, untraced
    for cache in CACHES:  # the data must be allocated under tracing too
        cache.cache_clear()
    tracemalloc.start()
    try:
        run = workload.build("gradwork", tiny=True)
        run.step()
        tracemalloc.reset_peak()
        run.step()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    parameters = sum(p.numel() * p.element_size() for p in run.model.parameters())
    assert parameters <= run.live_bytes() < peak


def test_saved_bytes_counts_each_saved_buffer_once():
    a = gradwork.randn(32, 16, requires_grad=True)
    b = gradwork.randn(16, 8, requires_grad=True)
    loss = (a @ b).sum() + (a @ b).sum()  # both products save the same a and b
    assert saved_bytes(loss, {}) == a.detach().numpy().nbytes + b.detach().numpy().nbytes


def test_counted_buffers_stay_alive_so_their_ids_are_not_reused():
    """Backward frees the saved arrays after they are counted; a gradient allocated later may
    get a freed array's id, and must still be counted."""
    from bench.workloads import _count

    seen: dict = {}
    assert _count(np.ones(1000), seen) == 8000  # the only reference is in seen
    assert all(array.nbytes == 8000 for array in seen.values())
    fresh = [np.ones(1000) for _ in range(8)]  # would reuse the freed id if seen let it go
    assert sum(_count(array, seen) for array in fresh) == 8 * 8000


def test_unknown_names_and_libraries_fail():
    with pytest.raises(KeyError, match="unknown workload"):
        by_name("nope")
    with pytest.raises(ValueError, match="library"):
        WORKLOADS[0].build("jax")


def test_resident_bytes_count_the_batch_parameters_gradients_and_state():
    run = by_name("mnist1d_mlp").build("gradwork", tiny=True)
    run.step()
    x, y = run.batches[0]
    parameters = list(run.model.parameters())
    size = sum(p.numel() * p.element_size() for p in parameters)
    # parameters, gradients, Adam's two averages of each and its float32 step counters; the batch
    expected = 4 * size + 4 * len(parameters) + x.numpy().nbytes + y.numpy().nbytes
    assert workloads.resident_bytes(run) == expected
