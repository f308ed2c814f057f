"""Faces at the frame's left and right edges, searched between detected frames.

A face the frame's edge cuts is where propagation is weakest: it has no track yet when it enters, and a
detector finds part of a face far less often than a whole one, so with detection every 8th or 10th frame
a face that a shaking or panning camera keeps half out of the picture can be missed in every detected
frame. Between detected frames the face detector therefore also looks at the frame's two side bands
(``BAND`` of its width each, side by side in one image, at the scale the whole frame is searched at),
every ``strides.EDGE_EVERY``-th frame. A face found there that the edge cuts is handed to the tracker as
a sighting of a partly searched frame (``Propagator.push(partial=True)``), masked by its box: what is
left of a face the edge cuts is about its box, and the crop model would double the cost.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from service.core.detections import Detection, Found, clip_box
from service.core.masks import grow
from service.core.options import Options
from service.core.timing import NO_TIMER, StageTimer
from service.inference.face_detector import MAX_UPSCALE
from service.inference.registry import ModelSet

BAND = 0.1
"""Width of each side band, as a share of the frame's width."""


def band_boxes(detect: Callable[[np.ndarray, int], np.ndarray], rgb: np.ndarray, work_size: int,
               share: float = BAND) -> np.ndarray:
    """Face boxes (N×5, frame pixels) that ``detect(image, work size)`` finds in the frame's side bands,
    searched side by side in one image at the scale the whole frame is searched at, kept where the
    frame's left or right edge cuts them."""
    h, w = rgb.shape[:2]
    band = min(w // 2, max(16, int(round(share * w))))
    scale = min(MAX_UPSCALE, work_size / max(h, w))
    image = np.concatenate([rgb[:, :band], rgb[:, w - band:]], axis=1)
    boxes = detect(image, int(round(max(image.shape[:2]) * scale)))
    left, right = boxes[:, 2] <= band, boxes[:, 0] >= band  # a box across the seam is neither
    shift = w - 2 * band  # the right band's image x to frame x
    out = np.concatenate([boxes[left], boxes[right] + [shift, 0, shift, 0, 0]])
    cut = np.concatenate([out[:left.sum(), 0] <= 0, out[left.sum():, 2] >= w])
    return out[cut & (out[:, 2] - out[:, 0] >= 2)].astype(np.float32)


def edge_faces(models: ModelSet, rgb: np.ndarray, opts: Options, weak_factor: float,
               timer: StageTimer = NO_TIMER) -> Found:
    """The faces the side bands show, masked by their boxes and dilated as the options ask, split at the
    face threshold into detections and weak ones (down to ``weak_factor`` × the threshold)."""
    if "faces" not in opts.classes:
        return [], []
    h, w = rgb.shape[:2]
    with timer.stage("edges"):
        low = opts.face_threshold * weak_factor
        boxes = band_boxes(lambda image, size: models.face_detector.detect_many([image], low, size)[0],
                           rgb, models.face_work_size)
        found = []
        for b in boxes:
            x1, y1, x2, y2 = clip_box(tuple(b[:4]), w, h)
            if x2 > x1 and y2 > y1:
                det = Detection("faces", float(b[4]), (x1, y1, x2, y2), np.ones((y2 - y1, x2 - x1), bool))
                found.append(grow(det, opts.dilation_px, opts.dilation_pct, w, h))
    return ([d for d in found if d.score >= opts.face_threshold],
            [d for d in found if d.score < opts.face_threshold])
