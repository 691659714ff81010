"""Elementwise primitives, each with its derivative beside it.

Binary ops broadcast as PyTorch does and promote dtypes with PyTorch's rules; backward undoes the
broadcasting with :func:`gradwork.ops.reduce.sum_to`. Python numbers stay Python numbers (a weak
scalar keeps the tensor's dtype) and never receive a gradient.
"""

from __future__ import annotations

import numbers

import numpy as np

from gradwork import _backend, _dtype
from gradwork.autograd.function import Function
from gradwork.ops._util import format_shape
from gradwork.ops.reduce import sum_to
from gradwork.tensor import Tensor

__all__ = [
    "add",
    "sub",
    "mul",
    "div",
    "pow",
    "neg",
    "exp",
    "log",
    "where",
    "to_dtype",
    "to_device",
    "clone",
]


# -- operands ---------------------------------------------------------------------------------
def _array(value):
    return value._data if isinstance(value, Tensor) else value


def _shape(value) -> tuple:
    return value._data.shape if isinstance(value, Tensor) else ()


def _scalar(op: str, value):
    """A Python number for ``value``, or a tensor for an array; anything else is an error."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, numbers.Number) and not isinstance(value, complex):
        return value
    if isinstance(value, np.ndarray):
        return Tensor._make(value)
    raise TypeError(
        f"{op}: unsupported operand type {type(value).__name__}; expected a Tensor or a number"
    )


def operands(op: str, *values):
    """The operands of an elementwise op, converted to PyTorch's common result dtype.

    Tensors whose dtype differs from the result are cast (a differentiable cast); Python numbers
    are returned unchanged unless they are of a higher category than every tensor, in which case
    the tensors are cast to the default float (or int64) dtype, as PyTorch does.
    """
    # Fast path (most calls): tensors of one dtype and array type, with Python int/float numbers
    # that cannot change the result dtype.
    dtype = array_type = None
    for value in values:
        if isinstance(value, Tensor):
            if dtype is None:
                dtype, array_type = value._data.dtype, type(value._data)
            elif value._data.dtype != dtype or type(value._data) is not array_type:
                break
        elif type(value) is not float and type(value) is not int:
            break
    else:
        if dtype is not None and (dtype.kind == "f" or float not in [type(v) for v in values]):
            return values
    values = tuple(v if isinstance(v, Tensor) else _scalar(op, v) for v in values)
    tensors = [v for v in values if isinstance(v, Tensor)]
    if not tensors:
        return values
    first = tensors[0]._data
    if len(tensors) > 1:
        device = _backend.device_of(first)
        for other in tensors[1:]:
            if _backend.device_of(other._data) != device:
                raise RuntimeError(
                    f"{op}: expected all tensors to be on the same device, but found "
                    f"{device} and {_backend.device_of(other._data)}"
                )
        same = all(t._data.dtype == first.dtype for t in tensors[1:])
        if same and len(tensors) == len(values):
            return values
    target = _dtype.result_type(*values)
    return tuple(
        to_dtype(v, _dtype.from_numpy(target))
        if isinstance(v, Tensor) and v._data.dtype != target
        else v
        for v in values
    )


def _broadcast_error(op: str, a, b) -> RuntimeError:
    return RuntimeError(
        f"{op}: shapes {format_shape(_shape(a))} and {format_shape(_shape(b))} are not "
        "broadcastable (each dimension must match or be 1, aligned from the right)"
    )


def _binary(function, op: str, a, b):
    a, b = operands(op, a, b)
    try:
        return function.apply(a, b)
    except ValueError as error:
        if "broadcast" in str(error):
            raise _broadcast_error(op, a, b) from None
        raise


# -- arithmetic -------------------------------------------------------------------------------
class Add(Function):
    """out = a + b;  d out/da = 1, d out/db = 1 (summed over broadcast dimensions)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (_shape(a), _shape(b))
        return _array(a) + _array(b)

    @staticmethod
    def backward(ctx, grad):
        shape_a, shape_b = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(grad, shape_a) if need_a else None, sum_to(grad, shape_b) if need_b else None)


class Sub(Function):
    """out = a - b;  d out/da = 1, d out/db = -1."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (_shape(a), _shape(b))
        return _array(a) - _array(b)

    @staticmethod
    def backward(ctx, grad):
        shape_a, shape_b = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        return (sum_to(grad, shape_a) if need_a else None, sum_to(-grad, shape_b) if need_b else None)


class Mul(Function):
    """out = a * b;  d out/da = b, d out/db = a."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _array(a) * _array(b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (
            sum_to(grad * b, _shape(a)) if need_a else None,
            sum_to(grad * a, _shape(b)) if need_b else None,
        )


class Div(Function):
    """out = a / b;  d out/da = 1/b, d out/db = -a/b^2."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _array(a) / _array(b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad / b
        return (
            sum_to(grad_a, _shape(a)) if need_a else None,
            sum_to(-grad_a * a / b, _shape(b)) if need_b else None,
        )


class Pow(Function):
    """out = a ** b;  d out/da = b * a^(b-1), d out/db = a^b * log(a)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _array(a) ** _array(b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        if need_a:
            grad_a = sum_to(grad * b * a ** (b - 1), _shape(a))
        if need_b:
            # where a == 0 the limit of a^b log a is 0 for b > 0; PyTorch returns 0 there too
            base = a if isinstance(a, Tensor) else Tensor._make(np.asarray(a, _array(b).dtype))
            log_a = where(base == 0, 0.0, log(where(base == 0, 1.0, base)))
            grad_b = sum_to(grad * (base**b) * log_a, _shape(b))
        return grad_a, grad_b


def add(input, other, *, alpha=1) -> Tensor:
    """``input + alpha * other``, broadcasting.

    Shape: any broadcastable ``input`` and ``other``; the output has the broadcast shape.

    Example:
        >>> import gradwork
        >>> gradwork.add(gradwork.tensor([1.0, 2.0]), 1.5)
        tensor([2.5, 3.5])
    """
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(Add, "add", input, other)


def sub(input, other, *, alpha=1) -> Tensor:
    """``input - alpha * other``, broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(Sub, "sub", input, other)


def mul(input, other) -> Tensor:
    """``input * other``, broadcasting."""
    return _binary(Mul, "mul", input, other)


def div(input, other, *, rounding_mode: str | None = None) -> Tensor:
    """``input / other`` (true division; integers give floats), broadcasting.

    ``rounding_mode="floor"`` or ``"trunc"`` round the quotient (no gradient flows then).
    """
    if rounding_mode is not None:
        if rounding_mode not in ("floor", "trunc"):
            raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")
        a, b = operands("div", input, other)
        quotient = np.floor_divide(_array(a), _array(b)) if rounding_mode == "floor" else None
        if quotient is None:
            quotient = _array(a) / _array(b)
            quotient = np.trunc(quotient).astype(np.result_type(_array(a), _array(b)))
        return Tensor._make(np.asarray(quotient))
    a, b = operands("div", input, other)
    for value in (a, b):
        if isinstance(value, Tensor) and value._data.dtype.kind != "f":
            # PyTorch's true division always gives a floating result
            a, b = (
                to_dtype(v, _dtype.get_default_dtype()) if isinstance(v, Tensor) else v
                for v in (a, b)
            )
            break
    return _binary(Div, "div", a, b)


def pow(input, exponent) -> Tensor:  # noqa: A001 - PyTorch's name
    """``input ** exponent``, broadcasting; either may be a Python number."""
    return _binary(Pow, "pow", input, exponent)


class Neg(Function):
    """out = -x;  d out/dx = -1."""

    @staticmethod
    def forward(ctx, x):
        return -x._data

    @staticmethod
    def backward(ctx, grad):
        return -grad


def neg(input: Tensor) -> Tensor:
    """``-input``."""
    return Neg.apply(input)


class Exp(Function):
    """y = e^x;  dy/dx = y."""

    @staticmethod
    def forward(ctx, x):
        y = Tensor._make(np.exp(x._data))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


def exp(input: Tensor) -> Tensor:
    """``e ** input``, elementwise."""
    return Exp.apply(input)


class Log(Function):
    """y = ln x;  dy/dx = 1/x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x._data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x


def log(input: Tensor) -> Tensor:
    """Natural logarithm, elementwise (``-inf`` at 0, ``nan`` below, as PyTorch)."""
    return Log.apply(input)


# -- selection --------------------------------------------------------------------------------
class Where(Function):
    """out = cond ? a : b;  d out/da = cond, d out/db = not cond."""

    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.condition = condition
        ctx.shapes = (_shape(a), _shape(b))
        return np.where(condition._data, _array(a), _array(b))

    @staticmethod
    def backward(ctx, grad):
        condition = ctx.condition
        shape_a, shape_b = ctx.shapes
        _, need_a, need_b = ctx.needs_input_grad
        zero = 0.0
        return (
            None,
            sum_to(where(condition, grad, zero), shape_a) if need_a else None,
            sum_to(where(condition, zero, grad), shape_b) if need_b else None,
        )


def where(condition, input, other) -> Tensor:
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (all broadcast)."""
    if not isinstance(condition, Tensor):
        condition = Tensor._make(np.asarray(condition))
    if condition._data.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got {condition.dtype}")
    a, b = operands("where", input, other)
    try:
        return Where.apply(condition, a, b)
    except ValueError:
        raise RuntimeError(
            f"where: shapes condition {format_shape(condition.shape)}, input "
            f"{format_shape(_shape(a))} and other {format_shape(_shape(b))} are not broadcastable"
        ) from None


# -- dtype, device, copy ----------------------------------------------------------------------
class ToDtype(Function):
    """out = cast(x);  the gradient is cast back to x's dtype (none flows to integer inputs)."""

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.input_dtype = _dtype.from_numpy(x._data.dtype)
        return x._data.astype(dtype.numpy)

    @staticmethod
    def backward(ctx, grad):
        if not ctx.input_dtype.is_floating_point:
            return None, None
        return to_dtype(grad, ctx.input_dtype), None


def to_dtype(input: Tensor, dtype) -> Tensor:
    """``input`` converted to ``dtype`` (differentiable between floating types)."""
    dtype = _dtype.as_dtype(dtype)
    if input._data.dtype == dtype.numpy:
        return input
    return ToDtype.apply(input, dtype)


class ToDevice(Function):
    """out = x on another device;  the gradient goes back to x's device."""

    @staticmethod
    def forward(ctx, x, device):
        ctx.source = _backend.device_of(x._data)
        return _backend.move_to(x._data, device)

    @staticmethod
    def backward(ctx, grad):
        return to_device(grad, ctx.source), None


def to_device(input: Tensor, device) -> Tensor:
    """``input`` copied to ``device`` (differentiable)."""
    if _backend.device_of(input._data) == _backend.device(device):
        return input
    return ToDevice.apply(input, _backend.device(device))


class Clone(Function):
    """out = copy of x;  d out/dx = 1."""

    @staticmethod
    def forward(ctx, x):
        return x._data.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


def clone(input: Tensor) -> Tensor:
    """A copy of ``input`` that stays in the graph."""
    return Clone.apply(input)
