"""What every lab shares when it runs: BLAS thread limits, progress bars and smoothing of noisy
curves."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

import numpy as np
from threadpoolctl import threadpool_limits

__all__ = ["blas_threads", "progress_bar", "smooth"]


@contextlib.contextmanager
def blas_threads(count: int) -> Iterator[None]:
    """Limit BLAS to ``count`` threads inside the block; ``count`` 0 leaves them as they are.

    The labs' matrices are small: on two cores OpenBLAS's thread hand-offs cost more than the
    arithmetic (training measured 3 to 10 times slower on two threads than on one).

    Example:
        >>> with blas_threads(1):
        ...     pass
    """
    if count <= 0:
        yield
        return
    with threadpool_limits(limits=count, user_api="blas"):
        yield


def progress_bar(steps=None, *, total: int | None = None, desc: str, enabled: bool):
    """A tqdm bar over ``steps`` (or of ``total`` steps) on stderr, as every lab shows one
    (``tqdm.auto``: a widget in notebooks; imported here, when a lab runs).

    Example:
        >>> [step for step in progress_bar(range(3), desc="demo", enabled=False)]
        [0, 1, 2]
    """
    from tqdm.auto import tqdm

    return tqdm(
        steps,
        total=total,
        desc=desc,
        disable=not enabled,
        file=sys.stderr,
        unit="step",
        mininterval=0.5,
    )


def smooth(values, window: int) -> np.ndarray:
    """Means over consecutive windows of ``window`` values (per-step losses are noisy).

    Shape: ``(n,)`` -> ``(max(n // window, 1),)``.

    Example:
        >>> smooth([1.0, 3.0, 5.0, 7.0], 2)
        array([2., 6.])
    """
    values = np.asarray(values, dtype=float)
    count = max(len(values) // window, 1)
    return values[: count * window].reshape(count, -1).mean(axis=1)  # (count, window) -> (count,)
