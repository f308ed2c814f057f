"""A second, zoomed look where a track was expected but the full-frame pass found nothing.

The full-frame models run at a working size (640 px at the fast setting), where a small plate or a
partly hidden face can fall under what they resolve. A track knows where its object should be, so
the frame is cut there, zoomed to ``LOOK_PX`` and searched by the same models: the object's second
chance at several times the resolution, for a few milliseconds per lost track (tracker-guided
re-detection). Only a track asks, and what is found there becomes a track of its own: the lost one is
still held, so a look-alike found instead of the object adds a mask and never uncovers one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from service.core.masks import grow
from service.core.options import Options
from service.geometry import Detection, clip_box, from_crop, overlap_matrix, square_crops
from service.inference.registry import Backend, ModelSet
from service.timing import NO_TIMER, StageTimer

LOOK_PX = 192
"""Side (px) of each zoomed window the models search."""

CONTEXT = 2.5
"""A window's side in sizes of the object expected there: zoomed ``LOOK_PX`` / (``CONTEXT`` × size)."""

MIN_SIDE = 48
"""Least window side (frame px): the zoom stays at most ``LOOK_PX`` / ``MIN_SIDE`` (4×)."""

MAX_TILES = 2
"""Windows per axis at most; where the search box needs more, they grow (and zoom less)."""

Wanted = tuple[str, tuple[float, float, float, float], float]
"""What a track asks for: class, where the object may be (frame pixels, motion margin included), and its
size (px) when last seen."""

Look = Callable[[list[Wanted], list[tuple[int, int, int, int]]], list[Detection | None]]
"""Given what is wanted and the boxes already taken by this frame's sightings: per wanted object,
what the second look found (or None)."""


def tile_spans(lo: float, hi: float, size: float) -> list[tuple[float, float]]:
    """Windows of side ≥ ``CONTEXT`` × size along one axis covering [lo, hi], overlapping by ``size``
    (an object of that size lies whole in one of them)."""
    side = max(CONTEXT * size, MIN_SIDE)
    if hi - lo <= side:
        mid = (lo + hi) / 2
        return [(mid - side / 2, mid + side / 2)]
    n = min(MAX_TILES, int(np.ceil((hi - lo - size) / max(1.0, side - size))))
    side = max(side, (hi - lo + (n - 1) * size) / n)
    step = (hi - lo - side) / (n - 1)
    return [(lo + k * step, lo + k * step + side) for k in range(n)]


def windows(rgb: np.ndarray, wanted: list[Wanted]) -> tuple[list[np.ndarray], list, list[int]]:
    """Zoomed ``LOOK_PX``² crops tiling each wanted object's search box (cut to the frame), with
    (crop-from-image affine, window) per crop and the index of the wanted object it serves."""
    h, w = rgb.shape[:2]
    squares, owner = [], []
    for k, (_, (x1, y1, x2, y2), size) in enumerate(wanted):
        x1, y1, x2, y2 = max(0.0, x1), max(0.0, y1), min(float(w), x2), min(float(h), y2)
        for ya, yb in tile_spans(y1, y2, size):
            for xa, xb in tile_spans(x1, x2, size):
                side = max(xb - xa, yb - ya)  # square: the longer of the two spans
                cx, cy = (xa + xb) / 2, (ya + yb) / 2
                squares.append((cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2))
                owner.append(k)
    crops, frames = square_crops(rgb, squares, LOOK_PX, 1.0)
    return crops, frames, owner


def pick(candidates: list[Detection], search, taken: list[tuple[int, int, int, int]]) -> Detection | None:
    """The candidate overlapping the search box most that no sighting of this frame has taken."""
    free = ~overlap_matrix([c.box for c in candidates], np.asarray(taken, np.float32).reshape(-1, 4)
                           ).any(axis=1) if candidates else []
    best, best_area = None, 0.0
    box = clip_box(search, 1 << 30, 1 << 30)
    for c, ok in zip(candidates, free, strict=True):
        inter = (max(0, min(c.box[2], box[2]) - max(c.box[0], box[0]))
                 * max(0, min(c.box[3], box[3]) - max(c.box[1], box[1])))
        if ok and inter > best_area:
            best, best_area = c, inter
    return best


def _plates(models: ModelSet, backend: Backend, rgb: np.ndarray, opts: Options, wanted: list[Wanted],
            taken: list[tuple[int, int, int, int]]) -> list[Detection | None]:
    """The plate finder on each window; of the parts the plate verifier is sure of (``Detection.sure``),
    the one picked refined by the plate shaper."""
    crops, frames, owner = windows(rgb, wanted)
    parts: list[list[Detection]] = [[] for _ in wanted]
    probs = backend.plates.probabilities(crops, LOOK_PX, whole=False)
    for k, (prob, _), (m, window) in zip(owner, probs, frames, strict=True):
        local = from_crop(prob, m, window)
        x0, y0 = window[:2]
        parts[k] += [Detection(d.cls, d.score, (d.box[0] + x0, d.box[1] + y0, d.box[2] + x0, d.box[3] + y0),
                               d.mask)
                     for d in backend.plates.objects(local, 1.0, opts.plate_threshold, local.shape)]
    verifier = models.plate_verifier
    if verifier is not None:  # as every plate proposal: a look-alike found here would start a track
        parts = [[d for d in verifier.keep(rgb, found) if d.sure] for found in parts]
    out: list[Detection | None] = []
    taken = list(taken)
    for (_, search, _), found in zip(wanted, parts, strict=True):
        best = pick(found, search, taken)
        out.append(backend.plate_shapes.refine(rgb, [best])[0] if best is not None else None)
        taken += [best.box] if best is not None else []
    return out


def _faces(models: ModelSet, backend: Backend, rgb: np.ndarray, opts: Options, wanted: list[Wanted],
           taken: list[tuple[int, int, int, int]]) -> list[Detection | None]:
    """The face detector on each window; the face picked kept only where the crop model confirms it."""
    crops, frames, owner = windows(rgb, wanted)
    parts: list[list[Detection]] = [[] for _ in wanted]
    for k, boxes, (m, _) in zip(owner, models.face_detector.detect_many(crops, opts.face_threshold, LOOK_PX),
                                frames, strict=True):
        s, ox, oy = float(m[0, 0]), float(m[0, 2]), float(m[1, 2])
        parts[k] += [Detection("faces", float(b[4]), ((b[0] - ox) / s, (b[1] - oy) / s, (b[2] - ox) / s,
                                                      (b[3] - oy) / s), np.ones((1, 1), bool)) for b in boxes]
    out: list[Detection | None] = []
    taken = list(taken)
    for (_, search, _), found in zip(wanted, parts, strict=True):
        best = pick(found, search, taken)
        taken += [best.box] if best is not None else []
        shaped = [] if best is None else backend.faces.refine(
            rgb, np.float32([[*best.box, best.score]]), unsure=np.ones(1, bool))
        out.append(shaped[0] if shaped else None)
    return out


SEARCHES = {"plates": _plates, "faces": _faces}
"""Class -> how the second look searches its windows."""


def look(models: ModelSet, rgb: np.ndarray, opts: Options, timer: StageTimer = NO_TIMER) -> Look:
    """The second look at frame ``rgb``; what it finds is dilated as the options ask."""
    backend = models.backend(opts.backend)
    h, w = rgb.shape[:2]

    def run(wanted: list[Wanted], taken: list[tuple[int, int, int, int]]) -> list[Detection | None]:
        out: list[Detection | None] = [None] * len(wanted)
        with timer.stage("look"):
            for cls, search in SEARCHES.items():
                idx = [i for i, want in enumerate(wanted) if want[0] == cls and cls in opts.classes]
                if idx:
                    found = search(models, backend, rgb, opts, [wanted[i] for i in idx], taken)
                    for i, d in zip(idx, found, strict=True):
                        out[i] = None if d is None else grow(d, opts.dilation_px, opts.dilation_pct, w, h)
        return out

    return run
