"""Evaluate a redaction method on a dataset folder in the shared schema, per class."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from service.core.masks import grow, paint
from service.core.options import CLASSES, Options
from service.core.pipeline import detect
from service.datasets import Record, load_records, select
from service.evaluation.coco import CocoAccumulator
from service.evaluation.metrics import ClassTally, enlarge
from service.evaluation.mosaic import mosaics
from service.evaluation.occlusion import occluded, visible
from service.geometry import Detection, clip_box, ellipse_mask
from service.inference.registry import ModelSet
from service.media.images import decode

MIN_FACE = 8  # Face-Mask-Detection has boxes down to 1 px; the README says to ignore those under 8


def ground_truth(record: Record, cls: str) -> tuple[list[np.ndarray], list[float], bool]:
    """Object masks, sizes (longest side, px) and whether the shape is real (not an ellipse)."""
    shape = (record.height, record.width)
    if cls == "plates":
        masks, sizes = [], []
        for q in record.plates:
            m = np.zeros(shape, np.uint8)
            cv2.fillPoly(m, [np.round(q).astype(np.int32)], 1)
            masks.append(m > 0)
            sizes.append(float(max(np.ptp(q[:, 0]), np.ptp(q[:, 1]))))
        return masks, sizes, True
    if record.face_mask is not None:
        m = cv2.imread(str(record.face_mask), cv2.IMREAD_GRAYSCALE) > 127
        x1, y1, x2, y2 = record.faces[0]
        return [m], [float(max(x2 - x1, y2 - y1))], True
    masks, sizes = [], []
    for b in record.faces:
        if min(b[2] - b[0], b[3] - b[1]) < MIN_FACE:
            continue
        box = clip_box(b, record.width, record.height)
        m = np.zeros(shape, bool)
        m[box[1]:box[3], box[0]:box[2]] = ellipse_mask(box, tuple(b))
        masks.append(m)
        sizes.append(float(max(b[2] - b[0], b[3] - b[1])))
    return masks, sizes, False


def _veil(models: ModelSet, rgb: np.ndarray, opts: Options) -> tuple[list[Detection], np.ndarray]:
    raw = detect(models, rgb, opts)
    h, w = rgb.shape[:2]
    return raw, paint([grow(d, opts.dilation_px, opts.dilation_pct, w, h) for d in raw], (h, w))


def _baseline(models: ModelSet, rgb: np.ndarray, opts: Options) -> tuple[list[Detection], np.ndarray]:
    """Faces: CenterFace boxes as deface draws them (ellipse, box scaled 1.3×). Plates: filled boxes."""
    h, w = rgb.shape[:2]
    objs: list[Detection] = []
    if "faces" in opts.classes:
        proposals = models.face_detector.detect(rgb, opts.face_threshold, models.face_work_size)
        for x1, y1, x2, y2, s in proposals:
            cx, cy, hw, hh = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) * 0.65, (y2 - y1) * 0.65
            ref = (cx - hw, cy - hh, cx + hw, cy + hh)
            box = clip_box(ref, w, h)
            if box[2] > box[0] and box[3] > box[1]:
                objs.append(Detection("faces", float(s), box, ellipse_mask(box, ref)))
    if "plates" in opts.classes:
        for d in models.backend(opts.backend).plates.find(rgb, opts.plate_threshold, models.plate_work_size):
            objs.append(Detection("plates", d.score, d.box, np.ones_like(d.mask)))
    final = paint([grow(d, opts.dilation_px, opts.dilation_pct, w, h) for d in objs
                   if d.cls == "plates"] + [d for d in objs if d.cls != "plates"], (h, w))
    return objs, final


METHODS: dict[str, Callable[[ModelSet, np.ndarray, Options], tuple[list[Detection], np.ndarray]]] = {
    "veil": _veil,
    "baseline": _baseline,
}


def classes_of(records: list[Record]) -> list[str]:
    out = []
    if any(r.faces for r in records):
        out.append("faces")
    if any(r.plates for r in records):
        out.append("plates")
    return out


def _read(record: Record) -> np.ndarray:
    rgb = decode(Path(record.image).read_bytes(), 1 << 31).rgb
    if rgb.shape[:2] != (record.height, record.width):
        rgb = cv2.resize(rgb, (record.width, record.height))
    return rgb


def _redactions(run, models: ModelSet, rgb: np.ndarray, opts: Options, classes: list[str],
                every_class: bool, times: list[float]) -> dict[str, tuple[list[Detection], np.ndarray]]:
    """Per class: its detections and the final mask it is scored on, each class redacted alone or, with
    ``every_class``, all at once (the whole mask for each); each run's seconds appended to ``times``."""
    if every_class:
        t0 = time.perf_counter()
        dets, final = run(models, rgb, replace(opts, classes=CLASSES))
        times.append(time.perf_counter() - t0)
        return {cls: ([d for d in dets if d.cls == cls], final) for cls in classes}
    out = {}
    for cls in classes:
        t0 = time.perf_counter()
        out[cls] = run(models, rgb, replace(opts, classes=(cls,)))
        times.append(time.perf_counter() - t0)
    return out


def evaluate(models: ModelSet, folder: Path, part: str, opts: Options, method: str = "veil",
             limit: int = 0, mosaic: int = 0, occlude: float = 0.0, every_class: bool = False) -> dict:
    """Per-class metrics plus latency (p50/p95 ms), throughput and peak RSS. ``mosaic``: the records
    tiled ``mosaic`` × ``mosaic`` into large photos (``service.evaluation.mosaic``); ``occlude``: that
    share of each plate covered from one side, the truth what is left (``service.evaluation.occlusion``);
    ``every_class``: each image redacted once for faces and plates, as the service does by default, and
    each class scored on that whole mask, so what one class's models paint away from the other's objects
    counts as over-redaction (else each class is redacted alone)."""
    records = select(load_records(folder), part)
    if limit:
        records = records[:limit]
    classes = classes_of(records)
    tallies = {c: ClassTally() for c in classes}
    cocos = {c: CocoAccumulator() for c in classes}
    times = []
    run = METHODS[method]
    images = mosaics(records, mosaic, _read) if mosaic else ((_read(r), r) for r in records)
    count = 0
    for rgb, r in images:
        count += 1
        hidden = None
        if occlude:
            rgb, hidden = occluded(rgb, r, occlude)
        redacted = _redactions(run, models, rgb, opts, classes, every_class, times)
        for cls in classes:
            gts, sizes, shaped = ground_truth(r, cls)
            if hidden is not None:
                gts = visible(gts, hidden)
            dets, final = redacted[cls]
            raw = paint(dets, rgb.shape[:2])
            cocos[cls].add(rgb.shape[:2], gts, dets)
            tally = tallies[cls]
            tally.add_objects(gts, sizes, final)
            if shaped and gts:
                tally.add_pixels(np.logical_or.reduce(gts), raw)
                tally.add_instances(gts, sizes, dets)
                tally.add_served(gts, final)
            tally.add_over(final, enlarge(gts, sizes, raw.shape))
    ms = np.array(times) * 1000 if times else np.zeros(1)
    per_class = {c: {**t.summary(), **cocos[c].result()} for c, t in tallies.items()}
    ious = [v["iou"] for v in per_class.values() if "iou" in v]
    return {
        "dataset": str(folder), "part": part, "images": count, "method": method,
        **({"mosaic": mosaic, "records": len(records)} if mosaic else {}),
        **({"occluded_share": occlude} if occlude else {}),
        **({"redacted_for": list(CLASSES)} if every_class else {}),
        "backend": opts.backend, "classes": per_class,
        "miou": round(float(np.mean(ious)), 4) if ious else None,
        "latency_ms_p50": round(float(np.percentile(ms, 50)), 1),
        "latency_ms_p95": round(float(np.percentile(ms, 95)), 1),
        "throughput_per_s": round(len(times) / max(1e-9, ms.sum() / 1000), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
