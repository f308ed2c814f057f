"""What the served face detector proposes on training images, so crop training matches serving.

FASSEG crops are centred on CenterFace's box (its own box is the mask's extent, neck included); the
detector's false positives on annotated scenes become negative crops (empty target), so the crop model
can confirm or reject low-confidence proposals.
"""

from __future__ import annotations

import cv2
import numpy as np

from service.datasets import Record
from service.inference.devices import Compute
from service.inference.face_detector import CenterFace


def propose(records: list[Record], threshold: float, work_size: int = 960,
            threads: int = 1) -> dict[str, np.ndarray]:
    """Image path → CenterFace rows ``[x1, y1, x2, y2, score]`` at ``threshold``."""
    detector = CenterFace(compute=Compute("cpu", "onnx", threads))
    found: dict[str, np.ndarray] = {}
    for record in records:
        bgr = cv2.imread(str(record.image), cv2.IMREAD_COLOR)
        if bgr is not None:
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            found[str(record.image)] = detector.detect(rgb, threshold, work_size)
    return found


def _centre_inside(det: np.ndarray, box: list[float], margin: float = 0.0) -> bool:
    x1, y1, x2, y2 = box
    mx, my = (x2 - x1) * margin, (y2 - y1) * margin
    cx, cy = (det[0] + det[2]) / 2, (det[1] + det[3]) / 2
    return x1 - mx <= cx <= x2 + mx and y1 - my <= cy <= y2 + my


def aligned_boxes(records: list[Record], found: dict[str, np.ndarray]) -> dict[str, list[float]]:
    """Image path → the best-scoring proposal whose centre lies in the record's first face box."""
    boxes = {}
    for r in records:
        inside = [d for d in found.get(str(r.image), ()) if r.faces and _centre_inside(d, r.faces[0])]
        if inside:
            boxes[str(r.image)] = [float(v) for v in max(inside, key=lambda d: d[4])[:4]]
    return boxes


def false_positives(records: list[Record], found: dict[str, np.ndarray],
                    min_side: float = 8.0) -> dict[str, list[list[float]]]:
    """Image path → proposals far from every annotated face (centre outside each box grown by 50 %)."""
    wrong: dict[str, list[list[float]]] = {}
    for r in records:
        boxes = [[float(v) for v in d[:4]] for d in found.get(str(r.image), ())
                 if min(d[2] - d[0], d[3] - d[1]) >= min_side
                 and not any(_centre_inside(d, f, 0.5) for f in r.faces)]
        if boxes:
            wrong[str(r.image)] = boxes
    return wrong
