"""Camera motion between consecutive frames, and moving masks by it.

A panning, zooming or shaking camera moves every object in the picture at once; the tracker carries
masks across frames where the detector did not look, so it must know where the picture went. The
motion is one similarity (shift, scale, rotation) per frame pair, fitted with RANSAC to corners
tracked by pyramidal Lucas–Kanade on a small grey copy of the frame (camera-motion compensation, as
in BoT-SORT). Where too few corners agree (a blank or cut frame, an object filling the view) the
motion is *unknown* (None) and the tracker falls back to its motion-free prediction.
"""

from __future__ import annotations

import cv2
import numpy as np

from service.geometry import Detection, clip_box

IDENTITY = np.eye(3)

WORK_SIDE = 256
"""Long side (px) of the grey copy the motion is measured on."""

MIN_INLIERS = 12
MIN_INLIER_SHARE = 0.5


def to3(m: np.ndarray) -> np.ndarray:
    """A 2×3 affine matrix as 3×3."""
    return np.vstack([m, [0.0, 0.0, 1.0]])


def grey_copy(rgb: np.ndarray, work_side: int) -> tuple[np.ndarray, float]:
    """A grey copy of ``rgb`` whose long side is at most ``work_side``, and the scale applied."""
    h, w = rgb.shape[:2]
    scale = min(1.0, work_side / max(h, w))
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if scale < 1.0:
        grey = cv2.resize(grey, (max(1, round(w * scale)), max(1, round(h * scale))),
                          interpolation=cv2.INTER_AREA)
    return grey, scale


class CameraMotion:
    """Feed frames in order; ``step`` gives the 3×3 map from the previous frame's pixels to this one's
    (None on the first frame and wherever the motion is unknown)."""

    def __init__(self, work_side: int = WORK_SIDE, corners: int = 120) -> None:
        self.work_side, self.corners = work_side, corners
        self._prev: np.ndarray | None = None

    def step(self, rgb: np.ndarray) -> np.ndarray | None:
        grey, scale = grey_copy(rgb, self.work_side)
        prev, self._prev = self._prev, grey
        if prev is None or prev.shape != grey.shape:
            return None
        pts = cv2.goodFeaturesToTrack(prev, self.corners, 0.01, 8, blockSize=5)
        if pts is None or len(pts) < MIN_INLIERS:
            return None
        nxt, status, _ = cv2.calcOpticalFlowPyrLK(prev, grey, pts, None, winSize=(21, 21), maxLevel=3)
        ok = status.ravel() == 1
        if ok.sum() < MIN_INLIERS:
            return None
        m, inliers = cv2.estimateAffinePartial2D(pts[ok], nxt[ok], method=cv2.RANSAC,
                                                 ransacReprojThreshold=1.0)
        if m is None or inliers.sum() < max(MIN_INLIERS, MIN_INLIER_SHARE * ok.sum()):
            return None
        m = m.astype(float)
        m[:, 2] /= scale  # the same similarity in full-resolution pixels
        return to3(m)


def apply(a: np.ndarray, box) -> tuple[float, float, float, float]:
    """Bounds of ``box`` (x1, y1, x2, y2) moved by the 3×3 map ``a``."""
    x1, y1, x2, y2 = box
    (a00, a01, a02), (a10, a11, a12) = a[:2].tolist()  # plain floats: called per track per frame
    xs = [a00 * x + a01 * y + a02 for x, y in ((x1, y1), (x2, y1), (x1, y2), (x2, y2))]
    ys = [a10 * x + a11 * y + a12 for x, y in ((x1, y1), (x2, y1), (x1, y2), (x2, y2))]
    return min(xs), min(ys), max(xs), max(ys)


def fit(src, dst) -> np.ndarray:
    """The 3×3 scale-and-shift map taking box ``src`` onto box ``dst``."""
    sx = (dst[2] - dst[0]) / max(1e-6, src[2] - src[0])
    sy = (dst[3] - dst[1]) / max(1e-6, src[3] - src[1])
    return np.array([[sx, 0.0, dst[0] - sx * src[0]], [0.0, sy, dst[1] - sy * src[1]], [0.0, 0.0, 1.0]])


def _shift(dx: float, dy: float) -> np.ndarray:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


def move(det: Detection, a: np.ndarray, width: int, height: int) -> Detection | None:
    """``det`` with its mask mapped by ``a`` (3×3, image pixels to image pixels), cut to the frame;
    None when nothing of it lands inside."""
    x1, y1, x2, y2 = clip_box(apply(a, det.box), width, height)
    if x2 <= x1 or y2 <= y1:
        return None
    # centres of the source mask's pixels -> image -> centres of the target window's pixels
    local = _shift(-x1 - 0.5, -y1 - 0.5) @ a @ _shift(det.box[0] + 0.5, det.box[1] + 0.5)
    mask = cv2.warpAffine(det.mask.astype(np.uint8), local[:2], (x2 - x1, y2 - y1),
                          flags=cv2.INTER_NEAREST, borderValue=0) > 0
    return Detection(det.cls, det.score, (x1, y1, x2, y2), mask)


def beyond_edges(det: Detection, width: int, height: int) -> Detection:
    """``det`` continued past each frame edge its box touches, by its own size: an object cut by the
    edge may reach that far outside, and moved inward (entering the picture, or the camera turning
    towards it) that part must be covered too. Along the edge the continuation spans the rows (or
    columns) the mask covers in its outer quarter. ``move`` cuts the result back to the frame."""
    x1, y1, x2, y2 = det.box
    sides = (x1 <= 0, y1 <= 0, x2 >= width, y2 >= height)  # left, top, right, bottom
    if not any(sides) or not det.mask.any():
        return det
    reach = det.size
    mask = det.mask
    h, w = mask.shape
    qx, qy = max(1, w // 4), max(1, h // 4)
    left, top, right, bottom = (reach * s for s in sides)
    out = np.zeros((h + top + bottom, w + left + right), bool)
    out[top:top + h, left:left + w] = mask
    if sides[0]:
        out[top:top + h, :left] = mask[:, :qx].any(axis=1)[:, None]
    if sides[2]:
        out[top:top + h, left + w:] = mask[:, w - qx:].any(axis=1)[:, None]
    if sides[1]:
        out[:top, left:left + w] = mask[:qy].any(axis=0)[None, :]
    if sides[3]:
        out[top + h:, left:left + w] = mask[h - qy:].any(axis=0)[None, :]
    return Detection(det.cls, det.score, (x1 - left, y1 - top, x2 + right, y2 + bottom), out)
