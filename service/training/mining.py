"""Hard-negative mining: where does an existing plate model fire on scenes that hold no plate?

The boxes it returns become extra negative windows for the next training run (text, signs,
grilles, patterned clothes — whatever the model confused for a plate).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from service.datasets import Record
from service.geometry import boxes_intersect
from service.inference.devices import Compute
from service.inference.engines import make_engine
from service.inference.model_files import read_config
from service.inference.segmenters import Finder, PlateFinder


def _finder(model_dir: Path, threads: int, cls: type[Finder] = PlateFinder) -> Finder:
    engine = make_engine(Compute("cpu", "onnx", threads), Path(model_dir))
    return cls(engine, read_config(Path(model_dir)))


def mine_false_positives(
    model_dir: Path, negatives: list[Record], threshold: float = 0.3, threads: int = 1
) -> dict[int, list[tuple[int, int, int, int]]]:
    """Index of each negative image → boxes (source pixels) of the model's plate components."""
    finder = _finder(model_dir, threads)
    found: dict[int, list[tuple[int, int, int, int]]] = {}
    for i, record in enumerate(negatives):
        bgr = cv2.imread(str(record.image), cv2.IMREAD_COLOR)
        if bgr is None:
            continue
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        hits = finder.find(rgb, threshold)
        if hits:
            found[i] = [d.box for d in hits]
    return found


def mine_images(model_dir: Path, images: list[np.ndarray], threshold: float = 0.2, threads: int = 1,
                cls: type[Finder] = PlateFinder) -> dict[int, list[tuple[int, int, int, int]]]:
    """``mine_false_positives`` on images in memory (rendered scenes among them); ``cls``: the finder the
    model directory holds (a plate finder, or the face finder on face-free scenes)."""
    finder = _finder(model_dir, threads, cls)
    found = {}
    for i, rgb in enumerate(images):
        if hits := finder.find(rgb, threshold):
            found[i] = [d.box for d in hits]
    return found


NOT_A_FACE_BELOW = 0.3
"""A mined face-finder part overlapping a CenterFace face scoring at least this may be a real face."""


def not_faces(found: dict[int, list[tuple[int, int, int, int]]], images: list[np.ndarray], threads: int = 1
              ) -> dict[int, list[tuple[int, int, int, int]]]:
    """``found`` without the boxes that overlap a face the float CenterFace sees (≥ ``NOT_A_FACE_BELOW``)."""
    from service.inference.face_detector import CenterFace
    from service.inference.model_files import DEFAULT_MODELS_DIR, FACE_DETECTOR

    detector = CenterFace(DEFAULT_MODELS_DIR / FACE_DETECTOR, Compute("cpu", "onnx", threads))
    out = {}
    for i, boxes in found.items():
        faces = detector.detect(images[i], NOT_A_FACE_BELOW, 960)
        kept = [b for b in boxes if not any(boxes_intersect(b, f) for f in faces)]
        if kept:
            out[i] = kept
    return out
