"""deface, the open tool Veil replaces, on the same leak clips: its own detector and mask geometry.

deface 1.5 anonymizes each frame alone: CenterFace at the frame's full resolution, threshold 0.2, each
box scaled by 1.3 about its centre and redacted inside the inscribed ellipse (its defaults). This
module reproduces exactly that mask with deface's own code (``CenterFace``, ``scale_bb``) and the
ellipse it draws, so both tools are scored by the same ``Tally``. deface finds faces only.
"""

from __future__ import annotations

import numpy as np

from service.datasets import Record
from service.evaluation.video_leaks import ClipSpec, Tally, render_clip

THRESHOLD = 0.2
MASK_SCALE = 1.3


def deface_mask(dets: np.ndarray, shape: tuple[int, int], mask_scale: float = MASK_SCALE) -> np.ndarray:
    """The pixels deface's default (blurred ellipse) mode replaces for detections ``dets`` (N×5)."""
    from deface.deface import scale_bb
    from skimage.draw import ellipse

    h, w = shape
    out = np.zeros(shape, bool)
    for det in dets:
        x1, y1, x2, y2 = det[:4].astype(int)
        x1, y1, x2, y2 = scale_bb(x1, y1, x2, y2, mask_scale)
        y1, y2 = max(0, y1), min(h - 1, y2)  # clipped as deface clips them
        x1, x2 = max(0, x1), min(w - 1, x2)
        if x2 <= x1 or y2 <= y1:
            continue
        ey, ex = ellipse((y2 - y1) // 2, (x2 - x1) // 2, (y2 - y1) // 2, (x2 - x1) // 2)
        keep = (ey >= 0) & (ey < y2 - y1) & (ex >= 0) & (ex < x2 - x1)
        out[y1 + ey[keep], x1 + ex[keep]] = True
    return out


def deface_leak_rates(clips: list[tuple[np.ndarray, Record, str, ClipSpec]],
                      threshold: float = THRESHOLD) -> dict:
    """``leak_rates`` for deface on the face clips (the others are skipped: it has no plate model)."""
    from deface.centerface import CenterFace

    detector = CenterFace(in_shape=None, backend="onnxrt")
    tally = Tally()
    for rgb, record, cls, spec in clips:
        if cls != "faces":
            continue
        for frame, masks in render_clip(rgb, record, cls, spec):
            dets, _ = detector(frame, threshold=threshold)
            tally.add(cls, deface_mask(dets, frame.shape[:2]), masks)
    return tally.result()
