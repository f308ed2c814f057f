"""Fail-closed temporal propagation: objects become tracks, and a track's mask covers short gaps.

Detections arrive frame by frame (possibly only every ``stride``-th frame). A frame is finalised once
``window`` later frames have been seen: every track detected within ``window`` frames before *and*
after it is interpolated into it, and a track seen only on one side is held for ``hold`` frames. So an
object missed by the detector for a few frames, or between strided detections, is still covered.
Masks are never shrunk: the final objects of a frame are the union of its own detections, the
propagated ones, and the same track's masks in the neighbouring detected frames. A propagated mask is
also dilated by the distance the track could have moved since (or until) it was seen.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field

import cv2
import numpy as np

from service.core.detections import Detection, clip_box, union
from service.core.masks import grow

MIN_SPEED_PER_STRIDE = 0.025
"""Least growth of a propagated mask per frame away from a sighting, as a share of the object's size,
per frame of detection stride: the less often the detector looks, the less is known in between.

Measured with ``veil evaluate-video`` (docs/benchmarks.md): at stride 4, a least growth of 0.02 → 0.1
cut leaks from 0.108 to 0.063 of object-frames (0.15: 0.043, for far more over-redaction); at stride 1
0.1 did not lower leaks (those are faces never detected) and only masked more."""


def min_speed(stride: int) -> float:
    return MIN_SPEED_PER_STRIDE * max(1, stride)


def for_stride(width: int, height: int, stride: int, window: int, hold: int) -> Propagator:
    """The propagator a video detected every ``stride``-th frame needs (the pipeline and its evaluation
    share it): the look-ahead spans at least one stride, growth scales with it."""
    return Propagator(width, height, window=max(window, stride), hold=hold, min_speed=min_speed(stride))


Final = tuple[int, object, list[Detection]]
"""A finalised frame: index, the caller's payload (the frame itself), and the objects to redact."""


def box_iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@dataclass
class Track:
    id: int
    cls: str
    seen: dict[int, Detection] = field(default_factory=dict)  # frame index -> detection

    def last(self) -> tuple[int, Detection]:
        t = max(self.seen)
        return t, self.seen[t]

    def predicted_box(self, t: int) -> tuple[float, float, float, float]:
        """Constant-velocity guess from the last two sightings (for association only)."""
        frames = sorted(self.seen)[-2:]
        b1 = np.asarray(self.seen[frames[-1]].box, float)
        if len(frames) < 2:
            return tuple(b1)
        b0 = np.asarray(self.seen[frames[0]].box, float)
        v = (b1 - b0) / (frames[1] - frames[0])
        return tuple(b1 + v * (t - frames[-1]))


def _resize_to(det: Detection, box: tuple[int, int, int, int]) -> Detection:
    w, h = box[2] - box[0], box[3] - box[1]
    mask = cv2.resize(det.mask.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
    return Detection(det.cls, det.score, box, mask)


@dataclass
class Propagator:
    width: int
    height: int
    window: int = 8
    hold: int = 8
    iou_match: float = 0.2
    min_speed: float = MIN_SPEED_PER_STRIDE  # see min_speed(stride)
    tracks: list[Track] = field(default_factory=list)
    _pending: deque = field(default_factory=deque)  # (frame index, payload, detected?)
    _next_id: int = 0

    def push(self, t: int, payload, dets: list[Detection] | None,
             weak: list[Detection] | None = None) -> list[Final]:
        """Add frame ``t`` (``dets`` None when detection was skipped); returns frames now final.

        ``weak`` detections (scores under the threshold) only extend tracks that already exist: an
        object the detector is unsure of in this frame stays covered, but no new object starts from one.
        """
        if dets is not None:
            self._associate(t, dets)
        if weak:
            self._associate(t, weak, extend_only=True)
        self._pending.append((t, payload))
        out = []
        while self._pending and self._pending[0][0] <= t - self.window:
            ft, fp = self._pending.popleft()
            out.append((ft, fp, self.objects_at(ft)))
        self._forget(t)
        return out

    def flush(self) -> list[Final]:
        out = [(ft, fp, self.objects_at(ft)) for ft, fp in self._pending]
        self._pending.clear()
        return out

    def _associate(self, t: int, dets: list[Detection], extend_only: bool = False) -> None:
        candidates = sorted(
            ((box_iou(tuple(map(int, tr.predicted_box(t))), d.box), i, j)
             for i, tr in enumerate(self.tracks) for j, d in enumerate(dets)
             if tr.cls == d.cls and t - tr.last()[0] <= self.window + self.hold
             and not (extend_only and t in tr.seen)),
            reverse=True)
        used_t, used_d = set(), set()
        for iou, i, j in candidates:
            if iou < self.iou_match or i in used_t or j in used_d:
                continue
            self.tracks[i].seen[t] = dets[j]
            used_t.add(i)
            used_d.add(j)
        for j, d in enumerate(dets):
            if j not in used_d and not extend_only:
                self.tracks.append(Track(self._next_id, d.cls, {t: d}))
                self._next_id += 1

    def _forget(self, t: int) -> None:
        """Drop sightings no pending frame can use (bounded memory on long videos)."""
        horizon = (self._pending[0][0] if self._pending else t) - self.window - self.hold - 1
        for tr in self.tracks:
            for f in [f for f in tr.seen if f < horizon]:
                del tr.seen[f]
        self.tracks = [tr for tr in self.tracks if tr.seen]

    def objects_at(self, t: int) -> list[Detection]:
        """One mask per track at frame ``t``: the union of its sighting and propagated masks."""
        objects = []
        for tr in self.tracks:
            out: list[Detection] = []
            before = [f for f in tr.seen if t - self.window - self.hold <= f <= t]
            after = [f for f in tr.seen if t <= f <= t + self.window + self.hold]
            if t in tr.seen:
                out.append(tr.seen[t])
            fb, fa = (max(before) if before else None), (min(after) if after else None)
            if fb is not None and fa is not None and fb != fa and fa - fb <= 2 * self.window:
                k = (t - fb) / (fa - fb)
                b = (1 - k) * np.asarray(tr.seen[fb].box, float) + k * np.asarray(tr.seen[fa].box, float)
                box = clip_box(tuple(b), self.width, self.height)
                if box[2] > box[0] and box[3] > box[1]:
                    gap = min(t - fb, fa - t)
                    # both sightings' shapes in the interpolated box, grown once (dilation of a union
                    # = union of the dilations)
                    shapes = union([_resize_to(tr.seen[f], box) for f in (fb, fa)])
                    out.append(self._uncertain(tr, shapes, gap))
            elif fb is not None and t - fb <= self.hold and fb != t:
                out.append(self._uncertain(tr, tr.seen[fb], t - fb))  # held after it was last seen
            elif fa is not None and fa - t <= self.hold and fa != t:
                out.append(self._uncertain(tr, tr.seen[fa], fa - t))  # shown before it was first seen
            for f in (fb, fa):  # temporal smoothing: never smaller than the neighbouring sightings
                if f is not None and f != t and abs(f - t) <= 1:
                    out.append(tr.seen[f])
            if out:
                objects.append(union(out))
        return objects

    def _uncertain(self, tr: Track, det: Detection, gap: int) -> Detection:
        """A propagated mask grows with how far the object may have moved since it was seen:
        the track's fastest corner speed (px/frame, at least ``min_speed`` × its size) × frames away."""
        frames = sorted(tr.seen)
        speed = self.min_speed * det.size
        for f0, f1 in itertools.pairwise(frames):
            step = np.abs(np.subtract(tr.seen[f1].box, tr.seen[f0].box)).max() / (f1 - f0)
            speed = max(speed, float(step))
        return grow(det, int(np.ceil(speed * gap)), 0.0, self.width, self.height)
