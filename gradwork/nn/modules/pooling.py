"""Pooling layers: ``MaxPool1d/2d``, ``AvgPool1d/2d``, ``AdaptiveAvgPool1d/2d``; each holds its
window settings and calls the functional op of :mod:`gradwork.ops.pool`."""

from __future__ import annotations

from gradwork.nn.module import Module
from gradwork.ops.pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from gradwork.tensor import Tensor

__all__ = [
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
]


class _MaxPoolNd(Module):
    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling: ``out[n, c, t] = max_k x[n, c, stride t + dilation k - padding]``.

    Args:
        kernel_size: the window size.
        stride: step between windows; defaults to ``kernel_size``.
        padding: implicit -inf on both sides, at most half the kernel size.
        dilation: spacing between window elements.
        return_indices: also return the index of each maximum.
        ceil_mode: round the output size up.

    Shape: ``(N, C, L)`` or ``(C, L)`` -> ``(N, C, L_out)`` with
    ``L_out = (L + 2 padding - dilation (kernel_size - 1) - 1) / stride + 1`` rounded down.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.MaxPool1d(2)(gradwork.tensor([[[1.0, 3.0, 2.0, 5.0]]]))
        tensor([[[3., 5.]]])
    """

    def forward(self, input: Tensor):
        return max_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            ceil_mode=self.ceil_mode,
            return_indices=self.return_indices,
        )


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling:
    ``out[n, c, h, w] = max_{i, j} x[n, c, s_h h + d_h i - p_h, s_w w + d_w j - p_w]``.

    Args:
        kernel_size: the window size, an int or a pair.
        stride: step between windows; defaults to ``kernel_size``.
        padding: implicit -inf on every side, at most half the kernel size.
        dilation: spacing between window elements.
        return_indices: also return the flat ``h * W + w`` index of each maximum.
        ceil_mode: round the output size up.

    Shape: ``(N, C, H, W)`` or ``(C, H, W)`` -> ``(N, C, H_out, W_out)`` with
    ``H_out = (H + 2 p - d (k - 1) - 1) / s + 1`` rounded down.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> pool = nn.MaxPool2d(3, stride=2)
        >>> pool
        MaxPool2d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)
        >>> pool(gradwork.randn(20, 16, 50, 32)).shape
        (20, 16, 24, 15)
    """

    def forward(self, input: Tensor):
        return max_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            ceil_mode=self.ceil_mode,
            return_indices=self.return_indices,
        )


def _single(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


class AvgPool1d(Module):
    """1-D average pooling: ``out[n, c, t] = (1 / k) sum_j x[n, c, stride t + j - padding]``.

    Args:
        kernel_size: the window size.
        stride: step between windows; defaults to ``kernel_size``.
        padding: implicit zeros on both sides, at most half the kernel size.
        ceil_mode: round the output size up.
        count_include_pad: count the padding zeros in the average.

    Shape: ``(N, C, L)`` or ``(C, L)`` -> ``(N, C, L_out)`` with
    ``L_out = (L + 2 padding - kernel_size) / stride + 1`` rounded down.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.AvgPool1d(3, stride=2)(gradwork.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]]]))
        tensor([[[2., 4., 6.]]])
    """

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return avg_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """2-D average pooling:
    ``out[n, c, h, w] = (1 / |window|) sum_{i, j} x[n, c, s_h h + i - p_h, s_w w + j - p_w]``.

    Args:
        kernel_size: the window size, an int or a pair.
        stride: step between windows; defaults to ``kernel_size``.
        padding: implicit zeros on every side, at most half the kernel size.
        ceil_mode: round the output size up.
        count_include_pad: count the padding zeros in the average.
        divisor_override: divide by this instead of the window size.

    Shape: ``(N, C, H, W)`` or ``(C, H, W)`` -> ``(N, C, H_out, W_out)`` with
    ``H_out = (H + 2 p - k) / s + 1`` rounded down.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> pool = nn.AvgPool2d((3, 2), stride=(2, 1))
        >>> pool
        AvgPool2d(kernel_size=(3, 2), stride=(2, 1), padding=0)
        >>> pool(gradwork.randn(20, 16, 50, 32)).shape
        (20, 16, 24, 31)
    """

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return avg_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool1d(Module):
    """1-D adaptive average pooling: window ``t`` averages ``x[floor(t L / out) :
    ceil((t + 1) L / out)]``, so any length becomes ``output_size``.

    Args:
        output_size: the output length.

    Shape: ``(N, C, L)`` or ``(C, L)`` -> ``(N, C, output_size)``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.AdaptiveAvgPool1d(5)(gradwork.randn(1, 64, 8)).shape
        (1, 64, 5)
    """

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return adaptive_avg_pool1d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(Module):
    """2-D adaptive average pooling: window ``(h, w)`` averages rows ``floor(h H / out_h)`` to
    ``ceil((h + 1) H / out_h)`` (columns likewise), so any size becomes ``output_size``.

    Args:
        output_size: an int or a pair; ``None`` in a pair keeps that input size.

    Shape: ``(N, C, H, W)`` or ``(C, H, W)`` -> ``(N, C, out_h, out_w)``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.AdaptiveAvgPool2d((5, 7))(gradwork.randn(1, 64, 8, 9)).shape
        (1, 64, 5, 7)
        >>> nn.AdaptiveAvgPool2d(1)(gradwork.randn(1, 64, 8, 9)).shape
        (1, 64, 1, 1)
    """

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
