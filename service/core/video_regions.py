"""A caller's regions and ignore areas over a video's frames.

Each holds for its time range (``from``/``to``, seconds). A region drawn on a frame (``at``, seconds)
follows its object from that frame on, by the optical flow that follows tracked objects
(``service.core.follow``), and stays where it last was wherever the flow cannot follow it; before that
frame, and without ``at``, it stays where it was drawn.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from service.core.follow import ObjectFlow
from service.core.masks import Shape, region_detections
from service.geometry import Detection


class VideoRegions:
    """Feed every frame in order: ``at_frame(t, rgb)`` gives the regions that hold in frame ``t``."""

    def __init__(self, shapes: list[Shape], width: int, height: int, fps: float) -> None:
        self.shape = (height, width)
        self.fps = fps if fps > 0 else 30.0
        self.current = list(shapes)  # each shape where it is now (followed ones move)
        self.detections = [self._rasterise(s) for s in shapes]
        self.flow = ObjectFlow() if any(s.at is not None for s in shapes) else None

    def _rasterise(self, shape: Shape) -> list[Detection]:
        return region_detections([shape], self.shape)

    def at_frame(self, t: int, rgb: np.ndarray) -> list[Detection]:
        now = t / self.fps
        if self.flow is not None:
            moving = [i for i, s in enumerate(self.current)
                      if s.at is not None and s.active(now) and t > round(s.at * self.fps)]
            # stepped on every frame: the flow keeps the previous one
            maps = self.flow.step(rgb, [_box(self.current[i]) for i in moving])
            for i, m in zip(moving, maps, strict=True):
                if m is not None:
                    pts = np.asarray(self.current[i].points) @ m[:2, :2].T + m[:2, 2]
                    self.current[i] = replace(self.current[i], points=tuple(map(tuple, pts.tolist())))
                    self.detections[i] = self._rasterise(self.current[i])
        pairs = zip(self.current, self.detections, strict=True)
        return [d for s, dets in pairs if s.active(now) for d in dets]


def _box(shape: Shape) -> tuple[float, float, float, float]:
    pts = np.asarray(shape.points)
    return float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())
