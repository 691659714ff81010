"""Affine layers: ``Identity``, ``Linear`` and ``Bilinear``, with PyTorch's parameter names,
shapes and initialisation (so state dicts load by name)."""

from __future__ import annotations

import math

from gradwork._creation import empty
from gradwork.nn import init
from gradwork.nn.module import Module
from gradwork.nn.parameter import Parameter
from gradwork.ops._util import check_tensor, format_shape
from gradwork.ops.linalg import linear
from gradwork.ops.nn import bilinear
from gradwork.tensor import Tensor

__all__ = ["Identity", "Linear", "Bilinear"]


class Identity(Module):
    """``y = x``: a placeholder that ignores its constructor arguments.

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.Identity(54, unused="argument")(gradwork.ones(2)).shape
        (2,)
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """Affine map ``y = x W^T + b``.

    Initialised as in PyTorch: ``W`` by ``kaiming_uniform_(a=sqrt(5))``, i.e.
    U(-1/sqrt(in_features), 1/sqrt(in_features)), and ``b`` from the same interval.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: learn an additive bias. Default: ``True``.
        device, dtype: where and in what precision the parameters are created.

    Attributes:
        weight: ``(out_features, in_features)``.
        bias: ``(out_features,)``, or None.

    Shape: ``(*, H_in) -> (*, H_out)``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> layer = nn.Linear(20, 30)
        >>> layer
        Linear(in_features=20, out_features=30, bias=True)
        >>> layer(gradwork.randn(128, 20)).shape
        (128, 30)
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty(out_features, in_features, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the weight and bias again from PyTorch's default distributions."""
        # a = sqrt(5) makes the bound gain * sqrt(3 / fan_in) equal 1 / sqrt(fan_in)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        check_tensor(input, self._get_name())
        shape = input.shape
        if not shape or shape[-1] != self.in_features:  # the message is built only on failure
            raise RuntimeError(
                f"{self!r}: expected input of shape (*, {self.in_features}) (last dimension "
                f"in_features), got {format_shape(shape)}"
            )
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Bilinear(Module):
    """Bilinear map ``y_k = x1^T A_k x2 + b_k``.

    Weight and bias are drawn from U(-1/sqrt(in1_features), 1/sqrt(in1_features)), as PyTorch.

    Args:
        in1_features: size of each first input sample.
        in2_features: size of each second input sample.
        out_features: size of each output sample.
        bias: learn an additive bias. Default: ``True``.
        device, dtype: where and in what precision the parameters are created.

    Attributes:
        weight: ``(out_features, in1_features, in2_features)``.
        bias: ``(out_features,)``, or None.

    Shape: ``(*, H_in1), (*, H_in2) -> (*, H_out)``.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> layer = nn.Bilinear(20, 30, 40)
        >>> layer(gradwork.randn(128, 20), gradwork.randn(128, 30)).shape
        (128, 40)
    """

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(
            empty(out_features, in1_features, in2_features, dtype=dtype, device=device)
        )
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the weight and bias again from U(-1/sqrt(in1_features), 1/sqrt(in1_features))."""
        bound = 1 / math.sqrt(self.weight.shape[1]) if self.weight.shape[1] > 0 else 0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        check_tensor(input1, self._get_name(), "input1")
        check_tensor(input2, self._get_name(), "input2")
        if not (
            input1.ndim >= 1
            and input1.shape[-1] == self.in1_features
            and input2.shape[:-1] == input1.shape[:-1]
            and input2.shape[-1:] == (self.in2_features,)
        ):
            raise RuntimeError(
                f"{self!r}: expected inputs of shapes (*, {self.in1_features}) and "
                f"(*, {self.in2_features}) with the same leading dimensions, got "
                f"{format_shape(input1.shape)} and {format_shape(input2.shape)}"
            )
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )
