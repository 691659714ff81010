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
from gradwork.ops.reduce import sum_to
from gradwork.tensor import Tensor

__all__ = [
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
    "erf",
    "erfc",
    "relu",
    "leaky_relu",
    "elu",
    "gelu",
    "silu",
    "softplus",
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

_SQRT1_2 = math.sqrt(0.5)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
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


def _floating(op: str, input) -> Tensor:
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
    return Exp.apply(_floating("exp", input))


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
    return Expm1.apply(_floating("expm1", input))


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
    return Log.apply(_floating("log", input))


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
    return Log1p.apply(_floating("log1p", input))


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
    return Log2.apply(_floating("log2", input))


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
    return Sqrt.apply(_floating("sqrt", input))


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
    return Rsqrt.apply(_floating("rsqrt", input))


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
    return Reciprocal.apply(_floating("reciprocal", input))


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
    return Sin.apply(_floating("sin", input))


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
    return Cos.apply(_floating("cos", input))


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
    return Tanh.apply(_floating("tanh", input))


def _sigmoid(array):
    """e^min(x, 0) / (1 + e^-|x|): 1/(1 + e^-x) for x >= 0 and e^x/(1 + e^x) below, so no exp
    overflows and the tails keep full relative precision. Branch-free: np.where on a random
    sign pattern costs more than the second exp."""
    return np.exp(np.minimum(array, 0)) / (1 + np.exp(-np.abs(array)))


class Sigmoid(Function):
    """y = 1 / (1 + e^-x);  dy/dx = y (1 - y)."""

    @staticmethod
    def forward(ctx, x):
        y = Tensor._make(_sigmoid(x._data))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
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
    return Sigmoid.apply(_floating("sigmoid", input))


# -- the error function -----------------------------------------------------------------------
# NumPy has no erf. These are W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev
# approximations for the error function", Math. Comp. 23, 1969; his CALERF routine): relative
# error near 1e-16 in float64, one interval per branch, each evaluated only on its own elements.
_ERF_A = (
    3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
    3.20937758913846947e03, 1.85777706184603153e-1,
)  # fmt: skip
_ERF_B = (
    2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
    2.84423683343917062e03,
)  # fmt: skip
_ERFC_C = (
    5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
    2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
    2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8,
)  # fmt: skip
_ERFC_D = (
    1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
    1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
    3.43936767414372164e03, 1.23033935480374942e03,
)  # fmt: skip
_ERFC_P = (
    3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
    1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2,
)  # fmt: skip
_ERFC_Q = (
    2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
    6.05183413124413191e-2, 2.33520497626869185e-3,
)  # fmt: skip
_ERF_SMALL = 0.46875  # |x| up to here: erf directly; beyond: erfc, where erf would cancel
_SQRT_1_PI = 1 / math.sqrt(math.pi)


def _erf_small(x):
    """erf(x) for |x| <= 0.46875: x P(x^2) / Q(x^2)."""
    z = x * x
    numerator, denominator = _ERF_A[4] * z, z
    for i in range(3):
        numerator = (numerator + _ERF_A[i]) * z
        denominator = (denominator + _ERF_B[i]) * z
    return x * (numerator + _ERF_A[3]) / (denominator + _ERF_B[3])


def _erfc_large(y):
    """erfc(y) for y > 0.46875 (nan passes through)."""
    # erfc(y) < 1e-300 beyond 26.6: clipping there keeps inf finite and the result an exact 0
    y = np.minimum(y, 30.0)
    result = np.empty_like(y)
    middle = y <= 4.0
    near = y[middle]
    numerator, denominator = _ERFC_C[8] * near, near
    for i in range(7):
        numerator = (numerator + _ERFC_C[i]) * near
        denominator = (denominator + _ERFC_D[i]) * near
    result[middle] = (numerator + _ERFC_C[7]) / (denominator + _ERFC_D[7])
    far = y[~middle]
    z = 1 / (far * far)
    numerator, denominator = _ERFC_P[5] * z, z
    for i in range(4):
        numerator = (numerator + _ERFC_P[i]) * z
        denominator = (denominator + _ERFC_Q[i]) * z
    result[~middle] = (_SQRT_1_PI - z * (numerator + _ERFC_P[4]) / (denominator + _ERFC_Q[4])) / far
    # e^(-y^2) as e^(-s^2) e^(-(y-s)(y+s)) with s = y rounded down to 1/16: y^2 loses no digits
    rounded = np.trunc(y * 16) / 16
    return np.exp(-rounded * rounded) * np.exp(-(y - rounded) * (y + rounded)) * result


def _erf_parts(x):
    """Flattened ``x``, the mask of small |x|, erf on the small part, erfc(|x|) on the rest."""
    flat = x.reshape(-1)
    small = np.abs(flat) <= _ERF_SMALL
    return flat, small, _erf_small(flat[small]), _erfc_large(np.abs(flat[~small]))


def _erf(x):
    """erf of a floating array, elementwise, in the array's dtype."""
    flat, small, erf_small, erfc_large = _erf_parts(x)
    result = np.empty_like(flat)
    result[small] = erf_small
    result[~small] = np.copysign((0.5 - erfc_large) + 0.5, flat[~small])
    return result.reshape(x.shape)


def _erfc(x):
    """erfc of a floating array, elementwise, without cancellation for large positive x."""
    flat, small, erf_small, erfc_large = _erf_parts(x)
    result = np.empty_like(flat)
    result[small] = 1 - erf_small
    large = flat[~small]
    result[~small] = np.where(large < 0, 2 - erfc_large, erfc_large)
    return result.reshape(x.shape)


class Erf(Function):
    """y = erf x = 2/sqrt(pi) int_0^x e^(-t^2) dt;  dy/dx = 2/sqrt(pi) e^(-x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erf(x._data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * exp(-x * x) * _TWO_OVER_SQRT_PI


class Erfc(Function):
    """y = erfc x = 1 - erf x;  dy/dx = -2/sqrt(pi) e^(-x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erfc(x._data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * exp(-x * x) * -_TWO_OVER_SQRT_PI


def erf(input: Tensor) -> Tensor:
    """The error function ``2/sqrt(pi) int_0^x e^(-t^2) dt``; ``d erf(x)/dx = 2/sqrt(pi) e^(-x^2)``.

    Computed with W. J. Cody's rational approximations (relative error ~1e-16 in float64).

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.erf(gradwork.tensor([0.0, 0.5, -3.0]))
        tensor([ 0.    ,  0.5205, -1.    ])
    """
    return Erf.apply(_floating("erf", input))


def erfc(input: Tensor) -> Tensor:
    """The complementary error function ``1 - erf(x)``, accurate where it is tiny (large ``x``).

    ``d erfc(x)/dx = -2/sqrt(pi) e^(-x^2)``.

    Args:
        input: the input tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.erfc(gradwork.tensor([10.0], dtype=gradwork.float64)).item()
        2.0884875837625446e-45
    """
    return Erfc.apply(_floating("erfc", input))


# -- activations ------------------------------------------------------------------------------
# Fused primitives rather than composites: each is one pass forward and one where() backward, and
# they run on every activation of every layer.
class Relu(Function):
    """y = max(x, 0);  dy/dx = 1 for x > 0, else 0 (0 at x = 0, as PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        y = Tensor._make(np.maximum(x._data, 0))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return where(y > 0, grad, 0.0)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(input, 0)``, elementwise; ``d relu(x)/dx = [x > 0]``.

    ``inplace`` is accepted for PyTorch compatibility (``F.relu(x, inplace=True)``); gradwork
    always returns a new tensor, so use the result.

    Args:
        input: the input tensor.
        inplace: accepted for PyTorch compatibility; the result is always a new tensor.

    Shape: ``(*)`` -> ``(*)``.

    Example:
        >>> import gradwork
        >>> gradwork.relu(gradwork.tensor([-1.0, 0.0, 2.0]))
        tensor([0., 0., 2.])
    """
    check_tensor(input, "relu")
    if input._data.dtype == np.bool_:
        raise RuntimeError("relu: not implemented for bool tensors; convert with .float() first")
    return Relu.apply(input)


class LeakyRelu(Function):
    """y = x for x > 0, else slope * x;  dy/dx = 1 for x > 0, else slope."""

    @staticmethod
    def forward(ctx, x, negative_slope):
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        data = x._data
        # max(x, 0) + slope min(x, 0) is the same function without np.where's branching
        return np.maximum(data, 0) + np.minimum(data, 0) * negative_slope

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return where(x > 0, grad, grad * ctx.negative_slope), None


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` for ``x > 0``, else ``negative_slope * x``; the derivative is 1 or ``negative_slope``.

    Args:
        input: any floating tensor.
        negative_slope: the slope for negative inputs.
        inplace: accepted for PyTorch compatibility; the result is always a new tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.leaky_relu(gradwork.tensor([-2.0, 3.0]), 0.1)
        tensor([-0.2,  3. ])
    """
    return LeakyRelu.apply(_floating("leaky_relu", input), float(negative_slope))


class Elu(Function):
    """y = x for x > 0, else alpha (e^x - 1);  dy/dx = 1 for x > 0, else alpha e^x."""

    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        data = x._data
        # expm1 only of the non-positive part: no overflow for large x, accuracy near 0
        return np.maximum(data, 0) + np.expm1(np.minimum(data, 0)) * alpha

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return where(x > 0, grad, grad * exp(clamp(x, max=0.0)) * ctx.alpha), None


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """Exponential linear unit: ``x`` for ``x > 0``, else ``alpha (e^x - 1)``.

    ``d elu(x)/dx = 1`` for ``x > 0``, else ``alpha e^x``. Clevert et al., 2015
    (https://arxiv.org/abs/1511.07289).

    Args:
        input: any floating tensor.
        alpha: the value the function approaches for large negative inputs is ``-alpha``.
        inplace: accepted for PyTorch compatibility; the result is always a new tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.elu(gradwork.tensor([-1.0, 2.0]))
        tensor([-0.6321,  2.    ])
    """
    return Elu.apply(_floating("elu", input), float(alpha))


class Gelu(Function):
    """y = x Phi(x) = x erfc(-x/sqrt 2)/2;  dy/dx = Phi(x) + x phi(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        data = x._data
        # erfc(-x/sqrt2) rather than 1 + erf(x/sqrt2): no cancellation for negative x
        with np.errstate(invalid="ignore"):  # -inf * 0 is nan, as in PyTorch
            return data * 0.5 * _erfc(data * -_SQRT1_2)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        cdf = erfc(x * -_SQRT1_2) * 0.5
        pdf = exp(x * x * -0.5) * _INV_SQRT_2PI
        return grad * (cdf + x * pdf)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit ``x Phi(x)``, with ``Phi`` the standard normal CDF.

    ``d gelu(x)/dx = Phi(x) + x phi(x)``. ``approximate="tanh"`` uses
    ``x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`` (a composite, differentiated by autograd).
    Hendrycks and Gimpel, 2016 (https://arxiv.org/abs/1606.08415).

    Args:
        input: any floating tensor.
        approximate: ``"none"`` (exact, through erf) or ``"tanh"``.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.gelu(gradwork.tensor([-1.0, 0.0, 1.0]))
        tensor([-0.1587,  0.    ,  0.8413])
    """
    input = _floating("gelu", input)
    if approximate == "none":
        return Gelu.apply(input)
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2.0 / math.pi)
        return input * 0.5 * (tanh(inner) + 1)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


class Silu(Function):
    """y = x sigmoid(x);  dy/dx = s (1 + x (1 - s)) with s = sigmoid(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):  # -inf * 0 is nan, as in PyTorch
            return x._data * _sigmoid(x._data)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        s = sigmoid(x)
        return grad * s * (x * (1 - s) + 1)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """Sigmoid linear unit (swish) ``x sigmoid(x)``; ``dy/dx = s (1 + x (1 - s))``, s = sigmoid(x).

    Args:
        input: the input tensor.
        inplace: accepted for PyTorch compatibility; the result is always a new tensor.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.silu(gradwork.tensor([-1.0, 0.0, 1.0]))
        tensor([-0.2689,  0.    ,  0.7311])
    """
    return Silu.apply(_floating("silu", input))


class Softplus(Function):
    """y = log(1 + e^(beta x)) / beta (x where beta x > threshold);  dy/dx = sigmoid(beta x)."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        data = x._data
        scaled = data * beta if beta != 1 else data
        # log(1 + e^z) = log1p(e^-|z|) + max(z, 0): e^-|z| never overflows
        soft = np.log1p(np.exp(-np.abs(scaled))) + np.maximum(scaled, 0)
        if beta != 1:
            soft = soft / beta
        return np.where(scaled > threshold, data, soft)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        scaled = x * ctx.beta if ctx.beta != 1 else x
        return where(scaled > ctx.threshold, grad, grad * sigmoid(scaled)), None, None


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + e^(beta x)) / beta``, a smooth relu; ``x`` itself where ``beta x > threshold``.

    ``d softplus(x)/dx = sigmoid(beta x)``. Stable for any ``|x|``.

    Args:
        input: any floating tensor.
        beta: the sharpness.
        threshold: above ``beta x > threshold`` the function is the identity.

    Shape: ``(*)`` -> ``(*)``, the shape of ``input``.

    Example:
        >>> import gradwork
        >>> gradwork.softplus(gradwork.tensor([-1e4, 0.0, 1e4]))
        tensor([0.0000e+00, 6.9315e-01, 1.0000e+04])
    """
    return Softplus.apply(_floating("softplus", input), float(beta), float(threshold))


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
