"""Recurrent layers: ``RNNCell``, ``LSTMCell``, ``GRUCell`` and the multi-layer ``RNN``, ``LSTM``,
``GRU``, with PyTorch's parameter names, shapes, gate order and initialisation.

A layer projects the whole input sequence with one GEMM (``x W_ih^T + b_ih`` for all steps), then
runs one fused step per time step (:mod:`gradwork.ops.rnn`), so a step is a single graph node.
"""

from __future__ import annotations

import math
import numbers
import warnings

from gradwork._creation import empty, zeros
from gradwork.nn import init
from gradwork.nn.module import Module
from gradwork.nn.parameter import Parameter
from gradwork.ops._util import check, check_floating, check_tensor, format_shape
from gradwork.ops.linalg import linear
from gradwork.ops.movement import Cat, Split
from gradwork.ops.nn import dropout
from gradwork.ops.rnn import (
    GRUSequence,
    LSTMSequence,
    RNNStep,
    gru_cell,
    lstm_cell,
    rnn_relu_cell,
    rnn_tanh_cell,
)
from gradwork.tensor import Tensor

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell", "RNNBase", "RNN", "LSTM", "GRU"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _uniform_init(module: Module, hidden_size: int) -> None:
    """PyTorch's RNN init: every weight and bias from U(-1/sqrt(H), 1/sqrt(H))."""
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0
    for parameter in module.parameters():
        init.uniform_(parameter, -bound, bound)


def _check_sizes(op: str, input_size: int, hidden_size: int) -> None:
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool):
            raise TypeError(f"{op}: {name} should be of type int, got: {type(value).__name__}")
    check(hidden_size > 0, op, "hidden_size must be greater than zero", ValueError)


# -- cells ---------------------------------------------------------------------------------------
class RNNCellBase(Module):
    """Parameters shared by the cells: ``weight_ih (G*H, H_in)``, ``weight_hh (G*H, H)``,
    ``bias_ih``, ``bias_hh (G*H,)`` for ``G`` gates, all from U(-1/sqrt(H), 1/sqrt(H))."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        _check_sizes(type(self).__name__, input_size, hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(empty(gates, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(empty(gates, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(empty(gates, dtype=dtype, device=device))
            self.bias_hh = Parameter(empty(gates, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        _uniform_init(self, self.hidden_size)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text

    def _batched(self, input: Tensor, hx: Tensor | None) -> tuple:
        """``(input, hx, batched)`` with a batch dimension added to unbatched input and state."""
        op = type(self).__name__
        check_tensor(input, op)
        check_floating(input, op)
        check(
            input.ndim in (1, 2),
            op,
            f"Expected input to be 1D or 2D, got {input.ndim}D instead",
            ValueError,
        )
        check(
            input.shape[-1] == self.input_size,
            op,
            f"input of shape {format_shape(input.shape)} has {input.shape[-1]} features, "
            f"expected input_size={self.input_size}",
        )
        batched = input.ndim == 2
        if hx is not None:
            check_tensor(hx, op, "hx")
            check(
                hx.ndim == input.ndim,
                op,
                f"expected hx with {input.ndim} dimensions like the input, got shape "
                f"{format_shape(hx.shape)}",
            )
        if not batched:
            input = input.unsqueeze(0)
            hx = None if hx is None else hx.unsqueeze(0)
        if hx is None:
            hx = zeros(input.shape[0], self.hidden_size, dtype=input.dtype, device=input.device)
        return input, hx, batched


class RNNCell(RNNCellBase):
    """An Elman RNN cell: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or ReLU).

    Args:
        input_size: features of the input ``x``.
        hidden_size: features of the hidden state ``h``.
        bias: whether to use ``b_ih`` and ``b_hh``. Default: ``True``.
        nonlinearity: ``'tanh'`` or ``'relu'``. Default: ``'tanh'``.

    Shape: input ``(N, H_in)`` or ``(H_in)``, hx ``(N, H)`` or ``(H)`` (zeros if omitted) ->
    ``h'`` ``(N, H)`` or ``(H)``.

    Example:
        >>> import gradwork
        >>> from gradwork.nn.modules.rnn import RNNCell
        >>> cell = RNNCell(3, 5)
        >>> h = cell(gradwork.randn(2, 3))
        >>> cell(gradwork.randn(2, 3), h).shape
        (2, 5)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device=None,
        dtype=None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity!r}; expected 'tanh' or 'relu'")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, hx, batched = self._batched(input, hx)
        cell = rnn_tanh_cell if self.nonlinearity == "tanh" else rnn_relu_cell
        h = cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """A long short-term memory cell (Hochreiter and Schmidhuber, 1997):

    ``i, f, g, o`` = the four quarters of ``x W_ih^T + b_ih + h W_hh^T + b_hh``;
    ``c' = sigmoid(f) * c + sigmoid(i) * tanh(g)``, ``h' = sigmoid(o) * tanh(c')``.

    Args:
        input_size: features of the input ``x``.
        hidden_size: features of ``h`` and ``c``.
        bias: whether to use ``b_ih`` and ``b_hh``. Default: ``True``.

    Shape: input ``(N, H_in)`` or ``(H_in)``, hx ``(h, c)`` each ``(N, H)`` or ``(H)`` (zeros if
    omitted) -> ``(h', c')`` of the same shapes.

    Example:
        >>> import gradwork
        >>> from gradwork.nn.modules.rnn import LSTMCell
        >>> cell = LSTMCell(3, 5)
        >>> h, c = cell(gradwork.randn(2, 3))
        >>> h.shape, c.shape
        ((2, 5), (2, 5))
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple:
        check(
            hx is None or (isinstance(hx, (tuple, list)) and len(hx) == 2),
            "LSTMCell",
            "expected hx to be a pair (h, c)",
            TypeError,
        )
        h, c = (None, None) if hx is None else hx
        _, c, _ = self._batched(input, c)
        input, h, batched = self._batched(input, h)
        h, c = lstm_cell(input, (h, c), self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """A gated recurrent unit cell (Cho et al., 2014): with ``gi = x W_ih^T + b_ih`` and
    ``gh = h W_hh^T + b_hh`` split into ``r, z, n`` thirds,

    ``r = sigmoid(gi_r + gh_r)``, ``z = sigmoid(gi_z + gh_z)``, ``n = tanh(gi_n + r * gh_n)``,
    ``h' = (1 - z) * n + z * h``.

    Args:
        input_size: features of the input ``x``.
        hidden_size: features of the hidden state ``h``.
        bias: whether to use ``b_ih`` and ``b_hh``. Default: ``True``.

    Shape: input ``(N, H_in)`` or ``(H_in)``, hx ``(N, H)`` or ``(H)`` (zeros if omitted) ->
    ``h'`` ``(N, H)`` or ``(H)``.

    Example:
        >>> import gradwork
        >>> from gradwork.nn.modules.rnn import GRUCell
        >>> cell = GRUCell(3, 5)
        >>> cell(gradwork.randn(3)).shape
        (5,)
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, hx, batched = self._batched(input, hx)
        h = gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h if batched else h.squeeze(0)


# -- multi-layer recurrent networks ---------------------------------------------------------------
class RNNBase(Module):
    """The multi-layer, optionally bidirectional recurrence shared by ``RNN``, ``LSTM``, ``GRU``.

    Layer ``k`` direction ``d`` owns ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
    ``bias_hh_l{k}`` (suffix ``_reverse`` for the backward direction), as in PyTorch. Layer ``k
    > 0`` reads the concatenated outputs of both directions of layer ``k - 1``, after dropout.
    """

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        _check_sizes(name, input_size, hidden_size)
        check(
            isinstance(num_layers, numbers.Integral) and num_layers > 0,
            name,
            f"num_layers must be a positive integer, got {num_layers}",
            ValueError,
        )
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Number):
            raise ValueError(f"{name}: dropout should be a number in range [0, 1], got {dropout}")
        check(
            0 <= dropout <= 1, name, f"dropout should be in range [0, 1], got {dropout}", ValueError
        )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}",
                stacklevel=3,
            )
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        directions = 2 if bidirectional else 1
        gates = _GATES[mode] * hidden_size
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (gates, layer_input)), ("weight_hh", (gates, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gates,)), ("bias_hh", (gates,))]
                for prefix, shape in shapes:
                    parameter = Parameter(empty(*shape, dtype=dtype, device=device))
                    setattr(self, prefix + suffix, parameter)
                    self._flat_weights_names.append(prefix + suffix)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        _uniform_init(self, self.hidden_size)

    def flatten_parameters(self) -> None:
        """Does nothing: PyTorch compacts weights for cuDNN here; gradwork needs no such step."""

    @property
    def all_weights(self) -> list:
        """Per layer and direction, the list ``[weight_ih, weight_hh, bias_ih, bias_hh]``."""
        per = 4 if self.bias else 2
        weights = [getattr(self, name) for name in self._flat_weights_names]
        return [weights[start : start + per] for start in range(0, len(weights), per)]

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text

    # -- forward --------------------------------------------------------------------------------
    def _initial_states(self, hx, input: Tensor, batched: bool) -> list:
        """Per layer and direction, the initial state as a tuple of ``(1, N, H)`` tensors."""
        op = type(self).__name__
        count = self.num_layers * (2 if self.bidirectional else 1)
        parts = 2 if self.mode == "LSTM" else 1
        batch = input.shape[1]
        if hx is None:
            state = zeros(1, batch, self.hidden_size, dtype=input.dtype, device=input.device)
            return [(state,) * parts] * count
        if parts == 2:
            check(
                isinstance(hx, (tuple, list)) and len(hx) == 2,
                op,
                "expected hx to be a pair (h_0, c_0)",
                TypeError,
            )
        else:
            hx = (hx,)
        expected = (count, batch, self.hidden_size) if batched else (count, self.hidden_size)
        pieces = []
        for name, state in zip(("h_0", "c_0"), hx):
            check_tensor(state, op, name)
            check(
                state.shape == expected,
                op,
                f"Expected hidden size {format_shape(expected)} for {name}, got "
                f"{format_shape(state.shape)}",
            )
            check(
                state.dtype == input.dtype,
                op,
                f"expected {name} of dtype {input.dtype} like the input, got {state.dtype}",
            )
            if not batched:
                state = state.unsqueeze(1)
            pieces.append(Split.apply(state, 0, (1,) * count))  # count x (1, N, H)
        return list(zip(*pieces))

    def _direction(self, input: Tensor, state: tuple, weights: list, reverse: bool) -> tuple:
        """Run one direction of one layer over ``input (L, N, H_in)``: ``(output, last state)``."""
        w_ih, w_hh = weights[0], weights[1]
        b_ih, b_hh = (weights[2], weights[3]) if self.bias else (None, None)
        length = input.shape[0]
        gates_in = linear(input, w_ih, b_ih)  # (L, N, G): one GEMM for every step
        if self.mode == "GRU":  # one node for the whole sequence
            output = GRUSequence.apply(gates_in, state[0], w_hh, b_hh, reverse)
            return output, (output[:1] if reverse else output[-1:],)
        if self.mode == "LSTM":
            output, cell = LSTMSequence.apply(gates_in, state[0], state[1], w_hh, b_hh, reverse)
            return output, (output[:1] if reverse else output[-1:], cell)
        nonlinearity = "tanh" if self.mode == "RNN_TANH" else "relu"
        steps = Split.apply(gates_in, 0, (1,) * length)  # L x (1, N, G)
        outputs = [None] * length
        h = state[0]
        for t in range(length - 1, -1, -1) if reverse else range(length):
            h = outputs[t] = RNNStep.apply(steps[t], h, w_hh, b_hh, nonlinearity)
        return Cat.apply(0, *outputs), (h,)  # (L, N, H)

    def _run(self, input: Tensor, hx) -> tuple:
        """The checked forward pass: ``(output, final states as tuples of (D*layers, N, H))``."""
        op = type(self).__name__
        check_tensor(input, op)
        check_floating(input, op)
        check(
            input.ndim in (2, 3),
            op,
            f"Expected input to be 2D or 3D, got {input.ndim}D tensor instead",
            ValueError,
        )
        check(
            input.shape[-1] == self.input_size,
            op,
            f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
            f"{input.shape[-1]}",
        )
        weight = getattr(self, self._flat_weights_names[0])
        check(
            input.dtype == weight.dtype,
            op,
            f"input dtype {input.dtype} does not match the parameters' dtype {weight.dtype}",
        )
        batched = input.ndim == 3
        if not batched:
            input = input.unsqueeze(1)  # (L, 1, H_in)
        elif self.batch_first:
            input = input.transpose(0, 1)  # (L, N, H_in)
        check(input.shape[0] > 0, op, "expected a sequence of length at least 1")
        states = self._initial_states(hx, input, batched)
        weights = self.all_weights
        directions = 2 if self.bidirectional else 1
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                output, state = self._direction(input, states[index], weights[index], direction)
                outputs.append(output)
                finals.append(state)
            input = outputs[0] if directions == 1 else Cat.apply(2, *outputs)  # (L, N, D*H)
            if self.dropout and self.training and layer < self.num_layers - 1:
                input = dropout(input, self.dropout, True)
        finals = tuple(Cat.apply(0, *parts) for parts in zip(*finals))  # (D*layers, N, H) each
        if not batched:
            return input.squeeze(1), tuple(state.squeeze(1) for state in finals)
        if self.batch_first:
            input = input.transpose(0, 1)  # (N, L, D*H)
        return input, finals


class RNN(RNNBase):
    """A multi-layer Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``.

    Args:
        input_size: features of the input ``x``.
        hidden_size: features of the hidden state ``h``.
        num_layers: recurrent layers stacked. Default: 1.
        nonlinearity: ``'tanh'`` or ``'relu'``. Default: ``'tanh'``.
        bias: whether to use ``b_ih`` and ``b_hh``. Default: ``True``.
        batch_first: input and output are ``(N, L, *)`` rather than ``(L, N, *)`` (not ``h_n``).
        dropout: dropout on the outputs of each layer except the last. Default: 0.
        bidirectional: also run the sequence backwards and concatenate. Default: ``False``.

    Shape: input ``(L, N, H_in)`` (``(N, L, H_in)`` if ``batch_first``) or ``(L, H_in)``; h_0
    ``(D * num_layers, N, H)`` or ``(D * num_layers, H)``, zeros if omitted, ``D = 2`` if
    bidirectional else 1 -> output ``(L, N, D * H)`` and h_n like h_0.

    Example:
        >>> import gradwork
        >>> from gradwork.nn.modules.rnn import RNN
        >>> rnn = RNN(3, 5, num_layers=2)
        >>> output, h_n = rnn(gradwork.randn(7, 2, 3))
        >>> output.shape, h_n.shape
        ((7, 2, 5), (2, 2, 5))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity {nonlinearity!r}; expected 'tanh' or 'relu'")
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(
            mode,
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device,
            dtype,
        )
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple:
        output, (h_n,) = self._run(input, hx)
        return output, h_n


class LSTM(RNNBase):
    """A multi-layer LSTM (Hochreiter and Schmidhuber, 1997); each step, with gates ``i, f, g,
    o`` the quarters of ``x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh``:
    ``c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g)``, ``h_t = sigmoid(o) * tanh(c_t)``.

    Args:
        input_size: features of the input ``x``.
        hidden_size: features of ``h`` and ``c``.
        num_layers: recurrent layers stacked. Default: 1.
        bias: whether to use ``b_ih`` and ``b_hh``. Default: ``True``.
        batch_first: input and output are ``(N, L, *)`` rather than ``(L, N, *)`` (not the states).
        dropout: dropout on the outputs of each layer except the last. Default: 0.
        bidirectional: also run the sequence backwards and concatenate. Default: ``False``.
        proj_size: only 0 (no projection) is supported.

    Shape: input ``(L, N, H_in)`` (``(N, L, H_in)`` if ``batch_first``) or ``(L, H_in)``;
    ``(h_0, c_0)`` each ``(D * num_layers, N, H)`` or ``(D * num_layers, H)``, zeros if omitted
    -> output ``(L, N, D * H)`` and ``(h_n, c_n)`` like the initial states.

    Example:
        >>> import gradwork
        >>> from gradwork.nn.modules.rnn import LSTM
        >>> lstm = LSTM(3, 5, batch_first=True, bidirectional=True)
        >>> output, (h_n, c_n) = lstm(gradwork.randn(2, 7, 3))
        >>> output.shape, h_n.shape, c_n.shape
        ((2, 7, 10), (2, 2, 5), (2, 2, 5))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        if proj_size != 0:
            raise NotImplementedError("LSTM: proj_size > 0 is not supported by gradwork")
        super().__init__(
            "LSTM",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device,
            dtype,
        )

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple:
        output, (h_n, c_n) = self._run(input, hx)
        return output, (h_n, c_n)


class GRU(RNNBase):
    """A multi-layer GRU (Cho et al., 2014); each step, with ``gi = x_t W_ih^T + b_ih`` and
    ``gh = h_{t-1} W_hh^T + b_hh`` split into ``r, z, n`` thirds:
    ``r = sigmoid(gi_r + gh_r)``, ``z = sigmoid(gi_z + gh_z)``, ``n = tanh(gi_n + r * gh_n)``,
    ``h_t = (1 - z) * n + z * h_{t-1}``.

    Args:
        input_size: features of the input ``x``.
        hidden_size: features of the hidden state ``h``.
        num_layers: recurrent layers stacked. Default: 1.
        bias: whether to use ``b_ih`` and ``b_hh``. Default: ``True``.
        batch_first: input and output are ``(N, L, *)`` rather than ``(L, N, *)`` (not ``h_n``).
        dropout: dropout on the outputs of each layer except the last. Default: 0.
        bidirectional: also run the sequence backwards and concatenate. Default: ``False``.

    Shape: input ``(L, N, H_in)`` (``(N, L, H_in)`` if ``batch_first``) or ``(L, H_in)``; h_0
    ``(D * num_layers, N, H)`` or ``(D * num_layers, H)``, zeros if omitted -> output
    ``(L, N, D * H)`` and h_n like h_0.

    Example:
        >>> import gradwork
        >>> from gradwork.nn.modules.rnn import GRU
        >>> gru = GRU(3, 5, num_layers=2)
        >>> output, h_n = gru(gradwork.randn(7, 3))  # unbatched
        >>> output.shape, h_n.shape
        ((7, 5), (2, 5))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            "GRU",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device,
            dtype,
        )

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple:
        output, (h_n,) = self._run(input, hx)
        return output, h_n
