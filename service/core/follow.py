"""Following each tracked object from frame to frame between detections.

The camera's motion (``service.core.motion``) moves every mask alike; an object also moves on its own
(a walking person, an overtaking car) and the camera estimate drifts over many frames. Where only those
were known, a propagated mask had to grow into a cone of where the object *might* be. Here each tracked
box is followed into the next frame by pyramidal Lucas–Kanade on a grid of points inside it, checked
forward and backward, so a mask is moved to where its object *is*; a box whose points do not agree is
not followed (the tracker then falls back to the camera's motion and grows the mask as before).
"""

from __future__ import annotations

import cv2
import numpy as np

from service.core.motion import grey_copy

WORK_SIDE = 640
"""Long side (px) of the grey copy objects are followed on."""
GRID = 3
"""Points per side of the grid laid inside each box."""
MIN_POINTS = 3
"""Points that must agree (forward-backward error under ``MAX_FB_ERROR``) for a box to be followed."""
MAX_FB_ERROR = 0.7
"""Forward-backward error (px on the grey copy) over which a point is not trusted."""
WINDOW, LEVELS, ITERATIONS = (11, 11), 2, 10
"""Lucas–Kanade's window (px), pyramid levels above the image and iterations per level."""
MAX_SPREAD = 0.25
"""The points' displacements may differ from their median by at most this share of the box's size
(plus 1 px): an object seen whole moves as one."""


class ObjectFlow:
    """Feed every frame in order: ``step(rgb, boxes, t)`` gives, for each box (x1, y1, x2, y2, in the
    previous frame's pixels), the 3×3 map moving it into this frame, or None where it could not be
    followed. The grey copies of the last ``keep`` frames stay, so ``back`` can follow an object first
    seen in frame ``t`` into the frames before it that are not yet final."""

    def __init__(self, work_side: int = WORK_SIDE, keep: int = 0) -> None:
        self.work_side, self.keep = work_side, keep
        self._prev: np.ndarray | None = None
        self._greys: dict[int, tuple[np.ndarray, float]] = {}

    def step(self, rgb: np.ndarray, boxes: list[tuple[float, float, float, float]], t: int | None = None
             ) -> list[np.ndarray | None]:
        grey, scale = grey_copy(rgb, self.work_side)
        prev, self._prev = self._prev, grey
        if t is not None and self.keep:
            self._greys[t] = (grey, scale)
            for old in [k for k in self._greys if k <= t - self.keep]:
                del self._greys[old]
        if prev is None or prev.shape != grey.shape or not boxes:
            return [None] * len(boxes)
        return _shifts(prev, grey, boxes, scale)

    def back(self, t: int, boxes: list[tuple[float, float, float, float]]) -> list[np.ndarray | None]:
        """For each box (frame ``t``'s pixels), the 3×3 map moving it into frame ``t - 1``, or None where
        it could not be followed or either frame's copy is gone."""
        now, before = self._greys.get(t), self._greys.get(t - 1)
        if now is None or before is None or now[0].shape != before[0].shape or not boxes:
            return [None] * len(boxes)
        return _shifts(now[0], before[0], boxes, now[1])


def _shifts(prev: np.ndarray, grey: np.ndarray, boxes: list[tuple[float, float, float, float]], scale: float
            ) -> list[np.ndarray | None]:
    """Per box (full-resolution pixels of ``prev``): the shift (3×3) its inner grid of points moved by
    from ``prev`` to ``grey`` (grey copies at ``scale``), or None where the points do not agree."""
    h, w = grey.shape
    grids = []
    for x1, y1, x2, y2 in boxes:
        # the inner part of the box (its edges often hold background moving otherwise)
        bx1, by1, bx2, by2 = (v * scale for v in (x1, y1, x2, y2))
        mx, my = 0.2 * (bx2 - bx1), 0.2 * (by2 - by1)
        xs = np.clip(np.linspace(bx1 + mx, bx2 - mx, GRID), 0, w - 1)
        ys = np.clip(np.linspace(by1 + my, by2 - my, GRID), 0, h - 1)
        grids.append(np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2))
    pts = np.concatenate(grids).astype(np.float32).reshape(-1, 1, 2)
    lk = {"winSize": WINDOW, "maxLevel": LEVELS,
          "criteria": (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, ITERATIONS, 0.03)}
    fwd, st1, _ = cv2.calcOpticalFlowPyrLK(prev, grey, pts, None, **lk)
    back, st2, _ = cv2.calcOpticalFlowPyrLK(grey, prev, fwd, None, **lk)
    good = (st1.ravel() == 1) & (st2.ravel() == 1) & (
        np.linalg.norm((back - pts).reshape(-1, 2), axis=1) < MAX_FB_ERROR)
    moved = (fwd - pts).reshape(-1, 2)
    out: list[np.ndarray | None] = []
    n = GRID * GRID
    for k, (x1, y1, x2, y2) in enumerate(boxes):
        ok = good[k * n:(k + 1) * n]
        d = moved[k * n:(k + 1) * n][ok]
        if len(d) < MIN_POINTS:
            out.append(None)
            continue
        med = np.median(d, axis=0)
        size = max(x2 - x1, y2 - y1) * scale
        if np.abs(d - med).max() > MAX_SPREAD * size + 1.0:
            out.append(None)
            continue
        dx, dy = (float(v) / scale for v in med)
        out.append(np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]]))
    return out
