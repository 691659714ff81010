"""Recurrent cells and layers: the fused steps against their composites, and RNNCell/LSTMCell/
GRUCell/RNN/LSTM/GRU against PyTorch with the same weights (outputs, states and every gradient)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import gradwork
from gradwork.autograd.gradcheck import gradcheck, gradgradcheck
from gradwork.nn.modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from gradwork.ops import rnn as fused
from gradwork.ops.activation import relu
from gradwork.ops.elementwise import sigmoid, tanh
from gradwork.ops.linalg import linear

TOLERANCES = {np.float64: 1e-9, np.float32: 1e-5}
TORCH_DTYPES = {np.float64: torch.float64, np.float32: torch.float32}
OUR_DTYPES = {np.float64: gradwork.float64, np.float32: gradwork.float32}


def _close(ours, theirs, tolerance, message=""):
    ours = ours.detach().numpy() if hasattr(ours, "detach") else ours
    np.testing.assert_allclose(
        ours, theirs.detach().numpy(), rtol=tolerance, atol=tolerance, err_msg=message
    )


def _pair(array):
    return gradwork.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def _copy_weights(ours, theirs, dtype):
    theirs.to(TORCH_DTYPES[dtype])
    ours.to(OUR_DTYPES[dtype])
    result = ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert not result.missing_keys and not result.unexpected_keys


def _check_parameter_grads(ours, theirs, tolerance):
    names = [name for name, _ in ours.named_parameters()]
    assert names == [name for name, _ in theirs.named_parameters()]
    for (name, parameter), (_, reference) in zip(
        ours.named_parameters(), theirs.named_parameters()
    ):
        _close(parameter.grad, reference.grad, tolerance, name)


# -- the fused steps equal their composites --------------------------------------------------------
def _composite(kind, x, state, w_ih, w_hh, b_ih, b_hh):
    """The cell written in plain gradwork ops (what the fused steps must reproduce)."""
    gi, gh = linear(x, w_ih, b_ih), linear(state[0], w_hh, b_hh)
    if kind == "rnn_tanh":
        return (tanh(gi + gh),)
    if kind == "rnn_relu":
        return (relu(gi + gh),)
    if kind == "lstm":
        i, f, g, o = (gi + gh).chunk(4, -1)
        c = sigmoid(f) * state[1] + sigmoid(i) * tanh(g)
        return sigmoid(o) * tanh(c), c
    r_i, z_i, n_i = gi.chunk(3, -1)
    r_h, z_h, n_h = gh.chunk(3, -1)
    r, z = sigmoid(r_i + r_h), sigmoid(z_i + z_h)
    n = tanh(n_i + r * n_h)
    return ((1 - z) * n + z * state[0],)


def _fused(kind, x, state, w_ih, w_hh, b_ih, b_hh):
    if kind == "lstm":
        return fused.lstm_cell(x, state, w_ih, w_hh, b_ih, b_hh)
    function = {"rnn_tanh": fused.rnn_tanh_cell, "rnn_relu": fused.rnn_relu_cell}.get(
        kind, fused.gru_cell
    )
    return (function(x, state[0], w_ih, w_hh, b_ih, b_hh),)


GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


def _cell_inputs(kind, bias=True, batch=3, features=4, hidden=5):
    rng = np.random.default_rng(1)
    gates = GATES[kind] * hidden
    shapes = [(batch, features), (batch, hidden), (batch, hidden), (gates, features)]
    shapes += [(gates, hidden), (gates,), (gates,)]
    tensors = [gradwork.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    x, h, c, w_ih, w_hh, b_ih, b_hh = tensors
    state = (h, c) if kind == "lstm" else (h,)
    if not bias:
        b_ih = b_hh = None
    leaves = [t for t in (x, *state, w_ih, w_hh, b_ih, b_hh) if t is not None]
    return (x, state, w_ih, w_hh, b_ih, b_hh), leaves


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_fused_step_equals_composite(kind, bias):
    arguments, leaves = _cell_inputs(kind, bias)
    fused_out, composite_out = _fused(kind, *arguments), _composite(kind, *arguments)
    for ours, reference in zip(fused_out, composite_out):
        _close(ours, reference, 1e-12)
    rng = np.random.default_rng(2)
    weights = [gradwork.tensor(rng.standard_normal(t.shape)) for t in fused_out]

    def loss(outputs):
        return sum((t * w).sum() for t, w in zip(outputs, weights))

    grads = gradwork.autograd.grad(loss(fused_out), leaves, create_graph=True)
    reference = gradwork.autograd.grad(loss(composite_out), leaves, create_graph=True)
    for ours, theirs in zip(grads, reference):
        _close(ours, theirs, 1e-12)
    # the fused backward is itself differentiable: second derivatives agree too
    second = gradwork.autograd.grad(sum((g * g).sum() for g in grads), leaves, allow_unused=True)
    second_reference = gradwork.autograd.grad(
        sum((g * g).sum() for g in reference), leaves, allow_unused=True
    )
    for ours, theirs in zip(second, second_reference):
        if theirs is None or ours is None:
            for value in (ours, theirs):
                assert value is None or not value.detach().numpy().any()
            continue
        _close(ours, theirs, 1e-10)


@pytest.mark.parametrize("kind", ["rnn_tanh", "lstm", "gru"])
def test_fused_step_gradcheck(kind):
    arguments, leaves = _cell_inputs(kind, batch=2, features=2, hidden=2)
    x, state, w_ih, w_hh, b_ih, b_hh = arguments
    count = len(state)

    def function(*inputs):
        x, state, rest = inputs[0], inputs[1 : 1 + count], inputs[1 + count :]
        return _fused(kind, x, tuple(state), *rest)

    assert gradcheck(function, tuple(leaves))
    assert gradgradcheck(function, tuple(leaves))


def test_fused_step_first_order_frees_nothing_needed_twice():
    # the first-order backward reuses the forward's gates; backward twice needs retain_graph
    arguments, leaves = _cell_inputs("gru")
    out = _fused("gru", *arguments)[0].sum()
    out.backward(retain_graph=True)
    first = leaves[0].grad.numpy().copy()
    out.backward()
    np.testing.assert_allclose(leaves[0].grad.numpy(), 2 * first)


def test_cell_functions_check_their_arguments():
    x, h = gradwork.ones(2, 3), gradwork.zeros(2, 4)
    with pytest.raises(RuntimeError, match=r"gru_cell: expected w_ih of shape \(12, 3\)"):
        fused.gru_cell(x, h, gradwork.zeros(12, 2), gradwork.zeros(12, 4))
    with pytest.raises(RuntimeError, match="lstm_cell: expected input"):
        fused.lstm_cell(gradwork.ones(3), (h, h), gradwork.zeros(16, 3), gradwork.zeros(16, 4))
    with pytest.raises(TypeError, match="lstm_cell: expected hx to be a pair"):
        fused.lstm_cell(x, h, gradwork.zeros(16, 3), gradwork.zeros(16, 4))


# -- cells against PyTorch -------------------------------------------------------------------------
CELLS = [
    ("RNNCell", {}),
    ("RNNCell", {"nonlinearity": "relu", "bias": False}),
    ("LSTMCell", {}),
    ("LSTMCell", {"bias": False}),
    ("GRUCell", {}),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
@pytest.mark.parametrize("name, options", CELLS)
def test_cell_matches_torch(name, options, with_state, batched, dtype):
    tolerance = TOLERANCES[dtype]
    ours_class = {"RNNCell": RNNCell, "LSTMCell": LSTMCell, "GRUCell": GRUCell}[name]
    theirs = getattr(torch.nn, name)(4, 5, **options)
    ours = ours_class(4, 5, **options)
    _copy_weights(ours, theirs, dtype)
    rng = np.random.default_rng(3)
    lead = (3,) if batched else ()
    x, x_ref = _pair(rng.standard_normal(lead + (4,)).astype(dtype))
    leaves, references = [x], [x_ref]
    state = state_ref = None
    if with_state:
        pairs = [_pair(rng.standard_normal(lead + (5,)).astype(dtype)) for _ in range(2)]
        if name == "LSTMCell":
            state, state_ref = (pairs[0][0], pairs[1][0]), (pairs[0][1], pairs[1][1])
            leaves += list(state)
            references += list(state_ref)
        else:
            state, state_ref = pairs[0]
            leaves.append(state)
            references.append(state_ref)
    out, ref = ours(x, state), theirs(x_ref, state_ref)
    if name != "LSTMCell":
        out, ref = (out,), (ref,)
    for o, r in zip(out, ref):
        assert o.shape == tuple(r.shape) and o.dtype == OUR_DTYPES[dtype]
        _close(o, r, tolerance)
    sum((o * (k + 1.5)).sum() + (o * o).sum() for k, o in enumerate(out)).backward()
    sum((r * (k + 1.5)).sum() + (r * r).sum() for k, r in enumerate(ref)).backward()
    for leaf, reference in zip(leaves, references):
        _close(leaf.grad, reference.grad, tolerance)
    _check_parameter_grads(ours, theirs, tolerance)


# -- layers against PyTorch ------------------------------------------------------------------------
LAYERS = {"RNN": (RNN, torch.nn.RNN), "LSTM": (LSTM, torch.nn.LSTM), "GRU": (GRU, torch.nn.GRU)}
CONFIGS = [
    {},
    {"num_layers": 2, "bidirectional": True, "initial": True},
    {"num_layers": 3, "batch_first": True, "initial": True},
    {"num_layers": 2, "bidirectional": True, "batch_first": True, "bias": False},
    {"num_layers": 2, "bidirectional": True, "unbatched": True, "initial": True},
    {"unbatched": True},
]
LENGTH, BATCH, FEATURES, HIDDEN = 5, 3, 4, 6


def _run_layer(name, config, dtype, training_dropout=None, options=None):
    """Build both layers with the same weights and run them; return what the checks need."""
    config = dict(config)
    initial, unbatched = config.pop("initial", False), config.pop("unbatched", False)
    config.update(options or {})
    ours_class, theirs_class = LAYERS[name]
    theirs = theirs_class(FEATURES, HIDDEN, **config)
    ours = ours_class(FEATURES, HIDDEN, **config)
    _copy_weights(ours, theirs, dtype)
    if training_dropout is None:
        ours.eval(), theirs.eval()
    rng = np.random.default_rng(4)
    directions = 2 if config.get("bidirectional") else 1
    layers = config.get("num_layers", 1)
    if unbatched:
        shape, state_shape = (LENGTH, FEATURES), (directions * layers, HIDDEN)
    else:
        shape = (
            (BATCH, LENGTH, FEATURES) if config.get("batch_first") else (LENGTH, BATCH, FEATURES)
        )
        state_shape = (directions * layers, BATCH, HIDDEN)
    x, x_ref = _pair(rng.standard_normal(shape).astype(dtype))
    leaves, references = [x], [x_ref]
    state = state_ref = None
    if initial:
        count = 2 if name == "LSTM" else 1
        pairs = [_pair(rng.standard_normal(state_shape).astype(dtype)) for _ in range(count)]
        state = tuple(p[0] for p in pairs) if count == 2 else pairs[0][0]
        state_ref = tuple(p[1] for p in pairs) if count == 2 else pairs[0][1]
        leaves += [p[0] for p in pairs]
        references += [p[1] for p in pairs]
    out, final = ours(x, state)
    ref, final_ref = theirs(x_ref, state_ref)
    if name != "LSTM":
        final, final_ref = (final,), (final_ref,)
    return ours, theirs, (out, *final), (ref, *final_ref), leaves, references


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items())
)
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_layer_matches_torch(name, config, dtype):
    tolerance = TOLERANCES[dtype]
    ours, theirs, outputs, references, leaves, leaf_refs = _run_layer(name, config, dtype)
    for out, ref in zip(outputs, references):
        assert out.shape == tuple(ref.shape) and out.dtype == OUR_DTYPES[dtype]
        _close(out, ref, tolerance)
    rng = np.random.default_rng(5)
    weights = [rng.standard_normal(out.shape).astype(dtype) for out in outputs]
    sum(((o * gradwork.tensor(w)).sum() for o, w in zip(outputs, weights))).backward()
    sum(((r * torch.tensor(w)).sum() for r, w in zip(references, weights))).backward()
    for leaf, reference in zip(leaves, leaf_refs):
        _close(leaf.grad, reference.grad, tolerance * 10)
    _check_parameter_grads(ours, theirs, tolerance * 10)


def test_relu_rnn_matches_torch():
    options = {"nonlinearity": "relu", "num_layers": 2}
    ours, theirs, outputs, references, leaves, leaf_refs = _run_layer(
        "RNN", {"bidirectional": True}, np.float64, options=options
    )
    for out, ref in zip(outputs, references):
        _close(out, ref, 1e-9)
    outputs[0].sum().backward()
    references[0].sum().backward()
    _close(leaves[0].grad, leaf_refs[0].grad, 1e-9)
    _check_parameter_grads(ours, theirs, 1e-9)


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_dropout_between_layers(name):
    # with p = 1 every layer after the first sees zeros: deterministic, so PyTorch can check it
    config = {"num_layers": 3, "bidirectional": True, "dropout": 1.0}
    ours, theirs, outputs, references, leaves, leaf_refs = _run_layer(
        name, config, np.float64, training_dropout=True
    )
    for out, ref in zip(outputs, references):
        _close(out, ref, 1e-9)
    outputs[0].sum().backward()
    references[0].sum().backward()
    _check_parameter_grads(ours, theirs, 1e-9)
    # p = 0.5 in training changes the output; in eval mode dropout is off
    layer = LAYERS[name][0](FEATURES, HIDDEN, num_layers=2, dropout=0.5)
    x = gradwork.randn(LENGTH, BATCH, FEATURES)
    train_out = layer(x)[0].detach().numpy()
    layer.eval()
    eval_out = layer(x)[0].detach().numpy()
    np.testing.assert_allclose(layer(x)[0].detach().numpy(), eval_out)
    assert not np.allclose(train_out, eval_out)


def test_parameter_names_shapes_and_init_follow_torch():
    ours, theirs = (
        LSTM(3, 4, num_layers=2, bidirectional=True),
        torch.nn.LSTM(3, 4, 2, bidirectional=True),
    )
    assert [(n, p.shape) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()
    ]
    assert len(ours.all_weights) == 4 and len(ours.all_weights[0]) == 4
    bound = 1 / np.sqrt(4)
    values = np.concatenate([p.detach().numpy().ravel() for p in ours.parameters()])
    assert values.min() >= -bound and values.max() <= bound and values.std() > bound / 3
    cell = GRUCell(3, 4, bias=False)
    assert [n for n, _ in cell.named_parameters()] == ["weight_ih", "weight_hh"]
    assert cell.weight_ih.shape == (12, 3) and cell.bias_ih is None
    assert "bidirectional=True" in repr(ours) and "num_layers=2" in repr(ours)


def test_layer_errors_and_warnings():
    gru = GRU(4, 6, num_layers=2)
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size"):
        gru(gradwork.zeros(5, 3, 2))
    with pytest.raises(RuntimeError, match=r"GRU: Expected hidden size \(2, 3, 6\)"):
        gru(gradwork.zeros(5, 3, 4), gradwork.zeros(1, 3, 6))
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D"):
        gru(gradwork.zeros(4))
    with pytest.raises(TypeError, match="LSTM: expected hx to be a pair"):
        LSTM(4, 6)(gradwork.zeros(5, 3, 4), gradwork.zeros(1, 3, 6))
    with pytest.raises(RuntimeError, match="input dtype"):
        gru(gradwork.zeros(5, 3, 4, dtype=gradwork.float64))
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        LSTM(4, 6, dropout=0.3)
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        RNN(4, 6, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="Expected input to be 1D or 2D"):
        GRUCell(4, 6)(gradwork.zeros(2, 3, 4))


def test_training_lowers_the_loss():
    gradwork.manual_seed(0)
    model = LSTM(2, 8, batch_first=True)
    head = gradwork.nn.Parameter(gradwork.randn(8, 1) * 0.1)
    x = gradwork.randn(16, 6, 2)
    target = x[:, -1, :1]  # the last input's first feature
    parameters = [*model.parameters(), head]

    def loss():
        output, (h_n, _) = model(x)
        return ((h_n[0] @ head - target) ** 2).mean()

    first = loss()
    for _ in range(40):
        value = loss()
        grads = gradwork.autograd.grad(value, parameters)
        with gradwork.no_grad():
            for parameter, grad in zip(parameters, grads):
                parameter -= 0.3 * grad
    assert loss().item() < 0.25 * first.item()


# -- the whole-sequence GRU node ---------------------------------------------------------------
def _sequence_case(reverse: bool, bias: bool, seed: int = 0):
    rng = np.random.default_rng(seed)
    length, batch, hidden = 5, 3, 4
    gi = gradwork.tensor(rng.standard_normal((length, batch, 3 * hidden)), requires_grad=True)
    h0 = gradwork.tensor(rng.standard_normal((1, batch, hidden)), requires_grad=True)
    w_hh = gradwork.tensor(rng.standard_normal((3 * hidden, hidden)) * 0.5, requires_grad=True)
    b_hh = gradwork.tensor(rng.standard_normal(3 * hidden), requires_grad=True) if bias else None
    return gi, h0, w_hh, b_hh


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_gru_sequence_equals_a_loop_of_steps(reverse, bias):
    """GRUSequence's output and (fast and plain) gradients equal one GRUStep node per step."""
    from gradwork.autograd import engine

    gi, h0, w_hh, b_hh = _sequence_case(reverse, bias)
    inputs = [t for t in (gi, h0, w_hh, b_hh) if t is not None]
    length = gi.shape[0]
    h, states = h0[0], [None] * length
    for t in range(length - 1, -1, -1) if reverse else range(length):
        h = states[t] = fused.GRUStep.apply(gi[t], h, w_hh, b_hh)
    expected = gradwork.stack(states)
    vector = gradwork.tensor(np.random.default_rng(1).standard_normal(expected.shape))
    expected_grads = gradwork.autograd.grad(expected, inputs, vector)
    for fast in (True, False):
        previous = engine.settings.fast_backward
        engine.settings.fast_backward = fast
        try:
            output = fused.GRUSequence.apply(gi, h0, w_hh, b_hh, reverse)
            grads = gradwork.autograd.grad(output, inputs, vector)
        finally:
            engine.settings.fast_backward = previous
        np.testing.assert_allclose(output.detach().numpy(), expected.detach().numpy(), rtol=1e-13)
        for ours, theirs in zip(grads, expected_grads):
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("reverse", [False, True])
def test_gru_sequence_gradcheck_and_gradgradcheck(reverse):
    gi, h0, w_hh, b_hh = _sequence_case(reverse, True, seed=2)

    def function(*inputs):
        return fused.GRUSequence.apply(*inputs, reverse)

    assert gradcheck(function, (gi, h0, w_hh, b_hh))
    assert gradgradcheck(function, (gi, h0, w_hh, b_hh))


def _lstm_case(reverse: bool, bias: bool, seed: int = 0):
    rng = np.random.default_rng(seed)
    length, batch, hidden = 5, 3, 4
    gi = gradwork.tensor(rng.standard_normal((length, batch, 4 * hidden)), requires_grad=True)
    h0 = gradwork.tensor(rng.standard_normal((1, batch, hidden)), requires_grad=True)
    c0 = gradwork.tensor(rng.standard_normal((1, batch, hidden)), requires_grad=True)
    w_hh = gradwork.tensor(rng.standard_normal((4 * hidden, hidden)) * 0.5, requires_grad=True)
    b_hh = gradwork.tensor(rng.standard_normal(4 * hidden), requires_grad=True) if bias else None
    return gi, h0, c0, w_hh, b_hh


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("use_cell", [True, False])
def test_lstm_sequence_equals_a_loop_of_steps(reverse, bias, use_cell):
    """LSTMSequence's outputs and (fast and plain) gradients equal one LSTMStep node per step,
    with and without a gradient reaching the last cell state."""
    from gradwork.autograd import engine

    gi, h0, c0, w_hh, b_hh = _lstm_case(reverse, bias)
    inputs = [t for t in (gi, h0, c0, w_hh, b_hh) if t is not None]
    length = gi.shape[0]
    h, c, states = h0[0], c0[0], [None] * length
    for t in range(length - 1, -1, -1) if reverse else range(length):
        h, c = fused.LSTMStep.apply(gi[t], h, c, w_hh, b_hh)
        states[t] = h
    rng = np.random.default_rng(1)
    vector = gradwork.tensor(rng.standard_normal((length, 3, 4)))
    cell_vector = gradwork.tensor(rng.standard_normal((3, 4)))

    def loss(output, cell):
        total = (output * vector).sum()
        return total + (cell * cell_vector).sum() if use_cell else total

    expected_grads = gradwork.autograd.grad(loss(gradwork.stack(states), c), inputs)
    for fast in (True, False):
        previous = engine.settings.fast_backward
        engine.settings.fast_backward = fast
        try:
            output, cell = fused.LSTMSequence.apply(gi, h0, c0, w_hh, b_hh, reverse)
            grads = gradwork.autograd.grad(loss(output, cell[0]), inputs)
        finally:
            engine.settings.fast_backward = previous
        np.testing.assert_allclose(output.detach().numpy(), gradwork.stack(states).detach().numpy())
        np.testing.assert_allclose(cell[0].detach().numpy(), c.detach().numpy())
        for ours, theirs in zip(grads, expected_grads):
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_sequence_gradcheck_and_gradgradcheck(reverse):
    inputs = _lstm_case(reverse, True, seed=2)

    def function(*inputs):
        output, cell = fused.LSTMSequence.apply(*inputs, reverse)
        return output.sum(-1) + cell.sum()

    assert gradcheck(function, inputs)
    assert gradgradcheck(function, inputs)
