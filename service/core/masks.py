"""Mask post-processing: per-object dilation (pixels + % of size), extra regions, ignore, feathering.

Everything returns full-frame arrays; per-object work stays inside each object's (grown) box.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from service.geometry import Detection, clip_box


@dataclass(frozen=True)
class Shape:
    """An extra region: a box ``[x1, y1, x2, y2]`` or a polygon ``[[x, y], ...]``; in a video, either may
    hold for a time range only and follow its object from the frame it was drawn on:
    ``{"shape": <box or polygon>, "from": s, "to": s, "at": s}`` (seconds)."""

    points: tuple[tuple[float, float], ...]
    is_box: bool = False
    start: float | None = None
    end: float | None = None
    at: float | None = None

    @classmethod
    def parse(cls, value: list | dict) -> Shape:
        if isinstance(value, dict):
            if set(value) - {"shape", "from", "to", "at"}:
                raise ValueError("a timed region has keys shape, from, to and at")
            start, end, at = value.get("from"), value.get("to"), value.get("at")
            if not all(t is None or _seconds(t) for t in (start, end, at)):
                raise ValueError("from, to and at are seconds")
            if start is not None and end is not None and end < start:
                raise ValueError("to comes before from")
            inner = cls.parse(value["shape"])
            return cls(inner.points, inner.is_box, start, end, at)
        if len(value) == 4 and all(isinstance(v, int | float) for v in value):
            x1, y1, x2, y2 = (float(v) for v in value)
            if x2 <= x1 or y2 <= y1:
                raise ValueError("a box needs x2 > x1 and y2 > y1")
            return cls(((x1, y1), (x2, y1), (x2, y2), (x1, y2)), is_box=True)
        pts = tuple((float(p[0]), float(p[1])) for p in value)
        if len(pts) < 3:
            raise ValueError("a polygon needs at least 3 points")
        return cls(pts)

    def active(self, seconds: float) -> bool:
        """Whether the shape applies at this time of a video (an untimed one always does)."""
        return (self.start is None or seconds >= self.start) and (self.end is None or seconds <= self.end)

    def rasterise(self, shape: tuple[int, int]) -> np.ndarray:
        if self.is_box:  # [x1, y1, x2, y2) with x2/y2 exclusive, like every box in Veil
            (x1, y1), _, (x2, y2), _ = self.points
            box = clip_box((x1, y1, x2, y2), shape[1], shape[0])
            mask = np.zeros(shape, bool)
            mask[box[1]:box[3], box[0]:box[2]] = True
            return mask
        mask = np.zeros(shape, np.uint8)
        cv2.fillPoly(mask, [np.round(np.asarray(self.points)).astype(np.int32)], 1)
        return mask.astype(bool)


def _seconds(t: object) -> bool:
    return isinstance(t, int | float) and not isinstance(t, bool) and 0 <= t < 1e6


def grow(det: Detection, pixels: int, percent: float, width: int, height: int) -> Detection:
    """Dilate an object's mask by ``pixels`` + ``percent`` of its size (elliptical kernel); the object
    keeps its other fields (``sure``, ``doubt``)."""
    radius = int(round(pixels + det.size * percent / 100.0))
    if radius <= 0:
        return det
    x1, y1, x2, y2 = det.box
    box = clip_box((x1 - radius, y1 - radius, x2 + radius, y2 + radius), width, height)
    local = np.zeros((box[3] - box[1], box[2] - box[0]), np.uint8)
    oy, ox = y1 - box[1], x1 - box[0]
    local[oy:oy + det.mask.shape[0], ox:ox + det.mask.shape[1]] = det.mask
    if radius <= 4:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        return replace(det, box=box, mask=cv2.dilate(local, kernel) > 0)
    # Large radii (propagated masks of fast tracks): Euclidean distance, linear in the area instead of
    # area × kernel size; a superset of the elliptical-kernel dilation.
    return replace(det, box=box, mask=_within(local, radius))


COARSE_RADIUS = 24
"""From this radius on, growth is measured on blocks of ``radius // COARSE_RADIUS`` px (see _within)."""


def _within(local: np.ndarray, radius: int) -> np.ndarray:
    """Pixels within ``radius`` (+0.5) of the mask ``local``. For large radii the distance is taken
    between blocks of f × f px (f = radius // COARSE_RADIUS): f² times less work; a block counts when
    its centre is within radius + √2·f of a masked block's centre, which keeps every pixel the exact
    growth would (a superset, at most 2√2·f px wider: under 12 % of the radius)."""
    f = max(1, radius // COARSE_RADIUS)
    if f == 1:
        dist = cv2.distanceTransform((local == 0).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        return dist <= radius + 0.5
    h, w = local.shape
    ph, pw = -h % f, -w % f
    padded = cv2.copyMakeBorder(local.astype(np.float32), 0, ph, 0, pw, cv2.BORDER_CONSTANT, value=0)
    # a block's mean is above zero exactly when any of its pixels is masked
    blocks = cv2.resize(padded, ((w + pw) // f, (h + ph) // f), interpolation=cv2.INTER_AREA) > 0
    dist = cv2.distanceTransform((~blocks).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    near = dist * f <= radius + 0.5 + np.sqrt(2) * f
    return np.repeat(np.repeat(near, f, axis=0), f, axis=1)[:h, :w]


def paint(dets: list[Detection], shape: tuple[int, int]) -> np.ndarray:
    """Union of object masks as a full-frame bool array."""
    out = np.zeros(shape, bool)
    for d in dets:
        x1, y1, x2, y2 = d.box
        out[y1:y2, x1:x2] |= d.mask
    return out


def region_detections(regions: list[Shape], shape: tuple[int, int]) -> list[Detection]:
    """Caller-given regions as objects of class ``region`` so redaction scales to their size."""
    h, w = shape
    out = []
    for r in regions:
        full = r.rasterise(shape)
        ys, xs = np.nonzero(full)
        if len(ys) == 0:
            continue
        box = clip_box((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1), w, h)
        out.append(Detection("region", 1.0, box, full[box[1]:box[3], box[0]:box[2]]))
    return out


def apply_ignore(dets: list[Detection], ignore: list[Shape], shape: tuple[int, int]) -> list[Detection]:
    """Remove ignore areas from every object (ignore wins: the caller says these pixels are public)."""
    if not ignore:
        return dets
    keep = ~np.logical_or.reduce([s.rasterise(shape) for s in ignore])
    out = []
    for d in dets:
        x1, y1, x2, y2 = d.box
        mask = d.mask & keep[y1:y2, x1:x2]
        if mask.any():
            out.append(Detection(d.cls, d.score, d.box, mask))
    return out


def alpha(mask: np.ndarray, feather: int) -> np.ndarray:
    """Blend weight in [0, 1]. Feathering grows outward only: every masked pixel keeps weight 1."""
    a = mask.astype(np.float32)
    if feather <= 0:
        return a
    soft = cv2.GaussianBlur(cv2.dilate(a, cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (2 * feather + 1, 2 * feather + 1))), (0, 0), feather / 2)
    return np.maximum(a, soft)
