"""How well a prompt box becomes a mask: IoU against ground truth, and time, at 1080p.

Each held-out object (FASSEG test faces with their pixel masks; UC3M-LP test plates, whose outline is
their box) is pasted into a grey 1920×1080 frame, and a *loose* box is drawn around it the way a person
would: every side pushed out by 5–25 % of the object's size (seeded). Each method segments that box:
Veil's crop models (``faces``/``plates`` kinds), the class-agnostic ``object`` kind (GrabCut snapped),
plain OpenCV GrabCut from the same rectangle, and the box itself (what box-drawing tools mask).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from service.core.prompts import Prompt, segment_prompt
from service.datasets import load_records, select
from service.inference.registry import ModelSet

FRAME = (1080, 1920)
LOOSE = (0.05, 0.25)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else 0.0


def _loose(box: tuple[int, int, int, int], rng: np.random.Generator) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    dx1, dx2 = rng.uniform(*LOOSE, 2) * w
    dy1, dy2 = rng.uniform(*LOOSE, 2) * h
    return (max(0, round(x1 - dx1)), max(0, round(y1 - dy1)), min(FRAME[1], round(x2 + dx2)),
            min(FRAME[0], round(y2 + dy2)))


def samples(data: Path, limit: int, seed: int = 0):
    """(kind, frame, truth mask, loose box) for faces then plates, each object on a 1080p frame."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    out = []
    faces = [r for r in select(load_records(data / "faces_fasseg"), "test") if r.face_mask][:limit]
    plates = [(r, q) for r in select(load_records(data / "plates_uc3m_lp_320"), "test") for q in r.plates
              if np.ptp(q[:, 0]) >= 24][:limit]
    for kind, items in (("faces", [(r, None) for r in faces]), ("plates", plates)):
        for record, quad in items:
            rgb = np.asarray(Image.open(record.image).convert("RGB"))
            h, w = rgb.shape[:2]
            if h > FRAME[0] - 200 or w > FRAME[1] - 200:
                continue
            frame = np.full((*FRAME, 3), 114, np.uint8)
            ox, oy = 100, 100
            frame[oy:oy + h, ox:ox + w] = rgb
            truth = np.zeros(FRAME, bool)
            if quad is None:
                m = np.asarray(Image.open(record.face_mask).convert("L")) > 127
                truth[oy:oy + h, ox:ox + w] = m
            else:
                outline = np.round(quad + np.float32([ox, oy])).astype(np.int32)
                filled = np.zeros(FRAME, np.uint8)
                cv2.fillPoly(filled, [outline], 1)
                truth = filled.astype(bool)
            if truth.sum() < 64:
                continue
            ys, xs = np.nonzero(truth)
            tight = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
            out.append((kind, frame, truth, _loose(tight, rng)))
    return out


def _plain_grabcut(rgb: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    mask = np.zeros(rgb.shape[:2], np.uint8)
    x1, y1, x2, y2 = box
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), mask, (x1, y1, x2 - x1, y2 - y1), bgd, fgd, 4,
                cv2.GC_INIT_WITH_RECT)
    return (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)


def _box(rgb: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    mask = np.zeros(rgb.shape[:2], bool)
    mask[box[1]:box[3], box[0]:box[2]] = True
    return mask


def evaluate_prompts(models: ModelSet, data: Path, backend: str, limit: int = 100, seed: int = 0) -> dict:
    methods: dict[str, Callable[[str, np.ndarray, tuple[int, int, int, int]], np.ndarray]] = {
        "veil (kind = the object's class)": lambda kind, rgb, box: segment_prompt(
            models, rgb, Prompt(box=box, kind=kind), backend),
        "veil kind=object (class-agnostic)": lambda kind, rgb, box: segment_prompt(
            models, rgb, Prompt(box=box, kind="object"), backend),
        "opencv grabcut (same rectangle)": lambda kind, rgb, box: _plain_grabcut(rgb, box),
        "the loose box itself": lambda kind, rgb, box: _box(rgb, box),
    }
    rows: dict[str, dict[str, list]] = {}
    for kind, frame, truth, box in samples(data, limit, seed):
        for name, method in methods.items():
            start = time.perf_counter()
            mask = method(kind, frame, box)
            ms = (time.perf_counter() - start) * 1000
            row = rows.setdefault(f"{kind} / {name}", {"iou": [], "ms": []})
            row["iou"].append(_iou(mask, truth))
            row["ms"].append(ms)
    return {"frame": f"{FRAME[1]}x{FRAME[0]}", "backend": backend, "loose_box_margin": LOOSE, "seed": seed,
            "rows": {k: {"objects": len(v["iou"]), "mean_iou": round(float(np.mean(v["iou"])), 3),
                         "median_iou": round(float(np.median(v["iou"])), 3),
                         "share_iou_0.85": round(float(np.mean(np.asarray(v["iou"]) >= 0.85)), 3),
                         "p50_ms": round(float(np.percentile(v["ms"], 50)), 1),
                         "p95_ms": round(float(np.percentile(v["ms"], 95)), 1)}
                     for k, v in rows.items()}}
