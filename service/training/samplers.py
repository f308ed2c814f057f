"""Training crops: full-frame finding (plates, faces) and crop shape refinement (faces, plates).

Images are loaded once into memory; each draw warps a random window straight from the source
(scale, shift) so small and large objects are seen at every size the service will meet.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from service.datasets import Record
from service.training.augment import photometric, random_affine


def _read_rgb(path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(path)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _warp(img: np.ndarray, scale: float, x0: float, y0: float, size: int) -> np.ndarray:
    """Window of ``size``² of the image scaled by ``scale`` whose top-left is (x0, y0) in scaled coords."""
    m = np.float32([[scale, 0, -x0], [0, scale, -y0]])
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.warpAffine(img, m, (size, size), flags=interp, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=(114, 114, 114))


@dataclass
class Sample:
    image: np.ndarray  # HxWx3 uint8 RGB
    mask: np.ndarray  # HxW uint8 0/1


def plate_quads(record: Record) -> list[np.ndarray]:
    return record.plates


def face_ellipses(record: Record) -> list[np.ndarray]:
    """Each face box's inscribed ellipse as a polygon (a face box is not a face's shape)."""
    polys = []
    for x1, y1, x2, y2 in record.faces:
        centre = (int(round((x1 + x2) / 2 * 8)), int(round((y1 + y2) / 2 * 8)))
        axes = (max(1, int(round((x2 - x1) * 4))), max(1, int(round((y2 - y1) * 4))))
        # 3 fractional bits: small faces keep their sub-pixel size
        polys.append(cv2.ellipse2Poly(centre, axes, 0, 0, 360, 10).astype(np.float32) / 8)
    return polys


class PlateSampler:
    """Windows of scenes; most centre one object (a plate by default) rescaled to ``widths`` px wide,
    some are random.

    Also: plates copy-pasted onto object-free scenes (new backgrounds, small sizes), and windows centred
    on hard negatives (places where an earlier model fired on an object-free scene).
    """

    def __init__(
        self,
        records: list[Record],
        negatives: list[Record | np.ndarray],
        size: int = 256,
        hard: dict[int, list[tuple[int, int, int, int]]] | None = None,
        paste: float = 0.0,
        objects: Callable[[Record], list[np.ndarray]] = plate_quads,
        widths: tuple[float, float] = (12, 200),
    ) -> None:
        self.size = size
        self.items = [(_read_rgb(r.image), objects(r)) for r in records]
        self.negatives = [r if isinstance(r, np.ndarray) else _read_rgb(r.image) for r in negatives]
        self.hard = {i: c for i, c in (hard or {}).items() if c}
        self.paste = paste
        self.widths = widths

    def draw(self, rng: np.random.Generator) -> Sample:
        s = self.size
        r = rng.random()
        if self.negatives and r < self.paste:
            return _finish(*self._pasted(rng), rng)
        if self.hard and r < self.paste + 0.08:
            return _finish(*self._hard_negative(rng), rng)
        if self.negatives and r < self.paste + 0.16:
            img = self.negatives[rng.integers(len(self.negatives))]
            scale = rng.uniform(0.5, 2.0)
            plates: list[np.ndarray] = []
        else:
            img, plates = self.items[rng.integers(len(self.items))]
            scale = rng.uniform(0.5, 3.5)
            if plates and rng.random() < 0.85:
                p = plates[rng.integers(len(plates))]
                width = float(np.ptp(p[:, 0])) or 1.0
                target = math.exp(rng.uniform(*np.log(self.widths)))
                scale = float(np.clip(target / width, 0.15, 8.0))
        h, w = img.shape[:2]
        sw, sh = w * scale, h * scale
        if plates and rng.random() < 0.85:
            cx, cy = plates[rng.integers(len(plates))].mean(axis=0) * scale
            x0 = cx - rng.uniform(0.15, 0.85) * s
            y0 = cy - rng.uniform(0.15, 0.85) * s
        else:
            x0 = rng.uniform(min(0, sw - s), max(0, sw - s))
            y0 = rng.uniform(min(0, sh - s), max(0, sh - s))
        crop = _warp(img, scale, x0, y0, s)
        mask = np.zeros((s, s), np.uint8)
        for p in plates:
            pts = (p * scale - np.float32([x0, y0])).round().astype(np.int32)
            cv2.fillPoly(mask, [pts], 1)
        return _finish(crop, mask, rng)

    def _hard_negative(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        keys = list(self.hard)
        idx = keys[rng.integers(len(keys))]
        img, boxes = self.negatives[idx], self.hard[idx]
        x1, y1, x2, y2 = boxes[rng.integers(len(boxes))]
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        scale = rng.uniform(0.6, 1.6)
        x0 = cx * scale - rng.uniform(0.2, 0.8) * self.size
        y0 = cy * scale - rng.uniform(0.2, 0.8) * self.size
        return _warp(img, scale, x0, y0, self.size), np.zeros((self.size, self.size), np.uint8)

    def _pasted(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """1–3 plates (with a thin margin of their car) warped onto a window of a plate-free scene."""
        s = self.size
        bg = self.negatives[rng.integers(len(self.negatives))]
        h, w = bg.shape[:2]
        scale = rng.uniform(0.5, 2.0)
        x0 = rng.uniform(min(0, w * scale - s), max(0, w * scale - s))
        y0 = rng.uniform(min(0, h * scale - s), max(0, h * scale - s))
        crop = _warp(bg, scale, x0, y0, s)
        mask = np.zeros((s, s), np.uint8)
        for _ in range(int(rng.integers(1, 4))):
            img, plates = self.items[rng.integers(len(self.items))]
            if not plates:
                continue
            quad = plates[rng.integers(len(plates))].astype(np.float32)
            width = float(np.ptp(quad[:, 0])) or 1.0
            k = math.exp(rng.uniform(math.log(10), math.log(120))) / width
            centre = rng.uniform(0.1, 0.9, size=2).astype(np.float32) * s
            dst = (quad - quad.mean(axis=0)) * k * rng.uniform(0.9, 1.1, size=2).astype(np.float32) + centre
            margin = (quad - quad.mean(axis=0)) * 1.15 + quad.mean(axis=0)
            m = cv2.getPerspectiveTransform(quad, dst.astype(np.float32))
            patch = cv2.warpPerspective(img, m, (s, s), flags=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
            area = np.zeros((s, s), np.uint8)
            cv2.fillPoly(area, [cv2.perspectiveTransform(margin[None], m)[0].round().astype(np.int32)], 1)
            soft = cv2.GaussianBlur(area.astype(np.float32), (0, 0), 0.8)[..., None]
            crop = (crop * (1 - soft) + patch * soft).astype(np.uint8)
            mask[area > 0] = 0  # a plate pasted over another hides it
            cv2.fillPoly(mask, [dst.round().astype(np.int32)], 1)
        return crop, mask


class FaceCropSampler:
    """Square crops around a face box (as the detector would propose it) with the face's mask.

    FASSEG gives true pixel masks; real-scene boxes give an inscribed ellipse as a weak target. Crops are
    centred on the box the detector proposes where ``proposals`` has one (FASSEG's own box is the mask's
    extent, neck included: ~1.5× CenterFace's box), so training sees faces as serving does.
    """

    def __init__(
        self, masked: list[Record], boxed: list[Record], size: int = 128,
        context: tuple[float, float] = (1.4, 2.6), proposals: dict[str, list[float]] | None = None,
        negatives: dict[str, list[list[float]]] | None = None, negative_share: float = 0.0,
    ) -> None:
        self.size = size
        self.context = context
        self.masked = []
        for r in masked:
            m = cv2.imread(str(r.face_mask), cv2.IMREAD_GRAYSCALE)
            box = (proposals or {}).get(str(r.image), r.faces[0])
            self.masked.append((_read_rgb(r.image), (m > 127).astype(np.uint8), box))
        self.boxed, self.negatives = [], []
        for r in boxed:
            img = _read_rgb(r.image)
            faces = [b for b in r.faces if min(b[2] - b[0], b[3] - b[1]) >= 8]
            if faces:
                self.boxed.append((img, faces))
            self.negatives += [(img, box) for box in (negatives or {}).get(str(r.image), ())]
        self.negative_share = negative_share if self.negatives else 0.0

    def draw(self, rng: np.random.Generator) -> Sample:
        empty = rng.random() < self.negative_share  # a detector false positive: nothing to mask
        if empty:
            img, box = self.negatives[rng.integers(len(self.negatives))]
            full_mask = None
        elif self.masked and (not self.boxed or rng.random() < 0.45):
            img, full_mask, box = self.masked[rng.integers(len(self.masked))]
        else:
            img, faces = self.boxed[rng.integers(len(self.boxed))]
            full_mask = None
            box = faces[rng.integers(len(faces))]
        x1, y1, x2, y2 = box
        bw, bh = x2 - x1, y2 - y1
        side = max(bw, bh) * rng.uniform(*self.context)
        cx = (x1 + x2) / 2 + rng.uniform(-0.1, 0.1) * bw
        cy = (y1 + y2) / 2 + rng.uniform(-0.1, 0.1) * bh
        scale = self.size / side
        x0, y0 = (cx - side / 2) * scale, (cy - side / 2) * scale
        crop = _warp(img, scale, x0, y0, self.size)
        if full_mask is not None:
            m = np.float32([[scale, 0, -x0], [0, scale, -y0]])
            mask = cv2.warpAffine(full_mask, m, (self.size, self.size), flags=cv2.INTER_NEAREST)
        else:
            mask = np.zeros((self.size, self.size), np.uint8)
        if full_mask is None and not empty:
            centre = (int(round((x1 + x2) / 2 * scale - x0)), int(round((y1 + y2) / 2 * scale - y0)))
            axes = (max(1, int(round(bw * scale / 2))), max(1, int(round(bh * scale / 2))))
            cv2.ellipse(mask, centre, axes, 0, 0, 360, 1, -1)
        # a small face seen large, so the model knows blurry proposals
        return _finish(seen_smaller(crop, rng, 0.3, (0.1, 0.5)), mask, rng)


def seen_smaller(crop: np.ndarray, rng: np.random.Generator, p: float, scale: tuple[float, float]
                 ) -> np.ndarray:
    """With probability ``p``, the crop downscaled by a factor in ``scale`` and back: an object seen at
    a lower resolution than the crop's."""
    if rng.random() < p:
        k = rng.uniform(*scale)
        small = cv2.resize(crop, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
        crop = cv2.resize(small, crop.shape[1::-1], interpolation=cv2.INTER_LINEAR)
    return crop


def _finish(crop: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> Sample:
    if rng.random() < 0.4:
        crop, mask = random_affine(crop, mask, rng)
    if rng.random() < 0.5:
        crop, mask = crop[:, ::-1], mask[:, ::-1]
    return Sample(photometric(np.ascontiguousarray(crop), rng), np.ascontiguousarray(mask))
