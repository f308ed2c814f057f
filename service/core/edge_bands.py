"""Faces at the frame's left and right edges, searched between detected frames.

A face the frame's edge cuts is where propagation is weakest: it has no track yet when it enters, and a
detector finds part of a face far less often than a whole one, so with detection every 8th or 10th frame
a face that a shaking or panning camera keeps half out of the picture can be missed in every detected
frame. Between detected frames the face detector therefore also looks at the frame's two side bands
(``BAND`` of its width each, mirrored outward, side by side in one image, at the scale the whole frame
is searched at), every ``strides.EDGE_EVERY``-th frame. A face found there that the edge cuts is handed
to the tracker as a sighting of a partly searched frame (``Propagator.push(partial=True)``), masked by
its box: what is left of a face the edge cuts is about its box, and the crop model would double the
cost. The band width and the mirror trade leaks against time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from service.core.masks import grow
from service.core.options import Options
from service.geometry import Detection, Found, clip_box
from service.inference.face_detector import EDGE_PAD, MAX_UPSCALE
from service.inference.registry import ModelSet
from service.timing import NO_TIMER, StageTimer

BAND = 0.06
"""Width of each side band, as a share of the frame's width (0.06: 5.7 ms a searched 720p frame at the
640 work size, 0.1: 8.2 ms; face leaks at stride 10 on the three leak suites: 10 and 4)."""

MIRROR = EDGE_PAD
"""Each band is mirrored outward by this share of the frame's long side, as whole frames are
(``face_detector.EDGE_PAD``): a face the edge cuts is completed by its mirror image. Unmirrored bands
cost 4.3 ms instead of 8.2 (at 0.1) but leaked 13 face-frames against 4 at stride 10, and 42 against 9
at stride 8."""


def band_columns(h: int, w: int, share: float = BAND, mirror: float = MIRROR) -> tuple[np.ndarray, int, int]:
    """(frame columns the band image takes, band width, mirror width): the left band mirrored outward
    (reflected about its edge column, as ``cv2.BORDER_REFLECT_101``), then the right band, mirrored."""
    band = min(w // 2, max(16, int(round(share * w))))
    pad = min(w - 1, int(round(mirror * max(h, w))))
    cols = np.concatenate([np.arange(pad, 0, -1), np.arange(band), np.arange(w - band, w),
                           np.arange(w - 2, w - 2 - pad, -1)])
    return cols, band, pad


def band_boxes(detect: Callable[[np.ndarray, int], np.ndarray], rgb: np.ndarray, work_size: int,
               share: float = BAND, mirror: float = MIRROR, into: np.ndarray | None = None) -> np.ndarray:
    """Face boxes (N×5, frame pixels) that ``detect(image, work size)`` finds in the frame's side bands,
    each mirrored outward by ``mirror`` × the frame's long side and searched side by side in one image
    at the scale the whole frame is searched at; kept where the frame's left or right edge cuts them.
    ``into``: a buffer of the band image's shape to build it in (one video's frames reuse it)."""
    h, w = rgb.shape[:2]
    cols, band, pad = band_columns(h, w, share, mirror)
    scale = min(MAX_UPSCALE, work_size / max(h, w))
    seam = pad + band
    fits = into is not None and into.shape == (h, len(cols), *rgb.shape[2:]) and into.dtype == rgb.dtype
    image = np.take(rgb, cols, axis=1, out=into if fits else None, mode="clip")  # clip: never buffered
    boxes = detect(image, int(round(max(image.shape[:2]) * scale)))
    left, right = boxes[:, 2] <= seam, boxes[:, 0] >= seam  # a box across the seam is neither
    shift = w - band - seam  # the right band's image x to frame x
    out = np.concatenate([boxes[left] - [pad, 0, pad, 0, 0], boxes[right] + [shift, 0, shift, 0, 0]])
    out[:, [0, 2]] = np.clip(out[:, [0, 2]], 0, w)
    cut = np.concatenate([out[:left.sum(), 0] <= 0, out[left.sum():, 2] >= w])
    return out[cut & (out[:, 2] - out[:, 0] >= 2)].astype(np.float32)


class EdgeBands:
    """The faces the side bands of one video's frames show (``__call__``, see ``edge_faces``); the band
    image is built in one buffer kept from frame to frame (no frame-sized allocation per search)."""

    def __init__(self, models: ModelSet, opts: Options, weak_factor: float, timer: StageTimer = NO_TIMER
                 ) -> None:
        self.models, self.opts, self.weak_factor, self.timer = models, opts, weak_factor, timer
        self._image: np.ndarray | None = None

    def __call__(self, rgb: np.ndarray) -> Found:
        h, w = rgb.shape[:2]
        shape = (h, len(band_columns(h, w)[0]), *rgb.shape[2:])
        if self._image is None or self._image.shape != shape or self._image.dtype != rgb.dtype:
            self._image = np.empty(shape, rgb.dtype)
        return edge_faces(self.models, rgb, self.opts, self.weak_factor, self.timer, self._image)


def edge_faces(models: ModelSet, rgb: np.ndarray, opts: Options, weak_factor: float,
               timer: StageTimer = NO_TIMER, into: np.ndarray | None = None) -> Found:
    """The faces the side bands show, masked by their boxes and dilated as the options ask, split at the
    face threshold into detections and weak ones (down to ``weak_factor`` × the threshold); ``into``:
    see ``band_boxes``."""
    if "faces" not in opts.classes:
        return [], []
    h, w = rgb.shape[:2]
    with timer.stage("edges"):
        low = opts.face_threshold * weak_factor
        boxes = band_boxes(lambda image, size: models.face_detector.detect_many([image], low, size)[0],
                           rgb, opts.face_work_size or models.face_work_size, into=into)
        found = []
        for b in boxes:
            x1, y1, x2, y2 = clip_box(tuple(b[:4]), w, h)
            if x2 > x1 and y2 > y1:
                det = Detection("faces", float(b[4]), (x1, y1, x2, y2), np.ones((y2 - y1, x2 - x1), bool))
                found.append(grow(det, opts.dilation_px, opts.dilation_pct, w, h))
    return ([d for d in found if d.score >= opts.face_threshold],
            [d for d in found if d.score < opts.face_threshold])
