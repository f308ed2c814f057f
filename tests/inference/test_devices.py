import pytest

from service.errors import ConfigurationError
from service.inference import devices
from service.inference.devices import resolve


def test_auto_uses_onnx_runtime_on_a_machine_without_cuda(monkeypatch):
    monkeypatch.setattr(devices, "cuda_available", lambda: False)
    assert resolve("auto", "auto", 2) == devices.Compute("cpu", "onnx", 2)
    assert resolve("cpu", "torch", 1) == devices.Compute("cpu", "torch", 1)


def test_auto_picks_torch_on_cuda(monkeypatch):
    monkeypatch.setattr(devices, "cuda_available", lambda: True)
    assert resolve("auto", "auto", 2) == devices.Compute("cuda", "torch", 2)


def test_asking_for_cuda_without_a_gpu_fails_at_start(monkeypatch):
    monkeypatch.setattr(devices, "cuda_available", lambda: False)
    with pytest.raises(ConfigurationError, match="no CUDA GPU"):
        resolve("cuda", "auto", 2)
    with pytest.raises(ConfigurationError):
        resolve("tpu", "auto", 2)


def test_onnx_on_cuda_needs_the_gpu_build_of_onnxruntime(monkeypatch):
    monkeypatch.setattr(devices, "cuda_available", lambda: True)
    monkeypatch.setattr(devices, "onnx_cuda_available", lambda: False)
    with pytest.raises(ConfigurationError, match="onnxruntime-gpu"):
        resolve("cuda", "onnx", 2)
