"""gradwork.set_num_threads / get_num_threads and the chunked-kernel thread pool."""

from __future__ import annotations

import multiprocessing
import os
import sys

import numpy as np
import pytest

import gradwork
from gradwork._threads import parallel_range
from gradwork.ops.special import erfc_float32


@pytest.fixture
def threads():
    """Restore the thread count after the test."""
    before = gradwork.get_num_threads()
    yield
    gradwork.set_num_threads(before)


def test_set_and_get_num_threads(threads):
    gradwork.set_num_threads(3)
    assert gradwork.get_num_threads() == 3
    for bad in (0, -1, 1.5, "2", True):
        with pytest.raises(ValueError, match="set_num_threads: expected a positive integer"):
            gradwork.set_num_threads(bad)
    assert gradwork.get_num_threads() == 3


@pytest.mark.parametrize("count", [1, 2, 3, 5])
@pytest.mark.parametrize("size, grain", [(0, 4), (3, 4), (8, 4), (37, 4), (1000, 7)])
def test_parallel_range_covers_every_index_once(threads, count, size, grain):
    gradwork.set_num_threads(count)
    hits = np.zeros(size, np.int64)
    calls = []

    def mark(start, stop):
        calls.append((start, stop))
        hits[start:stop] += 1

    parallel_range(mark, size, grain)
    assert (hits == 1).all()
    assert len(calls) <= max(1, count)
    assert all(start % grain == 0 for start, _ in calls)


def test_parallel_range_raises_a_workers_error(threads):
    gradwork.set_num_threads(4)

    def fail_late(start, stop):
        if start > 0:
            raise ArithmeticError(f"part {start}")

    with pytest.raises(ArithmeticError, match="part"):
        parallel_range(fail_late, 100, 10)


def test_gelu_and_erfc_do_not_depend_on_the_thread_count(threads):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((700, 300)) * 4).astype(np.float32)
    upstream = rng.standard_normal(x.shape).astype(np.float32)
    results = []
    for count in (1, 2, 3):
        gradwork.set_num_threads(count)
        tensor = gradwork.tensor(x, requires_grad=True)
        out = gradwork.nn.functional.gelu(tensor)
        out.backward(gradwork.tensor(upstream))
        results.append((erfc_float32(x), out.detach().numpy(), tensor.grad.numpy()))
    for other in results[1:]:
        for mine, reference in zip(other, results[0]):
            np.testing.assert_array_equal(mine, reference)


def _erfc_in_child(queue):
    queue.put(float(erfc_float32(np.zeros(1 << 18, np.float32)).sum()))


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_a_forked_child_makes_its_own_pool(threads):
    """The parent's worker threads do not exist in a forked child: it must not wait on them."""
    gradwork.set_num_threads(2)
    erfc_float32(np.zeros(1 << 18, np.float32))  # the parent's pool exists now
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_erfc_in_child, args=(queue,))
    child.start()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
    assert child.exitcode == 0, "the child hung or failed"
    assert queue.get(timeout=5) == float(1 << 18)


def test_default_follows_omp_num_threads():
    import subprocess

    code = "import gradwork; print(gradwork.get_num_threads())"
    env = dict(os.environ, OMP_NUM_THREADS="3")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.stdout.strip() == "3"
