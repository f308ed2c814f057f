"""Inference engines, one registry entry each: ONNX Runtime (CPU default) and PyTorch (CUDA default).

An engine takes a float32 NCHW batch and returns float32 outputs; the pipeline never branches on it.
Each engine is built either from a model directory (our smp models) or from an ONNX graph (CenterFace,
converted to PyTorch with onnx2torch for the torch engine).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from service.errors import ConfigurationError, ModelError
from service.inference.devices import Compute
from service.inference.model_files import INT8_ONNX, ONNX, load_torch_model, read_config
from service.inference.precision import serve_int8

if TYPE_CHECKING:
    import onnx


def normalise(images: np.ndarray, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    """uint8 NHWC RGB → float32 NCHW (contiguous), scaled to [0, 1] and standardised per channel: one
    multiply-add per channel written straight into the model's layout (a tenth of the time of doing it
    in steps and transposing)."""
    n, h, w, c = images.shape
    std64 = np.asarray(std, np.float64)
    scale = (1.0 / (255.0 * std64)).astype(np.float32)
    bias = (-np.asarray(mean, np.float64) / std64).astype(np.float32)
    out = np.empty((n, c, h, w), np.float32)
    for k in range(c):
        np.multiply(images[..., k], scale[k], out=out[:, k], casting="unsafe")
        out[:, k] += bias[k]
    return out


class Engine:
    """Runs a model on a batch. Subclasses implement ``run_all`` (float32 NCHW in, every output out)."""

    precision = "fp32"  # what it computes in, as /readyz reports it

    def run_all(self, batch: np.ndarray) -> list[np.ndarray]:
        raise NotImplementedError

    def run(self, batch: np.ndarray) -> np.ndarray:
        return self.run_all(batch)[0]

    def run_images(self, images: np.ndarray, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
        """First output for uint8 NHWC RGB images, normalised here (an engine may do it on its device)."""
        return self.run(normalise(images, mean, std))


def checked(outputs: list[np.ndarray], batch: int) -> list[np.ndarray]:
    """``outputs`` if every one has a row per input and no NaN; otherwise ModelError. A model that
    answers NaN or nothing would otherwise read as "nothing found" and let the original pixels through."""
    if not outputs or any(o.ndim == 0 or o.shape[0] != batch or np.isnan(o).any() for o in outputs):
        raise ModelError()
    return outputs


CPU_MAX_BATCH = 4
"""On the CPU, ONNX Runtime runs larger batches in chunks of this many. Its memory arena keeps the most
any run has needed, in blocks it never gives back, so the largest batch a video happens to bring would
raise the peak for good late in a long video. In chunks, the arena's high-water mark is reached in the
first seconds; one large batch gains no speed on the CPU."""


def session_options(threads: int):
    """ONNX Runtime session options as the service runs every model (also what benchmarks time)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    # Every session has its own thread pool, and by default its threads spin after each run. With
    # five sessions per frame on few cores, the spinning pools of the models that just ran take the
    # cores from the one running now (and from decode/encode): 1080p detect 247 → 148 ms without it.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return opts


class OnnxEngine(Engine):
    def __init__(self, model: str | bytes, compute: Compute, precision: str = "") -> None:
        import onnxruntime as ort

        opts = session_options(compute.threads)
        providers = ["CPUExecutionProvider"]
        if compute.device == "cuda":
            providers.insert(0, "CUDAExecutionProvider")
        self.session = ort.InferenceSession(model, opts, providers=providers)
        self.source = model if isinstance(model, str) else "<in-memory graph>"
        self.precision = precision or ("int8" if self.source.endswith(".int8.onnx") else "fp32")
        self.input = self.session.get_inputs()[0].name
        self.max_batch = CPU_MAX_BATCH if compute.device == "cpu" else 1 << 30

    def run_all(self, batch: np.ndarray) -> list[np.ndarray]:
        """Every output (batch first) for ``batch``, run in chunks of at most ``max_batch``."""
        x = np.ascontiguousarray(batch, np.float32)
        try:
            parts = [self.session.run(None, {self.input: x[i:i + self.max_batch]})
                     for i in range(0, max(1, len(x)), self.max_batch)]
        except Exception as exc:
            raise ModelError() from exc
        outs = parts[0] if len(parts) == 1 else [np.concatenate(out) for out in zip(*parts, strict=True)]
        return checked(outs, len(x))


class TorchEngine(Engine):
    """PyTorch. On CUDA: channels_last, pinned host memory, async copies, and either fp16 autocast (the
    face detector) or, for our own models (``fast``), BatchNorm folded into the convolutions, one CUDA
    graph per input shape, uint8 images uploaded and normalised on the GPU, in true fp32 (no TF32):
    fp16 moved a plate mask's edge by 8 px on a test frame, and the GPU is not what limits throughput."""

    def __init__(self, module: Any, compute: Compute, fast: bool = False) -> None:
        import torch

        from service.inference.torch_cuda import GraphRunner, fold_batchnorm

        self.torch = torch
        self.cuda = compute.device == "cuda"
        module = module.eval()
        if fast:
            fold_batchnorm(module)
        if self.cuda:
            self.device = torch.device("cuda")
            module = module.to(self.device, memory_format=torch.channels_last)
            if fast:
                torch.backends.cudnn.allow_tf32 = False
                torch.backends.cuda.matmul.allow_tf32 = False
        else:
            torch.set_num_threads(compute.threads)
            self.device = torch.device("cpu")
        self.model = module
        self.precision = "fp16" if self.cuda and not fast else "fp32"
        self.runner = GraphRunner(module) if self.cuda and fast else None
        self.lock = threading.Lock()  # a graph's buffers are shared by every caller

    def _upload(self, array: np.ndarray) -> Any:
        x = self.torch.from_numpy(np.ascontiguousarray(array))
        return x.pin_memory().to(self.device, non_blocking=True) if self.cuda else x

    def _forward(self, x: Any) -> list[np.ndarray]:
        from service.inference.torch_cuda import as_list  # torch only where the torch engine runs

        torch = self.torch
        with self.lock, torch.inference_mode():
            if self.runner is not None:
                outs = self.runner(x.float().contiguous(memory_format=torch.channels_last))
            else:
                with torch.autocast("cuda", dtype=torch.float16, enabled=self.cuda):
                    outs = as_list(self.model(x.contiguous(memory_format=torch.channels_last)
                                              if self.cuda else x))
            return [o.float().cpu().numpy() for o in outs]

    def run_all(self, batch: np.ndarray) -> list[np.ndarray]:
        try:
            outs = self._forward(self._upload(np.asarray(batch, np.float32)))
        except Exception as exc:
            raise ModelError() from exc
        return checked(outs, len(batch))

    def run_images(self, images: np.ndarray, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
        if not self.cuda:
            return super().run_images(images, mean, std)
        torch = self.torch
        try:
            x = self._upload(np.asarray(images, np.uint8)).permute(0, 3, 1, 2).float()  # NCHW view of NHWC
            m = torch.tensor(mean, device=self.device).view(1, 3, 1, 1)
            s = torch.tensor(std, device=self.device).view(1, 3, 1, 1)
            out = self._forward((x / 255.0 - m) / s)[0]
        except Exception as exc:
            raise ModelError() from exc
        return checked([out], len(images))[0]


def _onnx_dir(model_dir: Path, compute: Compute) -> Engine:
    path = Path(model_dir) / ONNX
    int8 = Path(model_dir) / INT8_ONNX
    if compute.int8 and serve_int8(Path(model_dir).name, int8, read_config(model_dir).get("int8")):
        path = int8
    if not path.is_file():
        raise ConfigurationError(f"ONNX export missing: {path}")
    return OnnxEngine(str(path), compute)


def _torch_dir(model_dir: Path, compute: Compute) -> Engine:
    return TorchEngine(load_torch_model(model_dir)[0], compute, fast=True)


def _onnx_graph(graph: onnx.ModelProto, compute: Compute) -> Engine:
    quantized = any(n.op_type == "DequantizeLinear" for n in graph.graph.node)
    return OnnxEngine(graph.SerializeToString(), compute, "int8" if quantized else "fp32")


def _torch_graph(graph: onnx.ModelProto, compute: Compute) -> Engine:
    from onnx2torch import convert

    return TorchEngine(convert(graph), compute)


# engine name -> (from a model directory, from an ONNX graph)
ENGINES: dict[str, tuple[Callable[[Path, Compute], Engine], Callable[[Any, Compute], Engine]]] = {
    "onnx": (_onnx_dir, _onnx_graph),
    "torch": (_torch_dir, _torch_graph),
}


def _entry(name: str) -> tuple[Callable[[Path, Compute], Engine], Callable[[Any, Compute], Engine]]:
    if name not in ENGINES:
        raise ConfigurationError(f"unknown engine {name!r}; valid: {', '.join(sorted(ENGINES))}")
    return ENGINES[name]


def make_engine(compute: Compute, model_dir: Path) -> Engine:
    """Engine for one of our model directories (config + safetensors + ONNX export)."""
    return _entry(compute.engine)[0](Path(model_dir), compute)


def graph_engine(compute: Compute, graph: onnx.ModelProto) -> Engine:
    """Engine for a third-party ONNX graph (the face detector)."""
    return _entry(compute.engine)[1](graph, compute)
