"""gradwork.profiler: per-op rows, attribution to the outermost call, hooks removed, no effect."""

import doctest
import subprocess
import sys

import numpy as np
import pytest

import gradwork
import gradwork.profiler
from gradwork import nn, optim
from gradwork.autograd import engine, function
from gradwork.nn import functional as F
from gradwork.optim import optimizer
from gradwork.profiler import OpRow, profile


def _mlp_step(profiled: bool):
    """One Adam step of a 4-8-3 MLP on a fixed batch; returns loss, gradients, new weights, prof."""
    gradwork.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = optim.Adam(model.parameters(), lr=0.1)
    x = gradwork.randn(16, 4)
    y = gradwork.tensor([0, 1, 2, 0] * 4)
    prof = profile() if profiled else None
    if prof is not None:
        prof.__enter__()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    grads = [p.grad.numpy().copy() for p in model.parameters()]
    opt.step()
    if prof is not None:
        prof.__exit__(None, None, None)
    weights = [p.detach().numpy().copy() for p in model.parameters()]
    return loss.item(), grads, weights, prof


def _no_hook_active() -> bool:
    hooks = (
        function._profile_hook,
        engine._profile_pass_hook,
        engine._profile_hook,
        optimizer._profile_hook,
    )
    return hooks == (None, None, None, None)


def test_rows_count_forward_and_backward_calls():
    *_, prof = _mlp_step(profiled=True)
    rows = {row.name: row for row in prof.rows()}
    (loss_name,) = [name for name in rows if name.startswith("CrossEntropy")]
    assert set(rows) == {"Linear", "Relu", loss_name, "autograd engine", "optimizer.step (Adam)"}
    assert (rows["Linear"].forward_calls, rows["Linear"].backward_calls) == (2, 2)
    assert (rows["Relu"].forward_calls, rows["Relu"].backward_calls) == (1, 1)
    assert (rows[loss_name].forward_calls, rows[loss_name].backward_calls) == (1, 1)
    step = rows["optimizer.step (Adam)"]
    assert (step.other_calls, step.forward_calls, step.backward_calls) == (1, 0, 0)
    assert rows["autograd engine"].backward_calls == 1  # one backward pass
    # Bytes: the Linear outputs are (16, 8) and (16, 3) float32; the Relu gradient is (16, 8).
    assert rows["Linear"].forward_bytes == (16 * 8 + 16 * 3) * 4
    assert rows["Relu"].backward_bytes == 16 * 8 * 4


def test_times_are_non_negative_and_within_the_wall_time():
    *_, prof = _mlp_step(profiled=True)
    for row in prof.rows():
        assert row.forward_time >= 0 and row.backward_time >= 0 and row.other_time >= 0
    attributed = sum(row.total_time for row in prof.rows())
    assert 0 < attributed <= prof.wall_time
    assert prof.other_time == pytest.approx(prof.wall_time - attributed)


def test_results_are_bit_identical_with_and_without_the_profiler():
    plain = _mlp_step(profiled=False)
    profiled = _mlp_step(profiled=True)
    assert plain[0] == profiled[0]
    for expected, actual in zip(plain[1] + plain[2], profiled[1] + profiled[2]):
        np.testing.assert_array_equal(actual, expected)


def test_hooks_are_removed_after_the_block_and_after_an_exception():
    with profile():
        assert not _no_hook_active()
    assert _no_hook_active()
    a, b = gradwork.randn(2, 3, requires_grad=True), gradwork.randn(4, 5)
    with pytest.raises(RuntimeError, match="matmul"), profile() as prof:
        a @ b  # shapes do not match: raises inside the profiled op
    assert _no_hook_active()
    assert prof.wall_time >= 0
    (a * 2).sum().backward()  # the library still works, unprofiled
    np.testing.assert_array_equal(a.grad.numpy(), np.full((2, 3), 2.0, np.float32))


def test_nested_profile_raises_and_leaves_the_outer_one_recording():
    x = gradwork.randn(3, requires_grad=True)
    with profile() as outer:
        with pytest.raises(RuntimeError, match="already recording"), profile():
            pass
        (x * 2).sum().backward()
    assert _no_hook_active()
    assert {row.name for row in outer.rows()} == {"Mul", "Sum", "autograd engine"}


def test_a_profile_cannot_be_entered_twice():
    prof = profile()
    with prof:
        pass
    with pytest.raises(RuntimeError, match="already used"), prof:
        pass
    assert _no_hook_active()


class _Composite(gradwork.autograd.Function):
    """exp(x) * 2, computed with gradwork ops inside forward and backward."""

    @staticmethod
    def forward(ctx, x):
        y = x.exp() * 2
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


def test_time_goes_to_the_outermost_op_only():
    x = gradwork.randn(5, requires_grad=True)
    with profile() as prof:
        _Composite.apply(x).sum().backward()
    rows = {row.name: row for row in prof.rows()}
    # No Exp or Mul rows from inside _Composite's forward and backward.
    assert set(rows) == {"_Composite", "Sum", "autograd engine"}
    assert (rows["_Composite"].forward_calls, rows["_Composite"].backward_calls) == (1, 1)


@pytest.mark.parametrize("fast_backward", [True, False])
def test_backward_rules_and_gradient_sums_are_not_counted_as_forward_ops(
    monkeypatch, fast_backward
):
    # Without the fast array rules, backward rules and the engine's gradient sums (x * x sends
    # two gradients to x) run as gradwork ops; they belong to the nodes and to the engine.
    monkeypatch.setattr(engine.settings, "fast_backward", fast_backward)
    x = gradwork.randn(4, 4, requires_grad=True)
    with profile() as prof:
        (x * x).tanh().sum().backward()
    rows = {row.name: row for row in prof.rows()}
    assert set(rows) == {"Mul", "Tanh", "Sum", "autograd engine"}
    for name in ("Mul", "Tanh", "Sum"):
        assert (rows[name].forward_calls, rows[name].backward_calls) == (1, 1)


def test_create_graph_and_autograd_grad_are_profiled():
    x = gradwork.randn(3, requires_grad=True)
    with profile() as prof:
        (grad,) = gradwork.autograd.grad((x**3).sum(), x, create_graph=True)
        (second,) = gradwork.autograd.grad(grad.sum(), x)
    np.testing.assert_allclose(second.numpy(), 6 * x.detach().numpy(), rtol=1e-5)
    rows = {row.name: row for row in prof.rows()}
    assert rows["autograd engine"].backward_calls == 2
    assert rows["Pow"].forward_calls == 1  # ops recorded by the first pass are not forward calls
    assert sum(row.total_time for row in prof.rows()) <= prof.wall_time


def test_sorting_and_the_table():
    *_, prof = _mlp_step(profiled=True)
    totals = [row.total_time for row in prof.rows()]
    assert totals == sorted(totals, reverse=True)
    assert [row.name for row in prof.rows("name")] == sorted(row.name for row in prof.rows())
    assert all(isinstance(row, OpRow) for row in prof.rows("calls"))
    with pytest.raises(ValueError, match="sort_by"):
        prof.rows("nonsense")
    table = prof.table(sort_by="forward_time", row_limit=2)
    assert "forward ms" in table and "other" in table and "total (wall time)" in table
    assert f"({len(prof.rows()) - 2} more op types)" in table


def test_module_doctest():
    result = doctest.testmod(gradwork.profiler, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_command_line_prints_a_table():
    completed = subprocess.run(
        [sys.executable, "-m", "gradwork.profiler", "--workload", "mlp", "--steps", "2"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "Linear" in completed.stdout
    assert "optimizer.step (Adam)" in completed.stdout
    assert "autograd engine" in completed.stdout
    assert "other (Python glue)" in completed.stdout
