"""Normalisation layers: ``BatchNorm1d/2d/3d``, ``InstanceNorm1d/2d``, ``LayerNorm``,
``GroupNorm`` and ``RMSNorm``, with PyTorch's parameters, buffers (running statistics and
``num_batches_tracked``), train/eval behaviour and repr."""

from __future__ import annotations

import numbers

from gradwork import _dtype
from gradwork._creation import empty, ones, tensor, zeros
from gradwork.autograd.grad_mode import no_grad
from gradwork.nn import init
from gradwork.nn.module import Module
from gradwork.nn.parameter import Parameter
from gradwork.ops._util import check_tensor, format_shape
from gradwork.ops.nn import layer_norm
from gradwork.ops.norm import batch_norm, group_norm, instance_norm, rms_norm
from gradwork.tensor import Tensor

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "LayerNorm",
    "GroupNorm",
    "RMSNorm",
]


# -- batch and instance norm ----------------------------------------------------------------------
class _NormBase(Module):
    """Per-channel ``weight`` (ones) and ``bias`` (zeros; unless ``bias=False``) when ``affine``;
    ``running_mean`` (zeros), ``running_var`` (ones) and ``num_batches_tracked`` (int64 0)
    buffers when ``track_running_stats``."""

    _expected_dims: tuple = ()
    _shape_text: str = ""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(empty(num_features, dtype=dtype, device=device))
            if bias:
                self.bias = Parameter(empty(num_features, dtype=dtype, device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(num_features, dtype=dtype, device=device))
            self.register_buffer(
                "num_batches_tracked", tensor(0, dtype=_dtype.int64, device=device)
            )
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked."""
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Reset the running statistics, the weight to ones and the bias to zeros."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input: Tensor) -> None:
        check_tensor(input, self._get_name())
        if input.ndim not in self._expected_dims:
            raise ValueError(
                f"{self!r}: expected {self._shape_text} input (got {input.ndim}D input of shape "
                f"{format_shape(input.shape)})"
            )

    def _load_from_state_dict(self, state_dict, prefix, missing_keys, unexpected_keys, errors):
        # state dicts from before num_batches_tracked existed (PyTorch < 0.4.1) still load
        key = prefix + "num_batches_tracked"
        if self.track_running_stats and key not in state_dict:
            state_dict = {**state_dict, key: self.num_batches_tracked}
        super()._load_from_state_dict(state_dict, prefix, missing_keys, unexpected_keys, errors)

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class _BatchNorm(_NormBase):
    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        if input.shape[1] != self.num_features:
            raise RuntimeError(
                f"{self!r}: expected input with {self.num_features} channels (dimension 1), got "
                f"shape {format_shape(input.shape)}"
            )
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:  # a cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.item())
        # eval without running statistics normalises with the batch's own
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep_running = not self.training or self.track_running_stats
        return batch_norm(
            input,
            self.running_mean if keep_running else None,
            self.running_var if keep_running else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
        )


_BATCH_NORM_ARGS = """
    Args:
        num_features: ``C``, the number of channels.
        eps: added to the variance. Default: 1e-5.
        momentum: weight of the batch statistic in the running averages ``running = (1 -
            momentum) running + momentum batch``; ``None`` gives a cumulative (equal-weight)
            average. Default: 0.1.
        affine: learn a per-channel ``weight`` and ``bias``. Default: ``True``.
        track_running_stats: keep running averages of the batch mean and unbiased variance and
            use them in eval mode; without them eval mode uses the batch statistics too.
        device, dtype: where and in what precision the parameters and buffers are created.
        bias: (keyword) learn the bias too when ``affine``. Default: ``True``.
"""


class BatchNorm1d(_BatchNorm):
    __doc__ = (
        """Batch normalisation over ``(N, C)`` or ``(N, C, L)`` (Ioffe & Szegedy, 2015):
    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias`` per channel.

    In training mode the statistics come from the batch (biased variance) and update the
    running averages (with the unbiased variance, as PyTorch); in eval mode the running
    averages normalise.
"""
        + _BATCH_NORM_ARGS
        + """
    Shape: ``(N, C)`` or ``(N, C, L)`` -> the same.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> layer = nn.BatchNorm1d(3)
        >>> layer
        BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
        >>> y = layer(gradwork.randn(8, 3))
        >>> bool(y.mean(0).abs().max() < 1e-6), int(layer.num_batches_tracked)
        (True, 1)
    """
    )

    _expected_dims = (2, 3)
    _shape_text = "2D or 3D"


class BatchNorm2d(_BatchNorm):
    __doc__ = (
        """Batch normalisation over ``(N, C, H, W)`` (Ioffe & Szegedy, 2015):
    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias``, statistics per channel over
    ``(N, H, W)``.

    In training mode the statistics come from the batch (biased variance) and update the
    running averages (with the unbiased variance, as PyTorch); in eval mode the running
    averages normalise.
"""
        + _BATCH_NORM_ARGS
        + """
    Shape: ``(N, C, H, W)`` -> the same.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> layer = nn.BatchNorm2d(4, momentum=None, affine=False)
        >>> _ = layer(gradwork.randn(2, 4, 5, 5))
        >>> sorted(layer.state_dict())
        ['num_batches_tracked', 'running_mean', 'running_var']
    """
    )

    _expected_dims = (4,)
    _shape_text = "4D"


class BatchNorm3d(_BatchNorm):
    __doc__ = (
        """Batch normalisation over ``(N, C, D, H, W)``; as :class:`BatchNorm2d` with one
    more spatial dimension.
"""
        + _BATCH_NORM_ARGS
        + """
    Shape: ``(N, C, D, H, W)`` -> the same.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.BatchNorm3d(2)(gradwork.randn(2, 2, 3, 3, 3)).shape
        (2, 2, 3, 3, 3)
    """
    )

    _expected_dims = (5,)
    _shape_text = "5D"


class _InstanceNorm(_NormBase):
    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        unbatched = input.ndim == self._expected_dims[0]
        if unbatched:
            input = input.unsqueeze(0)
        if input.shape[1] != self.num_features and self.affine:
            raise RuntimeError(
                f"{self!r}: expected input with {self.num_features} channels, got shape "
                f"{format_shape(input.shape)}"
            )
        output = instance_norm(
            input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )
        return output.squeeze(0) if unbatched else output


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation over ``(N, C, L)`` (Ulyanov et al., 2016): each sample's channel
    is standardised over its length, ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias``.

    Args:
        num_features: ``C``.
        eps: added to the variance. Default: 1e-5.
        momentum: for the running averages, as in :class:`BatchNorm1d`. Default: 0.1.
        affine: learn a per-channel ``weight`` and ``bias``. Default: ``False``.
        track_running_stats: keep running averages and use them in eval mode. Default: ``False``.
        device, dtype: where and in what precision the parameters and buffers are created.
        bias: (keyword) learn the bias too when ``affine``. Default: ``True``.

    Shape: ``(N, C, L)`` or ``(C, L)`` -> the same.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.InstanceNorm1d(2)(gradwork.tensor([[[1.0, 3.0], [0.0, 4.0]]])).round()
        tensor([[[-1.,  1.],
                 [-1.,  1.]]])
    """

    _expected_dims = (2, 3)
    _shape_text = "2D (unbatched) or 3D (batched)"


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation over ``(N, C, H, W)`` (Ulyanov et al., 2016): each sample's
    channel is standardised over ``(H, W)``; arguments as :class:`InstanceNorm1d`.

    Shape: ``(N, C, H, W)`` or ``(C, H, W)`` -> the same.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> nn.InstanceNorm2d(3, affine=True)(gradwork.randn(2, 3, 4, 4)).shape
        (2, 3, 4, 4)
    """

    _expected_dims = (3, 4)
    _shape_text = "3D (unbatched) or 4D (batched)"


# -- layer, group and RMS norm --------------------------------------------------------------------
def _as_shape(normalized_shape) -> tuple:
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(int(size) for size in normalized_shape)


class LayerNorm(Module):
    """Layer normalisation (Ba et al., 2016) over the last dimensions:
    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias`` (biased variance).

    Args:
        normalized_shape: the trailing shape to normalise over (an int for one dimension).
        eps: added to the variance. Default: 1e-5.
        elementwise_affine: learn ``weight`` (ones) and ``bias`` (zeros) of that shape.
        bias: learn the bias too (when ``elementwise_affine``). Default: ``True``.
        device, dtype: where and in what precision the parameters are created.

    Shape: ``(*, *normalized_shape)`` -> the same.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> layer = nn.LayerNorm(4)
        >>> layer
        LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)
        >>> layer(gradwork.tensor([[1.0, 2.0, 3.0, 4.0]])).sum().abs().item() < 1e-6
        True
    """

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(empty(*self.normalized_shape, dtype=dtype, device=device))
            if bias:
                self.bias = Parameter(empty(*self.normalized_shape, dtype=dtype, device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight to ones, bias to zeros."""
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class GroupNorm(Module):
    """Group normalisation (Wu & He, 2018): the channels of each sample, split into
    ``num_groups`` groups, are standardised per group over channels and positions, then
    scaled and shifted per channel: ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias``.

    Args:
        num_groups: divides ``num_channels``.
        num_channels: ``C``.
        eps: added to the variance. Default: 1e-5.
        affine: learn per-channel ``weight`` (ones) and ``bias`` (zeros). Default: ``True``.
        device, dtype: where and in what precision the parameters are created.
        bias: (keyword) learn the bias too when ``affine``. Default: ``True``.

    Shape: ``(N, C, *)`` -> the same.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> layer = nn.GroupNorm(3, 6)
        >>> layer
        GroupNorm(3, 6, eps=1e-05, affine=True, bias=True)
        >>> layer(gradwork.randn(20, 6, 10, 10)).shape
        (20, 6, 10, 10)
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(
                f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                f"({num_groups})"
            )
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = Parameter(empty(num_channels, dtype=dtype, device=device))
            if bias:
                self.bias = Parameter(empty(num_channels, dtype=dtype, device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight to ones, bias to zeros."""
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        check_tensor(input, self._get_name())
        if not (input.ndim >= 2 and input.shape[1] == self.num_channels):
            raise RuntimeError(
                f"{self!r}: expected input of shape (N, {self.num_channels}, *), got "
                f"{format_shape(input.shape)}"
            )
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class RMSNorm(Module):
    """RMS normalisation (Zhang & Sennrich, 2019) over the last dimensions:
    ``y = x / sqrt(mean(x^2) + eps) * weight``.

    Args:
        normalized_shape: the trailing shape to normalise over (an int for one dimension).
        eps: added to the mean square; ``None`` means ``finfo(input.dtype).eps``.
        elementwise_affine: learn ``weight`` (ones) of that shape. Default: ``True``.
        device, dtype: where and in what precision the parameters are created.

    Shape: ``(*, *normalized_shape)`` -> the same.

    Example:
        >>> import gradwork
        >>> from gradwork import nn
        >>> layer = nn.RMSNorm([2, 3])
        >>> layer
        RMSNorm((2, 3), eps=None, elementwise_affine=True)
        >>> layer(gradwork.randn(4, 2, 3)).shape
        (4, 2, 3)
    """

    def __init__(
        self,
        normalized_shape,
        eps: float | None = None,
        elementwise_affine: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(empty(*self.normalized_shape, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Weight to ones."""
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, input: Tensor) -> Tensor:
        return rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )
