"""Where a training step goes: time and bytes per op type, forward and backward separately.

``profile`` is a context manager (a small cousin of ``torch.profiler.profile``). While it is
active, every ``Function.apply`` (forward), every node's backward in the autograd engine and
every ``Optimizer.step`` is timed and attributed to a row named after the op's ``Function`` class
(``MatMul``, ``Linear``, ``CrossEntropy``, ...) or to ``optimizer.step (Adam)``. The row
``autograd engine`` holds each backward pass's own time: the pass minus its nodes' backwards
(ordering the graph, summing gradients, filling ``.grad``). What no row covers (module calls and
other Python glue, the profiler's own bookkeeping) is reported as ``other``: the wall time of the
block minus the attributed time.

Attribution is to the *outermost* call only: an op whose forward calls other ops (a composite,
or a backward rule written in gradwork ops) is charged the whole time, and the ops inside it get
no row of their own, so no time is counted twice and the rows add up to at most the wall time.
Likewise an ``optimizer.step`` that runs a closure is charged the closure's forward and backward.

Bytes are those of the arrays an op produces: forward, the outputs (a view counts at its full
size); backward, the gradients returned for the inputs. On a GPU backend the times are those of
the Python calls, which return before asynchronous kernels finish.

When no profile is active the hooks cost one global read per op and per backward node.
``python -m gradwork.profiler --workload mlp|gpt|cnn`` profiles a few training steps of a
built-in workload and prints the table.

Example:
    >>> import gradwork
    >>> from gradwork import nn, optim
    >>> from gradwork.profiler import profile
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    >>> opt = optim.Adam(model.parameters())
    >>> x, y = gradwork.randn(16, 4), gradwork.tensor([0, 1, 2, 0] * 4)
    >>> with profile() as prof:
    ...     loss = nn.functional.cross_entropy(model(x), y)
    ...     loss.backward()
    ...     opt.step()
    >>> rows = {row.name: row for row in prof.rows()}
    >>> rows["Linear"].forward_calls, rows["Linear"].backward_calls
    (2, 2)
    >>> rows["optimizer.step (Adam)"].other_calls
    1
    >>> print(prof.table(row_limit=3).splitlines()[0])  # doctest: +NORMALIZE_WHITESPACE
    name  calls  bwd calls  forward ms  backward ms  total ms  % of block  out MB  grad MB
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, fields

from gradwork.autograd import engine, function
from gradwork.optim import optimizer

__all__ = ["OpRow", "profile", "main"]

_SORT_KEYS = {
    "total_time": lambda row: row.total_time,
    "forward_time": lambda row: row.forward_time,
    "backward_time": lambda row: row.backward_time,
    "calls": lambda row: row.calls,
    "forward_bytes": lambda row: row.forward_bytes,
    "backward_bytes": lambda row: row.backward_bytes,
}


@dataclass
class OpRow:
    """What one op type (or an optimizer's step) cost inside a profiled block.

    Times are in seconds, bytes in bytes. Ops fill the forward and backward fields; an
    optimizer's step fills ``other_calls`` and ``other_time``.
    """

    name: str  # the Function class ("MatMul"), "autograd engine" or "optimizer.step (<class>)"
    forward_calls: int = 0  # outermost Function.apply calls
    forward_time: float = 0.0  # seconds inside those calls
    forward_bytes: int = 0  # nbytes of the output arrays
    backward_calls: int = 0  # backward calls of this op's nodes (engine row: backward passes)
    backward_time: float = 0.0  # seconds inside those calls
    backward_bytes: int = 0  # nbytes of the gradient arrays they returned
    other_calls: int = 0  # calls outside forward and backward (optimizer steps)
    other_time: float = 0.0  # seconds inside those calls

    @property
    def calls(self) -> int:
        """Forward calls, or for an optimizer row its steps."""
        return self.forward_calls + self.other_calls

    @property
    def total_time(self) -> float:
        """Seconds in every phase together."""
        return self.forward_time + self.backward_time + self.other_time


def _nbytes(value) -> int:
    """Bytes of the arrays in a result: a tensor, an array, or a tuple of them (``None`` is 0)."""
    if type(value) is tuple or type(value) is list:
        return sum(_nbytes(item) for item in value)
    value = getattr(value, "_data", value)  # a Tensor's array
    return getattr(value, "nbytes", 0)


class profile:  # lowercase as torch.profiler.profile: it is used like a function
    """Record time and bytes per op type, forward and backward, while the ``with`` block runs.

    Only one profile can record at a time; entering a second raises ``RuntimeError``. The hooks
    are removed when the block ends, also when it raises. Results are bit-identical to an
    unprofiled run: the profiler only times the calls.

    Attributes:
        wall_time: seconds the ``with`` block took (set when it ends).
        other_time: ``wall_time`` minus the time attributed to rows: Python glue and the
            profiler's own overhead.

    Example: see the module docstring.
    """

    def __init__(self) -> None:
        self._rows: dict[str, OpRow] = {}
        self.wall_time = 0.0
        self._start: float | None = None
        self._node_time = 0.0  # seconds in node backwards, taken off their pass's engine time
        # Bound once: the hooks are installed and reinstalled on every profiled call.
        self._hooks = (self._forward, self._backward_pass, self._backward, self._optimizer_step)

    # -- the context manager --------------------------------------------------------------------
    def __enter__(self) -> profile:
        if _installed() != _NO_HOOKS:
            raise RuntimeError(
                "gradwork.profiler.profile: another profile is already recording; nested or "
                "concurrent profiles are not supported (end the outer one first)"
            )
        if self._start is not None:
            raise RuntimeError("gradwork.profiler.profile: this profile was already used")
        self._start = time.perf_counter()
        _install(self._hooks)
        return self

    def __exit__(self, *exc_info) -> bool:
        _install(_NO_HOOKS)
        self.wall_time = time.perf_counter() - self._start
        return False

    # -- the hooks: each runs its call with the hooks removed, so nested calls are not timed -----
    def _forward(self, cls, args):
        previous = _install(_NO_HOOKS)
        start = time.perf_counter()
        try:
            result = cls.apply(*args)
        finally:
            elapsed = time.perf_counter() - start
            _install(previous)
        row = self._row(cls.__name__)
        row.forward_calls += 1
        row.forward_time += elapsed
        row.forward_bytes += _nbytes(result)
        return result

    def _backward_pass(self, roots, root_grads, retain_graph, create_graph, inputs):
        # Only the nodes' backwards stay hooked: ops the engine runs between them (gradient sums
        # under create_graph) are the engine's time, not forward calls of Add.
        previous = _install((None, None, self._backward, None))
        node_time = self._node_time
        start = time.perf_counter()
        try:
            result = engine.run_backward(
                roots,
                root_grads,
                retain_graph=retain_graph,
                create_graph=create_graph,
                inputs=inputs,
            )
        finally:
            elapsed = time.perf_counter() - start
            _install(previous)
        row = self._row(_ENGINE_ROW)
        row.backward_calls += 1
        row.backward_time += elapsed - (self._node_time - node_time)
        return result

    def _backward(self, node, grads, check_anomaly, as_arrays):
        previous = _install(_NO_HOOKS)
        start = time.perf_counter()
        try:
            result = engine._call_backward(node, grads, check_anomaly, as_arrays)
        finally:
            elapsed = time.perf_counter() - start
            _install(previous)
        self._node_time += elapsed
        row = self._row(type(node).__name__)
        row.backward_calls += 1
        row.backward_time += elapsed
        row.backward_bytes += _nbytes(result)
        return result

    def _optimizer_step(self, step: Callable, opt, args: tuple, kwargs: dict):
        previous = _install(_NO_HOOKS)
        start = time.perf_counter()
        try:
            result = step(opt, *args, **kwargs)
        finally:
            elapsed = time.perf_counter() - start
            _install(previous)
        row = self._row(f"optimizer.step ({type(opt).__name__})")
        row.other_calls += 1
        row.other_time += elapsed
        return result

    def _row(self, name: str) -> OpRow:
        row = self._rows.get(name)
        if row is None:
            row = self._rows[name] = OpRow(name)
        return row

    # -- results ----------------------------------------------------------------------------------
    @property
    def other_time(self) -> float:
        return self.wall_time - sum(row.total_time for row in self._rows.values())

    def rows(self, sort_by: str = "total_time") -> list[OpRow]:
        """The recorded rows, largest first by ``sort_by`` (``"name"`` sorts alphabetically).

        ``sort_by`` is one of ``total_time``, ``forward_time``, ``backward_time``, ``calls``,
        ``forward_bytes``, ``backward_bytes``, ``name``. ``other`` is not a row: see
        ``other_time``.
        """
        rows = list(self._rows.values())
        if sort_by == "name":
            return sorted(rows, key=lambda row: row.name)
        if sort_by not in _SORT_KEYS:
            raise ValueError(
                f"profile.rows: sort_by must be one of {[*_SORT_KEYS, 'name']}, got {sort_by!r}"
            )
        return sorted(rows, key=_SORT_KEYS[sort_by], reverse=True)

    def table(self, sort_by: str = "total_time", row_limit: int | None = None) -> str:
        """The rows as a text table, then ``other`` and the block's total.

        Args:
            sort_by: as for :meth:`rows`.
            row_limit: show at most this many rows (the rest are summed into one line).

        Columns: forward calls, backward calls, forward / backward / total milliseconds, the
        share of the block's wall time, the forward outputs' and the backward gradients' MB.
        """
        rows = self.rows(sort_by)
        shown = rows if row_limit is None else rows[:row_limit]
        hidden = rows[len(shown) :]
        width = max([len(row.name) for row in shown] + [len("name"), 24])
        header = (
            f"{'name':<{width}}  {'calls':>6}  {'bwd calls':>9}  {'forward ms':>10}  "
            f"{'backward ms':>11}  {'total ms':>9}  {'% of block':>10}  {'out MB':>8}  "
            f"{'grad MB':>8}"
        )

        def line(row: OpRow, counts: bool = True, total: float | None = None) -> str:
            total = row.total_time if total is None else total
            share = 100.0 * total / self.wall_time if self.wall_time > 0 else 0.0
            calls, backward_calls = (row.calls, row.backward_calls) if counts else ("", "")
            return (
                f"{row.name:<{width}}  {calls:>6}  {backward_calls:>9}  "
                f"{row.forward_time * 1e3:>10.3f}  {row.backward_time * 1e3:>11.3f}  "
                f"{total * 1e3:>9.3f}  {share:>9.1f}%  {row.forward_bytes / 1e6:>8.3f}  "
                f"{row.backward_bytes / 1e6:>8.3f}"
            )

        lines = [header, "-" * len(header)] + [line(row) for row in shown]
        if hidden:
            lines.append(line(_merged(f"({len(hidden)} more op types)", hidden)))
        lines.append(line(OpRow("other (Python glue)", other_time=self.other_time), counts=False))
        lines.append("-" * len(header))
        lines.append(line(_merged("total (wall time)", rows), counts=False, total=self.wall_time))
        return "\n".join(lines)


def _merged(name: str, rows: list[OpRow]) -> OpRow:
    """One row holding the sums of ``rows``."""
    merged = OpRow(name)
    for field in fields(OpRow)[1:]:
        setattr(merged, field.name, sum(getattr(row, field.name) for row in rows))
    return merged


_NO_HOOKS = (None, None, None, None)
_ENGINE_ROW = "autograd engine"


def _installed() -> tuple:
    return (
        function._profile_hook,
        engine._profile_pass_hook,
        engine._profile_hook,
        optimizer._profile_hook,
    )


def _install(hooks: tuple) -> tuple:
    """Set the hooks (forward, backward pass, node backward, optimizer step); return the old."""
    previous = _installed()
    (
        function._profile_hook,
        engine._profile_pass_hook,
        engine._profile_hook,
        optimizer._profile_hook,
    ) = hooks
    return previous


# -- the command line: profile a few steps of a built-in workload --------------------------------
def _mlp_workload(batch_size: int):
    """An MNIST-1D-sized MLP 40-100-100-10 with Adam, on random data of MNIST-1D's shape."""
    import gradwork
    from gradwork import optim
    from gradwork.models.mlp import MLP, MLPConfig
    from gradwork.nn import functional as F

    model = MLP(MLPConfig(sizes=(40, 100, 100, 10)))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    x = gradwork.randn(batch_size, 40)
    y = gradwork.randint(0, 10, (batch_size,))

    return _training_step(opt, lambda: F.cross_entropy(model(x), y))


def _training_step(opt, loss_of: Callable[[], object]) -> Callable[[], object]:
    """One training step: zero the gradients, ``loss_of()``, backward, ``opt.step()``."""

    def step():
        opt.zero_grad()
        loss = loss_of()
        loss.backward()
        opt.step()
        return loss

    return step


def _gpt_workload(batch_size: int):
    """A small character GPT (vocabulary 65, context 64, 2 layers of width 64) with AdamW."""
    import gradwork
    from gradwork import optim
    from gradwork.models.gpt import GPT, GPTConfig

    config = GPTConfig(vocab_size=65, block_size=64, n_layer=2, n_head=4, n_embd=64)
    model = GPT(config)
    opt = optim.AdamW(model.parameters(), lr=3e-4)
    tokens = gradwork.randint(0, config.vocab_size, (batch_size, config.block_size + 1))
    idx, targets = tokens[:, :-1], tokens[:, 1:]  # (B, T) each

    return _training_step(opt, lambda: model(idx, targets)[1])


def _cnn_workload(batch_size: int):
    """LeNet-5 on random 28x28 images with SGD and momentum."""
    import gradwork
    from gradwork import optim
    from gradwork.models.cnn import LeNet
    from gradwork.nn import functional as F

    model = LeNet()
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = gradwork.randn(batch_size, 1, 28, 28)
    y = gradwork.randint(0, 10, (batch_size,))

    return _training_step(opt, lambda: F.cross_entropy(model(x), y))


_WORKLOADS = {
    "mlp": (_mlp_workload, 100),
    "gpt": (_gpt_workload, 16),
    "cnn": (_cnn_workload, 32),
}


def main(argv: list[str] | None = None) -> None:
    """``python -m gradwork.profiler``: profile a few training steps and print the table."""
    parser = argparse.ArgumentParser(
        prog="python -m gradwork.profiler",
        description="Profile training steps of a built-in workload: time and bytes per op type.",
    )
    parser.add_argument("--workload", choices=sorted(_WORKLOADS), default="mlp")
    parser.add_argument("--steps", type=int, default=5, help="profiled steps")
    parser.add_argument("--warmup", type=int, default=1, help="unprofiled steps first")
    parser.add_argument("--batch-size", type=int, default=None, help="default: per workload")
    parser.add_argument("--sort-by", default="total_time", choices=[*_SORT_KEYS, "name"])
    parser.add_argument("--row-limit", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS threads (default 1: on small matrices thread hand-offs cost more than the "
        "arithmetic); 0 leaves them as they are",
    )
    args = parser.parse_args(argv)

    from threadpoolctl import threadpool_limits

    import gradwork

    gradwork.manual_seed(args.seed)
    build, default_batch = _WORKLOADS[args.workload]
    step = build(args.batch_size or default_batch)
    with threadpool_limits(limits=args.threads or None, user_api="blas"):
        for _ in range(args.warmup):
            step()
        with profile() as prof:
            for _ in range(args.steps):
                loss = step()
    print(
        f"workload {args.workload}: {args.steps} steps in {prof.wall_time * 1e3:.1f} ms "
        f"({prof.wall_time / max(args.steps, 1) * 1e3:.2f} ms/step), last loss {loss.item():.4f}"
    )
    print(prof.table(sort_by=args.sort_by, row_limit=args.row_limit))


if __name__ == "__main__":
    main()
