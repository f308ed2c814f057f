"""Shared fixtures: tiny smp models built in code, generated media, paths to committed assets."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from service.bench import load
from service.core.options import Options
from service.inference.architectures import build_model
from service.inference.model_files import MEAN, STD, save_model_dir

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = Path(os.environ.get("VEIL_SHARED_DATA", ROOT.parent / "shared" / "data"))
MODELS = ROOT / "models"


FINDERS = ("plates", "face-finder")


def tiny_config(role: str, arch: str) -> dict:
    finder = role in FINDERS
    cfg = {"role": role, "architecture": arch, "encoder": "mobilenet_v2", "threshold": 0.5,
           "mean": MEAN, "std": STD, "input_size": 128 if finder else 64,
           "decoder_channels": [16, 16, 16, 8, 8] if arch == "unet" else 16}
    cfg.update({"work_size": 256} if finder else {"context": 1.5})
    return cfg


@pytest.fixture(scope="session")
def tiny_models_dir(tmp_path_factory) -> Path:
    """The shaping roles × both backends, the plate finder, the face finder and both verifiers, untrained,
    saved like real model directories (ONNX included)."""
    import torch

    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("models")
    for role in ("faces", "plate-shapes"):
        for arch in ("unet", "deeplabv3plus"):
            cfg = tiny_config(role, arch)
            save_model_dir(build_model(cfg).eval(), cfg, root / f"{role}-{arch}")
    cfg = tiny_config("plates", "unet")
    save_model_dir(build_model(cfg).eval(), cfg, root / "plates-unet")  # the plate finder of every backend
    cfg = tiny_config("face-finder", "unet")
    finder = build_model(cfg).eval()
    head = finder.segmentation_head[0]  # silent: an untrained finder would propose faces everywhere
    torch.nn.init.zeros_(head.weight)
    torch.nn.init.constant_(head.bias, -20.0)
    save_model_dir(finder, cfg, root / "face-finder")
    save_model_dir(tiny_verifier(20.0), tiny_verifier_config(), root / "plate-verifier")
    save_model_dir(tiny_verifier(20.0), tiny_verifier_config("face-verifier"), root / "face-verifier")
    (root / "face-detector").mkdir()  # CenterFace is small and real: the committed float file
    (root / "face-detector" / "centerface.onnx").symlink_to(MODELS / "face-detector" / "centerface.onnx")
    return root


def models_without(tiny_models_dir: Path, dst: Path, *left_out: str) -> Path:
    """A copy of the tiny model directories in ``dst``, without those named in ``left_out``."""
    import shutil

    for src in tiny_models_dir.iterdir():
        if src.name not in left_out:
            shutil.copytree(src, dst / src.name)
    return dst


def tiny_verifier_config(role: str = "plate-verifier") -> dict:
    return {"role": role, "architecture": "classifier", "encoder": "mobilenet_v2",
            "threshold": 0.5,
            "mean": MEAN, "std": STD, "input_size": 64, "context": 2.0, "contexts": [2.0, 5.0]}


def tiny_verifier(bias: float):
    """An untrained verifier that accepts (bias > 0) or refuses (bias < 0) every proposal."""
    import torch

    model = build_model(tiny_verifier_config()).eval()
    torch.nn.init.zeros_(model.head[1].weight)
    torch.nn.init.constant_(model.head[1].bias, bias)
    return model


def tiny_plate_verifier(directory: Path, bias: float, threshold: float | None = None):
    """``tiny_verifier(bias)`` saved in ``directory`` and served as the plate verifier (ONNX, CPU)."""
    from service.inference.devices import Compute
    from service.inference.engines import make_engine
    from service.inference.plate_check import PlateVerifier

    cfg = {**tiny_verifier_config(), **({"threshold": threshold} if threshold is not None else {})}
    save_model_dir(tiny_verifier(bias), cfg, directory)
    return PlateVerifier(make_engine(Compute("cpu", "onnx", 1), directory), cfg)


@pytest.fixture(scope="session")
def tiny_models(tiny_models_dir):
    from service.inference.devices import Compute
    from service.inference.registry import load_models

    return load_models(tiny_models_dir, compute=Compute("cpu", "onnx", 1))


@pytest.fixture(scope="session")
def default_models():
    """The committed default models (real weights)."""
    from service.inference.devices import Compute
    from service.inference.registry import load_models

    return load_models(MODELS, compute=Compute("cpu", "onnx", 2, int8=True))  # the served default


@pytest.fixture
def options() -> Options:
    return Options()


def fixture_faces() -> dict[str, list[list[float]]]:
    return json.loads((FIXTURES / "faces.json").read_text())


free_port = load.free_port
live_server = load.local_server


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


def make_clip(path: Path, frames: int = 30, size: tuple[int, int] = (160, 120), rate: int = 30,
              audio: bool = True, draw=None, container: str | None = None, codec: str = "libx264",
              rotation: int = 0, times_ms: list[int] | None = None) -> Path:
    """A short clip (H.264 unless ``codec``; moving bar, optional ``draw(i, rgb)``) with AAC audio and
    GPS/creation tags; ``times_ms`` gives each frame's timestamp (variable frame rate)."""
    import fractions

    import av

    w, h = size
    with av.open(str(path), "w", format=container) as out:
        out.metadata["location"] = "+48.8577+002.2950/"
        out.metadata["creation_time"] = "2024-01-02T03:04:05Z"
        v = out.add_stream(codec, rate=rate)
        v.width, v.height, v.pix_fmt = w, h, "yuv420p"
        if times_ms is not None:
            v.time_base = v.codec_context.time_base = fractions.Fraction(1, 1000)
        if rotation:
            v.set_display_rotation(rotation)
        a = out.add_stream("aac", rate=48000) if audio else None
        if a is not None:
            a.layout = "stereo"
        for i in range(frames):
            rgb = gradient(h, w)
            rgb[:, (i * 4) % w] = 255
            if draw:
                draw(i, rgb)
            f = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            if times_ms is None:
                f.pts, f.time_base = i, fractions.Fraction(1, rate)
            else:
                f.pts, f.time_base = times_ms[i], fractions.Fraction(1, 1000)
            for p in v.encode(f):
                out.mux(p)
        if a is not None:
            from service.bench.synthetic import mux_audio

            mux_audio(out, a, frames * 48000 // rate,
                      lambda t: np.sin(2 * np.pi * 440 * (np.arange(1024) + t) / 48000) * 0.3)
        for p in v.encode():
            out.mux(p)
    return path


def clip_facts(path: Path) -> dict:
    """Frame count, video timestamps, audio packet bytes and container metadata of a clip."""
    import av

    with av.open(str(path)) as c:
        pts = [f.pts for f in c.decode(video=0)]
        tb = c.streams.video[0].time_base
    with av.open(str(path)) as c:
        audio = [bytes(p) for p in c.demux(audio=0) if p.size] if c.streams.audio else []
        meta = dict(c.metadata)
    return {"frames": len(pts), "times": [float(p * tb) for p in pts], "audio": audio, "metadata": meta}
