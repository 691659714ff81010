"""Intra-op parallelism, as ``torch.set_num_threads``: gradwork's own threads split large
matrix products and the costly kernels (exact GELU, attention, layer norm, Adam's update) into
parts.

NumPy parallelises only its BLAS calls, through OpenBLAS's pool, whose workers keep spinning for
about 0.1 s after each call: a pass split over threads of our own then shares the cores with a
spinning worker and gains nothing (measured). So with ``set_num_threads(n)``, ``n > 1``, gradwork
limits BLAS to one thread and runs ``n`` parts of each large product or kernel on ``n`` threads
itself (the caller and ``n - 1`` workers; NumPy releases the GIL inside its loops). Parts are
fixed contiguous ranges, so a run is reproducible at a given thread count; results may differ
from one thread count to another in the last bits of a product, as in PyTorch.

When it pays: a hand-off to a sleeping worker costs about 40 us, and a part of a few hundred
microseconds runs slower than the same work on the caller's warm core, so only products of at
least 16M multiply-adds and kernels over large arrays are split. That suits transformers (the
character GPT's step 140 -> 113 ms at 2 threads); small convolutional nets, whose products are
smaller, run faster with BLAS's own threads (at 2 threads LeNet-5 8.3 -> 8.8 ms and the small
ResNet 13.2 -> 15.3 ms with ``set_num_threads(2)``): leave the setting alone for them.

Until ``set_num_threads`` is called, gradwork runs its kernels on the calling thread and leaves
BLAS's thread count as it is.
"""

from __future__ import annotations

import _thread
import math
import os
import threading

import numpy as np

__all__ = ["set_num_threads", "get_num_threads", "parallel_for", "gemm"]

_MIN_PRODUCT = 1 << 24  # multiply-adds below which a product runs whole (see the docstring)
_GRAIN = 16  # the fewest rows, columns or inner indices in a part of a split product


class _Pool:
    """``workers`` daemon threads that each run one task per :meth:`run`, beside the caller.

    Hand-offs go through raw locks (``_thread``), which wait in C with the GIL released: a
    product split in two took 0.60-0.67 of the whole with them, 0.88 with
    ``threading.Semaphore``, whose condition variable runs Python code on both sides.
    """

    def __init__(self, workers: int) -> None:
        self._tasks: list = [None] * workers
        self._errors: list = [None] * workers
        self._start = [_locked() for _ in range(workers)]  # released: a task is waiting
        self._done = [_locked() for _ in range(workers)]  # released: the task has finished
        self._busy = _thread.allocate_lock()  # one split at a time: nested ones run in turn
        for index in range(workers):
            threading.Thread(target=self._work, args=(index,), daemon=True).start()

    def _work(self, index: int) -> None:
        while True:
            self._start[index].acquire()
            if self._tasks[index] is None:  # close()
                return
            try:
                self._tasks[index]()
            except BaseException as error:  # re-raised on the caller's thread
                self._errors[index] = error
            self._tasks[index] = None
            self._done[index].release()

    def run(self, tasks: list) -> None:
        """Run ``tasks[0]`` here and the rest on the workers; return when all have finished."""
        if not self._busy.acquire(blocking=False):
            for task in tasks:
                task()
            return
        try:
            others = tasks[1:]
            for index, task in enumerate(others):
                self._tasks[index] = task
                self._start[index].release()
            try:
                tasks[0]()
            finally:
                for index in range(len(others)):
                    self._done[index].acquire()
            for index, error in enumerate(self._errors[: len(others)]):
                if error is not None:
                    self._errors[index] = None
                    raise error
        finally:
            self._busy.release()

    def close(self) -> None:
        """Let the workers finish (a later :func:`set_num_threads` replaces the pool)."""
        with self._busy:
            for start in self._start:
                start.release()  # with no task: the worker returns


def _locked():
    lock = _thread.allocate_lock()
    lock.acquire()
    return lock


_threads = 1
_pool: _Pool | None = None
# The products' entry point, called as ``_threads.gemm(a, b)``: ``np.matmul`` itself at one
# thread (a wrapper's call cost 6 us per MNIST-1D MLP step), :func:`_split_gemm` above one.
gemm = np.matmul


def set_num_threads(threads: int) -> None:
    """Use ``threads`` threads for gradwork's large products and kernels (as
    ``torch.set_num_threads``).

    BLAS is limited to one thread from then on (gradwork splits its products itself, see the
    module docstring); this applies to the whole process's NumPy, as the BLAS library is shared.

    Example:
        >>> import gradwork
        >>> gradwork.set_num_threads(1)
        >>> gradwork.get_num_threads()
        1
    """
    global _threads, _pool, gemm
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {threads!r}")
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
    if _pool is not None:
        _pool.close()
    _pool = _Pool(threads - 1) if threads > 1 else None
    _threads = threads
    gemm = _split_gemm if threads > 1 else np.matmul


def get_num_threads() -> int:
    """The number of threads gradwork splits its kernels over (1 until ``set_num_threads``)."""
    return _threads


def _after_fork_in_child() -> None:
    # a forked child (a data-loader worker) has none of the parent's worker threads
    global _pool
    if _pool is not None:
        _pool = _Pool(_threads - 1)


os.register_at_fork(after_in_child=_after_fork_in_child)


def parallel_for(size: int, function, grain: int = 1 << 16, chunk: int | None = None) -> None:
    """Call ``function(start, stop)`` over contiguous parts of ``range(size)``, one part per
    thread, each at least ``grain`` long (a hand-off costs about 40 us: a part must be worth
    more); with ``chunk``, a part is covered by calls of at most ``chunk`` elements (passes
    whose temporaries stay in cache).

    ``function`` must write only its own range of its outputs. With one thread (or a small
    ``size``) the calls all run here, in order.
    """
    parts = min(_threads, size // grain) if _pool is not None else 1
    if parts <= 1:  # the common case, kept cheap: overhead-bound steps pass here too
        if chunk is None or size <= chunk:
            function(0, size)
        else:
            _bind(function, 0, size, chunk)()
        return
    bounds = [size * part // parts for part in range(parts + 1)]
    _pool.run([_bind(function, bounds[i], bounds[i + 1], chunk) for i in range(parts)])


def _bind(function, start: int, stop: int, chunk: int | None):
    if chunk is None or stop - start <= chunk:
        return lambda: function(start, stop)
    return lambda: [function(i, min(i + chunk, stop)) for i in range(start, stop, chunk)]


def _split_gemm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.matmul(a, b)``, split over the threads when it is large: stacks of matrices by
    matrix, a matrix product along its longest dimension (the rows of ``a``, the columns of
    ``b``, or a long inner dimension, whose parts' products are then added in order). Shapes as
    ``np.matmul``; :data:`gemm` while more than one thread is set."""
    if _pool is None or type(a) is not np.ndarray or type(b) is not np.ndarray:
        return np.matmul(a, b)  # no pool (after a fork), or another array library (CuPy)
    if a.ndim < 2 or b.ndim < 2:
        return np.matmul(a, b)
    rows, inner, columns = a.shape[-2], a.shape[-1], b.shape[-1]
    batch = max(math.prod(a.shape[:-2]), math.prod(b.shape[:-2]))
    if rows * inner * columns * batch < _MIN_PRODUCT:
        return np.matmul(a, b)
    if a.ndim == b.ndim == 3 and a.shape[0] == b.shape[0]:
        if batch == 1:  # a group convolution's one group
            return _split_matrix_product(a[0], b[0])[None]
        out = np.empty((batch, rows, columns), np.result_type(a, b))
        parallel_for(batch, lambda i, j: np.matmul(a[i:j], b[i:j], out=out[i:j]), grain=1)
        return out
    if a.ndim > 2 and b.ndim == 2:  # a stack times one matrix: one product of a's rows
        product = _split_matrix_product(a.reshape(-1, inner), b)
        return product.reshape(a.shape[:-1] + (columns,))
    if a.ndim == b.ndim == 2:
        return _split_matrix_product(a, b)
    return np.matmul(a, b)


def _split_matrix_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    rows, inner = a.shape
    columns = b.shape[1]
    if inner >= 4 * max(rows, columns):  # a long inner dimension (a weight gradient)
        parts = {}

        def partial(i, j):
            parts[i] = np.matmul(a[:, i:j], b[i:j])

        parallel_for(inner, partial, grain=_GRAIN)
        total, *others = (parts[i] for i in sorted(parts))
        for product in others:
            total += product
        return total
    out = np.empty((rows, columns), np.result_type(a, b))
    if columns >= rows:
        parallel_for(columns, lambda i, j: np.matmul(a, b[:, i:j], out=out[:, i:j]), grain=_GRAIN)
    else:
        parallel_for(rows, lambda i, j: np.matmul(a[i:j], b, out=out[i:j]), grain=_GRAIN)
    return out
