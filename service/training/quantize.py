"""int8 export of a full-frame plate model (ONNX Runtime static quantization, QDQ, per-channel weights).

Calibrated on training images at the model's working size; written next to ``model.onnx`` as
``model.int8.onnx`` and recorded in ``config.json``. Served when ``VEIL_INT8`` is on (see devices.py).
Whether to use it is decided by ``veil evaluate`` (recall) and ``veil bench`` (speed), not assumed.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import cv2
import numpy as np

from service.datasets import load_records, select
from service.inference.model_files import CONFIG, INT8_ONNX, ONNX, read_config
from service.inference.segmenters import fit_to_work_size, normalise


def _frame(path: Path, cfg: dict, work_size: int) -> np.ndarray:
    rgb = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return normalise(fit_to_work_size(rgb, work_size)[0][None], cfg)


def quantize(model_dir: Path, datasets: list[Path], images: int = 48, seed: int = 0) -> Path:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    cfg = read_config(model_dir)
    if cfg.get("role") != "plates":
        raise ValueError("only the full-frame plate models are quantized (face crops are cheap)")
    work_size = int(cfg.get("work_size", 960))
    records = [r for d in datasets for r in select(load_records(d), "train")]
    rng = np.random.default_rng(seed)
    chosen = [records[i] for i in rng.choice(len(records), size=min(images, len(records)), replace=False)]

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter(chosen)

        def get_next(self) -> dict | None:
            r = next(self.items, None)
            return None if r is None else {"image": _frame(r.image, cfg, work_size)}

    out = Path(model_dir) / INT8_ONNX
    with tempfile.TemporaryDirectory(prefix="veil-quant-") as work:
        pre = Path(work) / "pre.onnx"
        # DeepLabV3+'s dynamic resize defeats symbolic shape inference; ONNX's own inference suffices.
        quant_pre_process(str(Path(model_dir) / ONNX), str(pre),
                          skip_symbolic_shape=cfg["architecture"] == "deeplabv3plus")
        quantize_static(str(pre), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    cfg["int8"] = {"calibration": [f"{Path(d).name}:train" for d in datasets], "images": len(chosen),
                   "seed": seed, "format": "QDQ, per-channel int8 weights, uint8 activations (MinMax)"}
    (Path(model_dir) / CONFIG).write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    return out


def add_quantize(sub) -> None:
    q = sub.add_parser("quantize", help="int8 export of a plate model, calibrated on training images")
    q.add_argument("model_dir", type=Path)
    q.add_argument("--dataset", type=Path, action="append", required=True)
    q.add_argument("--images", type=int, default=48)
    q.set_defaults(func=lambda a: print(quantize(a.model_dir, a.dataset, a.images)) or 0)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="veil")
    add_quantize(p.add_subparsers(dest="command", required=True))
    args = p.parse_args(argv)
    args.func(args)
