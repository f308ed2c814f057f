"""Inference engines, one registry entry each: ONNX Runtime (CPU default) and PyTorch.

An engine takes a float32 NCHW batch and returns float32 logits; the pipeline never branches on it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from service.errors import ConfigurationError, ModelError
from service.inference.model_files import ONNX, load_torch_model


class Engine(Protocol):
    def run(self, batch: np.ndarray) -> np.ndarray: ...


class OnnxEngine:
    def __init__(self, model_dir: Path, threads: int) -> None:
        import onnxruntime as ort

        path = Path(model_dir) / ONNX
        if not path.is_file():
            raise ConfigurationError(f"ONNX export missing: {path}")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def run(self, batch: np.ndarray) -> np.ndarray:
        try:
            return self.session.run(None, {self.input: np.ascontiguousarray(batch, np.float32)})[0]
        except Exception as exc:
            raise ModelError() from exc


class TorchEngine:
    def __init__(self, model_dir: Path, threads: int) -> None:
        import torch

        torch.set_num_threads(threads)
        self.torch = torch
        self.model, _ = load_torch_model(model_dir)

    def run(self, batch: np.ndarray) -> np.ndarray:
        try:
            with self.torch.inference_mode():
                return self.model(self.torch.from_numpy(np.ascontiguousarray(batch, np.float32))).numpy()
        except Exception as exc:
            raise ModelError() from exc


ENGINES: dict[str, Callable[[Path, int], Engine]] = {"onnx": OnnxEngine, "torch": TorchEngine}


def make_engine(name: str, model_dir: Path, threads: int) -> Engine:
    if name not in ENGINES:
        raise ConfigurationError(f"unknown engine {name!r}; valid: {', '.join(sorted(ENGINES))}")
    return ENGINES[name](Path(model_dir), threads)
