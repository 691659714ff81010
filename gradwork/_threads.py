"""Intra-op threads, as ``torch.set_num_threads`` / ``torch.get_num_threads``.

Matrix products run in the BLAS library's own thread pool (limited through threadpoolctl when
:func:`set_num_threads` is called). The large float32 elementwise kernels that gradwork writes
as loops over cache-sized chunks -- exact GELU's erfc, forward and backward -- hand their chunks
to :func:`parallel_range`, which splits them over a small thread pool: NumPy releases the GIL
inside each ufunc call, so the parts run at once. Every element is computed the same way
whatever the split, so results do not depend on the thread count.

The default is ``OMP_NUM_THREADS`` when set (as PyTorch's), else the number of CPUs.
"""

from __future__ import annotations

import numbers
import os
from concurrent.futures import ThreadPoolExecutor

__all__ = ["set_num_threads", "get_num_threads", "parallel_range"]


def _default_threads() -> int:
    try:
        return max(1, int(os.environ["OMP_NUM_THREADS"]))
    except (KeyError, ValueError):
        return os.cpu_count() or 1


_threads = _default_threads()
_pool: ThreadPoolExecutor | None = None
_pool_owner = None  # (pid, workers) the pool was made for: a forked child makes its own


def set_num_threads(threads: int) -> None:
    """Use ``threads`` threads for BLAS and for gradwork's chunked elementwise kernels."""
    global _threads
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or threads < 1:
        raise ValueError(f"set_num_threads: expected a positive integer, got {threads!r}")
    _threads = int(threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # BLAS keeps its own setting
        return
    threadpool_limits(_threads)


def get_num_threads() -> int:
    """The number of threads gradwork's kernels use (see :func:`set_num_threads`)."""
    return _threads


def parallel_range(function, size: int, grain: int) -> None:
    """Call ``function(start, stop)`` over ``[0, size)`` in at most ``get_num_threads()``
    contiguous parts of whole ``grain``-sized chunks; returns once every part is done.

    One thread, or fewer than two chunks of work, is a plain call on this thread.
    """
    parts = min(_threads, size // grain)
    if parts < 2:
        function(0, size)
        return
    chunks = -(-size // grain)
    bounds = [min(size, (chunks * k // parts) * grain) for k in range(parts + 1)]
    pool = _worker_pool(parts - 1)
    futures = [pool.submit(function, bounds[k], bounds[k + 1]) for k in range(1, parts)]
    try:
        function(bounds[0], bounds[1])
    finally:
        for future in futures:
            future.result()  # re-raises a worker's exception here


def _worker_pool(workers: int) -> ThreadPoolExecutor:
    global _pool, _pool_owner
    owner = (os.getpid(), workers)
    if _pool is None or _pool_owner != owner:
        if _pool is not None and _pool_owner[0] == owner[0]:
            _pool.shutdown(wait=False)
        _pool, _pool_owner = ThreadPoolExecutor(workers, thread_name_prefix="gradwork"), owner
    return _pool
