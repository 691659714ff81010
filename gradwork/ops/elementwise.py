"""Elementwise primitives, each with its derivative beside it.

Binary ops broadcast as PyTorch does and promote dtypes with PyTorch's rules; backward undoes the
broadcasting with :func:`gradwork.ops.reduce.sum_to`. Python numbers stay Python numbers (a weak
scalar keeps the tensor's dtype) and never receive a gradient. Every backward is written in gradwork
ops, so each rule can itself be differentiated (``create_graph=True``).

Floating-point functions (``exp``, ``sin``, ``sigmoid``, ...) turn integer and bool inputs into the
default float dtype, as PyTorch does. Edge values (``inf``, overflow, division by zero) give the
IEEE result without NumPy warnings, as in PyTorch.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from gradwork import _backend, _dtype
from gradwork.autograd.function import Function
from gradwork.ops._util import check_tensor, format_shape
from gradwork.ops.reduce import sum_to, sum_to_array
from gradwork.tensor import Tensor

__all__ = [
    "bitwise_and",
    "bitwise_not",
    "bitwise_or",
    "bitwise_xor",
    "add",
    "sub",
    "mul",
    "div",
    "pow",
    "neg",
    "abs",
    "exp",
    "expm1",
    "log",
    "log1p",
    "log2",
    "sqrt",
    "rsqrt",
    "square",
    "reciprocal",
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    "clamp",
    "clip",
    "maximum",
    "minimum",
    "sign",
    "floor",
    "ceil",
    "round",
    "trunc",
    "floor_divide",
    "remainder",
    "lerp",
    "logical_not",
    "logical_and",
    "logical_or",
    "logical_xor",
    "isnan",
    "isinf",
    "isfinite",
    "where",
    "to_dtype",
    "to_device",
    "clone",
]

_LN2 = math.log(2.0)


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
        raise TypeError(f"{op}: expected at least one Tensor operand, got only Python numbers")
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


def as_floating(op: str, input) -> Tensor:
    """``input`` checked to be a tensor; integer and bool tensors become the default float dtype."""
    check_tensor(input, op)
    if input._data.dtype.kind != "f":
        return to_dtype(input, _dtype.get_default_dtype())
    return input


def _broadcast_error(op: str, *values) -> RuntimeError:
    shapes = " and ".join(format_shape(_shape(v)) for v in values)
    return RuntimeError(
        f"{op}: shapes {shapes} are not broadcastable "
        "(each dimension must match or be 1, aligned from the right)"
    )


def _apply(function, op: str, *values):
    """``function.apply(*values)``, turning NumPy's broadcasting error into one naming the op."""
    try:
        return function.apply(*values)
    except ValueError as error:
        if "broadcast" in str(error):
            raise _broadcast_error(op, *[v for v in values if v is not None]) from None
        raise


def _binary(function, op: str, a, b):
    a, b = operands(op, a, b)
    return _apply(function, op, a, b)


def _zeros(grad: Tensor) -> Tensor:
    return Tensor._make(np.zeros_like(grad._data))


def _wrap(result) -> Tensor:
    """A tensor of a NumPy result; a 0-d result comes back from NumPy as a scalar."""
    return Tensor._make(np.asarray(result) if isinstance(result, np.generic) else result)


def _kind(value) -> str:
    """The NumPy dtype kind of an array or a Python number ("b", "i", "f")."""
    if hasattr(value, "dtype"):
        return value.dtype.kind
    return "b" if isinstance(value, bool) else "i" if isinstance(value, int) else "f"


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
        return (
            sum_to(grad, shape_a) if need_a else None,
            sum_to(grad, shape_b) if need_b else None,
        )

    @staticmethod
    def fast_backward(ctx, grad):
        shape_a, shape_b = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        return (
            sum_to_array(grad, shape_a) if need_a else None,
            sum_to_array(grad, shape_b) if need_b else None,
        )


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
        return (
            sum_to(grad, shape_a) if need_a else None,
            sum_to(-grad, shape_b) if need_b else None,
        )

    @staticmethod
    def fast_backward(ctx, grad):
        shape_a, shape_b = ctx.shapes
        need_a, need_b = ctx.needs_input_grad
        return (
            sum_to_array(grad, shape_a) if need_a else None,
            sum_to_array(-grad, shape_b) if need_b else None,
        )


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

    @staticmethod
    def fast_backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (
            sum_to_array(grad * _array(b), _shape(a)) if need_a else None,
            sum_to_array(grad * _array(a), _shape(b)) if need_b else None,
        )


class Div(Function):
    """out = a / b;  d out/da = 1/b, d out/db = -a/b^2."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):  # x/0 is inf or nan, silently
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

    @staticmethod
    def fast_backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        with np.errstate(divide="ignore", invalid="ignore"):
            grad_a = grad / _array(b)
            return (
                sum_to_array(grad_a, _shape(a)) if need_a else None,
                sum_to_array(-grad_a * _array(a) / _array(b), _shape(b)) if need_b else None,
            )


class Pow(Function):
    """out = a ** b;  d out/da = b * a^(b-1), d out/db = a^b * log(a)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
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

    Args:
        input: a tensor or a number.
        other: a tensor or a number, broadcastable with ``input``.
        alpha: the multiplier of ``other``.

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
    """``input - alpha * other``, broadcasting; ``d/d input = 1``, ``d/d other = -alpha``.

    Args:
        input: a tensor or a number.
        other: a tensor or a number, broadcastable with ``input``.
        alpha: the multiplier of ``other``.

    Shape: broadcastable ``input`` and ``other``; the output has the broadcast shape.

    Example:
        >>> import gradwork
        >>> gradwork.sub(gradwork.tensor([1.0, 2.0]), 0.5)
        tensor([0.5, 1.5])
    """
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(Sub, "sub", input, other)


def mul(input, other) -> Tensor:
    """``input * other``, broadcasting; ``d/d input = other``, ``d/d other = input``.

    Args:
        input: a tensor or a number.
        other: a tensor or a number, broadcastable with ``input``.

    Shape: broadcastable ``input`` and ``other``; the output has the broadcast shape.

    Example:
        >>> import gradwork
        >>> gradwork.mul(gradwork.tensor([[1.0], [2.0]]), gradwork.tensor([3.0, 4.0]))
        tensor([[3., 4.],
                [6., 8.]])
    """
    return _binary(Mul, "mul", input, other)


def div(input, other, *, rounding_mode: str | None = None) -> Tensor:
    """``input / other``, broadcasting; ``d/d input = 1/other``, ``d/d other = -input/other^2``.

    True division: integers give floats.

    ``rounding_mode="floor"`` or ``"trunc"`` round the quotient (no gradient flows then).

    Args:
        input: a tensor or a number.
        other: a tensor or a number, broadcastable with ``input``.
        rounding_mode: ``None``, ``"floor"`` or ``"trunc"``.

    Shape: broadcastable ``input`` and ``other``; the output has the broadcast shape.

    Example:
        >>> import gradwork
        >>> gradwork.div(gradwork.tensor([3, -3]), 2)
        tensor([ 1.5, -1.5])
    """
    if rounding_mode is not None:
        if rounding_mode not in ("floor", "trunc"):
            raise ValueError(
                f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}"
            )
        if rounding_mode == "floor":
            return floor_divide(input, other)
        a, b = operands("div", input, other)
        _check_integer_divisor("div", a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            quotient = np.trunc(_array(a) / _array(b))
        dtype = (a if isinstance(a, Tensor) else b)._data.dtype
        return _wrap(
            quotient.astype(dtype, copy=False) if hasattr(quotient, "astype") else quotient
        )
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
    """``input ** exponent``, broadcasting; ``d/d input = b a^(b-1)``, ``d/d exponent = a^b ln a``.

    Either may be a Python number.

    Args:
        input: the base, a tensor or a number.
        exponent: the exponent, a tensor or a number.

    Shape: broadcastable ``input`` and ``exponent``; the output has the broadcast shape.

    Example:
        >>> import gradwork
        >>> gradwork.pow(gradwork.tensor([2.0, 3.0]), 2)
        tensor([4., 9.])
    """
    return _binary(Pow, "pow", input, exponent)


def _check_integer_divisor(op: str, a, b) -> None:
    """Integer division by zero raises in PyTorch (NumPy would warn and return 0)."""
    divisor = _array(b)
    if _kind(divisor) in "biu" and _kind(_array(a)) in "biu":
        if np.any(divisor == 0):
            raise RuntimeError(f"{op}: ZeroDivisionError (integer division by zero)")


class Remainder(Function):
    """out = a - floor(a / b) * b (sign of b, Python's %);  d/da = 1, d/db = -floor(a / b)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.remainder(_array(a), _array(b))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_b = None
        if need_b:
            grad_b = sum_to(-grad * floor_divide(a, b), _shape(b))
        return (sum_to(grad, _shape(a)) if need_a else None), grad_b


def floor_divide(input, other) -> Tensor:
    """``floor(input / other)``, elementwise, broadcasting (Python's ``//``; no gradient).

    Integer division by zero raises, as in PyTorch; floats give ``inf`` or ``nan``.

    Args:
        input: a tensor or a number.
        other: a tensor or a number, broadcastable with ``input``.

    Shape: broadcastable ``input`` and ``other``; the output has the broadcast shape.

    Example:
        >>> import gradwork
        >>> gradwork.floor_divide(gradwork.tensor([7, -7]), 2)
        tensor([ 3, -4])
    """
    a, b = operands("floor_divide", input, other)
    _check_integer_divisor("floor_divide", a, b)
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            return _wrap(np.floor_divide(_array(a), _array(b)))
    except ValueError:
        raise _broadcast_error("floor_divide", a, b) from None


def remainder(input, other) -> Tensor:
    """``input - floor(input / other) * other``: the remainder with the sign of ``other`` (``%``).

    ``d out/d input = 1``, ``d out/d other = -floor(input / other)``.

    Args:
        input: a tensor or a number.
        other: a tensor or a number, broadcastable with ``input``.

    Shape: broadcastable ``input`` and ``other``; the output has the broadcast shape.

    Example:
        >>> import gradwork
        >>> gradwork.remainder(gradwork.tensor([-3.0, 5.5]), 2)
        tensor([1. , 1.5])
    """
    a, b = operands("remainder", input, other)
    _check_integer_divisor("remainder", a, b)
    return _apply(Remainder, "remainder", a, b)


def lerp(input, end, weight) -> Tensor:
    """``input + weight * (end - input)``: linear interpolation, a composite of add, mul and sub.

    Gradients: ``1 - weight`` to ``input``, ``weight`` to ``end``, ``end - input`` to ``weight``.

    Args:
        input: the start points.
        end: the end points (broadcastable with ``input``).
        weight: a number or a tensor (broadcastable).

    Shape: ``input``, ``end`` and a tensor ``weight`` broadcast together.

    Example:
        >>> import gradwork
        >>> gradwork.lerp(gradwork.tensor([0.0, 10.0]), gradwork.tensor([1.0, 20.0]), 0.25)
        tensor([ 0.25, 12.5 ])
    """
    check_tensor(input, "lerp")
    return add(input, mul(weight, sub(end, input)))


# -- unary functions --------------------------------------------------------------------------
class Neg(Function):
    """out = -x;  d out/dx = -1."""

    @staticmethod
    def forward(ctx, x):
        return -x._data

    @staticmethod
    def backward(ctx, grad):
        return -grad

    @staticmethod
    def fast_backward(ctx, grad):
        return -grad


def neg(input: Tensor) -> Tensor:
    """``-input``;  ``d(-x)/dx = -1``.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.neg(gradwork.tensor([1.0, -2.0]))
        tensor([-1.,  2.])
    """
    return Neg.apply(check_tensor(input, "neg"))


class Abs(Function):
    """y = |x|;  dy/dx = sign(x) (0 at x = 0, as PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x._data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * sign(x)


def abs(input: Tensor) -> Tensor:  # noqa: A001 - PyTorch's name
    """``|input|``, elementwise; ``d|x|/dx = sign(x)``, 0 at 0. Integer tensors stay integer.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> gradwork.abs(gradwork.tensor([-1.5, 0.0, 2.0]))
        tensor([1.5, 0. , 2. ])
    """
    check_tensor(input, "abs")
    if input._data.dtype == np.bool_:
        return Tensor._make(input._data.copy())
    return Abs.apply(input)


class Exp(Function):
    """y = e^x;  dy/dx = y."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):  # e^x beyond the float range is inf, as in PyTorch
            y = Tensor._make(np.exp(x._data))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y

    @staticmethod
    def fast_backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y._data


def exp(input: Tensor) -> Tensor:
    """``e ** input``, elementwise; ``d e^x/dx = e^x``.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> gradwork.exp(gradwork.tensor([0.0, 1.0]))
        tensor([1.    , 2.7183])
    """
    return Exp.apply(as_floating("exp", input))


class Expm1(Function):
    """y = e^x - 1 (accurate near 0);  dy/dx = y + 1."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):
            y = Tensor._make(np.expm1(x._data))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (y + 1)


def expm1(input: Tensor) -> Tensor:
    """``e ** input - 1``, accurate for small ``input``; ``d/dx = e^x``.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.expm1(gradwork.tensor([1e-10], dtype=gradwork.float64)).item()
        1.00000000005e-10
    """
    return Expm1.apply(as_floating("expm1", input))


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
    """Natural logarithm, elementwise (``-inf`` at 0, ``nan`` below, as PyTorch); ``d/dx = 1/x``.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.log(gradwork.tensor([1.0, 0.0]))
        tensor([  0., -inf])
    """
    return Log.apply(as_floating("log", input))


class Log1p(Function):
    """y = ln(1 + x) (accurate near 0);  dy/dx = 1/(1 + x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log1p(x._data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x + 1)


def log1p(input: Tensor) -> Tensor:
    """``ln(1 + input)``, accurate for small ``input``; ``d/dx = 1/(1 + x)``.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.log1p(gradwork.tensor([1e-10], dtype=gradwork.float64)).item()
        9.999999999500001e-11
    """
    return Log1p.apply(as_floating("log1p", input))


class Log2(Function):
    """y = log2 x;  dy/dx = 1/(x ln 2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log2(x._data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (x * _LN2)


def log2(input: Tensor) -> Tensor:
    """Base-2 logarithm, elementwise; ``d/dx = 1/(x ln 2)``.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.log2(gradwork.tensor([1.0, 8.0]))
        tensor([0., 3.])
    """
    return Log2.apply(as_floating("log2", input))


class Sqrt(Function):
    """y = sqrt(x);  dy/dx = 1/(2 y)."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):  # sqrt of a negative number is nan
            y = Tensor._make(np.sqrt(x._data))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad / (y * 2)


def sqrt(input: Tensor) -> Tensor:
    """Square root, elementwise (``nan`` below 0); ``d sqrt(x)/dx = 1/(2 sqrt(x))``.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.sqrt(gradwork.tensor([4.0, 2.0]))
        tensor([2.    , 1.4142])
    """
    return Sqrt.apply(as_floating("sqrt", input))


class Rsqrt(Function):
    """y = 1/sqrt(x);  dy/dx = -y^3 / 2."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            y = Tensor._make(1 / np.sqrt(x._data))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (y * y * y) * -0.5


def rsqrt(input: Tensor) -> Tensor:
    """``1 / sqrt(input)``, elementwise; ``d/dx = -x^(-3/2) / 2``.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.rsqrt(gradwork.tensor([4.0, 0.25]))
        tensor([0.5, 2. ])
    """
    return Rsqrt.apply(as_floating("rsqrt", input))


def square(input: Tensor) -> Tensor:
    """``input * input`` (a composite: one mul); ``d x^2/dx = 2x``. Integer tensors stay integer.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.square(gradwork.tensor([-3.0, 0.5]))
        tensor([9.  , 0.25])
    """
    check_tensor(input, "square")
    return mul(input, input)


class Reciprocal(Function):
    """y = 1/x;  dy/dx = -y^2."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore"):
            y = Tensor._make(1 / x._data)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return -grad * y * y


def reciprocal(input: Tensor) -> Tensor:
    """``1 / input``, elementwise (integers give floats); ``d/dx = -1/x^2``.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.reciprocal(gradwork.tensor([2.0, -0.5]))
        tensor([ 0.5, -2. ])
    """
    return Reciprocal.apply(as_floating("reciprocal", input))


class Sin(Function):
    """y = sin x;  dy/dx = cos x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):  # sin(inf) is nan
            return np.sin(x._data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * cos(x)


def sin(input: Tensor) -> Tensor:
    """Sine, elementwise; ``d sin(x)/dx = cos(x)``.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork, math
        >>> gradwork.sin(gradwork.tensor([0.0, math.pi / 2]))
        tensor([0., 1.])
    """
    return Sin.apply(as_floating("sin", input))


class Cos(Function):
    """y = cos x;  dy/dx = -sin x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):
            return np.cos(x._data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return -grad * sin(x)


def cos(input: Tensor) -> Tensor:
    """Cosine, elementwise; ``d cos(x)/dx = -sin(x)``.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.cos(gradwork.tensor([0.0]))
        tensor([1.])
    """
    return Cos.apply(as_floating("cos", input))


class Tanh(Function):
    """y = tanh x;  dy/dx = 1 - y^2."""

    @staticmethod
    def forward(ctx, x):
        y = Tensor._make(np.tanh(x._data))  # NumPy's tanh saturates to +-1 without overflow
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y * y)

    @staticmethod
    def fast_backward(ctx, grad):
        y = ctx.saved_tensors[0]._data
        return grad * (1 - y * y)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent, elementwise; ``d tanh(x)/dx = 1 - tanh(x)^2``.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.tanh(gradwork.tensor([0.0, 1e4]))
        tensor([0., 1.])
    """
    return Tanh.apply(as_floating("tanh", input))


def positive_part(array):
    """``max(x, 0)`` elementwise (NaN stays NaN), as ``np.maximum(x, 0)``.

    NumPy's maximum against a scalar takes a loop without SIMD, 2.5x slower here than against
    an array; so the zero is a filled result array, compared in place."""
    out = np.empty_like(array)
    out.fill(0)
    return np.maximum(array, out, out=out)


def negative_part(array):
    """``min(x, 0)`` elementwise (NaN stays NaN), as ``np.minimum(x, 0)``; see positive_part."""
    out = np.empty_like(array)
    out.fill(0)
    return np.minimum(array, out, out=out)


def sigmoid_array(array):
    """e^min(x, 0) / (1 + e^-|x|): 1/(1 + e^-x) for x >= 0 and e^x/(1 + e^x) below, so no exp
    overflows and the tails keep full relative precision. Branch-free: np.where on a random
    sign pattern costs more than the second exp."""
    return np.exp(negative_part(array)) / (1 + np.exp(-np.abs(array)))


class Sigmoid(Function):
    """y = 1 / (1 + e^-x);  dy/dx = y (1 - y)."""

    @staticmethod
    def forward(ctx, x):
        y = Tensor._make(sigmoid_array(x._data))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y * (1 - y)

    @staticmethod
    def fast_backward(ctx, grad):
        y = ctx.saved_tensors[0]._data
        return grad * y * (1 - y)


def sigmoid(input: Tensor) -> Tensor:
    """The logistic function ``1 / (1 + e^-x)``, stable for any ``|x|``; ``dy/dx = y (1 - y)``.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.sigmoid(gradwork.tensor([-1e4, 0.0, 2.0]))
        tensor([0.    , 0.5   , 0.8808])
    """
    return Sigmoid.apply(as_floating("sigmoid", input))


# -- clamping and extrema ---------------------------------------------------------------------
class Clamp(Function):
    """y = min(max(x, low), high);  dy/dx = 1 inside [low, high] (boundaries included), else 0.

    A tensor bound receives the gradient where it is the result: ``low`` where ``x < low``
    (and ``low < high``), ``high`` where ``x > high`` or ``high < low`` (PyTorch's rule).
    """

    @staticmethod
    def forward(ctx, x, low, high):
        ctx.save_for_backward(x, low, high)
        data = x._data
        if low is not None:
            data = np.maximum(data, _array(low))
        if high is not None:
            data = np.minimum(data, _array(high))
        return data

    @staticmethod
    def backward(ctx, grad):
        x, low, high = ctx.saved_tensors
        need_x, need_low, need_high = ctx.needs_input_grad
        grad_x = grad_low = grad_high = None
        if low is not None and high is not None:
            if need_x:
                grad_x = where((x >= low) & (x <= high), grad, 0.0)
            if need_low:
                grad_low = sum_to(where((x < low) & (low < high), grad, 0.0), _shape(low))
            if need_high:
                grad_high = sum_to(where((x > high) | (high < low), grad, 0.0), _shape(high))
        elif low is not None:
            if need_x:
                grad_x = where(x >= low, grad, 0.0)
            if need_low:
                grad_low = sum_to(where(x < low, grad, 0.0), _shape(low))
        else:
            if need_x:
                grad_x = where(x <= high, grad, 0.0)
            if need_high:
                grad_high = sum_to(where(x > high, grad, 0.0), _shape(high))
        if grad_x is not None:
            grad_x = sum_to(grad_x, _shape(x))
        return grad_x, grad_low, grad_high


def clamp(input: Tensor, min=None, max=None) -> Tensor:  # noqa: A002 - PyTorch's names
    """Each element limited to ``[min, max]``: ``min(max(x, min), max)`` (max wins if min > max).

    The gradient is 1 where ``min <= x <= max`` (boundaries included, as PyTorch) and 0 outside;
    tensor bounds receive the gradient where they are the result.

    Args:
        input: the tensor to clamp.
        min: lower bound: a number, a broadcastable tensor, or None.
        max: upper bound: a number, a broadcastable tensor, or None.

    Shape: ``input`` and tensor bounds broadcast together.

    Example:
        >>> import gradwork
        >>> gradwork.clamp(gradwork.tensor([-2.0, 0.5, 3.0]), min=-1.0, max=1.0)
        tensor([-1. ,  0.5,  1. ])
    """
    check_tensor(input, "clamp")
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    present = [value for value in (min, max) if value is not None]
    converted = list(operands("clamp", input, *present))
    x = converted.pop(0)
    low = converted.pop(0) if min is not None else None
    high = converted.pop(0) if max is not None else None
    return _apply(Clamp, "clamp", x, low, high)


clip = clamp


class Maximum(Function):
    """out = max(a, b);  the gradient goes to the larger input, split half/half on ties."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(_array(a), _array(b))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        tied = where(a == b, grad * 0.5, grad)
        return (
            sum_to(where(a < b, 0.0, tied), _shape(a)) if need_a else None,
            sum_to(where(a > b, 0.0, tied), _shape(b)) if need_b else None,
        )


class Minimum(Function):
    """out = min(a, b);  the gradient goes to the smaller input, split half/half on ties."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(_array(a), _array(b))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        tied = where(a == b, grad * 0.5, grad)
        return (
            sum_to(where(a > b, 0.0, tied), _shape(a)) if need_a else None,
            sum_to(where(a < b, 0.0, tied), _shape(b)) if need_b else None,
        )


def maximum(input, other) -> Tensor:
    """The larger of ``input`` and ``other``, elementwise (nan propagates), broadcasting.

    The gradient goes to the larger input, split half/half where they are equal (as PyTorch).

    Args:
        input: a tensor or a number.
        other: a tensor or a number, broadcastable with ``input``.

    Shape: broadcastable ``input`` and ``other``; the output has the broadcast shape.

    Example:
        >>> import gradwork
        >>> gradwork.maximum(gradwork.tensor([1.0, 5.0]), gradwork.tensor([3.0, 2.0]))
        tensor([3., 5.])
    """
    return _binary(Maximum, "maximum", input, other)


def minimum(input, other) -> Tensor:
    """The smaller of ``input`` and ``other``, elementwise (nan propagates), broadcasting.

    The gradient goes to the smaller input, split half/half where they are equal (as PyTorch).

    Args:
        input: a tensor or a number.
        other: a tensor or a number, broadcastable with ``input``.

    Shape: broadcastable ``input`` and ``other``; the output has the broadcast shape.

    Example:
        >>> import gradwork
        >>> gradwork.minimum(gradwork.tensor([1.0, 5.0]), gradwork.tensor([3.0, 2.0]))
        tensor([1., 2.])
    """
    return _binary(Minimum, "minimum", input, other)


# -- piecewise-constant functions: zero gradient almost everywhere, as in PyTorch ---------------
class _Step(Function):
    """Base of the piecewise-constant ops: forward applies ``compute``; the gradient is 0."""

    compute = None

    @staticmethod
    def forward(ctx, x, *arguments):
        ctx.extra = len(arguments)
        return type(ctx).compute(x._data, *arguments)

    @staticmethod
    def backward(ctx, grad):
        return (_zeros(grad),) + (None,) * ctx.extra


class Sign(_Step):
    """y = sign(x) in {-1, 0, 1};  dy/dx = 0."""

    compute = staticmethod(np.sign)


class Floor(_Step):
    """y = floor(x);  dy/dx = 0."""

    compute = staticmethod(np.floor)


class Ceil(_Step):
    """y = ceil(x);  dy/dx = 0."""

    compute = staticmethod(np.ceil)


class Round(_Step):
    """y = x rounded half to even (to ``decimals`` places);  dy/dx = 0."""

    compute = staticmethod(np.round)


class Trunc(_Step):
    """y = x rounded towards zero;  dy/dx = 0."""

    compute = staticmethod(np.trunc)


def _step(function, op: str, input: Tensor, *arguments) -> Tensor:
    check_tensor(input, op)
    if input._data.dtype.kind == "b" or (input._data.dtype.kind in "iu" and function is not Sign):
        return Tensor._make(input._data.copy())  # already integral: PyTorch returns a copy
    return function.apply(input, *arguments)


def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1 by the sign of each element (nan stays nan); the gradient is 0.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.sign(gradwork.tensor([-2.0, 0.0, 3.0]))
        tensor([-1.,  0.,  1.])
    """
    return _step(Sign, "sign", input)


def floor(input: Tensor) -> Tensor:
    """The largest integer not above each element; the gradient is 0. Integer tensors are copied.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.floor(gradwork.tensor([-1.5, 1.5]))
        tensor([-2.,  1.])
    """
    return _step(Floor, "floor", input)


def ceil(input: Tensor) -> Tensor:
    """The smallest integer not below each element; the gradient is 0.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.ceil(gradwork.tensor([-1.5, 1.5]))
        tensor([-1.,  2.])
    """
    return _step(Ceil, "ceil", input)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001 - PyTorch's name
    """Round half to even (to ``decimals`` decimal places); the gradient is 0.

    Args:
        input: the input tensor.
        decimals: the number of decimal places to round to.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.round(gradwork.tensor([0.5, 1.5, 2.567]))
        tensor([0., 2., 3.])
    """
    if decimals:
        return _step(Round, "round", input, int(decimals))
    return _step(Round, "round", input)


def trunc(input: Tensor) -> Tensor:
    """Round towards zero; the gradient is 0.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.trunc(gradwork.tensor([-1.7, 1.7]))
        tensor([-1.,  1.])
    """
    return _step(Trunc, "trunc", input)


# -- logical and classification (bool results, no gradient) -----------------------------------
def _logical(op: str, ufunc, input, other) -> Tensor:
    check_tensor(input, op)
    if not isinstance(other, Tensor):
        other = _scalar(op, other)
    try:
        return _wrap(ufunc(input._data, _array(other)))
    except ValueError:
        raise _broadcast_error(op, input, other) from None


def logical_not(input: Tensor) -> Tensor:
    """True where ``input`` is zero (or False), as a bool tensor.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.logical_not(gradwork.tensor([0.0, 2.0]))
        tensor([ True, False])
    """
    check_tensor(input, "logical_not")
    return _wrap(np.logical_not(input._data))


def logical_and(input, other) -> Tensor:
    """True where both ``input`` and ``other`` are nonzero (broadcasting), as a bool tensor.

    Args:
        input: a tensor or a number.
        other: a tensor or a number, broadcastable with ``input``.

    Shape: broadcastable ``input`` and ``other``; the output has the broadcast shape.

    Example:
        >>> import gradwork
        >>> gradwork.logical_and(gradwork.tensor([True, True]), gradwork.tensor([True, False]))
        tensor([ True, False])
    """
    return _logical("logical_and", np.logical_and, input, other)


def logical_or(input, other) -> Tensor:
    """True where ``input`` or ``other`` is nonzero (broadcasting), as a bool tensor.

    Args:
        input: a tensor or a number.
        other: a tensor or a number, broadcastable with ``input``.

    Shape: broadcastable ``input`` and ``other``; the output has the broadcast shape.

    Example:
        >>> import gradwork
        >>> gradwork.logical_or(gradwork.tensor([0, 0]), gradwork.tensor([0, 3]))
        tensor([False,  True])
    """
    return _logical("logical_or", np.logical_or, input, other)


def logical_xor(input, other) -> Tensor:
    """True where exactly one of ``input`` and ``other`` is nonzero (broadcasting).

    Args:
        input: a tensor or a number.
        other: a tensor or a number, broadcastable with ``input``.

    Shape: broadcastable ``input`` and ``other``; the output has the broadcast shape.

    Example:
        >>> import gradwork
        >>> gradwork.logical_xor(gradwork.tensor([True, True]), gradwork.tensor([True, False]))
        tensor([False,  True])
    """
    return _logical("logical_xor", np.logical_xor, input, other)


def _bitwise(op: str, ufunc, *values) -> Tensor:
    """An integer/bool-only elementwise op (PyTorch's ``&``, ``|``, ``^``, ``~``)."""
    values = operands(op, *values)
    for value in values:
        if isinstance(value, Tensor) and value._data.dtype.kind not in "biu":
            raise TypeError(f"{op}: expected integer or bool tensors, got {value.dtype}")
        if isinstance(value, float):
            raise TypeError(f"{op}: expected integer or bool operands, got the float {value}")
    try:
        return _wrap(ufunc(*[_array(v) for v in values]))
    except ValueError:
        raise _broadcast_error(op, *values) from None


def bitwise_not(input: Tensor) -> Tensor:
    """``~input``: bitwise NOT of integers, logical NOT of bools.

    Example:
        >>> import gradwork
        >>> gradwork.bitwise_not(gradwork.tensor([0, 5]))
        tensor([-1, -6])
    """
    check_tensor(input, "bitwise_not")
    return _bitwise("bitwise_not", np.invert, input)


def bitwise_and(input, other) -> Tensor:
    """``input & other``: bitwise AND of integers, logical AND of bools (broadcasting).

    Example:
        >>> import gradwork
        >>> gradwork.bitwise_and(gradwork.tensor([1, 2]), gradwork.tensor([3, 1]))
        tensor([1, 0])
    """
    return _bitwise("bitwise_and", np.bitwise_and, input, other)


def bitwise_or(input, other) -> Tensor:
    """``input | other``: bitwise OR of integers, logical OR of bools (broadcasting)."""
    return _bitwise("bitwise_or", np.bitwise_or, input, other)


def bitwise_xor(input, other) -> Tensor:
    """``input ^ other``: bitwise XOR of integers, logical XOR of bools (broadcasting)."""
    return _bitwise("bitwise_xor", np.bitwise_xor, input, other)


def isnan(input: Tensor) -> Tensor:
    """True where ``input`` is nan, as a bool tensor.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.isnan(gradwork.tensor([1.0, float("nan")]))
        tensor([False,  True])
    """
    check_tensor(input, "isnan")
    return _wrap(np.isnan(input._data))


def isinf(input: Tensor) -> Tensor:
    """True where ``input`` is ``inf`` or ``-inf``, as a bool tensor.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.isinf(gradwork.tensor([1.0, float("-inf")]))
        tensor([False,  True])
    """
    check_tensor(input, "isinf")
    return _wrap(np.isinf(input._data))


def isfinite(input: Tensor) -> Tensor:
    """True where ``input`` is neither ``inf``, ``-inf`` nor nan, as a bool tensor.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.isfinite(gradwork.tensor([1.0, float("inf"), float("nan")]))
        tensor([ True, False, False])
    """
    check_tensor(input, "isfinite")
    return _wrap(np.isfinite(input._data))


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
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (all broadcast).

    ``d out/d input = condition``, ``d out/d other = not condition``.

    Args:
        condition: a bool tensor.
        input: the values where ``condition`` holds (a tensor or a number).
        other: the values elsewhere (a tensor or a number).

    Shape: ``condition``, ``input`` and ``other`` broadcast together.

    Example:
        >>> import gradwork
        >>> x = gradwork.tensor([-1.0, 2.0])
        >>> gradwork.where(x > 0, x, 0.0)
        tensor([0., 2.])
    """
    if not isinstance(condition, Tensor):
        condition = Tensor._make(np.asarray(condition))
    if condition._data.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got {condition.dtype}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        # two Python numbers: a 0-d tensor of their dtype (the default float for floats)
        input = _scalar("where", input)
        dtype = _dtype.result_type(input, _scalar("where", other))
        input = Tensor._make(_backend.move_to(np.asarray(input, dtype), condition.device))
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
    """``input`` converted to ``dtype`` (differentiable between floating types).

    Args:
        input: the input tensor.
        dtype: the target dtype.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.to_dtype(gradwork.tensor([1.7, -1.7]), gradwork.int64)
        tensor([ 1, -1])
    """
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
    """``input`` copied to ``device`` (differentiable).

    Args:
        input: the input tensor.
        device: the target device.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.to_device(gradwork.tensor([1.0]), "cpu").device
        device(type='cpu')
    """
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
    """A copy of ``input`` that stays in the graph; ``d out/d input = 1``.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> x = gradwork.tensor([1.0, 2.0])
        >>> y = gradwork.clone(x)
        >>> y is x, gradwork.equal(y, x)
        (False, True)
    """
    return Clone.apply(input)
