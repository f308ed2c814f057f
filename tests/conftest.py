"""Shared fixtures: tiny smp models built in code, generated media, paths to committed assets."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from service.core.options import Options
from service.inference.architectures import build_model
from service.inference.model_files import MEAN, STD, save_model_dir

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = ROOT.parent / "shared" / "data"
MODELS = ROOT / "models"


def tiny_config(role: str, arch: str) -> dict:
    cfg = {"role": role, "architecture": arch, "encoder": "mobilenet_v2", "threshold": 0.5,
           "mean": MEAN, "std": STD, "input_size": 64 if role == "faces" else 128,
           "decoder_channels": [16, 16, 16, 8, 8] if arch == "unet" else 16}
    cfg.update({"context": 1.5} if role == "faces" else {"work_size": 256})
    return cfg


@pytest.fixture(scope="session")
def tiny_models_dir(tmp_path_factory) -> Path:
    """Both roles × both backends, untrained, saved like real model directories (ONNX included)."""
    import torch

    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("models")
    for role in ("faces", "plates"):
        for arch in ("unet", "deeplabv3plus"):
            cfg = tiny_config(role, arch)
            save_model_dir(build_model(cfg).eval(), cfg, root / f"{role}-{arch}")
    return root


@pytest.fixture(scope="session")
def tiny_models(tiny_models_dir):
    from service.inference.registry import load_models

    return load_models(tiny_models_dir, threads=1)


@pytest.fixture(scope="session")
def default_models():
    """The committed default models (real weights)."""
    from service.inference.registry import load_models

    return load_models(MODELS, threads=2)


@pytest.fixture
def options() -> Options:
    return Options()


def fixture_faces() -> dict[str, list[list[float]]]:
    return json.loads((FIXTURES / "faces.json").read_text())


def need_shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present (training/dev sets are not shipped with Veil)")
    return SHARED_DATA


def jpeg_bytes(rgb: np.ndarray, **save) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", **save)
    return buf.getvalue()


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def gradient(h: int = 120, w: int = 160) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.dstack([x * 255 // max(1, w - 1), y * 255 // max(1, h - 1), (x + y) % 256]).astype(np.uint8)
