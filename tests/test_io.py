"""gradwork.save / gradwork.load: safetensors round trips, atomic writes, clear errors."""

import io
import json
import os
from collections import OrderedDict

import numpy as np
import pytest
import safetensors.numpy
import safetensors.torch
import torch

import gradwork
from gradwork import io as gradwork_io
from gradwork.nn import Module, Parameter


class Affine(Module):
    def __init__(self, n):
        super().__init__()
        self.weight = Parameter(gradwork.randn(n, n))
        self.bias = Parameter(gradwork.randn(n))
        self.register_buffer("steps", gradwork.tensor(0))


def same(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize(
    "array",
    [
        np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
        np.linspace(-1, 1, 5, dtype=np.float64),
        np.array([[-(2**62), 5], [0, 2**62]], dtype=np.int64),
        np.array([True, False, True]),
        np.arange(256, dtype=np.uint8),
        np.array(3.5, dtype=np.float32),  # 0-d
        np.zeros((0, 3), dtype=np.float32),  # empty
        np.float16([1.5, -2.0]),
        np.int32([1, 2]),
        np.arange(6, dtype=np.float32).reshape(2, 3).T,  # not C-contiguous
    ],
    ids=lambda array: f"{array.dtype}{array.shape}",
)
def test_round_trip_dtypes(tmp_path, array):
    path = tmp_path / "tensors.safetensors"
    gradwork.save({"x": gradwork.tensor(array)}, path)
    loaded = gradwork.load(path)
    assert list(loaded) == ["x"] and isinstance(loaded["x"], gradwork.Tensor)
    same(loaded["x"].numpy(), array)


def test_state_dict_round_trip(tmp_path):
    model, other = Affine(3), Affine(3)
    path = str(tmp_path / "model.safetensors")
    gradwork.save(model.state_dict(), path)
    loaded = gradwork.load(path)
    assert list(loaded) == ["weight", "bias", "steps"]
    other.load_state_dict(loaded)
    for key, value in model.state_dict().items():
        same(other.state_dict()[key].numpy(), value.numpy())
    # loaded tensors are ordinary, writable tensors
    loaded["bias"].add_(1.0)


def test_nested_checkpoint_with_metadata(tmp_path):
    model = Affine(2)
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": {
            "state": {0: {"step": gradwork.tensor(3.0), "exp_avg": gradwork.zeros(2, 2)}},
            "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1], "name": None}],
        },
        "epoch": 7,
        "best": float("inf"),
        "tags": ["a", "b"],
        "finished": False,
        "rng": gradwork.get_rng_state(),
        "array": np.ones(2),
    }
    path = tmp_path / "checkpoint.safetensors"
    gradwork.save(checkpoint, path)
    loaded = gradwork.load(path)
    assert list(loaded) == list(checkpoint)
    assert loaded["epoch"] == 7 and loaded["best"] == float("inf") and loaded["finished"] is False
    assert loaded["tags"] == ["a", "b"]
    group = loaded["optimizer"]["param_groups"][0]
    assert group == {"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1], "name": None}
    state = loaded["optimizer"]["state"]
    assert list(state) == [0]  # int keys survive
    assert state[0]["step"].item() == 3.0
    same(loaded["model"]["weight"].numpy(), model.weight.detach().numpy())
    same(loaded["array"].numpy(), np.ones(2))
    gradwork.set_rng_state(loaded["rng"])
    # The file is an ordinary safetensors file; tensors are stored under dotted names.
    plain = safetensors.numpy.load_file(str(path))
    assert "model.weight" in plain and "optimizer.state.0.exp_avg" in plain


def test_single_tensor_and_containers(tmp_path):
    path = tmp_path / "t.safetensors"
    gradwork.save(gradwork.arange(3), path)
    same(gradwork.load(path).numpy(), np.arange(3))
    gradwork.save([gradwork.ones(1), (gradwork.zeros(1), 2)], path)
    loaded = gradwork.load(path)
    assert isinstance(loaded, list) and isinstance(loaded[1], tuple) and loaded[1][1] == 2


def test_saved_tensors_are_detached_copies(tmp_path):
    param = Parameter(gradwork.ones(2))
    path = tmp_path / "p.safetensors"
    gradwork.save({"p": param}, path)
    loaded = gradwork.load(path)["p"]
    assert type(loaded) is gradwork.Tensor and not loaded.requires_grad


def test_file_objects():
    buffer = io.BytesIO()
    gradwork.save({"a": gradwork.ones(3)}, buffer)
    buffer.seek(0)
    same(gradwork.load(buffer)["a"].numpy(), np.ones(3, np.float32))


def test_unsupported_values_are_refused(tmp_path):
    path = tmp_path / "bad.safetensors"
    with pytest.raises(TypeError, match=r"cannot store a object at extra.*never pickles"):
        gradwork.save({"extra": object()}, path)
    with pytest.raises(TypeError, match="dict keys must be str or int"):
        gradwork.save({(1, 2): gradwork.ones(1)}, path)
    with pytest.raises(ValueError, match="two tensors would be stored under the key 'a.b'"):
        gradwork.save({"a.b": gradwork.ones(1), "a": {"b": gradwork.ones(1)}}, path)
    assert not path.exists()


def test_written_atomically_old_file_survives_a_crash(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    gradwork.save({"w": gradwork.zeros(1000)}, path)
    original = path.read_bytes()
    real_write_all = gradwork_io._write_all

    def crash_midway(file, data, chunk_size=1 << 24):
        real_write_all(file, data[: len(data) // 2])  # half the bytes reach the temporary file
        raise KeyboardInterrupt("simulated crash during write")

    monkeypatch.setattr(gradwork_io, "_write_all", crash_midway)
    with pytest.raises(KeyboardInterrupt):
        gradwork.save({"w": gradwork.ones(1000)}, path)
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ["model.safetensors"]  # no temporary file left behind
    monkeypatch.undo()
    same(gradwork.load(path)["w"].numpy(), np.zeros(1000, np.float32))


def test_crash_before_rename_leaves_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    gradwork.save({"w": gradwork.zeros(4)}, path)

    def failing_fsync(descriptor):
        raise OSError("disk full")

    monkeypatch.setattr(gradwork_io.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        gradwork.save({"w": gradwork.ones(4)}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["model.safetensors"]
    same(gradwork.load(path)["w"].numpy(), np.zeros(4, np.float32))


def test_new_file_permissions_follow_umask(tmp_path):
    path = tmp_path / "model.safetensors"
    gradwork.save({"w": gradwork.zeros(1)}, path)
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask


def test_truncated_file_gives_clear_error(tmp_path):
    path = tmp_path / "model.safetensors"
    gradwork.save({"w": gradwork.randn(100)}, path)
    data = path.read_bytes()
    for cut in (len(data) - 10, 50, 4, 0):
        path.write_bytes(data[:cut])
        with pytest.raises(RuntimeError, match="not a valid safetensors file: .*model.safetensors"):
            gradwork.load(path)


def test_garbage_and_corrupted_data_give_clear_errors(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"\x80\x04this is a pickle, not a safetensors file")
    with pytest.raises(RuntimeError, match="not a valid safetensors file"):
        gradwork.load(path)
    gradwork.save({"w": gradwork.zeros(100)}, path)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF  # flip bits inside the tensor data; the header is still valid
    path.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="not a valid safetensors file: .*checksum mismatch"):
        gradwork.load(path)


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        gradwork.load("/nonexistent/model.safetensors")


def test_reads_files_written_by_safetensors_torch(tmp_path):
    torch.manual_seed(0)
    reference = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    path = tmp_path / "torch.safetensors"
    safetensors.torch.save_file(reference.state_dict(), str(path), metadata={"format": "pt"})
    loaded = gradwork.load(path)
    assert set(loaded) == set(reference.state_dict())
    for key, value in reference.state_dict().items():
        same(loaded[key].numpy(), value.numpy())


def test_files_written_by_gradwork_load_in_safetensors_torch(tmp_path):
    path = tmp_path / "ours.safetensors"
    state = OrderedDict(weight=gradwork.randn(2, 3), count=gradwork.tensor(4))
    gradwork.save(state, path)
    theirs = safetensors.torch.load_file(str(path))
    same(theirs["weight"].numpy(), state["weight"].numpy())
    assert theirs["count"].item() == 4


def test_metadata_is_json_in_the_header(tmp_path):
    path = tmp_path / "m.safetensors"
    gradwork.save({"w": gradwork.zeros(1), "epoch": 2}, path)
    data = path.read_bytes()
    header = json.loads(data[8 : 8 + int.from_bytes(data[:8], "little")])
    tree = json.loads(header["__metadata__"]["gradwork.tree"])
    assert tree == {"dict": [["w", {"tensor": "w"}], ["epoch", 2]]}
