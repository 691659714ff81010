"""glibc malloc tuning: freed array memory is reused instead of faulted in again."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="mallopt tuning is glibc's",
)

# A training step's pattern: 40 MB of activations allocated, then all freed; five steps after
# two of warm-up. Prints the minor page faults per step.
STEPS = """
import resource
import numpy as np
import gradwork

def step():
    activations = [np.ones(1 << 19, np.float32) for _ in range(20)]
    del activations

def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

step(), step()
before = faults()
for _ in range(5):
    step()
print((faults() - before) // 5)
"""


def _run(code: str, **environment) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADWORK_", "MALLOC_"))}
    env.update(environment)
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_tuned_malloc_reuses_a_steps_memory_without_page_faults():
    """Untuned, glibc hands the freed 40 MB back to the system and each step faults its ~10,000
    pages in again; tuned (gradwork's import), the pages are reused."""
    assert int(_run(STEPS)) < 100
    assert int(_run(STEPS, GRADWORK_MALLOC_TUNING="0")) > 5000


def test_malloc_tuning_can_be_switched_off():
    code = "from gradwork._memory import tune_malloc; print(tune_malloc())"
    assert _run(code) == "True"
    assert _run(code, GRADWORK_MALLOC_TUNING="0") == "False"
    assert _run(code, MALLOC_TRIM_THRESHOLD_="1000000") == "False"  # the user's own glibc tuning
