"""Keep freed array memory for reuse: glibc malloc settings for a tensor workload.

NumPy takes every array buffer from ``malloc``. glibc serves a block above its mmap threshold
(128 kB at start, then adapting to the largest block freed so far) with fresh pages from the
system, and gives freed memory at the top of the heap back once more than twice that threshold
is free. A training step allocates and frees the same large activations every step; whenever the
adaptive threshold sits below them -- another library in the process freeing other sizes is
enough -- every step faults in every page of every activation again. Measured here with PyTorch
stepping in the same process: 1,750 page faults and 30% of a LeNet step, gone with fixed settings.

So at import, on glibc, gradwork fixes the mmap threshold at glibc's maximum (32 MiB: larger
blocks are still mapped and unmapped) and keeps up to 1 GiB of freed heap memory for reuse, as
PyTorch's caching allocators keep theirs. Resident memory after a peak stays higher in return.
Setting ``GRADWORK_MALLOC_TUNING=0``, or glibc's own ``MALLOC_MMAP_THRESHOLD_`` /
``MALLOC_TRIM_THRESHOLD_``, leaves malloc as it is.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys

__all__ = ["tune_malloc", "MMAP_THRESHOLD", "TRIM_THRESHOLD"]

MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest allowed value on 64-bit systems
TRIM_THRESHOLD = 1024 * 1024 * 1024
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters, from glibc's malloc.h


def tune_malloc() -> bool:
    """Fix glibc's mmap and trim thresholds (see the module docstring); returns whether set."""
    if os.environ.get("GRADWORK_MALLOC_TUNING", "1") == "0":
        return False
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False  # the user tuned glibc already
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
