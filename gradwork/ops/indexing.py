"""Indexing: ``x[index]``, ``x[index] = value``, gather/scatter, index_select/index_add, masks.

``x[index]`` follows PyTorch: ints, slices, ``None`` and ``...`` are applied first as a view
(:class:`~gradwork.ops.movement.BasicIndex`); integer and boolean arrays are then applied to that
view with NumPy's advanced-indexing rules (:class:`AdvancedIndex`, a copy). Each gathering
primitive has its adding adjoint beside it, and each is the other's backward:

=====================  =====================
AdvancedIndex          IndexAccumulate
IndexSelect            IndexAdd
Gather                 ScatterAdd
=====================  =====================

Repeated indices add up in every adjoint. ``np.add.at`` is slow for rows of features, so
:func:`_index_add_into` sums floating-point rows with ``np.bincount`` (graph nets aggregate
messages this way), or, when SciPy is installed, as one sparse-matrix product
``S @ rows`` with ``S[index[k], k] = 1`` (about four times faster on a graph's edge list).
"""

from __future__ import annotations

import numbers

import numpy as np

from gradwork import _backend
from gradwork.autograd import grad_mode
from gradwork.autograd.function import Function
from gradwork.ops._util import check, check_tensor, format_shape, normalize_dim
from gradwork.ops.movement import BasicIndex, _view_index, expand, reshape
from gradwork.tensor import Tensor

try:  # optional: a compiled sparse product for summing rows of features
    from scipy import sparse as _scipy_sparse
except ImportError:  # pragma: no cover - scipy is a dependency; this keeps the engine NumPy-only
    _scipy_sparse = None

# Building the sparse matrix costs ~100 µs: below ~5e4 values np.bincount is faster (measured).
_SPARSE_MIN_VALUES = 50_000

__all__ = [
    "getitem",
    "setitem",
    "gather",
    "scatter",
    "scatter_add",
    "index_select",
    "index_add",
    "take_along_dim",
    "masked_select",
    "nonzero",
]


# -- accumulation kernels -----------------------------------------------------------------------
def _bincount_rows(index, rows, length: int):
    """``sums[i] = rows[index == i].sum(0)`` for 2-D floating ``rows``, in float64.

    One ``np.bincount`` per column: a loop over feature columns, not over elements, and several
    times faster than ``np.add.at`` when there are more rows than columns.
    """
    xp = _backend.namespace_of(rows)
    columns = rows.shape[1]
    sums = xp.empty((columns, length), dtype=np.float64)
    for column in range(columns):
        sums[column] = np.bincount(index, weights=rows[:, column], minlength=length)
    return sums.T


def _index_add_into(out, axis: int, index, source) -> None:
    """``out[..., index[k], ...] += source[..., k, ...]`` along ``axis``, in place.

    ``index`` is 1-D with values in range; repeated indices add up. Equals
    ``np.add.at(out, (slice(None),) * axis + (index,), source)``.
    """
    count, length = index.shape[0], out.shape[axis]
    if count == 0:
        return
    moved = np.moveaxis(out, axis, 0)  # a view: writes land in out
    values = np.moveaxis(source, axis, 0)
    columns = values.size // count
    if out.dtype.kind != "f" or count < columns:
        # integers must stay exact, and a few wide rows are cheap for np.add.at
        np.add.at(moved, index, values)
        return
    rows = values.reshape(count, columns)
    if (
        _scipy_sparse is not None
        and rows.size >= _SPARSE_MIN_VALUES  # below this, building the matrix costs more
        and rows.dtype.char in "fd"
        and type(rows) is np.ndarray
    ):
        sums = _sparse_sum_rows(index, rows, length)
    else:
        sums = _bincount_rows(index, rows, length)
    moved += sums.reshape(moved.shape).astype(out.dtype, copy=False)


def _sparse_sum_rows(index, rows, length: int):
    """``sums[i] = rows[index == i].sum(0)`` as the product ``S @ rows``, ``S[index[k], k] = 1``.

    Accumulates in ``rows``' dtype (as PyTorch's ``index_add_`` does), in compiled code.
    """
    count = index.shape[0]
    selector = _scipy_sparse.csr_matrix(
        (np.ones(count, dtype=rows.dtype), (index, np.arange(count))), shape=(length, count)
    )
    return selector @ rows


def _accumulate_flat(out, positions, values) -> None:
    """``out.ravel()[positions] += values`` for a C-contiguous ``out``; repeats add up."""
    flat = out.reshape(-1)
    if out.dtype.kind == "f" and positions.size:
        sums = np.bincount(positions.ravel(), weights=values.ravel(), minlength=flat.size)
        flat += sums.astype(out.dtype, copy=False)
    else:
        np.add.at(flat, positions.ravel(), values.ravel())


def _scatter_positions(shape: tuple, dim: int, index):
    """Flat positions, in a C-ordered array of ``shape``, of ``out[..., index, ...]`` at dim."""
    xp = _backend.namespace_of(index)
    strides = [1] * len(shape)
    for axis in range(len(shape) - 2, -1, -1):
        strides[axis] = strides[axis + 1] * shape[axis + 1]
    positions = index.astype(np.int64) * strides[dim]
    for axis, size in enumerate(index.shape):
        if axis != dim:
            along = [1] * index.ndim
            along[axis] = size
            positions = positions + (xp.arange(size) * strides[axis]).reshape(along)
    return positions


# -- index parsing ------------------------------------------------------------------------------
def _index_array(item, xp):
    """An index item as an integer or boolean array, or as a Python int/bool for 0-d ones."""
    array = item._data if isinstance(item, Tensor) else item
    if not hasattr(array, "dtype"):
        array = xp.asarray(array)
        if array.size == 0 and array.dtype.kind == "f":  # x[[]]: an empty integer index
            array = array.astype(np.int64)
    kind = array.dtype.kind
    if kind not in "biu":
        raise IndexError(
            f"tensors used as indices must be long, int or bool tensors, got dtype {array.dtype}"
        )
    if array.ndim == 0:  # 0-d tensors index like Python scalars, as in PyTorch
        return bool(array) if kind == "b" else int(array)
    return array


def _check_range(op: str, values, axis: int, size: int):
    """Raise IndexError naming op, the first bad index value and the size; return non-negative."""
    if values.size == 0:
        return values
    low, high = int(values.min()), int(values.max())
    if low < -size or high >= size:
        bad = low if low < -size else high
        raise IndexError(
            f"{op}: index {bad} is out of bounds for dimension {axis} with size {size}"
        )
    return values + size * (values < 0) if low < 0 else values


def _parse_index(op: str, shape: tuple, index):
    """Split a PyTorch index into a basic part (a view) and advanced arrays applied after it.

    Returns ``(basic, advanced, unique)``: ``basic`` is a tuple of ints, slices and ``None``;
    ``advanced`` is ``None`` or a tuple for the basic result (``slice(None)`` or integer arrays);
    ``unique`` says no element can be picked twice (boolean masks only).
    """
    xp = np
    items = index if isinstance(index, tuple) else (index,)
    parsed = []
    for item in items:
        if item is None or item is Ellipsis or isinstance(item, (bool, slice)):
            parsed.append(item)
        elif isinstance(item, numbers.Integral):
            parsed.append(int(item))
        elif isinstance(item, (Tensor, np.ndarray, list, tuple)) or hasattr(item, "__array__"):
            parsed.append(_index_array(item, xp))
        else:
            raise IndexError(
                f"{op}: only integers, slices (`:`), ellipsis (`...`), None and long or bool "
                f"tensors are valid indices, got {type(item).__name__}"
            )
    check(
        sum(item is Ellipsis for item in parsed) <= 1,
        op,
        "an index can only have a single ellipsis ('...')",
        IndexError,
    )
    ndim = len(shape)
    consumed = 0
    for item in parsed:
        if isinstance(item, bool) or item is None or item is Ellipsis:
            continue
        consumed += item.ndim if hasattr(item, "dtype") and item.dtype.kind == "b" else 1
    check(
        consumed <= ndim,
        op,
        f"too many indices for tensor of dimension {ndim} (shape {format_shape(shape)})",
        IndexError,
    )
    basic, advanced, unique = [], {}, True
    axis = 0  # dimension of the input
    position = 0  # dimension of the basic result
    for item in parsed:
        if item is Ellipsis:
            skipped = ndim - consumed
            basic.extend([slice(None)] * skipped)
            axis += skipped
            position += skipped
        elif item is None or isinstance(item, bool):
            basic.append(None)  # True adds a dim of size 1; False an empty one
            if item is False:
                advanced[position] = xp.zeros(0, dtype=np.int64)
            position += 1
        elif isinstance(item, int):
            size = shape[axis]
            if not -size <= item < size:
                raise IndexError(
                    f"{op}: index {item} is out of bounds for dimension {axis} with size {size}"
                )
            basic.append(item + size if item < 0 else item)
            axis += 1
        elif isinstance(item, slice):
            if item.step is not None:
                step = int(item.step)
                check(step > 0, op, f"step must be greater than zero, got {item}", ValueError)
            basic.append(item)
            axis += 1
            position += 1
        elif item.dtype.kind == "b":
            span = shape[axis : axis + item.ndim]
            if tuple(item.shape) != span:
                raise IndexError(
                    f"{op}: the shape of the mask {format_shape(item.shape)} at index {axis} "
                    f"does not match the shape of the indexed tensor {format_shape(shape)} "
                    f"at index {axis}"
                )
            for offset, coordinates in enumerate(xp.nonzero(item)):
                advanced[position + offset] = coordinates
            basic.extend([slice(None)] * item.ndim)
            axis += item.ndim
            position += item.ndim
        else:
            advanced[position] = _check_range(op, item, axis, shape[axis])
            unique = False
            basic.append(slice(None))
            axis += 1
            position += 1
    if not advanced:
        return tuple(basic), None, True
    full = [slice(None)] * (max(advanced) + 1)
    for where, array in advanced.items():
        full[where] = array
    return tuple(basic), tuple(full), unique


# -- x[index] -----------------------------------------------------------------------------------
def _accumulate(out, index: tuple, values) -> None:
    """``out[index] += values`` with NumPy advanced-indexing rules; repeated picks add up."""
    arrays = [k for k, item in enumerate(index) if not isinstance(item, slice)]
    if len(arrays) == 1:
        axis = arrays[0]
        picks = index[axis]
        # one integer array: the result is out.shape[:axis] + picks.shape + out.shape[axis + 1:]
        rows = values.reshape(out.shape[:axis] + (picks.size,) + out.shape[axis + 1 :])
        _index_add_into(out, axis, picks.reshape(-1), rows)
    else:
        np.add.at(out, index, values)


class AdvancedIndex(Function):
    """out = x[index] with integer arrays (NumPy's advanced indexing; a copy).

    d out/dx puts the gradient back where it was picked, adding repeats (:class:`IndexAccumulate`).
    """

    @staticmethod
    def forward(ctx, x, index, unique):
        ctx.index, ctx.unique, ctx.shape = index, unique, x._data.shape
        return x._data[index]

    @staticmethod
    def backward(ctx, grad):
        return IndexAccumulate.apply(grad, ctx.index, ctx.shape, ctx.unique), None, None


class IndexAccumulate(Function):
    """out = zeros(shape) with out[index] += g: the adjoint of :class:`AdvancedIndex`.

    d out/dg = grad[index]. With ``unique`` (boolean masks) plain assignment is enough.
    """

    @staticmethod
    def forward(ctx, g, index, shape, unique):
        ctx.index, ctx.unique = index, unique
        array = g._data
        out = _backend.namespace_of(array).zeros(shape, dtype=array.dtype)
        if unique:
            out[index] = array
        else:
            _accumulate(out, index, array)
        return out

    @staticmethod
    def backward(ctx, grad):
        return AdvancedIndex.apply(grad, ctx.index, ctx.unique), None, None, None


def getitem(input: Tensor, index) -> Tensor:
    """``input[index]`` with PyTorch's rules (the implementation of ``Tensor.__getitem__``).

    Args:
        input: the tensor.
        index: ints, slices with positive steps, ``None``, ``...``, integer tensors/lists/arrays
            and boolean masks, alone or in a tuple. Ints, slices, ``None`` and ``...`` give a view;
            integer and boolean arrays give a copy, placed by NumPy's advanced-indexing rules after
            the ints have been applied (as PyTorch does).

    Returns:
        The selected elements; an element picked several times receives the sum of its
        gradients.

    Example:
        >>> import gradwork
        >>> x = gradwork.arange(12).reshape(3, 4)
        >>> x[1:, [0, 0, 3]]
        tensor([[ 4,  4,  7],
                [ 8,  8, 11]])
        >>> x[x > 9]
        tensor([10, 11])
    """
    basic, advanced, unique = _parse_index("getitem", input._data.shape, index)
    if any(item != slice(None) for item in basic) or advanced is None:
        input = BasicIndex.apply(input, basic)
    if advanced is None:
        return input
    return AdvancedIndex.apply(input, advanced, unique)


def setitem(input: Tensor, index, value) -> None:
    """``input[index] = value`` in place (the implementation of ``Tensor.__setitem__``).

    ``value`` (a number, array or tensor) is broadcast to the indexed shape and cast to
    ``input``'s dtype; the version counter is bumped so saved tensors notice the change.
    Assignments are not recorded by autograd: ``input`` must not require grad while recording,
    and a ``value`` that requires grad is refused (build the result with ``cat``, ``stack``,
    ``where`` or ``index_add`` instead).

    Example:
        >>> import gradwork
        >>> x = gradwork.zeros(2, 3)
        >>> x[0, [0, 2]] = 1.0
        >>> x
        tensor([[1., 0., 1.],
                [0., 0., 0.]])
    """
    input._check_inplace("setitem")
    if isinstance(value, Tensor):
        if value.requires_grad and grad_mode.state.enabled:
            raise RuntimeError(
                "setitem: the assigned value requires grad, but in-place assignment is not "
                "recorded by autograd; build the result out of place (cat, stack, where, "
                "index_add) or detach the value"
            )
        array = value._data
    else:
        array = _backend.namespace_of(input._data).asarray(value)
    basic, advanced, _ = _parse_index("setitem", input._data.shape, index)
    target = input._data[_view_index(basic)]
    try:
        if advanced is None:
            target[...] = array
        else:
            target[advanced] = array
    except ValueError as error:
        if "read-only" in str(error):
            raise RuntimeError(
                "setitem: the tensor is a broadcast (expanded) view whose elements share memory; "
                "clone it before assigning"
            ) from None
        selected = target[advanced].shape if advanced is not None else target.shape
        raise RuntimeError(
            f"setitem: shape mismatch: value of shape {format_shape(np.shape(array))} cannot be "
            f"broadcast to the indexed shape {format_shape(selected)} of a tensor of shape "
            f"{format_shape(input.shape)}"
        ) from None
    input._version_cell[0] += 1


# -- index_select / index_add ---------------------------------------------------------------------
def _index_vector(index, op: str, size: int, axis: int):
    """A 1-D array of in-range, non-negative indices from an integer tensor (0-d or 1-d)."""
    check_tensor(index, op, "index")
    array = index._data
    check(array.dtype.kind in "iu", op, f"index must be an integer tensor, got {index.dtype}")
    check(
        array.ndim <= 1,
        op,
        f"index is supposed to be a vector (0-d or 1-d), got shape {format_shape(array.shape)}",
    )
    array = array.reshape(-1)
    if array.size and (int(array.min()) < 0 or int(array.max()) >= size):
        bad = int(array.min()) if int(array.min()) < 0 else int(array.max())
        raise IndexError(
            f"{op}: index {bad} is out of bounds for dimension {axis} with size {size}"
        )
    return array


class IndexSelect(Function):
    """out = x.take(index, dim);  d out/dx = index_add(zeros, dim, index, grad)."""

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.dim, ctx.index, ctx.shape = dim, index, x._data.shape
        return np.take(x._data, index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        zeros = Tensor._make(_backend.namespace_of(grad._data).zeros(ctx.shape, grad._data.dtype))
        return IndexAdd.apply(zeros, ctx.dim, ctx.index, grad, 1), None, None


class IndexAdd(Function):
    """out = input; out[index[k]] += alpha * source[k] along dim (repeats add up).

    d out/d input = 1;  d out/d source = alpha * index_select(grad, dim, index).
    """

    @staticmethod
    def forward(ctx, input, dim, index, source, alpha):
        ctx.dim, ctx.index, ctx.alpha = dim, index, alpha
        out = input._data.copy()
        values = source._data if alpha == 1 else source._data * alpha
        _index_add_into(out, dim, index, values)
        return out

    @staticmethod
    def backward(ctx, grad):
        need_input, _, _, need_source, _ = ctx.needs_input_grad
        grad_source = None
        if need_source:
            grad_source = IndexSelect.apply(grad, ctx.dim, ctx.index)
            if ctx.alpha != 1:
                grad_source = grad_source * ctx.alpha
        return grad if need_input else None, None, None, grad_source, None


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of ``input`` at positions ``index`` along ``dim``.

    Args:
        input: the tensor.
        dim: the dimension to select along.
        index: a 0-d or 1-d integer tensor of positions in ``[0, input.size(dim))``.

    Shape: ``(*, S, *)`` -> ``(*, len(index), *)``.

    Example:
        >>> import gradwork
        >>> gradwork.arange(6).reshape(3, 2).index_select(0, gradwork.tensor([2, 0]))
        tensor([[4, 5],
                [0, 1]])
    """
    shape = input._data.shape
    if not shape:  # a scalar behaves as a vector of one element, and stays 0-d
        check(index._data.size == 1, "index_select", "index to a scalar can have only 1 value")
        return reshape(index_select(reshape(input, (1,)), 0, index), ())
    axis = normalize_dim(dim, len(shape), "index_select")
    positions = _index_vector(index, "index_select", shape[axis], axis)
    return IndexSelect.apply(input, axis, positions)


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """``input`` with ``alpha * source[k]`` added to slice ``index[k]`` along ``dim``.

    Repeated indices add up: this is how graph nets sum messages into nodes. Floating-point rows
    are summed with ``np.bincount`` (in float64), several times faster than ``np.add.at``.

    Args:
        input: the tensor added to (not modified).
        dim: the dimension to index along.
        index: a 1-d integer tensor with ``source.size(dim)`` entries in ``[0, input.size(dim))``.
        source: the slices to add; same shape as ``input`` except ``len(index)`` along ``dim``.
        alpha: a scale for ``source``.

    Example:
        >>> import gradwork
        >>> nodes = gradwork.zeros(3, 2)
        >>> messages = gradwork.ones(4, 2)
        >>> gradwork.index_add(nodes, 0, gradwork.tensor([0, 2, 0, 0]), messages)
        tensor([[3., 3.],
                [0., 0.],
                [1., 1.]])
    """
    check_tensor(source, "index_add", "source")
    shape, source_shape = input._data.shape, source._data.shape
    if not shape:
        result = index_add(reshape(input, (1,)), 0, index, reshape(source, (-1,)), alpha=alpha)
        return reshape(result, ())
    axis = normalize_dim(dim, len(shape), "index_add")
    positions = _index_vector(index, "index_add", shape[axis], axis)
    check(
        input._data.dtype == source._data.dtype,
        "index_add",
        f"self ({input.dtype}) and source ({source.dtype}) must have the same dtype",
    )
    if not source_shape:
        source = reshape(source, (1,) * len(shape))
        source_shape = source._data.shape
    expected = shape[:axis] + (positions.size,) + shape[axis + 1 :]
    check(
        source_shape == expected,
        "index_add",
        f"source of shape {format_shape(source_shape)} does not match: expected "
        f"{format_shape(expected)} for input of shape {format_shape(shape)}, dim {axis} and "
        f"{positions.size} indices",
    )
    return IndexAdd.apply(input, axis, positions, source, alpha)


# -- gather / scatter ---------------------------------------------------------------------------
class Gather(Function):
    """out[i][j] = x[index[i][j]][j] (for dim 0);  d out/dx = scatter_add(zeros, dim, index, grad).

    ``index`` has x's shape except along ``dim``.
    """

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.dim, ctx.index, ctx.shape = dim, index, x._data.shape
        return np.take_along_axis(x._data, index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        zeros = Tensor._make(_backend.namespace_of(grad._data).zeros(ctx.shape, grad._data.dtype))
        return ScatterAdd.apply(zeros, ctx.dim, ctx.index, grad), None, None


class ScatterAdd(Function):
    """out = input; out[index[i][j]][j] += src[i][j] (for dim 0; repeats add up).

    d out/d input = 1;  d out/d src = gather(grad, dim, index). ``src`` has ``index``'s shape.
    """

    @staticmethod
    def forward(ctx, input, dim, index, src):
        ctx.dim, ctx.index = dim, index
        out = input._data.copy()
        _accumulate_flat(out, _scatter_positions(out.shape, dim, index), src._data)
        return out

    @staticmethod
    def backward(ctx, grad):
        need_input, _, _, need_src = ctx.needs_input_grad
        grad_src = _gather_block(grad, ctx.dim, ctx.index) if need_src else None
        return grad if need_input else None, None, None, grad_src


class Scatter(Function):
    """out = input; out[index[i][j]][j] = src[i][j] (for dim 0; ``src`` may be a number).

    d out/d input = grad with the written positions zeroed;  d out/d src = gather(grad, dim, index).
    """

    @staticmethod
    def forward(ctx, input, dim, index, src):
        ctx.dim, ctx.index = dim, index
        out = input._data.copy()
        values = src._data if isinstance(src, Tensor) else src
        out.reshape(-1)[_scatter_positions(out.shape, dim, index)] = values
        return out

    @staticmethod
    def backward(ctx, grad):
        need_input, _, _, need_src = ctx.needs_input_grad
        grad_input = Scatter.apply(grad, ctx.dim, ctx.index, 0) if need_input else None
        grad_src = _gather_block(grad, ctx.dim, ctx.index) if need_src else None
        return grad_input, None, None, grad_src


def _gather_index(op: str, input: Tensor, dim: int, index: Tensor, src: Tensor | None = None):
    """Check a gather/scatter index against ``input`` (and ``src``); return (axis, array)."""
    check_tensor(index, op, "index")
    shape, index_shape = input._data.shape, index._data.shape
    array = index._data
    check(array.dtype.kind in "iu", op, f"index must be an integer tensor, got {index.dtype}")
    axis = normalize_dim(dim, len(shape), op)
    check(
        len(index_shape) == len(shape),
        op,
        f"index tensor must have the same number of dimensions as the input: index shape "
        f"{format_shape(index_shape)}, input shape {format_shape(shape)}",
    )
    check(
        all(i <= s for k, (i, s) in enumerate(zip(index_shape, shape)) if k != axis),
        op,
        f"size does not match: expected index {format_shape(index_shape)} to be no larger "
        f"than input {format_shape(shape)} apart from dimension {axis}",
    )
    if src is not None:
        src_shape = src._data.shape
        check(
            len(src_shape) == len(shape) and all(i <= s for i, s in zip(index_shape, src_shape)),
            op,
            f"expected index {format_shape(index_shape)} to be no larger than src "
            f"{format_shape(src_shape)} in every dimension (and of the same number of "
            "dimensions)",
        )
    size = shape[axis] if shape else 1
    if array.size and (int(array.min()) < 0 or int(array.max()) >= size):
        bad = int(array.min()) if int(array.min()) < 0 else int(array.max())
        raise RuntimeError(
            f"{op}: index {bad} is out of bounds for dimension {axis} with size {size}"
        )
    return axis, array


def _leading_block(tensor: Tensor, sizes: tuple, skip: int | None = None) -> Tensor:
    """The leading block ``tensor[:sizes[0], :sizes[1], ...]`` (dimension ``skip`` kept whole)."""
    index = tuple(
        slice(None) if axis == skip or size == full else slice(0, size)
        for axis, (size, full) in enumerate(zip(sizes, tensor._data.shape))
    )
    if all(item == slice(None) for item in index):
        return tensor
    return BasicIndex.apply(tensor, index)


def _gather_block(grad: Tensor, dim: int, index) -> Tensor:
    """gather(grad, dim, index) for an index that may be smaller than grad outside ``dim``."""
    return Gather.apply(_leading_block(grad, index.shape, skip=dim), dim, index)


def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """Pick values along ``dim``: ``out[i][j][k] = input[index[i][j][k]][j][k]`` for dim 0.

    Args:
        input: the tensor.
        dim: the dimension to pick along.
        index: an integer tensor with input's number of dimensions and sizes no larger than
            input's, except along ``dim``.

    Shape: the output has ``index``'s shape.

    Example:
        >>> import gradwork
        >>> x = gradwork.tensor([[1, 2], [3, 4]])
        >>> gradwork.gather(x, 1, gradwork.tensor([[0, 0], [1, 0]]))
        tensor([[1, 1],
                [4, 3]])
    """
    if not input._data.ndim:
        check_tensor(index, "gather", "index")
        return reshape(gather(reshape(input, (1,)), 0, reshape(index, (-1,))), index.shape)
    axis, array = _gather_index("gather", input, dim, index)
    input = _leading_block(input, array.shape, skip=axis)
    return Gather.apply(input, axis, array)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """``input`` with ``src`` added at ``index``: ``out[index[i][j]][j] += src[i][j]`` for dim 0.

    Repeated indices add up. Only the leading ``index``-shaped block of ``src`` is used.

    Args:
        input: the tensor added to (not modified).
        dim: the dimension to index along.
        index: an integer tensor no larger than ``src``, nor than ``input`` except along ``dim``.
        src: the values to add.

    Example:
        >>> import gradwork
        >>> gradwork.zeros(3).scatter_add(0, gradwork.tensor([0, 2, 0]), gradwork.ones(3))
        tensor([2., 0., 1.])
    """
    check_tensor(src, "scatter_add", "src")
    if not input._data.ndim:
        flat = scatter_add(reshape(input, (1,)), 0, reshape(index, (-1,)), reshape(src, (-1,)))
        return reshape(flat, ())
    axis, array = _gather_index("scatter_add", input, dim, index, src)
    check(
        input._data.dtype == src._data.dtype,
        "scatter_add",
        f"self ({input.dtype}) and src ({src.dtype}) must have the same dtype",
    )
    src = _leading_block(src, array.shape)
    return ScatterAdd.apply(input, axis, array, src)


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None) -> Tensor:
    """``input`` with ``out[index[i][j]][j] = src[i][j]`` (for dim 0), or ``= value``.

    Where ``index`` repeats a position, which write wins is unspecified (as in PyTorch).

    Args:
        input: the tensor written to (not modified).
        dim: the dimension to index along.
        index: an integer tensor no larger than ``src``, nor than ``input`` except along ``dim``.
        src: a tensor of values (its leading ``index``-shaped block is used), or a number.
        value: a number, instead of ``src``.

    Example:
        >>> import gradwork
        >>> gradwork.scatter(gradwork.zeros(2, 3), 1, gradwork.tensor([[2], [0]]), 7.0)
        tensor([[0., 0., 7.],
                [7., 0., 0.]])
    """
    if value is not None:
        check(src is None, "scatter", "give either src or value, not both", TypeError)
        src = value
    check(src is not None, "scatter", "expected a src tensor or a value", TypeError)
    if isinstance(src, Tensor):
        axis, array = _gather_index("scatter", input, dim, index, src)
        check(
            input._data.dtype == src._data.dtype,
            "scatter",
            f"self ({input.dtype}) and src ({src.dtype}) must have the same dtype",
        )
        src = _leading_block(src, array.shape)
    else:
        check(
            isinstance(src, numbers.Number),
            "scatter",
            f"src must be a Tensor or a number, got {type(src).__name__}",
            TypeError,
        )
        axis, array = _gather_index("scatter", input, dim, index)
    if not input._data.ndim:
        return reshape(Scatter.apply(reshape(input, (1,)), 0, array.reshape(-1), src), ())
    return Scatter.apply(input, axis, array, src)


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """Pick values along ``dim`` like :func:`gather`, broadcasting ``input`` and ``indices``.

    With ``dim=None`` both are flattened first.

    Example:
        >>> import gradwork
        >>> x = gradwork.tensor([[10, 30, 20], [60, 40, 50]])
        >>> gradwork.take_along_dim(x, gradwork.tensor([[1], [0]]), dim=1)
        tensor([[30],
                [60]])
    """
    check_tensor(indices, "take_along_dim", "indices")
    if dim is None:
        return gather(reshape(input, (-1,)), 0, reshape(indices, (-1,)))
    shape, index_shape = input._data.shape, indices._data.shape
    check(
        len(shape) == len(index_shape),
        "take_along_dim",
        f"input and indices should have the same number of dimensions, but got shapes "
        f"{format_shape(shape)} and {format_shape(index_shape)}",
    )
    axis = normalize_dim(dim, len(shape), "take_along_dim")
    try:
        common = np.broadcast_shapes(
            shape[:axis] + (1,) + shape[axis + 1 :],
            index_shape[:axis] + (1,) + index_shape[axis + 1 :],
        )
    except ValueError:
        raise RuntimeError(
            f"take_along_dim: input of shape {format_shape(shape)} and indices of shape "
            f"{format_shape(index_shape)} are not broadcastable outside dimension {axis}"
        ) from None
    input = expand(input, common[:axis] + (shape[axis],) + common[axis + 1 :])
    indices = expand(indices, common[:axis] + (index_shape[axis],) + common[axis + 1 :])
    return gather(input, axis, indices)


# -- masks --------------------------------------------------------------------------------------
def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of ``input`` where ``mask`` is True, as a 1-d tensor (the two broadcast).

    Example:
        >>> import gradwork
        >>> x = gradwork.tensor([[1.0, -2.0], [-3.0, 4.0]])
        >>> gradwork.masked_select(x, x > 0)
        tensor([1., 4.])
    """
    check_tensor(mask, "masked_select", "mask")
    check(
        mask._data.dtype == np.bool_,
        "masked_select",
        f"expected a bool tensor for mask, got {mask.dtype}",
    )
    try:
        shape = np.broadcast_shapes(input._data.shape, mask._data.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_select: input of shape {format_shape(input.shape)} and mask of shape "
            f"{format_shape(mask.shape)} are not broadcastable"
        ) from None
    mask_array = np.broadcast_to(mask._data, shape)
    input = expand(input, shape)
    if not shape:
        input, mask_array = reshape(input, (1,)), mask_array.reshape(1)
    return AdvancedIndex.apply(input, np.nonzero(mask_array), True)


def nonzero(input: Tensor, *, as_tuple: bool = False):
    """The indices of the non-zero elements (not differentiable).

    Returns:
        An int64 tensor of shape ``(N, ndim)``, or with ``as_tuple`` a tuple of ``ndim`` 1-d
        tensors (one for a 0-d input).

    Example:
        >>> import gradwork
        >>> gradwork.nonzero(gradwork.tensor([[0, 1], [2, 0]]))
        tensor([[0, 1],
                [1, 0]])
    """
    array = input._data
    if as_tuple:
        array = array.reshape(1) if array.ndim == 0 else array
        return tuple(Tensor._make(c.astype(np.int64)) for c in np.nonzero(array))
    return Tensor._make(np.argwhere(array).astype(np.int64))
