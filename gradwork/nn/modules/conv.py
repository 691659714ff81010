"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose1d``, ``ConvTranspose2d``, with
PyTorch's parameter names, shapes, initialisation, padding modes and repr."""

from __future__ import annotations

import math
import numbers

from gradwork._creation import empty
from gradwork.nn import init
from gradwork.nn.module import Module
from gradwork.nn.parameter import Parameter
from gradwork.ops._util import check, check_tensor, format_shape
from gradwork.ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from gradwork.ops.movement import pad
from gradwork.tensor import Tensor

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(value, n: int, name: str) -> tuple:
    if isinstance(value, numbers.Integral):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) != n:
        raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {value}")
    return value


class _ConvNd(Module):
    """Parameters, initialisation, checks and repr shared by the convolution layers."""

    _dims: int
    _transposed: bool = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride,
        padding,
        dilation,
        groups: int,
        bias: bool,
        padding_mode: str,
        output_padding=0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        name, dims = type(self).__name__, self._dims
        if not isinstance(groups, numbers.Integral) or groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups}")
        if in_channels % groups != 0:
            raise ValueError(f"{name}: in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError(f"{name}: out_channels must be divisible by groups")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"{name}: padding_mode must be one of {list(_PADDING_MODES)}, got '{padding_mode}'"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _ntuple(kernel_size, dims, "kernel_size")
        self.stride = _ntuple(stride, dims, "stride")
        self.dilation = _ntuple(dilation, dims, "dilation")
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(
                    f"{name}: invalid padding string '{padding}', should be one of "
                    "['valid', 'same']"
                )
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(
                    f"{name}: padding='same' is not supported for strided convolutions"
                )
            self.padding = padding
        else:
            self.padding = _ntuple(padding, dims, "padding")
        self.output_padding = _ntuple(output_padding, dims, "output_padding")
        self.transposed = self._transposed
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's order: last dimension first, (before, after) for each
        if self.padding == "same":
            self._reversed_padding_repeated_twice = []
            for d, k in zip(reversed(self.dilation), reversed(self.kernel_size)):
                total = d * (k - 1)
                self._reversed_padding_repeated_twice += [total // 2, total - total // 2]
        elif self.padding == "valid":
            self._reversed_padding_repeated_twice = [0, 0] * dims
        else:
            self._reversed_padding_repeated_twice = [
                p for p in reversed(self.padding) for _ in "ab"
            ]
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(empty(*shape, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: ``kaiming_uniform_(a=sqrt(5))`` for the weight (U(-1/sqrt(fan_in),
        1/sqrt(fan_in))) and U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in != 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _check_input(self, input: Tensor) -> None:
        check_tensor(input, self._get_name())
        dims, channels = self._dims, self.in_channels
        spatial = "L" if dims == 1 else "H, W"
        if not (input.ndim in (dims + 1, dims + 2) and input.shape[-dims - 1] == channels):
            raise RuntimeError(
                f"{self!r}: expected input of shape (N, {channels}, {spatial}) or ({channels}, "
                f"{spatial}) (in_channels={channels}), got {format_shape(input.shape)}"
            )

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        s += f", stride={self.stride}"
        if self.padding != (0,) * self._dims:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._dims:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._dims:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            device=device,
            dtype=dtype,
        )

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        convolution = conv1d if self._dims == 1 else conv2d
        if self.padding_mode != "zeros":
            padded = pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return convolution(
                padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups
            )
        return convolution(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )


class Conv1d(_Conv):
    """1-D convolution (cross-correlation) over ``(N, C_in, L)``:
    ``out[n, o] = b[o] + sum_c w[o, c] * x[n, c]`` with ``*`` the sliding dot product.

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size: an int or a 1-tuple.
        stride: step between windows. Default: 1.
        padding: an int, a 1-tuple, ``'valid'`` or ``'same'`` (stride 1 only). Default: 0.
        dilation: spacing between kernel elements. Default: 1.
        groups: split the channels into independent groups. Default: 1.
        bias: learn a per-channel bias. Default: ``True``.
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
        device, dtype: where and in what precision the parameters are created.

    Attributes:
        weight: ``(out_channels, in_channels / groups, kernel_size)``, initialised U(-k, k)
            with ``k = 1 / sqrt(in_channels / groups * kernel_size)``.
        bias: ``(out_channels,)`` from the same interval, or None.

    Shape: ``(N, C_in, L)`` or ``(C_in, L)`` -> ``(N, C_out, L_out)`` with
    ``L_out = (L + 2 padding - dilation (kernel_size - 1) - 1) // stride + 1``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> layer = nn.Conv1d(16, 33, 3, stride=2)
        >>> layer
        Conv1d(16, 33, kernel_size=(3,), stride=(2,))
        >>> layer(gradwork.randn(20, 16, 50)).shape
        (20, 33, 24)
    """

    _dims = 1


class Conv2d(_Conv):
    """2-D convolution (cross-correlation) over ``(N, C_in, H, W)``:
    ``out[n, o] = b[o] + sum_c w[o, c] * x[n, c]`` with ``*`` the 2-D sliding dot product.

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size: an int or a pair.
        stride: step between windows. Default: 1.
        padding: an int, a pair, ``'valid'`` or ``'same'`` (stride 1 only). Default: 0.
        dilation: spacing between kernel elements. Default: 1.
        groups: split the channels into independent groups. Default: 1.
        bias: learn a per-channel bias. Default: ``True``.
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
        device, dtype: where and in what precision the parameters are created.

    Attributes:
        weight: ``(out_channels, in_channels / groups, kH, kW)``, initialised U(-k, k) with
            ``k = 1 / sqrt(in_channels / groups * kH * kW)``.
        bias: ``(out_channels,)`` from the same interval, or None.

    Shape: ``(N, C_in, H, W)`` or ``(C_in, H, W)`` -> ``(N, C_out, H_out, W_out)`` with
    ``H_out = (H + 2 padding - dilation (kH - 1) - 1) // stride + 1``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> layer = nn.Conv2d(16, 33, (3, 5), stride=(2, 1), padding=(4, 2), bias=False)
        >>> layer
        Conv2d(16, 33, kernel_size=(3, 5), stride=(2, 1), padding=(4, 2), bias=False)
        >>> layer(gradwork.randn(2, 16, 20, 10)).shape
        (2, 33, 13, 10)
    """

    _dims = 2


class _ConvTranspose(_ConvNd):
    _transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        if padding_mode != "zeros":
            raise ValueError(
                f'Only "zeros" padding mode is supported for {type(self).__name__}, got '
                f"'{padding_mode}'"
            )
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple")
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            output_padding,
            device=device,
            dtype=dtype,
        )

    def _output_padding(self, input: Tensor, output_size) -> tuple:
        """The output padding that makes the output ``output_size`` (PyTorch's rule)."""
        if output_size is None:
            return self.output_padding
        dims = self._dims
        output_size = tuple(int(size) for size in output_size)
        if len(output_size) == dims + 2 or (
            len(output_size) == dims + 1 and input.ndim == dims + 1
        ):
            output_size = output_size[-dims:]
        check(
            len(output_size) == dims,
            repr(self),
            f"output_size must have {dims} or {dims + 2} elements, got {len(output_size)}",
            ValueError,
        )
        result = []
        for d in range(dims):
            size = input.shape[input.ndim - dims + d]
            smallest = (
                (size - 1) * self.stride[d]
                - 2 * self.padding[d]
                + self.dilation[d] * (self.kernel_size[d] - 1)
                + 1
            )
            largest = smallest + self.stride[d] - 1
            check(
                smallest <= output_size[d] <= largest,
                repr(self),
                f"requested an output size of {output_size}, but valid sizes range from "
                f"{smallest} to {largest} (for an input of {format_shape(input.shape)})",
                ValueError,
            )
            result.append(output_size[d] - smallest)
        return tuple(result)

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        self._check_input(input)
        output_padding = self._output_padding(input, output_size)
        convolution = conv_transpose1d if self._dims == 1 else conv_transpose2d
        return convolution(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution, the gradient of :class:`Conv1d` with respect to its input:
    each input position scatters ``x[n, c, t] * w[c, o, k]`` to ``out[n, o, s t + d k - p]``.

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size: an int or a 1-tuple.
        stride: Default: 1.
        padding: removed from both ends of the output (``dilation (kernel_size - 1) - padding``
            zeros pad the input of the equivalent convolution). Default: 0.
        output_padding: extra size added to one end of the output. Default: 0.
        groups: independent groups of channels. Default: 1.
        bias: learn a per-channel bias. Default: ``True``.
        dilation: spacing between kernel elements. Default: 1.
        padding_mode: only ``'zeros'``.
        device, dtype: where and in what precision the parameters are created.

    Attributes:
        weight: ``(in_channels, out_channels / groups, kernel_size)``, initialised U(-k, k)
            with ``k = 1 / sqrt(out_channels / groups * kernel_size)`` (PyTorch's fan-in).
        bias: ``(out_channels,)`` from the same interval, or None.

    Shape: ``(N, C_in, L)`` -> ``(N, C_out, L_out)`` with
    ``L_out = (L - 1) stride - 2 padding + dilation (kernel_size - 1) + output_padding + 1``;
    ``forward(input, output_size)`` picks ``output_padding`` to reach ``output_size``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> layer = nn.ConvTranspose1d(16, 33, 3, stride=2)
        >>> layer(gradwork.randn(20, 16, 50)).shape
        (20, 33, 101)
    """

    _dims = 1


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution, the gradient of :class:`Conv2d` with respect to its input:
    each input pixel scatters ``x[n, c, h, w] * w[c, o, i, j]`` to
    ``out[n, o, s h + d i - p, s w + d j - p]``.

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size: an int or a pair.
        stride: Default: 1.
        padding: removed from both sides of each output dimension. Default: 0.
        output_padding: extra size added to one side of each output dimension. Default: 0.
        groups: independent groups of channels. Default: 1.
        bias: learn a per-channel bias. Default: ``True``.
        dilation: spacing between kernel elements. Default: 1.
        padding_mode: only ``'zeros'``.
        device, dtype: where and in what precision the parameters are created.

    Attributes:
        weight: ``(in_channels, out_channels / groups, kH, kW)``, initialised U(-k, k) with
            ``k = 1 / sqrt(out_channels / groups * kH * kW)`` (PyTorch's fan-in).
        bias: ``(out_channels,)`` from the same interval, or None.

    Shape: ``(N, C_in, H, W)`` -> ``(N, C_out, H_out, W_out)`` with
    ``H_out = (H - 1) stride - 2 padding + dilation (kH - 1) + output_padding + 1``;
    ``forward(input, output_size)`` picks ``output_padding`` to reach ``output_size``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> down = nn.Conv2d(16, 16, 3, stride=2, padding=1)
        >>> up = nn.ConvTranspose2d(16, 16, 3, stride=2, padding=1)
        >>> x = gradwork.randn(1, 16, 12, 12)
        >>> h = down(x)
        >>> h.shape, up(h).shape, up(h, output_size=x.shape).shape
        ((1, 16, 6, 6), (1, 16, 11, 11), (1, 16, 12, 12))
    """

    _dims = 2
