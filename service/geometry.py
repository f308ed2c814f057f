"""Geometry every layer shares: an object (class, score, box, local mask), box arithmetic, and the
square crops the crop models see. The lowest module: numpy and OpenCV only."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class Detection:
    """``mask`` covers ``box`` (integer pixel bounds, x2/y2 exclusive) of the full image."""

    cls: str
    score: float
    box: tuple[int, int, int, int]
    mask: np.ndarray  # bool, shape (y2 - y1, x2 - x1)
    sure: bool = True
    """False: a verifier took it for its class only just; video paints it once another detected frame
    finds it again (``video_pipeline.frame_detections_many``)."""
    doubt: bool = False
    """True: a plate the verifier turned down, though not outright (``PlateVerifier.keep``'s floor);
    video lets it extend a plate track already painted, and nothing else (``Propagator.push``)."""

    @property
    def size(self) -> int:
        x1, y1, x2, y2 = self.box
        return max(x2 - x1, y2 - y1)

    def polygon(self) -> list[list[int]]:
        """Outer contour of the mask in image coordinates (largest part)."""
        contours, _ = cv2.findContours(self.mask.astype(np.uint8), cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_SIMPLE)
        if not contours:
            return []
        c = max(contours, key=cv2.contourArea).reshape(-1, 2)
        return (c + np.array(self.box[:2])).tolist()



Found = tuple[list[Detection], list[Detection]]
"""One video frame's (detections, weak face detections): weak ones score under the face threshold."""


def union(dets: list[Detection]) -> Detection:
    """One detection covering every pixel of ``dets`` (same class; the highest score)."""
    if len(dets) == 1:
        return dets[0]
    x1, y1 = min(d.box[0] for d in dets), min(d.box[1] for d in dets)
    x2, y2 = max(d.box[2] for d in dets), max(d.box[3] for d in dets)
    mask = np.zeros((y2 - y1, x2 - x1), bool)
    for d in dets:
        mask[d.box[1] - y1:d.box[3] - y1, d.box[0] - x1:d.box[2] - x1] |= d.mask
    return Detection(dets[0].cls, max(d.score for d in dets), (x1, y1, x2, y2), mask)


def box_iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def boxes_intersect(a, b) -> bool:
    """Whether boxes ``a`` and ``b`` (x1, y1, x2, y2) share any area."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def quad_box(quad: np.ndarray) -> tuple[float, float, float, float]:
    """The box (x1, y1, x2, y2) around a quadrilateral (4×2 corners)."""
    (x1, y1), (x2, y2) = quad.min(axis=0), quad.max(axis=0)
    return float(x1), float(y1), float(x2), float(y2)


def overlaps_frame(box, width: int, height: int) -> bool:
    """Whether ``box`` (x1, y1, x2, y2) reaches into a ``width`` × ``height`` frame."""
    x1, y1, x2, y2 = box
    return x2 > 0 and y2 > 0 and x1 < width and y1 < height


def touches_edge(box, width: int, height: int) -> bool:
    """Whether ``box`` (x1, y1, x2, y2) reaches an edge of a ``width`` × ``height`` frame (is cut by it)."""
    x1, y1, x2, y2 = box
    return x1 <= 0 or y1 <= 0 or x2 >= width or y2 >= height


def crop_to(det: Detection, box: tuple[int, int, int, int]) -> np.ndarray:
    """``det``'s mask over the integer window ``box`` (False where it has none)."""
    x1, y1, x2, y2 = box
    out = np.zeros((y2 - y1, x2 - x1), bool)
    dx1, dy1, dx2, dy2 = det.box
    ix1, iy1, ix2, iy2 = max(x1, dx1), max(y1, dy1), min(x2, dx2), min(y2, dy2)
    if ix2 > ix1 and iy2 > iy1:
        out[iy1 - y1:iy2 - y1, ix1 - x1:ix2 - x1] = det.mask[iy1 - dy1:iy2 - dy1, ix1 - dx1:ix2 - dx1]
    return out


def scaled(box, wide: float, tall: float | None = None) -> tuple[float, float, float, float]:
    """``box`` scaled about its centre: ``wide`` × its width and ``tall`` (default ``wide``) × its height."""
    x1, y1, x2, y2 = box
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    hw, hh = (x2 - x1) * wide / 2, (y2 - y1) * (wide if tall is None else tall) / 2
    return cx - hw, cy - hh, cx + hw, cy + hh


def side_band(box, side: int, depth: float, reach: float
              ) -> tuple[tuple[float, float, float, float], tuple[float, float, float, float]]:
    """A band over ``box`` from one side (0 top, 1 bottom, 2 left, 3 right), ``depth`` × its height (or
    width) deep and reaching ``reach`` × its size past it on the other sides, as an arm or a pole hides
    part of an object; and the part of ``box`` it leaves uncovered."""
    x1, y1, x2, y2 = box
    bw, bh = x2 - x1, y2 - y1
    if side < 2:
        d = depth * bh
        if side == 0:
            return (x1 - reach * bw, y1 - reach * bh, x2 + reach * bw, y1 + d), (x1, y1 + d, x2, y2)
        return (x1 - reach * bw, y2 - d, x2 + reach * bw, y2 + reach * bh), (x1, y1, x2, y2 - d)
    d = depth * bw
    if side == 2:
        return (x1 - reach * bw, y1 - reach * bh, x1 + d, y2 + reach * bh), (x1 + d, y1, x2, y2)
    return (x2 - d, y1 - reach * bh, x2 + reach * bw, y2 + reach * bh), (x1, y1, x2 - d, y2)


def clip_box(box, width: int, height: int) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = box
    return (int(max(0, np.floor(x1))), int(max(0, np.floor(y1))),
            int(min(width, np.ceil(x2))), int(min(height, np.ceil(y2))))


def ellipse_mask(box: tuple[int, int, int, int], ref_box: tuple[float, float, float, float]) -> np.ndarray:
    """Ellipse inscribed in ``ref_box``, drawn inside the integer bounds ``box``."""
    x1, y1, x2, y2 = box
    rx1, ry1, rx2, ry2 = ref_box
    mask = np.zeros((y2 - y1, x2 - x1), np.uint8)
    centre = (int(round((rx1 + rx2) / 2 - x1)), int(round((ry1 + ry2) / 2 - y1)))
    axes = (max(1, int(round((rx2 - rx1) / 2))), max(1, int(round((ry2 - ry1) / 2))))
    cv2.ellipse(mask, centre, axes, 0, 0, 360, 1, -1)
    return mask.astype(bool)


def square_crops(rgb: np.ndarray, boxes: list[tuple[float, float, float, float]], size: int, context: float,
                 mirror: list[bool] | None = None
                 ) -> tuple[list[np.ndarray], list[tuple[np.ndarray, tuple[int, int, int, int]]]]:
    """``size``² crops of ``context`` × each box's long side, with (crop-from-image affine, window in
    the image clipped to it) per crop. Beyond the image: grey, or for a box whose ``mirror`` is set the
    image reflected about its edge."""
    h, w = rgb.shape[:2]
    crops, frames = [], []
    for (x1, y1, x2, y2), reflect in zip(boxes, mirror or [False] * len(boxes), strict=True):
        side = max(x2 - x1, y2 - y1, 1.0) * context
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        s = size / side
        m = np.float32([[s, 0, -(cx - side / 2) * s], [0, s, -(cy - side / 2) * s]])
        crops.append(cv2.warpAffine(rgb, m, (size, size), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REFLECT_101 if reflect else cv2.BORDER_CONSTANT,
                                    borderValue=(114, 114, 114)))
        frames.append((m, clip_box((cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2), w, h)))
    return crops, frames


def at_edge(box: tuple[float, float, float, float], w: int, h: int) -> bool:
    """Whether ``box`` reaches an edge of a ``w`` × ``h`` image (the edge cuts what it holds)."""
    return box[0] <= 0 or box[1] <= 0 or box[2] >= w or box[3] >= h


def from_crop(values: np.ndarray, m: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """A crop's per-pixel ``values`` (float) over the image window ``box``; ``m`` maps image to crop."""
    x1, y1, x2, y2 = box
    if x2 <= x1 or y2 <= y1:
        return np.zeros((max(0, y2 - y1), max(0, x2 - x1)), np.float32)
    shift = m.copy()
    shift[:, 2] += m[:, :2] @ np.float32([x1, y1])
    return cv2.warpAffine(values, shift, (x2 - x1, y2 - y1), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)


def overlap_matrix(found: list[tuple[int, int, int, int]], boxes: np.ndarray, iou: float = 0.3) -> np.ndarray:
    """found × boxes: IoU ≥ ``iou``, or the found box's centre inside the other."""
    if not len(found) or not len(boxes):
        return np.zeros((len(found), len(boxes)), bool)
    f = np.asarray(found, np.float32)[:, None, :]
    b = np.asarray(boxes, np.float32)[None, :, :4]
    iw = np.clip(np.minimum(f[..., 2], b[..., 2]) - np.maximum(f[..., 0], b[..., 0]), 0, None)
    ih = np.clip(np.minimum(f[..., 3], b[..., 3]) - np.maximum(f[..., 1], b[..., 1]), 0, None)
    inter = iw * ih
    area = ((f[..., 2] - f[..., 0]) * (f[..., 3] - f[..., 1])
            + (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1]))
    cx, cy = (f[..., 0] + f[..., 2]) / 2, (f[..., 1] + f[..., 3]) / 2
    inside = (b[..., 0] <= cx) & (cx <= b[..., 2]) & (b[..., 1] <= cy) & (cy <= b[..., 3])
    return (inter >= iou * np.maximum(area - inter, 1e-6)) | inside
