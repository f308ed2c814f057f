"""Training crops for a verifier: a square crop around a proposal, labelled object (plate, face) or not.

Positives are annotated objects, each box jittered as a finder would propose it (a fragment, a box
bleeding into the car) and cropped at ``context`` × its long side; with several ``views`` (multiples of
that context), the wider crops of the same centre are stacked below it, as the served verifier sees them.
Negatives are where finders fired on scenes free of the class (documents, screens, posters, textures,
people or streets) and random object-shaped windows of those scenes, so the verifier learns "not a
plate" or "not a face" beyond what one finder happened to see.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from service.datasets import Record
from service.geometry import boxes_intersect, clip_box, quad_box, side_band
from service.training.augment import photometric
from service.training.samplers import Sample, _read_rgb, _warp, seen_smaller

Box = tuple[float, float, float, float]


def plate_boxes(record: Record) -> list[Box]:
    """A record's plates as boxes around their quadrilaterals."""
    return [quad_box(q) for q in record.plates]


def face_boxes(record: Record) -> list[Box]:
    return [tuple(float(v) for v in b) for b in record.faces]


class CropCheckSampler:
    """``objects`` gives a record's positive boxes; ``window`` draws a random negative box in a scene of a
    shape; ``avoid`` (scene index → boxes) keeps random windows off objects nobody may call negative."""

    def __init__(self, records: list[Record], scenes: list[np.ndarray], hard: dict[int, list[Box]],
                 size: int = 96, context: tuple[float, float] = (1.6, 2.6), positive_share: float = 0.5,
                 random_share: float = 0.15, jitter: float = 0.25,
                 focus: dict[int, list[Box]] | None = None, views: tuple[float, ...] = (1.0,),
                 objects: Callable[[Record], list[Box]] = plate_boxes,
                 window: Callable[[tuple[int, int], np.random.Generator], Box] | None = None,
                 avoid: dict[int, list[Box]] | None = None, cover: float = 0.0,
                 hard_jitter: float = 0.1) -> None:
        self.size = size
        # a hard negative's box is moved by up to this share of its size per side: 0.1 keeps it about as the
        # finder drew it; as much as ``jitter`` (the positives') makes framing say nothing by itself
        self.hard_jitter = hard_jitter
        # share of positives drawn partly hidden (and of negatives drawn with a cover, so that a hard
        # edge across a crop says nothing by itself): a plate a passer-by or a pole hides in part
        self.cover = cover
        self.context = context
        self.views = views
        self.jitter = jitter
        self.items = [(_read_rgb(r.image), boxes) for r in records if (boxes := objects(r))]
        self.window = window or _random_box
        self.avoid = avoid or {}
        self.scenes = scenes
        self.hard = [(i, b) for i, boxes in hard.items() for b in boxes]
        # the hard negatives an earlier verifier still took for plates: half of the hard draws
        self.focus = [(i, b) for i, boxes in (focus or {}).items() for b in boxes]
        self.positive_share = positive_share
        self.random_share = random_share if scenes else 0.0

    def draw(self, rng: np.random.Generator) -> Sample:
        r = rng.random()
        if r < self.positive_share or not (self.hard or self.random_share):
            img, boxes = self.items[rng.integers(len(self.items))]
            box = boxes[rng.integers(len(boxes))]
            if self.scenes and rng.random() < self.cover:
                img, box = covered(img, box, self.scenes[rng.integers(len(self.scenes))], rng)
            box = self._jittered(box, rng)
            label = 1
        elif r < self.positive_share + self.random_share or not self.hard:
            i = int(rng.integers(len(self.scenes)))
            img = self.scenes[i]
            box = self._free_window(i, rng)
            label = 0
        else:
            pool = self.focus if self.focus and rng.random() < 0.5 else self.hard
            i, box = pool[rng.integers(len(pool))]
            img = self.scenes[i]
            box = self._jittered(box, rng, self.hard_jitter)
            label = 0
        if not label and rng.random() < self.cover / 2:
            img, _ = covered(img, box, self.scenes[rng.integers(len(self.scenes))], rng)
        crop = self._crop(img, box, rng)
        return Sample(crop, np.full((1, 1), label, np.uint8))

    def _free_window(self, i: int, rng: np.random.Generator) -> Box:
        """A random window of scene ``i`` that overlaps none of its ``avoid`` boxes (a few tries)."""
        box = self.window(self.scenes[i].shape[:2], rng)
        for _ in range(8):
            if not any(boxes_intersect(box, a) for a in self.avoid.get(i, ())):
                break
            box = self.window(self.scenes[i].shape[:2], rng)
        return box

    def _jittered(self, box: Box, rng: np.random.Generator, jitter: float | None = None) -> Box:
        j = self.jitter if jitter is None else jitter
        x1, y1, x2, y2 = box
        bw, bh = max(x2 - x1, 1.0), max(y2 - y1, 1.0)
        dx = rng.uniform(-j, j, 2) * bw
        dy = rng.uniform(-j, j, 2) * bh
        if rng.random() < 0.15:  # a fragment: the finder found one end of the plate
            keep = rng.uniform(0.4, 0.7)
            if rng.random() < 0.5:
                x2 = x1 + bw * keep
            else:
                x1 = x2 - bw * keep
        return x1 + dx[0], y1 + dy[0], max(x1 + dx[0] + 1, x2 + dx[1]), max(y1 + dy[0] + 1, y2 + dy[1])

    def _crop(self, img: np.ndarray, box: Box, rng: np.random.Generator) -> np.ndarray:
        x1, y1, x2, y2 = box
        base = max(x2 - x1, y2 - y1, 2.0) * rng.uniform(*self.context)
        squares = []
        for k in self.views:
            side = base * k
            scale = self.size / side
            x0, y0 = ((x1 + x2) / 2 - side / 2) * scale, ((y1 + y2) / 2 - side / 2) * scale
            squares.append(_warp(img, scale, x0, y0, self.size))
        crop = np.concatenate(squares, axis=0)
        return photometric(np.ascontiguousarray(seen_smaller(crop, rng, 0.25, (0.25, 0.6))), rng)


def covered(img: np.ndarray, box: Box, filler: np.ndarray, rng: np.random.Generator
            ) -> tuple[np.ndarray, Box]:
    """``img`` (a copy) with 15–45 % of ``box`` hidden from one side by a band of ``filler`` (another
    scene) that reaches past the box, and what is left of the box: a finder proposes the visible part."""
    depth, side = rng.uniform(0.15, 0.45), int(rng.integers(4))
    band, left = side_band(box, side, depth, rng.uniform(0.3, 1.0))
    bx1, by1, bx2, by2 = clip_box(band, *img.shape[1::-1])
    out = img.copy()
    if bx2 > bx1 and by2 > by1:
        fh, fw = filler.shape[:2]
        py, px = int(rng.integers(max(1, fh - (by2 - by1)))), int(rng.integers(max(1, fw - (bx2 - bx1))))
        patch = filler[py:py + by2 - by1, px:px + bx2 - bx1]
        if patch.shape[:2] != (by2 - by1, bx2 - bx1):
            patch = cv2.resize(patch, (bx2 - bx1, by2 - by1))
        out[by1:by2, bx1:bx2] = patch
    return out, left


def face_window(shape: tuple[int, int], rng: np.random.Generator) -> Box:
    """A face-shaped box (height 0.8–1.5 × width, 6–200 px wide) anywhere in an image of ``shape``."""
    h, w = shape
    bw = min(float(np.exp(rng.uniform(np.log(6), np.log(200)))), w * 0.9)
    return _placed(shape, bw, max(3.0, min(bw * rng.uniform(0.8, 1.5), h * 0.9)), rng)


def _placed(shape: tuple[int, int], bw: float, bh: float, rng: np.random.Generator) -> Box:
    """A ``bw`` × ``bh`` box at a random place inside an image of ``shape``."""
    h, w = shape
    x1, y1 = rng.uniform(0, max(1.0, w - bw)), rng.uniform(0, max(1.0, h - bh))
    return x1, y1, x1 + bw, y1 + bh


def _random_box(shape: tuple[int, int], rng: np.random.Generator) -> Box:
    """A plate-shaped box (1.5–6 : 1, 10–300 px wide) anywhere in an image of ``shape``."""
    h, w = shape
    bw = min(float(np.exp(rng.uniform(np.log(10), np.log(300)))), w * 0.9)
    return _placed(shape, bw, max(3.0, min(bw / rng.uniform(1.5, 6.0), h * 0.9)), rng)
