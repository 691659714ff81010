"""Recurrent cells as fused primitives: one step of an Elman RNN, an LSTM and a GRU, and the
whole sequence of an LSTM or GRU layer.

Each cell is a composite of linear maps and gate nonlinearities; it is fused for speed: the
MNIST-1D GRU benchmark is bound by the Python overhead per node, so one node per step (instead
of ~15) is what makes RNNs usable. LSTM and GRU layers go one step further: one node per layer
and direction (:class:`LSTMSequence`, :class:`GRUSequence`) runs the time loop on arrays and, in
a first-order backward, moves everything that does not depend on the recurrence out of the loop.

A step takes the input-to-hidden gates ``gi = x W_ih^T + b_ih`` already computed, so that a layer
projects the whole sequence with one GEMM before the loop; the step adds ``h W_hh^T + b_hh`` (one
GEMM for all gates) and applies the gates. Gate order is PyTorch's: ``(i, f, g, o)`` for the LSTM,
``(r, z, n)`` for the GRU, so weights load by name from PyTorch.

Each cell's gates and gradient are written once, with operators and slicing only, so the same
formula runs on NumPy arrays or on tensors. The forward pass and a first-order backward run it on
arrays (the backward reusing the forward's gates); under ``create_graph=True`` the backward runs
it on tensors, recomputing the gates from the saved inputs with gradwork ops, so the gradient is
itself differentiable.
"""

from __future__ import annotations

import numpy as np

from gradwork.autograd import grad_mode
from gradwork.autograd.function import Function
from gradwork.ops._util import check, check_floating, check_tensor, format_shape
from gradwork.ops.elementwise import positive_part, sigmoid, sigmoid_array, tanh
from gradwork.ops.linalg import linear
from gradwork.ops.movement import cat
from gradwork.tensor import Tensor

__all__ = ["rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell"]

# the elementwise functions for each carrier of the shared formulas
_ARRAY_OPS = (sigmoid_array, np.tanh, np.concatenate)
_TENSOR_OPS = (sigmoid, tanh, cat)


def _data(value):
    return None if value is None else value._data


def _hidden_gates(h, w_hh, b_hh):
    """``h W_hh^T + b_hh``: one GEMM for all gates (arrays or tensors, any leading dims of h)."""
    gates = h @ w_hh.T
    return gates if b_hh is None else gates + b_hh


def _hidden_grads(needs: tuple, grad_gh, h, w_hh) -> tuple:
    """``(dh, dW_hh, db_hh)`` from ``dgh``, with ``gh = h W_hh^T + b_hh``: ``dh = dgh W_hh``,
    ``dW_hh = dgh^T h``, ``db_hh = sum of dgh`` (rows of every leading dimension summed)."""
    gates, hidden = w_hh.shape
    rows = grad_gh.reshape((-1, gates))
    return (
        grad_gh @ w_hh if needs[0] else None,
        rows.T @ h.reshape((-1, hidden)) if needs[1] else None,
        rows.sum(0) if needs[2] else None,
    )


def _wrap(*values) -> tuple:
    return tuple(None if value is None else Tensor._make(value) for value in values)


# -- Elman RNN -----------------------------------------------------------------------------------
class RNNStep(Function):
    """h' = act(gi + h W_hh^T + b_hh), act = tanh or relu;  da = g (1 - h'^2) or g [h' > 0].

    Fused for speed: one node per time step instead of four.
    """

    @staticmethod
    def forward(ctx, gi, h, w_hh, b_hh, nonlinearity):
        pre = gi._data + _hidden_gates(h._data, w_hh._data, _data(b_hh))
        out = Tensor._make(np.tanh(pre) if nonlinearity == "tanh" else positive_part(pre))
        ctx.nonlinearity = nonlinearity
        ctx.save_for_backward(h, w_hh, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        h, w_hh, out = ctx.saved_tensors
        recording = grad_mode.state.enabled  # create_graph: tensors, else arrays
        if not recording:
            grad, h, w_hh, out = grad._data, h._data, w_hh._data, out._data
        if ctx.nonlinearity == "tanh":
            grad_pre = grad * (1 - out * out)
        else:
            grad_pre = grad * (out > 0)
        needs = ctx.needs_input_grad
        grads = (grad_pre if needs[0] else None, *_hidden_grads(needs[1:4], grad_pre, h, w_hh))
        return (*(grads if recording else _wrap(*grads)), None)


# -- LSTM ----------------------------------------------------------------------------------------
def _lstm_gates(gi, h, c, w_hh, b_hh, ops) -> tuple:
    """``i, f, g, o`` and ``tanh(c')`` of one LSTM step (arrays or tensors)."""
    sigmoid_, tanh_, _ = ops
    hidden = c.shape[-1]
    pre = gi + _hidden_gates(h, w_hh, b_hh)
    input_forget = sigmoid_(pre[..., : 2 * hidden])
    i, f = input_forget[..., :hidden], input_forget[..., hidden:]
    g = tanh_(pre[..., 2 * hidden : 3 * hidden])
    o = sigmoid_(pre[..., 3 * hidden :])
    return i, f, g, o, f * c + i * g


class LSTMStep(Function):
    """One LSTM step (Hochreiter and Schmidhuber, 1997), gates ``(i, f, g, o)``:

    a = gi + h W_hh^T + b_hh;  i, f, o = sigmoid(a_i, a_f, a_o);  g = tanh(a_g);
    c' = f c + i g;  h' = o tanh(c').
    Backward: dc* = dc' + dh' o (1 - tanh(c')^2);  da_i = dc* g i (1 - i);
    da_f = dc* c f (1 - f);  da_g = dc* i (1 - g^2);  da_o = dh' tanh(c') o (1 - o);  dc = dc* f.

    Fused for speed: one node per time step instead of about fifteen.
    """

    @staticmethod
    def forward(ctx, gi, h, c, w_hh, b_hh):
        arrays = (gi._data, h._data, c._data, w_hh._data, _data(b_hh))
        i, f, g, o, c_next = _lstm_gates(*arrays, _ARRAY_OPS)
        tanh_c = np.tanh(c_next)
        ctx.gates = (i, f, g, o, tanh_c)
        ctx.save_for_backward(gi, h, c, w_hh, b_hh)
        return o * tanh_c, c_next

    @staticmethod
    def backward(ctx, grad_h, grad_c):
        gi, h, c, w_hh, b_hh = ctx.saved_tensors
        if grad_mode.state.enabled:  # create_graph: the gates as functions of the inputs
            i, f, g, o, c_next = _lstm_gates(gi, h, c, w_hh, b_hh, _TENSOR_OPS)
            gates, ops = (i, f, g, o, tanh(c_next)), _TENSOR_OPS
        else:
            grad_h, grad_c, h, c, w_hh = grad_h._data, grad_c._data, h._data, c._data, w_hh._data
            gates, ops = ctx.gates, _ARRAY_OPS
        grads = _lstm_grads(ctx.needs_input_grad, grad_h, grad_c, h, c, w_hh, gates, ops[2])
        return grads if ops is _TENSOR_OPS else _wrap(*grads)


def _lstm_grads(needs, grad_h, grad_c, h, c, w_hh, gates, concatenate) -> tuple:
    """The gradients of ``(gi, h, c, W_hh, b_hh)`` of one LSTM step (arrays or tensors)."""
    i, f, g, o, tanh_c = gates
    grad_c_total = grad_c + grad_h * o * (1 - tanh_c * tanh_c)
    grad_pre = concatenate(
        [
            grad_c_total * g * i * (1 - i),
            grad_c_total * c * f * (1 - f),
            grad_c_total * i * (1 - g * g),
            grad_h * tanh_c * o * (1 - o),
        ],
        -1,
    )
    grad_h_prev, grad_w_hh, grad_b_hh = _hidden_grads(
        (needs[1], needs[3], needs[4]), grad_pre, h, w_hh
    )
    grad_c_prev = grad_c_total * f if needs[2] else None
    return grad_pre if needs[0] else None, grad_h_prev, grad_c_prev, grad_w_hh, grad_b_hh


# -- GRU -----------------------------------------------------------------------------------------
def _gru_gates(gi, h, w_hh, b_hh, ops) -> tuple:
    """``r, z, n`` and ``gh_n`` (the hidden part of ``n``) of one GRU step (arrays or tensors)."""
    sigmoid_, tanh_, _ = ops
    hidden = h.shape[-1]
    gh = _hidden_gates(h, w_hh, b_hh)
    reset_update = sigmoid_(gi[..., : 2 * hidden] + gh[..., : 2 * hidden])
    r, z = reset_update[..., :hidden], reset_update[..., hidden:]
    gh_n = gh[..., 2 * hidden :]
    return r, z, tanh_(gi[..., 2 * hidden :] + r * gh_n), gh_n


class GRUStep(Function):
    """One GRU step (Cho et al., 2014), gates ``(r, z, n)``, with ``gh = h W_hh^T + b_hh``:

    r = sigmoid(gi_r + gh_r);  z = sigmoid(gi_z + gh_z);  n = tanh(gi_n + r gh_n);
    h' = (1 - z) n + z h.
    Backward: da_n = dh' (1 - z)(1 - n^2);  da_z = dh' (h - n) z (1 - z);
    da_r = da_n gh_n r (1 - r);  dgh_n = da_n r;  dh = dh' z + dgh W_hh.

    Fused for speed: one node per time step instead of about fifteen.
    """

    @staticmethod
    def forward(ctx, gi, h, w_hh, b_hh):
        gates = _gru_gates(gi._data, h._data, w_hh._data, _data(b_hh), _ARRAY_OPS)
        ctx.gates = gates
        ctx.save_for_backward(gi, h, w_hh, b_hh)
        _, z, n, _ = gates
        return n + z * (h._data - n)

    @staticmethod
    def backward(ctx, grad):
        gi, h, w_hh, b_hh = ctx.saved_tensors
        if grad_mode.state.enabled:  # create_graph: the gates as functions of the inputs
            gates = _gru_gates(gi, h, w_hh, b_hh, _TENSOR_OPS)
            return _gru_grads(ctx.needs_input_grad, grad, h, w_hh, gates, cat)
        arrays = (grad._data, h._data, w_hh._data)
        return _wrap(*_gru_grads(ctx.needs_input_grad, *arrays, ctx.gates, np.concatenate))


def _gru_grads(needs, grad, h, w_hh, gates, concatenate) -> tuple:
    """The gradients of ``(gi, h, W_hh, b_hh)`` of one GRU step (arrays or tensors)."""
    r, z, n, gh_n = gates
    grad_a_n = grad * (1 - z) * (1 - n * n)
    grad_a_r = grad_a_n * gh_n * r * (1 - r)
    grad_a_z = grad * (h - n) * z * (1 - z)
    grad_gh = concatenate([grad_a_r, grad_a_z, grad_a_n * r], -1)
    grad_h, grad_w_hh, grad_b_hh = _hidden_grads(needs[1:4], grad_gh, h, w_hh)
    if grad_h is not None:
        grad_h = grad_h + grad * z
    grad_gi = concatenate([grad_a_r, grad_a_z, grad_a_n], -1) if needs[0] else None
    return grad_gi, grad_h, grad_w_hh, grad_b_hh


class GRUSequence(Function):
    """A GRU layer's whole sequence in one node: :class:`GRUStep` applied at every time step.

    Inputs: ``gi (L, N, 3H)`` (the input gates of every step, one GEMM before), ``h0 (1, N, H)``,
    ``W_hh``, ``b_hh``; output: the states ``(L, N, H)``, read from ``t = L - 1`` down to 0 when
    ``reverse``. The forward loop is :func:`_gru_gates` per step on arrays. The plain backward
    replays :func:`_gru_grads` per step on tensors (differentiable); the fast backward keeps in the
    loop only what the recurrence needs and does the rest once for the whole sequence: the
    gate factors as (L, N, H) arrays before it, ``dW_hh`` and ``db_hh`` as one GEMM and one sum
    after it. For MNIST-1D's GRU that is ~8 small NumPy calls per step instead of ~30 plus a node.
    """

    @staticmethod
    def forward(ctx, gi, h0, w_hh, b_hh, reverse):
        gi_data, w, b = gi._data, w_hh._data, _data(b_hh)
        length, batch, hidden = gi_data.shape[0], gi_data.shape[1], w.shape[1]
        out = np.empty((length, batch, hidden), dtype=gi_data.dtype)
        gates = np.empty((4, length, batch, hidden), dtype=gi_data.dtype)  # r, z, n, gh_n
        h = h0._data[0]
        for t in _time_steps(length, reverse):
            r, z, n, gh_n = _gru_gates(gi_data[t], h, w, b, _ARRAY_OPS)
            gates[0, t], gates[1, t], gates[2, t], gates[3, t] = r, z, n, gh_n
            h = out[t] = n + z * (h - n)
        ctx.gates = gates
        ctx.reverse = reverse
        out = Tensor._make(out)
        ctx.save_for_backward(gi, h0, w_hh, b_hh, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        gi, h0, w_hh, b_hh, out = ctx.saved_tensors
        length = gi.shape[0]
        need_gi, need_h0, need_w, need_b = ctx.needs_input_grad[:4]
        grad_gi = [None] * length
        grad_w = grad_b = None
        grad_h = None
        for t in _time_steps(length, not ctx.reverse):  # backwards through the recurrence
            h = _previous_state(out, h0, t, ctx.reverse)
            step_grad = grad[t] if grad_h is None else grad[t] + grad_h
            gates = _gru_gates(gi[t], h, w_hh, b_hh, _TENSOR_OPS)
            needs = (need_gi, True, need_w, need_b)
            grad_gi[t], grad_h, step_w, step_b = _gru_grads(needs, step_grad, h, w_hh, gates, cat)
            grad_w, grad_b = _add(grad_w, step_w), _add(grad_b, step_b)
        return (
            _stack_steps(grad_gi) if need_gi else None,
            grad_h.reshape(h0.shape) if need_h0 else None,
            grad_w,
            grad_b,
            None,
        )

    @staticmethod
    def fast_backward(ctx, grad):
        _, h0, w_hh, _, out = ctx.saved_tensors
        w, out = w_hh._data, out._data
        r, z, n, gh_n = ctx.gates
        length, batch, hidden = out.shape
        previous = _shifted(out, h0._data, ctx.reverse)
        # the gate factors of dh' that do not depend on the recurrence, for all steps at once,
        # in place: these (L, N, H) arrays are most of a small GRU's training-step memory
        one_minus = 1 - z
        factor_n = n * n
        np.subtract(1, factor_n, out=factor_n)
        factor_n *= one_minus  # da_n = dh' factor_n
        factor_z = previous - n
        factor_z *= z
        factor_z *= one_minus  # da_z = dh' factor_z
        factor_r = np.multiply(gh_n, r, out=one_minus)
        factor_r *= 1 - r  # da_r = da_n factor_r
        # dgh = (da_r, da_z, r da_n); dgi is the same but for its last third, da_n
        grad_gh = np.empty((length, batch, 3 * hidden), dtype=out.dtype)
        grad_a_n = np.empty_like(out)
        grad_h = np.zeros((batch, hidden), dtype=out.dtype)
        for t in _time_steps(length, not ctx.reverse):
            step = grad[t] + grad_h
            gh_t = grad_gh[t]
            np.multiply(step, factor_n[t], out=grad_a_n[t])
            np.multiply(grad_a_n[t], factor_r[t], out=gh_t[:, :hidden])
            np.multiply(step, factor_z[t], out=gh_t[:, hidden : 2 * hidden])
            np.multiply(grad_a_n[t], r[t], out=gh_t[:, 2 * hidden :])
            grad_h = gh_t @ w
            grad_h += step * z[t]
        need_gi, need_h0, need_w, need_b = ctx.needs_input_grad[:4]
        rows = grad_gh.reshape(-1, 3 * hidden)
        grad_w = rows.T @ previous.reshape(-1, hidden) if need_w else None
        grad_b = rows.sum(0) if need_b else None
        grad_gh[:, :, 2 * hidden :] = grad_a_n  # now dgi
        return (
            grad_gh if need_gi else None,
            grad_h.reshape(h0._data.shape) if need_h0 else None,
            grad_w,
            grad_b,
            None,
        )


class LSTMSequence(Function):
    """An LSTM layer's whole sequence in one node: :class:`LSTMStep` applied at every step.

    Inputs: ``gi (L, N, 4H)``, ``h0, c0 (1, N, H)``, ``W_hh``, ``b_hh``; outputs: the states
    ``h (L, N, H)`` (read backwards in time when ``reverse``) and the last cell state
    ``(1, N, H)``. As :class:`GRUSequence`: a per-step array loop forward; a plain backward of
    :func:`_lstm_grads` per step on tensors; a fast backward that computes the gate factors for
    the whole sequence first, keeps ~10 small NumPy calls per step, and ends with one GEMM for
    ``dW_hh``.
    """

    @staticmethod
    def forward(ctx, gi, h0, c0, w_hh, b_hh, reverse):
        ctx.set_materialize_grads(False)
        gi_data, w, b = gi._data, w_hh._data, _data(b_hh)
        length, batch, hidden = gi_data.shape[0], gi_data.shape[1], w.shape[1]
        out = np.empty((length, batch, hidden), dtype=gi_data.dtype)
        cells = np.empty_like(out)  # c after each step
        gates = np.empty((5, length, batch, hidden), dtype=gi_data.dtype)  # i, f, g, o, tanh c'
        h, c = h0._data[0], c0._data[0]
        for t in _time_steps(length, reverse):
            i, f, g, o, c = _lstm_gates(gi_data[t], h, c, w, b, _ARRAY_OPS)
            tanh_c = np.tanh(c)
            gates[0, t], gates[1, t], gates[2, t], gates[3, t], gates[4, t] = i, f, g, o, tanh_c
            cells[t] = c
            h = out[t] = o * tanh_c
        ctx.gates, ctx.cells, ctx.reverse = gates, cells, reverse
        out = Tensor._make(out)
        ctx.save_for_backward(gi, h0, c0, w_hh, b_hh, out)
        return out, Tensor._make(c[np.newaxis].copy())

    @staticmethod
    def backward(ctx, grad, grad_c_last):
        gi, h0, c0, w_hh, b_hh, out = ctx.saved_tensors
        length = gi.shape[0]
        # replay the cell states in gradwork ops, so that this backward is differentiable
        steps, c = [], c0[0]
        for t in _time_steps(length, ctx.reverse):
            h = _previous_state(out, h0, t, ctx.reverse)
            i, f, g, o, c_next = _lstm_gates(gi[t], h, c, w_hh, b_hh, _TENSOR_OPS)
            steps.append((t, h, c, (i, f, g, o, tanh(c_next))))
            c = c_next
        needs = ctx.needs_input_grad
        step_needs = (needs[0], True, True, needs[3], needs[4])
        grad_gi = [None] * length
        grad_w = grad_b = grad_h = None
        grad_c = None if grad_c_last is None else grad_c_last[0]
        for t, h, c, gates in reversed(steps):
            step_h = _add(None if grad is None else grad[t], grad_h)
            step_h = Tensor._make(np.zeros_like(h._data)) if step_h is None else step_h
            step_c = Tensor._make(np.zeros_like(c._data)) if grad_c is None else grad_c
            grad_gi[t], grad_h, grad_c, step_w, step_b = _lstm_grads(
                step_needs, step_h, step_c, h, c, w_hh, gates, cat
            )
            grad_w, grad_b = _add(grad_w, step_w), _add(grad_b, step_b)
        return (
            _stack_steps(grad_gi) if needs[0] else None,
            grad_h.reshape(h0.shape) if needs[1] else None,
            grad_c.reshape(c0.shape) if needs[2] else None,
            grad_w,
            grad_b,
            None,
        )

    @staticmethod
    def fast_backward(ctx, grad, grad_c_last):
        _, h0, c0, w_hh, _, out = ctx.saved_tensors
        w, out = w_hh._data, out._data
        i, f, g, o, tanh_c = ctx.gates
        length, batch, hidden = out.shape
        previous_h = _shifted(out, h0._data, ctx.reverse)
        previous_c = _shifted(ctx.cells, c0._data, ctx.reverse)
        # the gate factors that do not depend on the recurrence, for all steps at once
        factor_i = g * i * (1 - i)  # da_i = dc* factor_i
        factor_f = previous_c * f * (1 - f)  # da_f = dc* factor_f
        factor_g = i * (1 - g * g)  # da_g = dc* factor_g
        factor_o = tanh_c * o * (1 - o)  # da_o = dh' factor_o
        factor_c = o * (1 - tanh_c * tanh_c)  # dc* = dc' + dh' factor_c
        grad_pre = np.empty((length, batch, 4 * hidden), dtype=out.dtype)
        grad_h = np.zeros((batch, hidden), dtype=out.dtype)
        grad_c = np.zeros_like(grad_h) if grad_c_last is None else grad_c_last[0]
        for t in _time_steps(length, not ctx.reverse):
            step_h = grad_h if grad is None else grad[t] + grad_h
            step_c = grad_c + step_h * factor_c[t]
            pre = grad_pre[t]
            np.multiply(step_c, factor_i[t], out=pre[:, :hidden])
            np.multiply(step_c, factor_f[t], out=pre[:, hidden : 2 * hidden])
            np.multiply(step_c, factor_g[t], out=pre[:, 2 * hidden : 3 * hidden])
            np.multiply(step_h, factor_o[t], out=pre[:, 3 * hidden :])
            grad_h = pre @ w
            grad_c = step_c * f[t]
        needs = ctx.needs_input_grad
        rows = grad_pre.reshape(-1, 4 * hidden)
        return (
            grad_pre if needs[0] else None,
            grad_h.reshape(h0._data.shape) if needs[1] else None,
            grad_c.reshape(c0._data.shape) if needs[2] else None,
            rows.T @ previous_h.reshape(-1, hidden) if needs[3] else None,
            rows.sum(0) if needs[4] else None,
            None,
        )


def _shifted(states: np.ndarray, initial: np.ndarray, reverse: bool) -> np.ndarray:
    """Each step's incoming state: ``initial (1, N, H)`` at the first step, then the states."""
    if reverse:
        return np.concatenate([states[1:], initial])
    return np.concatenate([initial, states[:-1]])


def _add(total, term):
    """``total + term``, where either may be None (no gradient yet)."""
    if total is None:
        return term
    return total if term is None else total + term


def _time_steps(length: int, reverse: bool) -> range:
    return range(length - 1, -1, -1) if reverse else range(length)


def _previous_state(out, h0, t: int, reverse: bool):
    """The state before step ``t``: h0 (as (N, H)) at the first step, else the neighbour's."""
    first = out.shape[0] - 1 if reverse else 0
    if t == first:
        return h0[0]
    return out[t + 1] if reverse else out[t - 1]


def _stack_steps(steps: list) -> Tensor:
    """``(L, N, G)`` from L tensors ``(N, G)``."""
    return cat([step.unsqueeze(0) for step in steps], 0)


# -- public cell functions -----------------------------------------------------------------------
def _check_cell(op: str, input, hx, w_ih, w_hh, b_ih, b_hh, gates: int) -> None:
    """Check a cell's arguments once: 2-D input and state, weights of ``gates`` gates."""
    check_tensor(input, op, "input")
    check_floating(input, op)
    for name, value in (("hx", hx), ("w_ih", w_ih), ("w_hh", w_hh)):
        check_tensor(value, op, name)
    hidden = hx.shape[-1] if hx.ndim else 0
    check(
        input.ndim == 2 and hx.ndim == 2 and hx.shape[0] == input.shape[0],
        op,
        f"expected input (N, H_in) and hx (N, H), got {format_shape(input.shape)} and "
        f"{format_shape(hx.shape)}",
    )
    expected = {
        "w_ih": (gates * hidden, input.shape[1]),
        "w_hh": (gates * hidden, hidden),
        "b_ih": (gates * hidden,),
        "b_hh": (gates * hidden,),
    }
    for name, value in (("w_ih", w_ih), ("w_hh", w_hh), ("b_ih", b_ih), ("b_hh", b_hh)):
        if value is None:
            continue
        check_tensor(value, op, name)
        check(
            value.shape == expected[name] and value.dtype == input.dtype,
            op,
            f"expected {name} of shape {format_shape(expected[name])} and dtype {input.dtype}, "
            f"got {format_shape(value.shape)} and {value.dtype}",
        )
    check(hx.dtype == input.dtype, op, f"expected hx of dtype {input.dtype}, got {hx.dtype}")


def rnn_tanh_cell(
    input: Tensor,
    hx: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> Tensor:
    """One Elman RNN step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``.

    Args:
        input: the input ``x``.
        hx: the hidden state ``h``.
        w_ih, w_hh: weights of shapes ``(H, H_in)`` and ``(H, H)``.
        b_ih, b_hh: biases of shape ``(H,)``, or None.

    Shape: input ``(N, H_in)``, hx ``(N, H)`` -> ``(N, H)``.

    Example:
        >>> import gradwork
        >>> from gradwork.ops.rnn import rnn_tanh_cell
        >>> x, h = gradwork.ones(2, 3), gradwork.zeros(2, 4)
        >>> rnn_tanh_cell(x, h, gradwork.zeros(4, 3), gradwork.zeros(4, 4)).shape
        (2, 4)
    """
    _check_cell("rnn_tanh_cell", input, hx, w_ih, w_hh, b_ih, b_hh, 1)
    return RNNStep.apply(linear(input, w_ih, b_ih), hx, w_hh, b_hh, "tanh")


def rnn_relu_cell(
    input: Tensor,
    hx: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> Tensor:
    """One Elman RNN step with ReLU: ``h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)``.

    Args and Shape: as :func:`rnn_tanh_cell`.

    Example:
        >>> import gradwork
        >>> from gradwork.ops.rnn import rnn_relu_cell
        >>> x, h, w = gradwork.ones(1, 2), gradwork.zeros(1, 1), gradwork.tensor([[1.0, -3.0]])
        >>> rnn_relu_cell(x, h, w, gradwork.zeros(1, 1))
        tensor([[0.]])
    """
    _check_cell("rnn_relu_cell", input, hx, w_ih, w_hh, b_ih, b_hh, 1)
    return RNNStep.apply(linear(input, w_ih, b_ih), hx, w_hh, b_hh, "relu")


def lstm_cell(
    input: Tensor,
    hx: tuple,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> tuple:
    """One LSTM step: gates ``i, f, g, o`` from ``x W_ih^T + b_ih + h W_hh^T + b_hh``, then
    ``c' = sigmoid(f) c + sigmoid(i) tanh(g)`` and ``h' = sigmoid(o) tanh(c')``.

    Args:
        input: the input ``x``.
        hx: the state ``(h, c)``.
        w_ih, w_hh: weights of shapes ``(4H, H_in)`` and ``(4H, H)``, gates in order i, f, g, o.
        b_ih, b_hh: biases of shape ``(4H,)``, or None.

    Shape: input ``(N, H_in)``, h and c ``(N, H)`` -> ``(h', c')``, each ``(N, H)``.

    Example:
        >>> import gradwork
        >>> from gradwork.ops.rnn import lstm_cell
        >>> x, h = gradwork.ones(1, 2), gradwork.zeros(1, 1)
        >>> h1, c1 = lstm_cell(x, (h, h), gradwork.zeros(4, 2), gradwork.zeros(4, 1))
        >>> c1  # sigmoid(0) * tanh(0)
        tensor([[0.]])
    """
    op = "lstm_cell"
    check(
        isinstance(hx, (tuple, list)) and len(hx) == 2,
        op,
        "expected hx to be a pair (h, c)",
        TypeError,
    )
    h, c = hx
    _check_cell(op, input, h, w_ih, w_hh, b_ih, b_hh, 4)
    check_tensor(c, op, "c")
    check(
        c.shape == h.shape and c.dtype == h.dtype,
        op,
        f"expected c like h {format_shape(h.shape)}, got {format_shape(c.shape)} {c.dtype}",
    )
    return LSTMStep.apply(linear(input, w_ih, b_ih), h, c, w_hh, b_hh)


def gru_cell(
    input: Tensor,
    hx: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> Tensor:
    """One GRU step: with ``gi = x W_ih^T + b_ih`` and ``gh = h W_hh^T + b_hh`` split into
    ``r, z, n``: ``r = sigmoid(gi_r + gh_r)``, ``z = sigmoid(gi_z + gh_z)``,
    ``n = tanh(gi_n + r gh_n)``, ``h' = (1 - z) n + z h``.

    Args:
        input: the input ``x``.
        hx: the hidden state ``h``.
        w_ih, w_hh: weights of shapes ``(3H, H_in)`` and ``(3H, H)``, gates in order r, z, n.
        b_ih, b_hh: biases of shape ``(3H,)``, or None.

    Shape: input ``(N, H_in)``, hx ``(N, H)`` -> ``(N, H)``.

    Example:
        >>> import gradwork
        >>> from gradwork.ops.rnn import gru_cell
        >>> x, h = gradwork.ones(1, 2), gradwork.ones(1, 1)
        >>> gru_cell(x, h, gradwork.zeros(3, 2), gradwork.zeros(3, 1))  # (1 - 0.5) * 0 + 0.5 * 1
        tensor([[0.5]])
    """
    _check_cell("gru_cell", input, hx, w_ih, w_hh, b_ih, b_hh, 3)
    return GRUStep.apply(linear(input, w_ih, b_ih), hx, w_hh, b_hh)
