"""Training crops for the plate shape refiner: a square crop around a plate as the finder would box it.

The finder's components are noisy boxes of the plate (too small where its mask is thin, too large
where it bleeds into the car), so each crop jitters every side of the plate's box before taking
``context`` × the box's long side around it. The target is the annotated quadrilateral rasterised with
sub-pixel precision in crop coordinates (every plate in the crop, not only the centred one).
Negatives are the same crops around places where a plate finder fired on a plate-free scene, with an
empty target: there the shaper must find nothing, so the finder's own mask is kept, never grown.
"""

from __future__ import annotations

import cv2
import numpy as np

from service.datasets import Record
from service.training.samplers import Sample, _finish, _read_rgb, _warp, seen_smaller

SUBPIXEL = 4  # fillPoly shift: corners at 1/16 px


class PlateShapeSampler:
    def __init__(self, records: list[Record], size: int = 128,
                 context: tuple[float, float] = (1.15, 1.6), jitter: float = 0.15,
                 negatives: list[Record] = (), hard: dict[int, list[tuple[int, int, int, int]]] | None = None,
                 negative_share: float = 0.0) -> None:
        self.size = size
        self.context = context
        self.jitter = jitter
        self.items = [(_read_rgb(r.image), r.plates) for r in records if r.plates]
        self.negatives = [(_read_rgb(negatives[i].image), boxes)
                          for i, boxes in (hard or {}).items() if boxes]
        self.negative_share = negative_share if self.negatives else 0.0

    def draw(self, rng: np.random.Generator) -> Sample:
        if rng.random() < self.negative_share:
            img, boxes = self.negatives[rng.integers(len(self.negatives))]
            x1, y1, x2, y2 = (float(v) for v in boxes[rng.integers(len(boxes))])
            plates: list[np.ndarray] = []
        else:
            img, plates = self.items[rng.integers(len(self.items))]
            quad = plates[rng.integers(len(plates))]
            (x1, y1), (x2, y2) = quad.min(axis=0), quad.max(axis=0)
        bw, bh = max(x2 - x1, 1.0), max(y2 - y1, 1.0)
        dx1, dx2 = rng.uniform(-self.jitter, self.jitter, 2) * bw
        dy1, dy2 = rng.uniform(-self.jitter, self.jitter, 2) * bh
        x1, x2, y1, y2 = x1 + dx1, x2 + dx2, y1 + dy1, y2 + dy2
        side = max(x2 - x1, y2 - y1, 2.0) * rng.uniform(*self.context)
        scale = self.size / side
        x0, y0 = ((x1 + x2) / 2 - side / 2) * scale, ((y1 + y2) / 2 - side / 2) * scale
        crop = _warp(img, scale, x0, y0, self.size)
        mask = np.zeros((self.size, self.size), np.uint8)
        offset = np.float32([x0, y0])
        polys = [np.round((p * scale - offset) * (1 << SUBPIXEL)).astype(np.int32) for p in plates]
        if polys:
            cv2.fillPoly(mask, polys, 1, lineType=cv2.LINE_8, shift=SUBPIXEL)
        # a plate seen at lower resolution than the crop: the shape must still come out sharp
        return _finish(seen_smaller(crop, rng, 0.25, (0.2, 0.6)), mask, rng)
