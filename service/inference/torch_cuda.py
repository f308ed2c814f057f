"""What the torch engine does to cut per-call overhead: BatchNorm folded into the convolutions before it,
and on CUDA one captured graph per input shape, so a small model is one replay, not hundreds of launches."""

from __future__ import annotations

import itertools
from typing import Any

from torch import nn


def as_list(out: Any) -> list[Any]:
    """A model's output(s) as a list (onnx2torch graphs return tuples, smp models one tensor)."""
    return list(out) if isinstance(out, list | tuple) else [out]


def fold_batchnorm(module: nn.Module) -> int:
    """Fold every eval-mode ``BatchNorm2d`` that directly follows a ``Conv2d`` inside an ``nn.Sequential``
    into that convolution (the norm becomes ``Identity``); returns how many were folded.

    Only ``Sequential`` containers are touched: there the order of the children is the data flow.
    Subclasses of ``BatchNorm2d`` (e.g. timm's norm + activation) are left alone.
    """
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    folded = 0
    for seq in [m for m in module.modules() if isinstance(m, nn.Sequential)]:
        names = list(seq._modules)
        for a, b in itertools.pairwise(names):
            conv, norm = seq._modules[a], seq._modules[b]
            if (type(conv) is nn.Conv2d and type(norm) is nn.BatchNorm2d and not norm.training
                    and not conv.training and norm.track_running_stats
                    and conv.out_channels == norm.num_features):
                seq._modules[a] = fuse_conv_bn_eval(conv, norm)
                seq._modules[b] = nn.Identity()
                folded += 1
    return folded


class _Captured:
    """One CUDA graph of ``model`` on a static input of one shape; outputs are views of static buffers."""

    def __init__(self, model: nn.Module, shape: tuple[int, ...], dtype: Any) -> None:
        import torch

        self.input = torch.zeros(shape, dtype=dtype, device="cuda").contiguous(
            memory_format=torch.channels_last)
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):  # warm-up off the default stream, as capture requires
            for _ in range(2):
                model(self.input)
        torch.cuda.current_stream().wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        # thread_local: other request threads may use the GPU while this one captures
        with torch.cuda.graph(self.graph, capture_error_mode="thread_local"):
            out = model(self.input)
        self.outputs = as_list(out)

    def __call__(self, x: Any) -> list[Any]:
        n = x.shape[0]
        self.input[:n].copy_(x)
        if n < self.input.shape[0]:
            self.input[n:].zero_()
        self.graph.replay()
        return [o[:n] for o in self.outputs]


class GraphRunner:
    """Runs ``model`` through a captured CUDA graph per input shape, the batch padded up to a power of two
    (so a video's varying crop counts share a few graphs). Call it under ``torch.inference_mode`` and read
    the outputs before the next call: they live in the graph's buffers. Not thread-safe: the engine locks.
    A model whose capture fails (an op that syncs with the host) runs eagerly from then on.
    """

    def __init__(self, model: nn.Module, max_graphs: int = 48) -> None:
        self.model = model
        self.max_graphs = max_graphs
        self.graphs: dict[tuple, _Captured] = {}
        self.eager = False

    def __call__(self, x: Any) -> list[Any]:
        import torch

        size = 1 << (x.shape[0] - 1).bit_length()
        key = (size, *x.shape[1:], x.dtype)
        graph = self.graphs.get(key)
        if graph is None and not self.eager and len(self.graphs) < self.max_graphs:
            try:
                graph = self.graphs[key] = _Captured(self.model, (size, *x.shape[1:]), x.dtype)
            except RuntimeError:
                self.eager = True
                torch.cuda.synchronize()
        if graph is None:
            return as_list(self.model(x))
        return graph(x)
