"""Shape and movement primitives: reshape, permute, slicing, cat/split, flip, roll, pad and friends.

The primitives are Reshape, Expand, Permute, BasicIndex with its adjoint Embed, Cat with its adjoint
Split, Flip, Roll and Triangle; every backward is written with these same primitives, so gradients
of gradients work. The rest (flatten, squeeze, stack, repeat, narrow, pad, masked_fill, ...) is
composed from them. Forwards return NumPy views wherever NumPy can.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

from gradwork import _backend, _dtype
from gradwork.autograd.function import Function
from gradwork.ops._util import check, check_tensor, format_shape, normalize_dim
from gradwork.ops.elementwise import to_dtype, where
from gradwork.ops.reduce import sum_to, sum_to_array
from gradwork.tensor import Tensor

__all__ = [
    "reshape",
    "view",
    "expand",
    "broadcast_to",
    "flatten",
    "unflatten",
    "permute",
    "transpose",
    "swapaxes",
    "t",
    "movedim",
    "moveaxis",
    "squeeze",
    "unsqueeze",
    "repeat",
    "tile",
    "cat",
    "concat",
    "concatenate",
    "stack",
    "split",
    "chunk",
    "unbind",
    "narrow",
    "flip",
    "roll",
    "pad",
    "tril",
    "triu",
    "masked_fill",
]


def _int_tuple(values, op: str, argument: str) -> tuple:
    """``values`` (an int or a sequence of ints) as a tuple of Python ints."""
    if isinstance(values, numbers.Integral):
        return (int(values),)
    if isinstance(values, Tensor):
        values = values._data.tolist()
        values = values if isinstance(values, list) else [values]
    if not isinstance(values, Sequence) or not all(isinstance(v, numbers.Integral) for v in values):
        raise TypeError(f"{op}: {argument} must be an int or a sequence of ints, got {values!r}")
    return tuple(int(v) for v in values)


def _view(x: Tensor, array) -> Tensor:
    """Wrap a forward result; a view of ``x`` shares x's version counter, as in PyTorch, so that
    an in-place change through the view (``x[0][1] = 5``) is seen by tensors saved for backward."""
    if array.base is not None and np.may_share_memory(array, x._data):
        return Tensor._make(array, x._version_cell)
    return Tensor._make(array)


# -- reshape ------------------------------------------------------------------------------------
def _infer_shape(shape: tuple, numel: int, op: str, input_shape: tuple) -> tuple:
    """Resolve one ``-1`` in ``shape`` and check the element count."""
    shape = tuple([int(size) for size in shape])
    unknown = shape.count(-1)
    if unknown > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred, got shape {shape}")
    if unknown == 0 and math.prod(shape) == numel and (not shape or min(shape) >= 0):
        return shape  # the common case, checked without building any message
    for size in shape:
        check(size >= -1, op, f"invalid shape dimension {size} in {shape}")
    known = math.prod(size for size in shape if size != -1)
    if not unknown or known == 0 or numel % known:
        raise RuntimeError(
            f"{op}: shape {format_shape(shape)} is invalid for input of size {numel} "
            f"(input shape {format_shape(input_shape)})"
        )
    position = shape.index(-1)
    return shape[:position] + (numel // known,) + shape[position + 1 :]


class Reshape(Function):
    """out = x with a new shape (same row-major elements);  the gradient is reshaped back."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x._data.shape
        return _view(x, x._data.reshape(shape))

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None

    @staticmethod
    def fast_backward(ctx, grad):
        return grad.reshape(ctx.shape), None


def reshape(input: Tensor, shape) -> Tensor:
    """The elements of ``input`` with shape ``shape`` (one entry may be -1 to infer it).

    Example:
        >>> import gradwork
        >>> gradwork.arange(6).reshape(2, -1).shape
        (2, 3)
    """
    shape = _infer_shape(tuple(shape), input._data.size, "reshape", input._data.shape)
    if shape == input._data.shape:
        return input
    return Reshape.apply(input, shape)


def view(input: Tensor, shape) -> Tensor:
    """Like :func:`reshape`; gradwork copies when a view is impossible instead of raising."""
    shape = _infer_shape(tuple(shape), input._data.size, "view", input._data.shape)
    if shape == input._data.shape:
        return input
    return Reshape.apply(input, shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim`` to ``end_dim`` (inclusive) into one.

    Args:
        input: the tensor.
        start_dim, end_dim: the first and last dimension to merge (negative counts from the end).

    Shape: ``(*, S_start, ..., S_end, *)`` -> ``(*, S_start * ... * S_end, *)``; a 0-d input
    gives shape ``(1,)``.

    Example:
        >>> import gradwork
        >>> gradwork.zeros(2, 3, 4).flatten(1).shape
        (2, 12)
    """
    shape = input._data.shape
    if not shape:
        return reshape(input, (1,))
    start = normalize_dim(start_dim, len(shape), "flatten")
    end = normalize_dim(end_dim, len(shape), "flatten")
    check(
        start <= end,
        "flatten",
        f"start_dim ({start_dim}) cannot come after end_dim ({end_dim}) "
        f"for a tensor of shape {format_shape(shape)}",
    )
    merged = int(np.prod(shape[start : end + 1]))
    return reshape(input, shape[:start] + (merged,) + shape[end + 1 :])


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Split dimension ``dim`` into ``sizes`` (one entry may be -1).

    Shape: ``(*, S_dim, *)`` -> ``(*, *sizes, *)`` with ``prod(sizes) == S_dim``.

    Example:
        >>> import gradwork
        >>> gradwork.zeros(2, 12).unflatten(1, (3, -1)).shape
        (2, 3, 4)
    """
    shape = input._data.shape
    axis = normalize_dim(dim, len(shape), "unflatten")
    sizes = _int_tuple(sizes, "unflatten", "sizes")
    check(len(sizes) > 0, "unflatten", "sizes must be non-empty")
    inner = _infer_shape(sizes, shape[axis] if shape else 1, "unflatten", shape)
    return reshape(input, shape[:axis] + inner + shape[axis + 1 :])


def squeeze(input: Tensor, dim=None) -> Tensor:
    """Remove dimensions of size 1: all of them, or only those in ``dim`` (an int or a tuple).

    A dimension in ``dim`` whose size is not 1 is left alone, as in PyTorch.

    Shape: ``(A, 1, B)`` -> ``(A, B)``.

    Example:
        >>> import gradwork
        >>> gradwork.zeros(1, 2, 1).squeeze(0).shape
        (2, 1)
    """
    shape = input._data.shape
    if dim is None:
        dims = set(range(len(shape)))
    else:
        dims = {normalize_dim(d, len(shape), "squeeze") for d in _int_tuple(dim, "squeeze", "dim")}
    kept = tuple(size for axis, size in enumerate(shape) if size != 1 or axis not in dims)
    return reshape(input, kept)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size 1 at ``dim`` (in ``[-ndim - 1, ndim]``).

    Example:
        >>> import gradwork
        >>> gradwork.zeros(2, 3).unsqueeze(-1).shape
        (2, 3, 1)
    """
    shape = input._data.shape
    axis = normalize_dim(dim, len(shape) + 1, "unsqueeze")
    return reshape(input, shape[:axis] + (1,) + shape[axis:])


# -- broadcasting -------------------------------------------------------------------------------
class Expand(Function):
    """out = x broadcast to ``shape`` (a read-only view);  the gradient is summed by sum_to."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x._data.shape
        return np.broadcast_to(x._data, shape)

    @staticmethod
    def backward(ctx, grad):
        return sum_to(grad, ctx.shape), None

    @staticmethod
    def fast_backward(ctx, grad):
        return sum_to_array(grad, ctx.shape), None


def expand(input: Tensor, sizes) -> Tensor:
    """``input`` broadcast to ``sizes`` without copying; -1 keeps a dimension's size.

    Example:
        >>> import gradwork
        >>> gradwork.zeros(3, 1).expand(2, 3, 4).shape
        (2, 3, 4)
    """
    sizes = tuple(int(size) for size in sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to the "
            f"number of dimensions in the tensor ({len(shape)})"
        )
    leading = len(sizes) - len(shape)
    target = list(sizes)
    for axis, size in enumerate(shape):
        wanted = sizes[leading + axis]
        if wanted == -1:
            target[leading + axis] = size
        elif size != wanted and size != 1:
            raise RuntimeError(
                f"expand: the expanded size of the tensor ({wanted}) must match the existing "
                f"size ({size}) at non-singleton dimension {leading + axis}; target sizes "
                f"{format_shape(sizes)}, tensor shape {format_shape(shape)}"
            )
    if any(size < 0 for size in target[:leading]):
        raise RuntimeError(f"expand: invalid sizes {sizes}")
    target = tuple(target)
    if target == shape:
        return input
    return Expand.apply(input, target)


def broadcast_to(input: Tensor, shape) -> Tensor:
    """``input`` broadcast to ``shape`` (same as :func:`expand`)."""
    return expand(input, shape)


def repeat(input: Tensor, sizes) -> Tensor:
    """Tile ``input`` ``sizes[i]`` times along each dimension (``len(sizes) >= ndim``).

    Built as reshape -> expand -> reshape, so the gradient sums the copies.

    Shape: ``(S_1, ..., S_n)`` with sizes ``(R_0, ..., R_m)`` -> ``(R_i * S_i)`` (missing
    leading ``S_i`` count as 1).

    Example:
        >>> import gradwork
        >>> gradwork.tensor([1, 2]).repeat(2, 2)
        tensor([[1, 2, 1, 2],
                [1, 2, 1, 2]])
    """
    sizes = _int_tuple(sizes, "repeat", "sizes")
    shape = input._data.shape
    check(
        len(sizes) >= len(shape),
        "repeat",
        f"number of dimensions of repeat dims ({len(sizes)}) can not be smaller than the number "
        f"of dimensions of the tensor (shape {format_shape(shape)})",
    )
    check(all(r >= 0 for r in sizes), "repeat", f"sizes must be non-negative, got {sizes}")
    shape = (1,) * (len(sizes) - len(shape)) + shape
    interleaved = tuple(v for size in shape for v in (1, size))  # (1, S_1, 1, S_2, ...)
    expanded = tuple(v for pair in zip(sizes, shape) for v in pair)  # (R_1, S_1, R_2, S_2, ...)
    result = expand(reshape(input, interleaved), expanded)
    return reshape(result, tuple(r * s for r, s in zip(sizes, shape)))


def tile(input: Tensor, dims) -> Tensor:
    """Like :func:`repeat`, but ``dims`` shorter than ``ndim`` is padded with leading ones.

    Example:
        >>> import gradwork
        >>> gradwork.tile(gradwork.zeros(2, 3), (2,)).shape
        (2, 6)
    """
    dims = _int_tuple(dims, "tile", "dims")
    dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


# -- permutations -------------------------------------------------------------------------------
class Permute(Function):
    """out = x with dimensions reordered (a view);  the gradient is permuted back by the inverse."""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return _view(x, np.transpose(x._data, dims))

    @staticmethod
    def backward(ctx, grad):
        inverse = tuple(int(axis) for axis in np.argsort(ctx.dims))
        return Permute.apply(grad, inverse), None

    @staticmethod
    def fast_backward(ctx, grad):
        return np.transpose(grad, np.argsort(ctx.dims)), None


def permute(input: Tensor, dims) -> Tensor:
    """Reorder the dimensions: output dimension ``i`` is input dimension ``dims[i]``.

    Shape: ``(S_0, ..., S_n)`` -> ``(S_dims[0], ..., S_dims[n])``.

    Example:
        >>> import gradwork
        >>> gradwork.zeros(2, 3, 4).permute(2, 0, 1).shape
        (4, 2, 3)
    """
    shape = input._data.shape
    dims = _int_tuple(dims, "permute", "dims")
    if len(dims) != len(shape):
        raise RuntimeError(
            f"permute: number of dims {dims} don't match the number of dimensions of a tensor of "
            f"shape {format_shape(shape)}"
        )
    dims = tuple(normalize_dim(d, len(shape), "permute") for d in dims)
    if sorted(dims) != list(range(len(shape))):
        raise RuntimeError(
            f"permute: dims {dims} is not a permutation of the dimensions of a tensor of shape "
            f"{format_shape(shape)} (repeated dim)"
        )
    if dims == tuple(range(len(shape))):
        return input
    return Permute.apply(input, dims)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap dimensions ``dim0`` and ``dim1`` (a view).

    Example:
        >>> import gradwork
        >>> gradwork.zeros(2, 3, 4).transpose(0, -1).shape
        (4, 3, 2)
    """
    ndim = input._data.ndim
    first = normalize_dim(dim0, ndim, "transpose")
    second = normalize_dim(dim1, ndim, "transpose")
    if first == second:
        return input
    dims = list(range(ndim))
    dims[first], dims[second] = second, first
    return Permute.apply(input, tuple(dims))


swapaxes = transpose


def t(input: Tensor) -> Tensor:
    """Transpose a matrix; 0-d and 1-d tensors are returned as they are.

    Example:
        >>> import gradwork
        >>> gradwork.zeros(2, 3).t().shape
        (3, 2)
    """
    ndim = input._data.ndim
    check(
        ndim <= 2,
        "t",
        f"expects a tensor with <= 2 dimensions, but got a tensor of shape "
        f"{format_shape(input._data.shape)}",
    )
    return transpose(input, 0, 1) if ndim == 2 else input


def movedim(input: Tensor, source, destination) -> Tensor:
    """Move dimensions ``source`` (int or tuple) to positions ``destination``; others keep order.

    Example:
        >>> import gradwork
        >>> gradwork.movedim(gradwork.zeros(2, 3, 4), 0, -1).shape
        (3, 4, 2)
    """
    ndim = input._data.ndim
    source = _int_tuple(source, "movedim", "source")
    destination = _int_tuple(destination, "movedim", "destination")
    check(
        len(source) == len(destination),
        "movedim",
        f"invalid source or destination dims: source {source} and destination {destination} "
        "must have the same number of elements",
    )
    source = tuple(normalize_dim(d, ndim, "movedim") for d in source)
    destination = tuple(normalize_dim(d, ndim, "movedim") for d in destination)
    check(len(set(source)) == len(source), "movedim", f"repeated dim in source {source}")
    check(
        len(set(destination)) == len(destination),
        "movedim",
        f"repeated dim in destination {destination}",
    )
    order = [None] * ndim
    for s, d in zip(source, destination):
        order[d] = s
    rest = iter(axis for axis in range(ndim) if axis not in source)
    dims = tuple(axis if axis is not None else next(rest) for axis in order)
    return permute(input, dims)


moveaxis = movedim


# -- slicing (basic indices) --------------------------------------------------------------------
def _view_index(index: tuple) -> tuple:
    # Only ints would give a NumPy scalar, not an array; a trailing Ellipsis keeps a 0-d view.
    return index if Ellipsis in index else index + (Ellipsis,)


class BasicIndex(Function):
    """out = x[index] for ints, slices (positive steps), None and Ellipsis: a view.

    d out/dx embeds the gradient into zeros of x's shape (:class:`Embed`); basic indices never
    repeat an element, so nothing accumulates.
    """

    @staticmethod
    def forward(ctx, x, index):
        ctx.index, ctx.shape = index, x._data.shape
        return _view(x, x._data[_view_index(index)])

    @staticmethod
    def backward(ctx, grad):
        return Embed.apply(grad, ctx.index, ctx.shape, 0), None


class Embed(Function):
    """out = full(shape, fill) with out[index] = x: the adjoint of :class:`BasicIndex`.

    It also serves as constant padding. d out/dx is x's slice of the gradient.
    """

    @staticmethod
    def forward(ctx, x, index, shape, fill):
        ctx.index = index
        array = x._data
        out = _backend.namespace_of(array).full(shape, fill, dtype=array.dtype)
        out[_view_index(index)] = array
        return out

    @staticmethod
    def backward(ctx, grad):
        return BasicIndex.apply(grad, ctx.index), None, None, None


def _slice_dim(input: Tensor, axis: int, start: int, stop: int) -> Tensor:
    """``input`` restricted to ``start:stop`` along ``axis`` (a view)."""
    if start == 0 and stop == input._data.shape[axis]:
        return input
    return BasicIndex.apply(input, (slice(None),) * axis + (slice(start, stop),))


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The elements ``start`` to ``start + length`` along ``dim`` (a view).

    Args:
        input: the tensor.
        dim: the dimension to narrow.
        start: the first index (negative counts from the end); a 0-d integer tensor is accepted.
        length: how many elements to keep.

    Example:
        >>> import gradwork
        >>> gradwork.narrow(gradwork.arange(6), 0, 2, 3)
        tensor([2, 3, 4])
    """
    shape = input._data.shape
    check(len(shape) > 0, "narrow", "cannot be applied to a 0-dim tensor")
    axis = normalize_dim(dim, len(shape), "narrow")
    if isinstance(start, Tensor):
        start = int(start._data)
    size = shape[axis]
    check(
        -size <= start <= size,
        "narrow",
        f"start ({start}) out of range for dimension {axis} of size {size}",
        IndexError,
    )
    start = start + size if start < 0 else start
    check(length >= 0, "narrow", f"length must be non-negative, got {length}")
    check(
        start + length <= size,
        "narrow",
        f"start ({start}) + length ({length}) exceeds dimension size ({size}) of a tensor of "
        f"shape {format_shape(shape)}",
    )
    return BasicIndex.apply(input, (slice(None),) * axis + (slice(start, start + length),))


# -- joining and splitting ----------------------------------------------------------------------
class Cat(Function):
    """out = the inputs joined along ``dim``;  the gradient is split back into their sizes.

    1-d empty inputs are skipped when others are not (PyTorch's legacy rule); they get an empty
    gradient.
    """

    @staticmethod
    def forward(ctx, dim, *tensors):
        arrays = [t._data for t in tensors]
        skipped = [a.shape == (0,) for a in arrays]
        if all(skipped):
            skipped = [False] * len(arrays)
        kept = [a for a, skip in zip(arrays, skipped) if not skip]
        ctx.dim, ctx.skipped = dim, skipped
        ctx.sizes = tuple(a.shape[dim] for a in kept)
        return np.concatenate(kept, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        pieces = iter(Split.apply(grad, ctx.dim, ctx.sizes))
        empty = _backend.namespace_of(grad._data).zeros((0,), dtype=grad._data.dtype)
        return (None, *(Tensor._make(empty) if skip else next(pieces) for skip in ctx.skipped))


class Split(Function):
    """outs = x cut along ``dim`` into pieces of ``sizes`` (views);  the gradient is their cat.

    A piece that receives no gradient contributes zeros (the engine materializes them).
    """

    @staticmethod
    def forward(ctx, x, dim, sizes):
        ctx.dim = dim
        bounds = np.cumsum(sizes)[:-1].tolist()
        return tuple(_view(x, piece) for piece in np.split(x._data, bounds, axis=dim))

    @staticmethod
    def backward(ctx, *grads):
        return Cat.apply(ctx.dim, *grads), None, None


def _tensor_list(tensors, op: str) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence):
        raise TypeError(
            f"{op}: argument 'tensors' must be a tuple or list of Tensors, "
            f"not {type(tensors).__name__}"
        )
    check(len(tensors) > 0, op, "expected a non-empty list of Tensors")
    for position, value in enumerate(tensors):
        check_tensor(value, op, f"tensors[{position}]")
    return list(tensors)


def _common_dtype(tensors: list) -> list:
    """The tensors cast to their common dtype (PyTorch's promotion, differentiable casts)."""
    target = tensors[0].dtype
    for other in tensors[1:]:
        target = _dtype.promote_types(target, other.dtype)
    return [to_dtype(t, target) for t in tensors]


def cat(tensors, dim: int = 0) -> Tensor:
    """Join ``tensors`` along the existing dimension ``dim``.

    As in PyTorch, 1-d empty tensors (shape ``(0,)``) are skipped, whatever the others' shapes
    (the legacy rule), and mixed dtypes are promoted.

    Args:
        tensors: a non-empty sequence of tensors with equal sizes except in ``dim``.
        dim: the dimension to join along.

    Shape: ``(*, S_i, *)`` for each input -> ``(*, sum(S_i), *)``.

    Example:
        >>> import gradwork
        >>> gradwork.cat([gradwork.zeros(2, 3), gradwork.ones(1, 3)]).shape
        (3, 3)
    """
    tensors = _tensor_list(tensors, "cat")
    for position, tensor in enumerate(tensors):
        check(
            tensor._data.ndim > 0,
            "cat",
            f"zero-dimensional tensor (at position {position}) cannot be concatenated",
        )
    kept = [k for k, t in enumerate(tensors) if t._data.shape != (0,)] or [0]
    first = tensors[kept[0]]._data.shape
    axis = normalize_dim(dim, len(first), "cat")
    for position in kept:
        shape = tensors[position]._data.shape
        check(
            len(shape) == len(first),
            "cat",
            f"tensors must have the same number of dimensions: got shapes {format_shape(first)} "
            f"and {format_shape(shape)} (tensor number {position} in the list)",
        )
        same = all(a == b for k, (a, b) in enumerate(zip(first, shape)) if k != axis)
        check(
            same,
            "cat",
            f"sizes of tensors must match except in dimension {axis}: got shapes "
            f"{format_shape(first)} and {format_shape(shape)} (tensor number {position} in the "
            "list)",
        )
    return Cat.apply(axis, *_common_dtype(tensors))


concat = cat
concatenate = cat


def stack(tensors, dim: int = 0) -> Tensor:
    """Join equally shaped ``tensors`` along a new dimension ``dim``.

    Shape: ``n`` tensors of shape ``(*)`` -> ``(*, n, *)`` with ``n`` at ``dim``.

    Example:
        >>> import gradwork
        >>> gradwork.stack([gradwork.zeros(2, 3), gradwork.ones(2, 3)], dim=1).shape
        (2, 2, 3)
    """
    tensors = _tensor_list(tensors, "stack")
    first = tensors[0]._data.shape
    for position, tensor in enumerate(tensors):
        check(
            tensor._data.shape == first,
            "stack",
            f"expects each tensor to be equal size, but got {format_shape(first)} at entry 0 "
            f"and {format_shape(tensor._data.shape)} at entry {position}",
        )
    axis = normalize_dim(dim, len(first) + 1, "stack")
    tensors = _common_dtype(tensors)
    return Cat.apply(axis, *(unsqueeze(t, axis) for t in tensors))


def _split_sizes(input: Tensor, sizes, axis: int) -> tuple:
    """Split along ``axis`` into ``sizes``; a single piece is returned as a 1-tuple."""
    return tuple(Split.apply(input, axis, tuple(sizes)))


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Cut ``tensor`` along ``dim`` into pieces (views).

    Args:
        tensor: the tensor to split.
        split_size_or_sections: an int, the size of every piece (the last may be smaller), or a
            list of piece sizes that sum to the size of ``dim``.
        dim: the dimension to cut.

    Returns:
        A tuple of tensors. Pieces left unused get a zero gradient.

    Example:
        >>> import gradwork
        >>> [p.shape for p in gradwork.arange(5).split(2)]
        [(2,), (2,), (1,)]
    """
    shape = tensor._data.shape
    check(len(shape) > 0, "split", "cannot split a 0-dim tensor")
    axis = normalize_dim(dim, len(shape), "split")
    size = shape[axis]
    if isinstance(split_size_or_sections, numbers.Integral):
        step = int(split_size_or_sections)
        check(
            step > 0 or (step == 0 and size == 0),
            "split",
            f"split_size must be a positive integer, got {step} (dimension {axis} has size {size})",
        )
        count = max(-(-size // step), 1) if step else 1
        sizes = [step] * (count - 1) + [size - step * (count - 1)]
    else:
        sizes = list(_int_tuple(split_size_or_sections, "split", "split_size_or_sections"))
        check(
            all(s >= 0 for s in sizes) and sum(sizes) == size,
            "split",
            f"split_with_sizes expects split_sizes to be non-negative and sum exactly to {size} "
            f"(input tensor's size at dimension {axis}, shape {format_shape(shape)}), but got "
            f"split_sizes={sizes}",
        )
    return _split_sizes(tensor, sizes, axis)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Cut ``input`` into ``chunks`` pieces of size ``ceil(size / chunks)`` (fewer if they run out).

    Example:
        >>> import gradwork
        >>> [p.shape for p in gradwork.zeros(6, 2).chunk(4)]
        [(2, 2), (2, 2), (2, 2)]
    """
    shape = input._data.shape
    check(len(shape) > 0, "chunk", "cannot chunk a 0-dim tensor")
    check(
        isinstance(chunks, numbers.Integral) and chunks > 0,
        "chunk",
        f"chunks must be a positive integer, got {chunks}",
    )
    axis = normalize_dim(dim, len(shape), "chunk")
    size = shape[axis]
    if size == 0:
        return _split_sizes(input, [0] * chunks, axis)
    return split(input, -(-size // chunks), axis)


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """All slices along ``dim``, each without that dimension.

    Example:
        >>> import gradwork
        >>> a, b = gradwork.tensor([[1, 2], [3, 4]]).unbind(1)
        >>> b
        tensor([2, 4])
    """
    shape = input._data.shape
    check(len(shape) > 0, "unbind", "dimension specified as 0 but tensor has no dimensions")
    axis = normalize_dim(dim, len(shape), "unbind")
    if shape[axis] == 0:
        return ()
    inner = shape[:axis] + shape[axis + 1 :]
    return tuple(reshape(piece, inner) for piece in _split_sizes(input, [1] * shape[axis], axis))


# -- reordering ---------------------------------------------------------------------------------
class Flip(Function):
    """out = x reversed along ``dims`` (a view);  the gradient is reversed the same way."""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return _view(x, np.flip(x._data, dims))

    @staticmethod
    def backward(ctx, grad):
        return Flip.apply(grad, ctx.dims), None


def flip(input: Tensor, dims) -> Tensor:
    """Reverse the order of elements along ``dims`` (an int or a tuple).

    Example:
        >>> import gradwork
        >>> gradwork.tensor([[1, 2], [3, 4]]).flip(1)
        tensor([[2, 1],
                [4, 3]])
    """
    ndim = input._data.ndim
    dims = tuple(normalize_dim(d, ndim, "flip") for d in _int_tuple(dims, "flip", "dims"))
    check(len(set(dims)) == len(dims), "flip", f"dims {dims} has a repeated dim")
    if not dims or not ndim:
        return input
    return Flip.apply(input, dims)


class Roll(Function):
    """out = x shifted cyclically by ``shifts`` along ``dims``;  the gradient is rolled back."""

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return np.roll(x._data, shifts, axis=dims)

    @staticmethod
    def backward(ctx, grad):
        return Roll.apply(grad, tuple(-s for s in ctx.shifts), ctx.dims), None, None


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Shift elements cyclically: ``out[(i + shift) % size] = input[i]`` along each dim.

    Args:
        input: the tensor.
        shifts: an int or a tuple, one shift per entry of ``dims``.
        dims: an int or a tuple; ``None`` rolls the flattened tensor and restores the shape.

    Example:
        >>> import gradwork
        >>> gradwork.arange(5).roll(2)
        tensor([3, 4, 0, 1, 2])
    """
    shifts = _int_tuple(shifts, "roll", "shifts")
    if dims is None:
        check(
            len(shifts) == 1,
            "roll",
            f"shifts {shifts} needs dims of the same length (only one shift can roll the "
            "flattened tensor)",
        )
        return Roll.apply(input, shifts, None)
    ndim = input._data.ndim
    dims = tuple(normalize_dim(d, ndim, "roll") for d in _int_tuple(dims, "roll", "dims"))
    check(
        len(shifts) == len(dims),
        "roll",
        f"shifts and dimensions must align: shifts {shifts}, dims {dims}",
    )
    if not ndim:
        return Roll.apply(input, shifts, None)
    return Roll.apply(input, shifts, dims)


# -- padding ------------------------------------------------------------------------------------
def _pad_dim(input: Tensor, axis: int, left: int, right: int, mode: str) -> Tensor:
    """Pad one dimension in a non-constant mode, as a cat of slices of ``input``."""
    size = input._data.shape[axis]
    pieces = [input]
    if mode == "reflect":  # mirror without repeating the edge: x[left], ..., x[1] | x | ...
        if left:
            pieces.insert(0, flip(_slice_dim(input, axis, 1, left + 1), axis))
        if right:
            pieces.append(flip(_slice_dim(input, axis, size - right - 1, size - 1), axis))
    elif mode == "replicate":
        if left:
            edge = _slice_dim(input, axis, 0, 1)
            pieces.insert(0, expand(edge, edge.shape[:axis] + (left,) + edge.shape[axis + 1 :]))
        if right:
            edge = _slice_dim(input, axis, size - 1, size)
            pieces.append(expand(edge, edge.shape[:axis] + (right,) + edge.shape[axis + 1 :]))
    else:  # circular
        if left:
            pieces.insert(0, _slice_dim(input, axis, size - left, size))
        if right:
            pieces.append(_slice_dim(input, axis, 0, right))
    return Cat.apply(axis, *pieces) if len(pieces) > 1 else input


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last dimensions: ``pad = (left_last, right_last, left_second_last, ...)``.

    Args:
        input: the tensor.
        pad: an even-length sequence of ints, starting with the last dimension (PyTorch's
            convention). Negative values crop (``'constant'`` mode only).
        mode: ``'constant'`` (fill with ``value``), ``'reflect'`` (mirror, edge not repeated;
            pads smaller than the size), ``'replicate'`` (repeat the edge) or ``'circular'``
            (wrap around; pads at most the size).
        value: the fill for ``'constant'`` mode (default 0).

    Shape: ``(*, S_i, ...)`` -> ``(*, S_i + left_i + right_i, ...)``.

    Example:
        >>> import gradwork
        >>> gradwork.pad(gradwork.tensor([1.0, 2.0, 3.0]), (2, 1), mode="reflect")
        tensor([3., 2., 1., 2., 3., 2.])
    """
    pad = _int_tuple(pad, "pad", "pad")
    shape = input._data.shape
    check(len(pad) % 2 == 0, "pad", f"padding length must be divisible by 2, got pad {pad}")
    check(
        len(pad) // 2 <= len(shape),
        "pad",
        f"padding length too large: pad {pad} covers {len(pad) // 2} dimensions, but the "
        f"input has shape {format_shape(shape)}",
    )
    check(
        mode in ("constant", "reflect", "replicate", "circular"),
        "pad",
        f"mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}",
        ValueError,
    )
    pairs = [(len(shape) - 1 - k, pad[2 * k], pad[2 * k + 1]) for k in range(len(pad) // 2)]
    if mode == "constant":
        crop, interior, out_shape = [slice(None)] * len(shape), [slice(None)] * len(shape), []
        for axis, left, right in pairs:
            size = shape[axis]
            check(
                size + left + right >= 0,
                "pad",
                f"the input size {size} at dimension {axis}, plus negative padding {left} and "
                f"{right}, resulted in a negative output size (input shape {format_shape(shape)})",
            )
            crop[axis] = slice(max(-left, 0), size - max(-right, 0))
        if any(piece != slice(None) for piece in crop):
            input = BasicIndex.apply(input, tuple(crop))
        out_shape = list(input._data.shape)
        for axis, left, right in pairs:
            left, right = max(left, 0), max(right, 0)
            interior[axis] = slice(left, left + out_shape[axis])
            out_shape[axis] += left + right
        if tuple(out_shape) == input._data.shape:
            return input
        return Embed.apply(input, tuple(interior), tuple(out_shape), 0 if value is None else value)
    check(value is None, "pad", f"padding mode {mode!r} doesn't take a value argument", ValueError)
    for axis, left, right in pairs:
        size = shape[axis]
        check(
            left >= 0 and right >= 0,
            "pad",
            f"negative padding {(left, right)} is only supported in 'constant' mode",
        )
        limit = {"reflect": size - 1, "replicate": None, "circular": size}[mode]
        if mode == "replicate":
            check(
                size > 0 or left + right == 0,
                "pad",
                f"cannot replicate-pad the empty dimension {axis} of shape {format_shape(shape)}",
            )
        else:
            check(
                left <= limit and right <= limit,
                "pad",
                f"{mode} padding {(left, right)} at dimension {axis} must be "
                f"{'less than' if mode == 'reflect' else 'at most'} the dimension size {size} "
                f"(input shape {format_shape(shape)})",
            )
        input = _pad_dim(input, axis, left, right, mode)
    return input


# -- masking ------------------------------------------------------------------------------------
class Triangle(Function):
    """out = tril(x) or triu(x) over the last two dims;  the gradient is masked the same way."""

    @staticmethod
    def forward(ctx, x, diagonal, upper):
        ctx.diagonal, ctx.upper = diagonal, upper
        return (np.triu if upper else np.tril)(x._data, diagonal)

    @staticmethod
    def backward(ctx, grad):
        return Triangle.apply(grad, ctx.diagonal, ctx.upper), None, None


def _triangle(input: Tensor, diagonal: int, upper: bool, op: str) -> Tensor:
    check(
        input._data.ndim >= 2,
        op,
        f"input tensor must have at least 2 dimensions, got shape {format_shape(input.shape)}",
    )
    return Triangle.apply(input, int(diagonal), upper)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims: elements with ``j - i <= diagonal``; others 0.

    Example:
        >>> import gradwork
        >>> gradwork.ones(2, 2).tril()
        tensor([[1., 0.],
                [1., 1.]])
    """
    return _triangle(input, diagonal, False, "tril")


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims: elements with ``j - i >= diagonal``; others 0.

    Example:
        >>> import gradwork
        >>> gradwork.ones(2, 2).triu(1)
        tensor([[0., 1.],
                [0., 0.]])
    """
    return _triangle(input, diagonal, True, "triu")


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """``value`` where ``mask`` is True, else ``input`` (mask and input broadcast).

    Args:
        input: the tensor.
        mask: a bool tensor broadcastable with ``input``.
        value: a number or a 0-d tensor (differentiable), cast to ``input``'s dtype.

    Example:
        >>> import gradwork
        >>> x = gradwork.zeros(3)
        >>> x.masked_fill(gradwork.tensor([True, False, True]), 5.0)
        tensor([5., 0., 5.])
    """
    check_tensor(mask, "masked_fill", "mask")
    check(
        mask._data.dtype == np.bool_,
        "masked_fill",
        f"only supports boolean masks, but got mask with dtype {mask.dtype}",
    )
    if isinstance(value, Tensor):
        check(
            value._data.ndim == 0,
            "masked_fill",
            f"only supports a 0-dimensional value tensor, but got a value of shape "
            f"{format_shape(value.shape)}",
        )
        value = to_dtype(value, input.dtype)
    else:
        value = Tensor._make(np.asarray(value, dtype=input._data.dtype))
    try:
        np.broadcast_shapes(mask._data.shape, input._data.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_fill: mask of shape {format_shape(mask.shape)} is not broadcastable with "
            f"input of shape {format_shape(input.shape)}"
        ) from None
    return where(mask, value, input)
