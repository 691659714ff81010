"""Autograd overhead: forward + backward of small expressions and of a 2-layer MLP training step.

The tensors are tiny so that the time is the framework's per-op cost, not arithmetic. Each
workload runs in gradwork and in PyTorch eager, in one process at one thread, interleaved; the
first losses must agree (a benchmark of different work is void).

Run: ``python bench/autograd_overhead.py`` (prints a Markdown table).
"""

from __future__ import annotations

if __name__ == "__main__" or True:  # thread counts must be pinned before numpy/torch load
    from bench.common import pin_threads

    pin_threads(1)

import numpy as np
import torch

import gradwork
from bench.common import TABLE_HEADER, compare

torch.set_num_threads(1)


def _pair(array, requires_grad=True):
    return (
        gradwork.tensor(array, requires_grad=requires_grad),
        torch.tensor(array, requires_grad=requires_grad),
    )


def composite_workloads(rng):
    """(name, gradwork step, torch step) for small elementwise/reduction expressions."""
    a, ta = _pair(rng.standard_normal((16, 16)).astype(np.float32))
    b, tb = _pair(rng.standard_normal((16, 16)).astype(np.float32))
    c, tc = _pair(rng.standard_normal(16).astype(np.float32))

    def expression(lib_a, lib_b, lib_c):
        return ((lib_a * lib_b + lib_c).tanh() * lib_a - lib_b.exp() / 3.0).sum()

    def ours():
        a.grad = b.grad = c.grad = None
        expression(a, b, c).backward()

    def theirs():
        ta.grad = tb.grad = tc.grad = None
        expression(ta, tb, tc).backward()

    def chain(x):
        for _ in range(10):
            x = x * 1.01 + 0.1
        return x.sum()

    def ours_chain():
        a.grad = None
        chain(a).backward()

    def theirs_chain():
        ta.grad = None
        chain(ta).backward()

    np.testing.assert_allclose(expression(a, b, c).item(), expression(ta, tb, tc).item(), rtol=1e-4)
    return [
        ("elementwise expression (6 ops, 16x16)", ours, theirs),
        ("chain of 20 scalar ops (16x16)", ours_chain, theirs_chain),
    ]


def mlp_workload(rng):
    """A 40-100-10 MLP, batch 64: forward, cross-entropy, backward, SGD update."""
    x = rng.standard_normal((64, 40)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    weights = [
        rng.standard_normal((40, 100)).astype(np.float32) * 0.1,
        np.zeros(100, np.float32),
        rng.standard_normal((100, 10)).astype(np.float32) * 0.1,
        np.zeros(10, np.float32),
    ]
    ours_params = [gradwork.tensor(w, requires_grad=True) for w in weights]
    theirs_params = [torch.tensor(w, requires_grad=True) for w in weights]
    ours_x, ours_y = gradwork.tensor(x), gradwork.tensor(y)
    theirs_x, theirs_y = torch.tensor(x), torch.tensor(y)

    def loss(lib, functional, params, inputs, targets):
        w1, b1, w2, b2 = params
        hidden = (inputs @ w1 + b1).relu()
        return functional.cross_entropy(hidden @ w2 + b2, targets)

    def step(lib, functional, params, inputs, targets):
        value = loss(lib, functional, params, inputs, targets)
        for p in params:
            p.grad = None
        value.backward()
        with lib.no_grad():
            for p in params:
                p.sub_(p.grad, alpha=0.01)

    first_ours = loss(gradwork, gradwork.nn.functional, ours_params, ours_x, ours_y).item()
    first_theirs = loss(torch, torch.nn.functional, theirs_params, theirs_x, theirs_y).item()
    np.testing.assert_allclose(first_ours, first_theirs, rtol=1e-4)
    return (
        "MLP 40-100-10 train step (batch 64)",
        lambda: step(gradwork, gradwork.nn.functional, ours_params, ours_x, ours_y),
        lambda: step(torch, torch.nn.functional, theirs_params, theirs_x, theirs_y),
    )


def run(rounds: int = 15) -> str:
    """Run every workload and return the Markdown table."""
    rng = np.random.default_rng(0)
    workloads = composite_workloads(rng) + [mlp_workload(rng)]
    rows = [compare(name, ours, theirs, rounds=rounds).row() for name, ours, theirs in workloads]
    return "\n".join([TABLE_HEADER, *rows])


if __name__ == "__main__":
    print(run())
