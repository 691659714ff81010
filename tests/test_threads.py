"""gradwork.set_num_threads: the pool, the split products and kernels, each equal to the whole."""

from __future__ import annotations

import contextlib
import multiprocessing
import sys
import threading
import time

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

import gradwork
import gradwork.nn.functional as F
from gradwork import _threads


@contextlib.contextmanager
def _threads_of_our_own(count: int = 2):
    """``count`` threads inside the block; afterwards one, and BLAS's thread count as it was."""
    with threadpool_limits(limits=None, user_api="blas"):
        gradwork.set_num_threads(count)
        try:
            yield
        finally:
            gradwork.set_num_threads(1)


@pytest.fixture
def two_threads():
    with _threads_of_our_own():
        yield


def _with_two_threads(run):
    with _threads_of_our_own():
        return run()


def test_set_num_threads_rejects_bad_counts():
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="set_num_threads: expected a positive int"):
            gradwork.set_num_threads(bad)


def test_get_num_threads_reports_the_setting(two_threads):
    assert gradwork.get_num_threads() == 2


@pytest.mark.parametrize(
    "a_shape, b_shape, split",
    [
        ((2048, 96), (96, 128), True),  # rows
        ((16, 150), (150, 9000), True),  # columns
        ((150, 9000), (9000, 16), True),  # a long inner dimension, parts added
        ((64, 128, 64), (64, 64, 128), True),  # a stack, by matrix
        ((4, 512, 96), (96, 128), True),  # a stack times one matrix
        ((1, 16, 150), (1, 150, 9000), True),  # a group convolution's one group
        ((2, 1, 300, 200), (1, 3, 200, 300), False),  # broadcast stacks: whole
        ((30, 20), (20, 10), False),  # small: whole
        ((0, 20), (20, 10), False),  # empty
    ],
)
def test_gemm_equals_matmul(two_threads, monkeypatch, a_shape, b_shape, split):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    runs = []
    pool_run = _threads._pool.run
    monkeypatch.setattr(_threads._pool, "run", lambda tasks: runs.append(pool_run(tasks)))
    np.testing.assert_allclose(_threads.gemm(a, b), np.matmul(a, b), rtol=1e-12, atol=1e-12)
    assert bool(runs) == split
    transposed = np.swapaxes(rng.standard_normal(a_shape[:-2] + a_shape[-2:][::-1]), -1, -2)
    np.testing.assert_allclose(
        _threads.gemm(transposed, b), np.matmul(transposed, b), rtol=1e-12, atol=1e-12
    )


def test_gemm_splits_large_products(two_threads, monkeypatch):
    calls = []
    monkeypatch.setattr(_threads._pool, "run", lambda tasks: calls.append(len(tasks)))
    a, b = np.ones((2048, 96)), np.ones((96, 128))
    _threads.gemm(a, b)
    _threads.gemm(a[:8], b)  # below the threshold
    assert calls == [2]


@pytest.mark.parametrize("size, grain, chunk", [(10, 1, None), (1000, 100, 64), (5, 100, None)])
def test_parallel_for_covers_each_index_once(two_threads, size, grain, chunk):
    counts = np.zeros(size, int)
    spans = []

    def visit(start, stop):
        counts[start:stop] += 1
        spans.append((start, stop))

    _threads.parallel_for(size, visit, grain=grain, chunk=chunk)
    assert (counts == 1).all()
    if chunk is not None:
        assert max(stop - start for start, stop in spans) <= chunk
    if size >= 2 * grain:
        assert len(spans) >= 2


def test_a_failing_part_raises_on_the_caller_and_the_pool_recovers(two_threads):
    def fail_in_second_half(start, stop):
        if start > 0:
            raise KeyError("part")

    with pytest.raises(KeyError, match="part"):
        _threads.parallel_for(100, fail_in_second_half, grain=10)
    seen = []
    _threads.parallel_for(100, lambda start, stop: seen.append(stop - start), grain=10)
    assert sorted(seen) == [50, 50]


def test_a_nested_split_runs_on_its_caller(two_threads):
    inner = []

    def outer(start, stop):
        _threads.parallel_for(100, lambda i, j: inner.append((i, j)), grain=10)

    _threads.parallel_for(100, outer, grain=10)  # must not wait on its own busy pool
    assert sorted(inner) == [(0, 50), (0, 50), (50, 100), (50, 100)]


def _gemm_in_child(queue):
    a, b = np.ones((2048, 96)), np.ones((96, 128))
    queue.put(float(_threads.gemm(a, b).sum()))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is POSIX")
def test_a_forked_child_gets_its_own_workers(two_threads):
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_gemm_in_child, args=(queue,))
    child.start()
    assert queue.get(timeout=60) == 2048 * 96 * 128
    child.join(timeout=60)
    assert child.exitcode == 0


def test_gelu_split_equals_one_thread_bitwise():
    x = gradwork.tensor(
        np.random.default_rng(1).standard_normal(300_000).astype(np.float32) * 4,
        requires_grad=True,
    )
    grad = gradwork.tensor(np.random.default_rng(2).standard_normal(300_000).astype(np.float32))

    def run():
        x.grad = None
        y = F.gelu(x)
        y.backward(grad)
        return y.detach().numpy().copy(), x.grad.numpy().copy()

    whole, split = run(), _with_two_threads(run)
    for ours, reference in zip(split, whole):
        np.testing.assert_array_equal(ours, reference)
    expected = torch.nn.functional.gelu(torch.from_numpy(x.detach().numpy().astype(np.float64)))
    np.testing.assert_allclose(whole[0], expected.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mask", ["causal", "bool", "bool_batch_one", "float", "none"])
@pytest.mark.parametrize("shape", [(6, 2, 40, 16), (40, 16)])
def test_attention_split_equals_one_thread(mask, shape):
    rng = np.random.default_rng(3)
    q, k, v = (gradwork.tensor(rng.standard_normal(shape), requires_grad=True) for _ in range(3))
    scores_shape = shape[:-1] + shape[-2:-1]
    options = {"is_causal": True} if mask == "causal" else {}
    if mask == "bool":
        options["attn_mask"] = gradwork.tensor(rng.random(scores_shape) > 0.3)
    if mask == "bool_batch_one":
        options["attn_mask"] = gradwork.tensor(rng.random((1,) + scores_shape[1:]) > 0.3)
    if mask == "float":
        options["attn_mask"] = gradwork.tensor(rng.standard_normal(scores_shape))
    grad = gradwork.tensor(rng.standard_normal(shape))

    def run():
        for tensor in (q, k, v):
            tensor.grad = None
        out = F.scaled_dot_product_attention(q, k, v, **options)
        out.backward(grad)
        return [out.detach().numpy().copy()] + [t.grad.numpy().copy() for t in (q, k, v)]

    whole, split = run(), _with_two_threads(run)
    for ours, reference in zip(split, whole):
        np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-12)


def test_linear_training_step_with_two_threads_matches_torch(two_threads):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2048, 128))
    w = rng.standard_normal((256, 128))
    g = rng.standard_normal((2048, 256))
    ours_x, ours_w = gradwork.tensor(x, requires_grad=True), gradwork.tensor(w, requires_grad=True)
    F.linear(ours_x, ours_w).backward(gradwork.tensor(g))
    theirs_x, theirs_w = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    torch.nn.functional.linear(theirs_x, theirs_w).backward(torch.tensor(g))
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(ours_w.grad.numpy(), theirs_w.grad.numpy(), rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_norm_split_by_rows_equals_one_thread(dtype):
    rng = np.random.default_rng(5)
    x = gradwork.tensor(rng.standard_normal((2, 1500, 96)).astype(dtype), requires_grad=True)
    grad = gradwork.tensor(rng.standard_normal((2, 1500, 96)).astype(dtype))

    def run():
        x.grad = None
        y = F.layer_norm(x, (96,))
        y.backward(grad)
        return y.detach().numpy().copy(), x.grad.numpy().copy()

    whole, split = run(), _with_two_threads(run)
    tolerance = 1e-6 if dtype == np.float32 else 1e-13
    for ours, reference in zip(split, whole):
        np.testing.assert_allclose(ours, reference, rtol=tolerance, atol=tolerance)
    expected = torch.nn.functional.layer_norm(torch.from_numpy(x.detach().numpy()), (96,))
    np.testing.assert_allclose(whole[0], expected.numpy(), rtol=tolerance * 10, atol=tolerance * 10)


@pytest.mark.parametrize("weight_decay, amsgrad", [(0.01, False), (0.0, True)])
@pytest.mark.parametrize("decoupled", [True, False])
def test_adam_flat_update_split_equals_one_thread_bitwise(weight_decay, amsgrad, decoupled):
    rng = np.random.default_rng(6)
    start = [rng.standard_normal(shape).astype(np.float32) for shape in [(300, 512), (512,)]]
    grads = [rng.standard_normal(array.shape).astype(np.float32) for array in start]
    optimizer_class = gradwork.optim.AdamW if decoupled else gradwork.optim.Adam

    def run():
        params = [gradwork.tensor(array.copy(), requires_grad=True) for array in start]
        optimizer = optimizer_class(params, lr=1e-2, weight_decay=weight_decay, amsgrad=amsgrad)
        for _ in range(3):
            for param, grad in zip(params, grads):
                param.grad = gradwork.tensor(grad.copy())
            optimizer.step()
        return [param.detach().numpy().copy() for param in params]

    for ours, reference in zip(_with_two_threads(run), run()):
        np.testing.assert_array_equal(ours, reference)


@pytest.mark.parametrize("stride, groups", [(1, 1), (2, 1), (1, 2)])
def test_convolution_with_split_products_equals_one_thread(monkeypatch, stride, groups):
    rng = np.random.default_rng(7)
    x = gradwork.tensor(rng.standard_normal((32, 16, 28, 28)), requires_grad=True)
    weight = gradwork.tensor(rng.standard_normal((32, 16 // groups, 3, 3)), requires_grad=True)
    bias = gradwork.tensor(rng.standard_normal(32), requires_grad=True)
    grad = gradwork.tensor(rng.standard_normal((32, 32, 28 // stride, 28 // stride)))

    def run():
        for tensor in (x, weight, bias):
            tensor.grad = None
        out = F.conv2d(x, weight, bias, stride=stride, padding=1, groups=groups)
        out.backward(grad)
        return [out.detach().numpy().copy()] + [t.grad.numpy().copy() for t in (x, weight, bias)]

    calls = []
    pool_run = _threads._Pool.run

    def counted(self, tasks):
        calls.append(len(tasks))
        pool_run(self, tasks)

    whole = run()
    monkeypatch.setattr(_threads._Pool, "run", counted)
    split = _with_two_threads(run)
    assert calls  # some product was split
    for ours, reference in zip(split, whole):
        np.testing.assert_allclose(ours, reference, rtol=1e-10, atol=1e-10)


def test_a_new_setting_lets_the_old_workers_finish(two_threads):
    before = threading.active_count()
    for threads in (3, 2, 4, 2):
        gradwork.set_num_threads(threads)
    deadline = time.monotonic() + 10
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before  # one worker, as before


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kernel", ["gelu32", "gelu64", "layer_norm", "attention"])
def test_split_kernels_on_permuted_inputs_match_torch(threads, kernel):
    """Parts are taken of flat or stacked views: inputs laid out in another order must give the
    same values and gradients (a permuted view's flat copy is not the input's memory)."""
    rng = np.random.default_rng(8)
    dtype = np.float32 if kernel == "gelu32" else np.float64
    data = rng.standard_normal((4, 300, 2, 120)).astype(dtype)
    grad = rng.standard_normal((4, 2, 120, 300)).astype(dtype)

    def ours(x):
        x = x.permute(0, 2, 1, 3)  # (4, 2, 300, 120), not contiguous
        if kernel.startswith("gelu"):
            return F.gelu(x)
        if kernel == "layer_norm":
            return F.layer_norm(x.transpose(2, 3), (300,))
        return F.scaled_dot_product_attention(x, x * 0.5, x.flip(-1), is_causal=True)

    def theirs(x):
        x = x.permute(0, 2, 1, 3)
        if kernel.startswith("gelu"):
            return torch.nn.functional.gelu(x)
        if kernel == "layer_norm":
            return torch.nn.functional.layer_norm(x.transpose(2, 3), (300,))
        return torch.nn.functional.scaled_dot_product_attention(
            x, x * 0.5, x.flip(-1), is_causal=True
        )

    x = gradwork.tensor(data, requires_grad=True)
    with _threads_of_our_own(threads):
        out = ours(x).transpose(-1, -2)  # the gradient reaching the kernel: a permuted view
        out.backward(gradwork.tensor(grad).reshape(out.shape))
    reference = torch.tensor(data, requires_grad=True)
    expected = theirs(reference).transpose(-1, -2)
    expected.backward(torch.tensor(grad).reshape(expected.shape))
    tolerance = 2e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=tolerance)
    np.testing.assert_allclose(x.grad.numpy(), reference.grad.numpy(), atol=tolerance)
