"""Which device and engine serve the models: ``device = auto | cpu | cuda``, ``engine = auto | onnx | torch``.

``auto`` picks CUDA when an NVIDIA GPU is visible to PyTorch, else the CPU; the engine then defaults to
what measures fastest there (ONNX Runtime on CPU, PyTorch fp16 on CUDA). Asking for CUDA where there is
none is a start-up error, never a silent fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from service.errors import ConfigurationError

DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class Compute:
    """Where and how the models run: the device, the engine, CPU threads, int8 where exact."""

    device: str  # "cpu" | "cuda"
    engine: str  # "onnx" | "torch"
    threads: int = 2
    int8: bool = False  # ONNX Runtime: serve a model's int8 export where it ships one


def cuda_available() -> bool:
    """True when PyTorch sees a CUDA device; torch is only imported where an NVIDIA driver exists."""
    if not Path("/proc/driver/nvidia").exists() and not Path("/dev/nvidia0").exists():
        return False
    try:
        import torch
    except ImportError:  # the CPU image on a GPU node: no PyTorch engine installed
        return False

    return bool(torch.cuda.is_available())


def onnx_cuda_available() -> bool:
    import onnxruntime as ort

    return "CUDAExecutionProvider" in ort.get_available_providers()


def resolve(device: str, engine: str, threads: int, int8: bool = False) -> Compute:
    if device not in DEVICES:
        raise ConfigurationError(f"unknown device {device!r}; valid: {', '.join(DEVICES)}")
    if device == "auto":
        device = "cuda" if cuda_available() else "cpu"
    elif device == "cuda" and not cuda_available():
        raise ConfigurationError("device=cuda, but no CUDA GPU is visible to PyTorch")
    if engine == "auto":
        engine = "torch" if device == "cuda" else "onnx"
    if device == "cuda" and engine == "onnx" and not onnx_cuda_available():
        raise ConfigurationError("engine onnx on CUDA needs onnxruntime-gpu; use engine torch")
    return Compute(device, engine, threads, int8 and engine == "onnx")
