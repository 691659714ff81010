"""The backend seam: devices, array modules, moving arrays, and the CuPy-less CUDA error."""

from __future__ import annotations

import numpy as np
import pytest

import gradwork
from gradwork import _backend

try:
    import cupy  # noqa: F401

    HAVE_CUPY = True
except ImportError:
    HAVE_CUPY = False


def test_device_parsing_and_equality():
    cpu = gradwork.device("cpu")
    assert cpu.type == "cpu" and cpu.index is None and str(cpu) == "cpu"
    assert repr(cpu) == "device(type='cpu')"
    cuda = gradwork.device("cuda:1")
    assert cuda.type == "cuda" and cuda.index == 1 and str(cuda) == "cuda:1"
    assert repr(gradwork.device("cuda", 0)) == "device(type='cuda', index=0)"
    assert gradwork.device(cuda) == cuda and cpu == "cpu" and cuda != cpu
    assert gradwork.device("cuda") == gradwork.device("cuda:0")
    assert len({gradwork.device("cpu"), gradwork.device("cpu")}) == 1


def test_device_errors():
    with pytest.raises(RuntimeError, match="unknown device type 'tpu'"):
        gradwork.device("tpu")
    with pytest.raises(RuntimeError, match="index given twice"):
        gradwork.device("cuda:0", 1)
    with pytest.raises(TypeError, match="expected a string"):
        gradwork.device(3)


def test_cpu_array_module_and_namespace():
    assert _backend.array_module("cpu") is np
    array = np.zeros(2)
    assert _backend.namespace_of(array) is np and _backend.namespace_of(np.float32(1)) is np
    assert _backend.device_of(array) == gradwork.device("cpu")
    assert _backend.move_to(array, "cpu") is array


@pytest.mark.skipif(HAVE_CUPY, reason="CuPy is installed")
def test_cuda_without_cupy_gives_a_clear_error():
    with pytest.raises(RuntimeError, match="CuPy.*pip install cupy"):
        _backend.array_module("cuda")
    x = gradwork.tensor([1.0])
    with pytest.raises(RuntimeError, match="CuPy"):
        x.to("cuda")
    with pytest.raises(RuntimeError, match="CuPy"):
        x.cuda()


@pytest.mark.skipif(not HAVE_CUPY, reason="needs CuPy and a GPU")
def test_cuda_round_trip():
    x = gradwork.tensor([1.0, 2.0], requires_grad=True)
    y = x.cuda()
    assert y.device == gradwork.device("cuda:0")
    (y * y).sum().backward()
    assert x.grad.device == gradwork.device("cpu") and x.grad.tolist() == [2.0, 4.0]
    assert y.cpu().tolist() == [1.0, 2.0]
