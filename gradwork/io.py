"""Saving and loading tensors and state dicts in the safetensors format, atomically.

``gradwork.save(obj, path)`` stores the tensors of ``obj`` (a tensor, or dicts/lists/tuples
holding tensors, NumPy arrays and JSON values, such as a model's ``state_dict()`` or a training
checkpoint) as a safetensors file. Nothing is ever pickled: the structure and the non-tensor
values go into the file's ``__metadata__`` header as JSON, so loading cannot run code.

The file is written to a temporary file in the same directory, flushed to disk and renamed over
the target, so a crash leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import tempfile
import zlib

import numpy as np
import safetensors.numpy

from gradwork import _backend
from gradwork.tensor import Tensor

__all__ = ["save", "load"]

_TREE_KEY = "gradwork.tree"  # JSON structure of the saved object, tensors replaced by their keys
_CRC_KEY = "gradwork.crc32"  # checksum of all tensor bytes: catches corruption inside the data


def _encode(value, path: tuple, tensors: dict):
    """A JSON tree for ``value``; tensors go into ``tensors`` under their dotted path.

    Every JSON object in the tree is a tagged node (``{"tensor": key}``, ``{"dict": pairs}``,
    ``{"list": items}``, ``{"tuple": items}``), so user data never collides with the encoding.
    """
    where = ".".join(str(part) for part in path) or "<root>"
    if isinstance(value, (Tensor, np.ndarray)):
        array = value._data if isinstance(value, Tensor) else value
        key = where
        if key in tensors:
            raise ValueError(
                f"save: two tensors would be stored under the key {key!r}; rename one of them"
            )
        # C order, as safetensors stores it (np.ascontiguousarray would turn 0-d into 1-d).
        tensors[key] = np.require(_backend.move_to(array, "cpu"), requirements="C")
        return {"tensor": key}
    if isinstance(value, dict):
        pairs = []
        for name, item in value.items():
            if not isinstance(name, (str, int)):
                raise TypeError(
                    f"save: dict keys must be str or int, got {type(name).__name__} at {where}"
                )
            pairs.append([name, _encode(item, (*path, name), tensors)])
        return {"dict": pairs}
    if isinstance(value, (list, tuple)):
        items = [_encode(item, (*path, index), tensors) for index, item in enumerate(value)]
        return {"tuple" if isinstance(value, tuple) else "list": items}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise TypeError(
        f"save: cannot store a {type(value).__name__} at {where}; gradwork.save stores tensors, "
        "NumPy arrays, dicts, lists, tuples, strings, numbers, booleans and None (it never pickles)"
    )


def _decode(node, tensors: dict):
    if not isinstance(node, dict):
        return node
    if "tensor" in node:
        return tensors[node["tensor"]]
    if "dict" in node:
        return {name: _decode(item, tensors) for name, item in node["dict"]}
    items = [_decode(item, tensors) for item in node.get("list", node.get("tuple", []))]
    return tuple(items) if "tuple" in node else items


def _checksum(tensors: dict, keys) -> str:
    crc = 0
    for key in keys:
        crc = zlib.crc32(tensors[key].reshape(-1).view(np.uint8), crc)
    return str(crc)


def _write_atomically(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, fsync and rename."""
    directory = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(
        dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as file:
            _write_all(file, data)
            file.flush()
            os.fsync(file.fileno())
        umask = os.umask(0)  # mkstemp makes the file private; give it the usual permissions
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        directory_descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(directory_descriptor)
        finally:
            os.close(directory_descriptor)


def _write_all(file, data: bytes, chunk_size: int = 1 << 24) -> None:
    view = memoryview(data)
    for start in range(0, len(view), chunk_size):
        file.write(view[start : start + chunk_size])


def save(obj, f) -> None:
    """Save tensors, or dicts/lists of tensors and JSON values, to a safetensors file.

    Args:
        obj: a tensor, or nested dicts (str or int keys), lists and tuples of tensors, NumPy
            arrays, strings, numbers, booleans and ``None``; e.g. ``model.state_dict()`` or
            ``{"model": model.state_dict(), "step": 100}``.
        f: a path (written atomically) or a binary file object.

    Tensors are stored under their dotted path (``model.layers.0.weight``), so the file reads
    as an ordinary safetensors file in other tools. Tensors are saved detached: ``requires_grad``
    and ``Parameter`` types are not stored.

    Example:
        >>> import os, tempfile, gradwork
        >>> path = os.path.join(tempfile.mkdtemp(), "checkpoint.safetensors")
        >>> gradwork.save({"weight": gradwork.ones(2), "step": 3}, path)
        >>> gradwork.load(path)
        {'weight': tensor([1., 1.]), 'step': 3}
    """
    tensors: dict = {}
    tree = _encode(obj, (), tensors)
    metadata = {
        _TREE_KEY: json.dumps(tree, allow_nan=True),
        _CRC_KEY: _checksum(tensors, tensors),
    }
    data = safetensors.numpy.save(tensors, metadata=metadata)
    if hasattr(f, "write"):
        _write_all(f, data)
    else:
        _write_atomically(os.fspath(f), data)


def _read(f) -> tuple[dict, dict]:
    """The arrays (writable, in memory) and the ``__metadata__`` of a safetensors file."""
    if not hasattr(f, "read"):
        with safetensors.safe_open(os.fspath(f), framework="np") as file:
            return {key: file.get_tensor(key) for key in file.keys()}, file.metadata() or {}
    data = f.read()
    # frombuffer arrays are read-only views of ``data``; copies make ordinary, writable tensors.
    arrays = {key: array.copy() for key, array in safetensors.numpy.load(data).items()}
    header_length = int.from_bytes(data[:8], "little")
    return arrays, json.loads(data[8 : 8 + header_length]).get("__metadata__") or {}


def load(f, map_location=None):
    """Load what :func:`save` stored (or any safetensors file, as a dict of tensors).

    Args:
        f: a path or a binary file object.
        map_location: a device to put the tensors on (CPU by default).

    Raises:
        RuntimeError: the file is not a valid safetensors file (truncated or corrupted).
    """
    name = getattr(f, "name", repr(f)) if hasattr(f, "read") else os.fspath(f)
    try:
        arrays, metadata = _read(f)
        tree = json.loads(metadata[_TREE_KEY]) if _TREE_KEY in metadata else None
    except OSError:
        raise
    except Exception as error:  # the Rust parser raises its own types; report them uniformly
        raise RuntimeError(f"load: not a valid safetensors file: {name} ({error})") from error
    if tree is not None and _CRC_KEY in metadata:
        keys = _tensor_keys(tree)
        if any(key not in arrays for key in keys) or _checksum(arrays, keys) != metadata[_CRC_KEY]:
            raise RuntimeError(
                f"load: not a valid safetensors file: {name} (checksum mismatch: the tensor data "
                "is corrupted)"
            )
    if map_location is not None:
        arrays = {key: _backend.move_to(array, map_location) for key, array in arrays.items()}
    tensors = {key: Tensor._make(array) for key, array in arrays.items()}
    return tensors if tree is None else _decode(tree, tensors)


def _tensor_keys(node, keys: list | None = None) -> list:
    """The tensor keys of a tree in the order :func:`save` stored (and checksummed) them."""
    keys = [] if keys is None else keys
    if isinstance(node, dict):
        if "tensor" in node:
            keys.append(node["tensor"])
        for item in node.get("list", node.get("tuple", [])):
            _tensor_keys(item, keys)
        for _, item in node.get("dict", []):
            _tensor_keys(item, keys)
    return keys
