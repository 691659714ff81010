"""The Tensor: an array from the backend's array module, plus what autograd needs to know about it.

Every differentiable method here is a thin call into ``gradwork.ops``, where forward and backward
of each primitive sit side by side. In-place methods (``add_``, ``zero_``, ...) live here: they
change ``_data`` directly and bump the version counter that saved tensors are checked against.
"""

from __future__ import annotations

import numbers

import numpy as np

from gradwork import _backend, _dtype
from gradwork.autograd import grad_mode

__all__ = ["Tensor"]


def _shape_args(shape) -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` as PyTorch does."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _format_shape(shape) -> str:
    return str(tuple(int(size) for size in shape))


class Tensor:
    """A multi-dimensional array that records the operations applied to it for autograd.

    Build tensors with :func:`gradwork.tensor` and the creation functions; ``Tensor(data)`` also
    works and follows :func:`gradwork.tensor` (floats become float32).

    Example:
        >>> import gradwork
        >>> x = gradwork.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        >>> y = (x * x).sum()
        >>> y.backward()
        >>> x.grad
        tensor([[2., 4.],
                [6., 8.]])
    """

    __slots__ = (
        "_data",
        "requires_grad",
        "grad",
        "grad_fn",
        "_output_nr",
        "_version_cell",
        "_hooks",
        "__weakref__",
    )
    __array_priority__ = 1000  # so ``ndarray * tensor`` defers to Tensor.__rmul__

    def __init__(self, data, requires_grad: bool = False) -> None:
        from gradwork._creation import _to_array

        self._data = _to_array(data, None, copy=False)
        self.grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._version_cell = [0]
        self._hooks = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, array, version_cell=None) -> Tensor:
        """Wrap an array without copying or checking (the engine's hot path)."""
        tensor = object.__new__(Tensor)
        tensor._data = array
        tensor.requires_grad = False
        tensor.grad = None
        tensor.grad_fn = None
        tensor._output_nr = 0
        tensor._version_cell = [0] if version_cell is None else version_cell
        tensor._hooks = None
        return tensor

    # -- attributes -----------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        """The size of each dimension, as a tuple."""
        return self._data.shape

    def size(self, dim: int | None = None):
        """The shape, or the size of dimension ``dim``."""
        if dim is None:
            return self._data.shape
        from gradwork.ops._util import normalize_dim

        return self._data.shape[normalize_dim(dim, self._data.ndim, "size")]

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    def dim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    def numel(self) -> int:
        """The number of elements."""
        return int(self._data.size)

    nelement = numel

    @property
    def dtype(self) -> _dtype.dtype:
        """The element type, e.g. ``gradwork.float32``."""
        return _dtype.from_numpy(self._data.dtype)

    @property
    def device(self) -> _backend.device:
        """Where the data lives: ``device(type='cpu')`` or a CUDA device."""
        return _backend.device_of(self._data)

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded operation (their ``.grad`` is kept)."""
        return self.grad_fn is None

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's data has seen."""
        return self._version_cell[0]

    @property
    def data(self) -> Tensor:
        """The same data, detached from the graph (in-place changes are not tracked by autograd)."""
        return Tensor._make(self._data, self._version_cell)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def element_size(self) -> int:
        return self._data.itemsize

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (only floating-point leaf tensors can require grad)."""
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"requires_grad_: only floating point tensors can require gradients, "
                f"got dtype {self.dtype}"
            )
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "requires_grad_(False) on a non-leaf tensor: use detach() to get a tensor "
                "outside the graph"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (after its hooks have run)."""
        if not self.requires_grad:
            raise RuntimeError(
                "retain_grad: can't retain_grad on a tensor that has requires_grad=False"
            )
        if self.grad_fn is None:
            return  # leaves keep their gradient anyway
        from gradwork.autograd.function import _RetainGrad

        self.grad_fn.register_prehook(_RetainGrad(self), self._output_nr)

    def register_hook(self, hook):
        """Call ``hook(grad)`` on this tensor's gradient; a returned tensor replaces it.

        Returns a handle whose ``remove()`` unregisters the hook.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "register_hook: cannot register a hook on a tensor that doesn't require grad"
            )
        if self.grad_fn is not None:
            return self.grad_fn.register_prehook(hook, self._output_nr)
        from gradwork.autograd.function import _RemovableHandle

        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _RemovableHandle(self._hooks, hook)

    # -- autograd -------------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False, inputs=None):
        """Accumulate the gradient of this tensor into the ``.grad`` of the leaves it depends on.

        Args:
            gradient: d(something)/d(self), same shape as self; optional for a single element.
            retain_graph: keep the graph for another backward (defaults to ``create_graph``).
            create_graph: record the backward pass, for higher-order gradients.
            inputs: accumulate only into these leaf tensors.
        """
        from gradwork.autograd import backward

        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        """A tensor sharing this data but cut off from the graph."""
        return Tensor._make(self._data, self._version_cell)

    def detach_(self) -> Tensor:
        """Cut this tensor off the graph, in place."""
        self.grad_fn = None
        self.requires_grad = False
        return self

    # -- conversion -----------------------------------------------------------------------------
    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"item: a Tensor with {self._data.size} elements cannot be converted to a "
                f"Python scalar (shape {_format_shape(self.shape)})"
            )
        return self._data.reshape(()).item() if hasattr(self._data, "item") else None

    def tolist(self):
        """The data as (nested) Python lists of numbers."""
        return _backend.move_to(self._data, "cpu").tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The data as a NumPy array sharing memory (CPU tensors that don't require grad)."""
        if self.requires_grad and not force:
            raise RuntimeError(
                "numpy: can't call numpy() on a tensor that requires grad; "
                "use tensor.detach().numpy() instead"
            )
        if _backend.device_of(self._data).type != "cpu":
            if not force:
                raise TypeError(
                    f"numpy: tensor is on {self.device}; call .cpu() first to copy it to the host"
                )
            return _backend.move_to(self._data, "cpu")
        return self._data

    def __array__(self, dtype=None, copy=None):
        array = _backend.move_to(self._data, "cpu")
        return array if dtype is None else array.astype(dtype)

    def __dlpack__(self, stream=None, **kwargs):
        if self.requires_grad:
            raise RuntimeError(
                "__dlpack__: can't export a tensor that requires grad; use tensor.detach()"
            )
        return (
            self._data.__dlpack__(stream=stream, **kwargs)
            if stream is not None
            else (self._data.__dlpack__(**kwargs))
        )

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def to(self, *args, **kwargs) -> Tensor:
        """Convert dtype and/or device: ``to(gradwork.float64)``, ``to("cpu")``, ``to(other)``."""
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        copy = kwargs.pop("copy", False)
        if kwargs:
            raise TypeError(f"to: unexpected arguments {sorted(kwargs)}")
        for argument in args:
            if isinstance(argument, Tensor):
                dtype, device = argument.dtype, argument.device
            elif isinstance(argument, (str, _backend.device)):
                device = argument
            else:
                dtype = argument
        result = self
        if device is not None and _backend.device(device) != self.device:
            result = _ops.elementwise.to_device(result, _backend.device(device))
        if dtype is not None and _dtype.as_dtype(dtype).numpy != result._data.dtype:
            result = _ops.elementwise.to_dtype(result, _dtype.as_dtype(dtype))
        if copy and result is self:
            result = self.clone()
        return result

    def type(self, dtype=None):
        """The type name (no argument) or a conversion to ``dtype``."""
        if dtype is None:
            return f"gradwork.{self.dtype.name}"
        return self.to(dtype)

    def float(self) -> Tensor:
        return self.to(_dtype.float32)

    def double(self) -> Tensor:
        return self.to(_dtype.float64)

    def half(self) -> Tensor:
        return self.to(_dtype.float16)

    def long(self) -> Tensor:
        return self.to(_dtype.int64)

    def int(self) -> Tensor:
        return self.to(_dtype.int32)

    def bool(self) -> Tensor:
        return self.to(_dtype.bool)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, device=None) -> Tensor:
        return self.to("cuda" if device is None else _backend.device("cuda", device))

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph (gradient flows through unchanged)."""
        return _ops.elementwise.clone(self)

    def contiguous(self) -> Tensor:
        """This tensor (gradwork's arrays need no explicit contiguity for its ops)."""
        return self

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    # -- Python protocol ------------------------------------------------------------------------
    __hash__ = object.__hash__

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"bool: the truth value of a tensor with {self._data.size} elements is ambiguous"
            )
        return bool(self._data.reshape(()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    def __repr__(self) -> str:
        array = _backend.move_to(self._data, "cpu")
        body = np.array2string(
            array, separator=", ", precision=4, prefix="tensor(", threshold=1000, edgeitems=3
        )
        extras = []
        if array.size == 0 and array.ndim != 1:
            extras.append(f"size={_format_shape(array.shape)}")
        if array.dtype not in (
            np.dtype(np.int64),
            np.dtype(np.bool_),
            _dtype.get_default_dtype().numpy,
        ) or (array.size == 0 and array.dtype != _dtype.get_default_dtype().numpy):
            extras.append(f"dtype={self.dtype!r}")
        if self.device.type != "cpu":
            extras.append(f"device='{self.device}'")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + extra for extra in extras) + ")"

    # -- arithmetic operators -------------------------------------------------------------------
    def __add__(self, other):
        return _ops.elementwise.add(self, other)

    def __radd__(self, other):
        return _ops.elementwise.add(other, self)

    def __sub__(self, other):
        return _ops.elementwise.sub(self, other)

    def __rsub__(self, other):
        return _ops.elementwise.sub(other, self)

    def __mul__(self, other):
        return _ops.elementwise.mul(self, other)

    def __rmul__(self, other):
        return _ops.elementwise.mul(other, self)

    def __truediv__(self, other):
        return _ops.elementwise.div(self, other)

    def __rtruediv__(self, other):
        return _ops.elementwise.div(other, self)

    def __floordiv__(self, other):
        return _ops.elementwise.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops.elementwise.floor_divide(other, self)

    def __mod__(self, other):
        return _ops.elementwise.remainder(self, other)

    def __pow__(self, exponent):
        return _ops.elementwise.pow(self, exponent)

    def __rpow__(self, base):
        return _ops.elementwise.pow(base, self)

    def __matmul__(self, other):
        return _ops.linalg.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.linalg.matmul(other, self)

    def __neg__(self):
        return _ops.elementwise.neg(self)

    # ``x += y`` is in place, as in PyTorch (so ``w -= lr * w.grad`` updates the parameter).
    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.elementwise.abs(self)

    def __invert__(self):
        return _ops.elementwise.bitwise_not(self)

    def __and__(self, other):
        return _ops.elementwise.bitwise_and(self, other)

    def __or__(self, other):
        return _ops.elementwise.bitwise_or(self, other)

    def __xor__(self, other):
        return _ops.elementwise.bitwise_xor(self, other)

    def __rand__(self, other):
        return _ops.elementwise.bitwise_and(other, self)

    def __ror__(self, other):
        return _ops.elementwise.bitwise_or(other, self)

    def __rxor__(self, other):
        return _ops.elementwise.bitwise_xor(other, self)

    def __eq__(self, other):  # noqa: D105 - elementwise, as in PyTorch
        return _ops.compare.eq(self, other)

    def __ne__(self, other):
        return _ops.compare.ne(self, other)

    def __lt__(self, other):
        return _ops.compare.lt(self, other)

    def __le__(self, other):
        return _ops.compare.le(self, other)

    def __gt__(self, other):
        return _ops.compare.gt(self, other)

    def __ge__(self, other):
        return _ops.compare.ge(self, other)

    def __getitem__(self, index):
        return _ops.indexing.getitem(self, index)

    def __setitem__(self, index, value) -> None:
        _ops.indexing.setitem(self, index, value)

    # -- in-place operations (not recorded; they bump the version counter) ----------------------
    def _check_inplace(self, name: str) -> None:
        if self.requires_grad and grad_mode.state.enabled:
            kind = "a leaf tensor" if self.grad_fn is None else "a tensor in the graph"
            raise RuntimeError(
                f"{name}: {kind} that requires grad is being used in an in-place operation; "
                "wrap the update in `with gradwork.no_grad():` (as optimizers do) or work on a "
                "clone"
            )

    def _inplace(self, name: str, result) -> Tensor:
        """Store ``result`` (an array broadcastable to self) in self's data; bump the version."""
        self._check_inplace(name)
        target = self._data
        if result.shape != target.shape:
            try:
                np.broadcast_shapes(result.shape, target.shape)
                if np.broadcast_shapes(result.shape, target.shape) != target.shape:
                    raise ValueError
            except ValueError:
                raise RuntimeError(
                    f"{name}: the result of shape {_format_shape(result.shape)} cannot be written "
                    f"into a tensor of shape {_format_shape(target.shape)}"
                ) from None
        if result.dtype != target.dtype and not np.can_cast(
            result.dtype, target.dtype, "same_kind"
        ):
            raise RuntimeError(
                f"{name}: result type {_dtype.from_numpy(result.dtype)} can't be cast to the "
                f"desired output type {self.dtype}"
            )
        target[...] = result
        self._version_cell[0] += 1
        return self

    def _other_array(self, other):
        if isinstance(other, Tensor):
            return other._data
        if isinstance(other, numbers.Number):
            return other
        return np.asarray(other)

    def add_(self, other, *, alpha=1) -> Tensor:
        """``self += alpha * other``, in place."""
        other = self._other_array(other)
        return self._inplace("add_", self._data + (other if alpha == 1 else alpha * other))

    def sub_(self, other, *, alpha=1) -> Tensor:
        """``self -= alpha * other``, in place."""
        other = self._other_array(other)
        return self._inplace("sub_", self._data - (other if alpha == 1 else alpha * other))

    def mul_(self, other) -> Tensor:
        """``self *= other``, in place."""
        return self._inplace("mul_", self._data * self._other_array(other))

    def div_(self, other) -> Tensor:
        """``self /= other``, in place."""
        return self._inplace("div_", self._data / self._other_array(other))

    def pow_(self, exponent) -> Tensor:
        """``self **= exponent``, in place."""
        return self._inplace("pow_", self._data ** self._other_array(exponent))

    def sqrt_(self) -> Tensor:
        return self._inplace("sqrt_", np.sqrt(self._data))

    def neg_(self) -> Tensor:
        return self._inplace("neg_", -self._data)

    def addcmul_(self, tensor1, tensor2, *, value=1) -> Tensor:
        """``self += value * tensor1 * tensor2``, in place (optimizer updates)."""
        product = self._other_array(tensor1) * self._other_array(tensor2)
        return self._inplace("addcmul_", self._data + value * product)

    def addcdiv_(self, tensor1, tensor2, *, value=1) -> Tensor:
        """``self += value * tensor1 / tensor2``, in place (optimizer updates)."""
        quotient = self._other_array(tensor1) / self._other_array(tensor2)
        return self._inplace("addcdiv_", self._data + value * quotient)

    def lerp_(self, end, weight) -> Tensor:
        """``self += weight * (end - self)``, in place (moving averages)."""
        end, weight = self._other_array(end), self._other_array(weight)
        return self._inplace("lerp_", self._data + weight * (end - self._data))

    def zero_(self) -> Tensor:
        """Fill with zeros, in place."""
        self._check_inplace("zero_")
        self._data[...] = 0
        self._version_cell[0] += 1
        return self

    def fill_(self, value) -> Tensor:
        """Fill with ``value``, in place."""
        self._check_inplace("fill_")
        self._data[...] = self._other_array(value)
        self._version_cell[0] += 1
        return self

    def copy_(self, source) -> Tensor:
        """Copy ``source`` (broadcastable to self) into self, in place."""
        source = self._other_array(source)
        source = np.asarray(source) if not hasattr(source, "shape") else source
        if source.dtype != self._data.dtype:
            source = source.astype(self._data.dtype)
        return self._inplace("copy_", source)

    def clamp_(self, min=None, max=None) -> Tensor:
        """Clamp into ``[min, max]``, in place."""
        if min is None and max is None:
            raise RuntimeError("clamp_: at least one of 'min' or 'max' must not be None")
        result = self._data
        if min is not None:
            result = np.maximum(result, self._other_array(min))
        if max is not None:
            result = np.minimum(result, self._other_array(max))
        return self._inplace("clamp_", result)

    def masked_fill_(self, mask, value) -> Tensor:
        """Set the elements where ``mask`` is True to ``value``, in place."""
        mask = self._other_array(mask)
        return self._inplace("masked_fill_", np.where(mask, self._other_array(value), self._data))

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
        """Fill with samples from U(a, b), in place."""
        from gradwork.random import _generator

        sample = _generator(generator).uniform(a, b, self.shape, self._data.dtype)
        return self._inplace("uniform_", sample)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
        """Fill with samples from N(mean, std^2), in place."""
        from gradwork.random import _generator

        sample = _generator(generator).normal(mean, std, self.shape, self._data.dtype)
        return self._inplace("normal_", sample)

    # -- elementwise ----------------------------------------------------------------------------
    def add(self, other, *, alpha=1):
        return _ops.elementwise.add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        return _ops.elementwise.sub(self, other, alpha=alpha)

    def mul(self, other):
        return _ops.elementwise.mul(self, other)

    def div(self, other, *, rounding_mode=None):
        return _ops.elementwise.div(self, other, rounding_mode=rounding_mode)

    def pow(self, exponent):
        return _ops.elementwise.pow(self, exponent)

    def neg(self):
        return _ops.elementwise.neg(self)

    def abs(self):
        return _ops.elementwise.abs(self)

    def exp(self):
        return _ops.elementwise.exp(self)

    def log(self):
        return _ops.elementwise.log(self)

    def log1p(self):
        return _ops.elementwise.log1p(self)

    def expm1(self):
        return _ops.elementwise.expm1(self)

    def log2(self):
        return _ops.elementwise.log2(self)

    def sqrt(self):
        return _ops.elementwise.sqrt(self)

    def rsqrt(self):
        return _ops.elementwise.rsqrt(self)

    def square(self):
        return _ops.elementwise.square(self)

    def reciprocal(self):
        return _ops.elementwise.reciprocal(self)

    def sin(self):
        return _ops.elementwise.sin(self)

    def cos(self):
        return _ops.elementwise.cos(self)

    def tanh(self):
        return _ops.elementwise.tanh(self)

    def sigmoid(self):
        return _ops.elementwise.sigmoid(self)

    def relu(self):
        return _ops.activation.relu(self)

    def clamp(self, min=None, max=None):
        return _ops.elementwise.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        return _ops.elementwise.maximum(self, other)

    def minimum(self, other):
        return _ops.elementwise.minimum(self, other)

    def where(self, condition, other):
        return _ops.elementwise.where(condition, self, other)

    def sign(self):
        return _ops.elementwise.sign(self)

    def floor(self):
        return _ops.elementwise.floor(self)

    def ceil(self):
        return _ops.elementwise.ceil(self)

    def round(self):
        return _ops.elementwise.round(self)

    def isnan(self):
        return _ops.elementwise.isnan(self)

    def isinf(self):
        return _ops.elementwise.isinf(self)

    def isfinite(self):
        return _ops.elementwise.isfinite(self)

    def logical_not(self):
        return _ops.elementwise.bitwise_not(self)

    def lerp(self, end, weight):
        return _ops.elementwise.lerp(self, end, weight)

    # -- reductions -----------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.reduce.sum(self, dim, keepdim, dtype=dtype)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.reduce.mean(self, dim, keepdim, dtype=dtype)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _ops.reduce.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _ops.reduce.std(self, dim, unbiased, keepdim, correction=correction)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.reduce.prod(self, dim, keepdim, dtype=dtype)

    def max(self, dim=None, keepdim=False):
        return _ops.reduce.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return _ops.reduce.min(self, dim, keepdim)

    def amax(self, dim=(), keepdim=False):
        return _ops.reduce.amax(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return _ops.reduce.amin(self, dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        return _ops.reduce.logsumexp(self, dim, keepdim)

    def cumsum(self, dim, *, dtype=None):
        return _ops.reduce.cumsum(self, dim, dtype=dtype)

    def norm(self, p="fro", dim=None, keepdim=False):
        return _ops.reduce.norm(self, p, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _ops.reduce.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return _ops.reduce.argmin(self, dim, keepdim)

    def all(self, dim=None, keepdim=False):
        return _ops.reduce.all(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return _ops.reduce.any(self, dim, keepdim)

    # -- shape and movement ---------------------------------------------------------------------
    def reshape(self, *shape):
        return _ops.movement.reshape(self, _shape_args(shape))

    def view(self, *shape):
        return _ops.movement.view(self, _shape_args(shape))

    def view_as(self, other):
        return _ops.movement.view(self, other.shape)

    def reshape_as(self, other):
        return _ops.movement.reshape(self, other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return _ops.movement.flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        return _ops.movement.unflatten(self, dim, sizes)

    def permute(self, *dims):
        return _ops.movement.permute(self, _shape_args(dims))

    def transpose(self, dim0, dim1):
        return _ops.movement.transpose(self, dim0, dim1)

    swapaxes = transpose

    def t(self):
        return _ops.movement.t(self)

    @property
    def T(self):
        """All dimensions reversed."""
        return _ops.movement.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self):
        """The last two dimensions swapped (batched matrix transpose)."""
        return _ops.movement.transpose(self, -2, -1)

    def squeeze(self, dim=None):
        return _ops.movement.squeeze(self, dim)

    def unsqueeze(self, dim):
        return _ops.movement.unsqueeze(self, dim)

    def expand(self, *sizes):
        return _ops.movement.expand(self, _shape_args(sizes))

    def expand_as(self, other):
        return _ops.movement.expand(self, other.shape)

    def broadcast_to(self, shape):
        return _ops.movement.broadcast_to(self, shape)

    def repeat(self, *sizes):
        return _ops.movement.repeat(self, _shape_args(sizes))

    def split(self, split_size_or_sections, dim=0):
        return _ops.movement.split(self, split_size_or_sections, dim)

    def chunk(self, chunks, dim=0):
        return _ops.movement.chunk(self, chunks, dim)

    def unbind(self, dim=0):
        return _ops.movement.unbind(self, dim)

    def flip(self, *dims):
        return _ops.movement.flip(self, _shape_args(dims))

    def roll(self, shifts, dims=None):
        return _ops.movement.roll(self, shifts, dims)

    def tril(self, diagonal=0):
        return _ops.movement.tril(self, diagonal)

    def triu(self, diagonal=0):
        return _ops.movement.triu(self, diagonal)

    def narrow(self, dim, start, length):
        return _ops.movement.narrow(self, dim, start, length)

    def tile(self, *dims):
        return _ops.movement.tile(self, _shape_args(dims))

    def movedim(self, source, destination):
        return _ops.movement.movedim(self, source, destination)

    moveaxis = movedim

    def masked_fill(self, mask, value):
        return _ops.movement.masked_fill(self, mask, value)

    # -- gather / scatter -----------------------------------------------------------------------
    def gather(self, dim, index):
        return _ops.indexing.gather(self, dim, index)

    def index_select(self, dim, index):
        return _ops.indexing.index_select(self, dim, index)

    def scatter_add(self, dim, index, src):
        return _ops.indexing.scatter_add(self, dim, index, src)

    def scatter(self, dim, index, src=None, *, value=None):
        return _ops.indexing.scatter(self, dim, index, src, value=value)

    def take_along_dim(self, indices, dim=None):
        return _ops.indexing.take_along_dim(self, indices, dim)

    def masked_select(self, mask):
        return _ops.indexing.masked_select(self, mask)

    def nonzero(self, *, as_tuple=False):
        return _ops.indexing.nonzero(self, as_tuple=as_tuple)

    def index_add(self, dim, index, source, *, alpha=1):
        return _ops.indexing.index_add(self, dim, index, source, alpha=alpha)

    # -- linear algebra -------------------------------------------------------------------------
    def matmul(self, other):
        return _ops.linalg.matmul(self, other)

    def mm(self, other):
        return _ops.linalg.mm(self, other)

    def bmm(self, other):
        return _ops.linalg.bmm(self, other)

    # -- comparisons and sorting ----------------------------------------------------------------
    def eq(self, other):
        return _ops.compare.eq(self, other)

    def ne(self, other):
        return _ops.compare.ne(self, other)

    def lt(self, other):
        return _ops.compare.lt(self, other)

    def le(self, other):
        return _ops.compare.le(self, other)

    def gt(self, other):
        return _ops.compare.gt(self, other)

    def ge(self, other):
        return _ops.compare.ge(self, other)

    def equal(self, other) -> bool:
        return _ops.compare.equal(self, other)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        return _ops.compare.allclose(self, other, rtol, atol, equal_nan)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return _ops.compare.topk(self, k, dim, largest, sorted)

    def sort(self, dim=-1, descending=False):
        return _ops.compare.sort(self, dim, descending)

    def argsort(self, dim=-1, descending=False):
        return _ops.compare.argsort(self, dim, descending)

    # -- neural-network ops also offered as methods ---------------------------------------------
    def softmax(self, dim):
        return _ops.nn.softmax(self, dim)

    def log_softmax(self, dim):
        return _ops.nn.log_softmax(self, dim)


from gradwork import ops as _ops  # noqa: E402 - ops import Tensor; bound after the class exists
from gradwork.autograd import engine as _engine  # noqa: E402
from gradwork.autograd import function as _function  # noqa: E402

_function.Tensor = _engine.Tensor = Tensor
_function._make = _engine._make = Tensor._make
