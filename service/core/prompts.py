"""Masks from a person's prompt — a box and/or clicked points — for /v1/segment and the review editor.

A prompt names what it outlines (``kind``), and each kind has its own segmenter in ``KINDS``:

* ``faces`` and ``plates``: Veil's own crop models (the chosen backend) segment the prompted box, as
  they segment a detector's proposal; clicked points then add or cut.
* ``object`` (anything else: a logo, a badge, a screen): GrabCut seeded by the box — outside is
  background, the inner core probably foreground, clicked points certain — snaps the box to the
  object's colour boundary. Where GrabCut finds nothing plausible the whole box is kept (fail closed).

Points alone (no box) stand for a box around them sized to the image, so a click works by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from service.errors import InvalidOptionsError
from service.geometry import clip_box
from service.inference.registry import ModelSet

Box = tuple[int, int, int, int]
CLICK_SHARE = 0.12  # a lone click stands for a box of this share of the image's long side,
CLICK_GROWTH = (1.0, 2.0, 4.0)  # grown while the object found runs on past its sides
GRABCUT_ROUNDS = 4
GRABCUT_SIDE = 256
REFINE_PASSES = 2  # GrabCut runs on the box's window scaled to at most this long side (speed)


@dataclass(frozen=True)
class Prompt:
    box: Box | None = None
    points: tuple[tuple[int, int, int], ...] = ()  # (x, y, label): 1 keep, 0 leave out
    kind: str = "object"

    def window(self, width: int, height: int, grow: float = 1.0) -> Box:
        """The prompt's box clipped to the image; for points alone, a box around the positive ones
        (``grow`` × the default size)."""
        if self.box is not None:
            box = clip_box(self.box, width, height)
        else:
            keep = [(x, y) for x, y, label in self.points if label]
            if not keep:
                raise InvalidOptionsError("Invalid fields: points (send a box or a positive point)")
            xs, ys = [p[0] for p in keep], [p[1] for p in keep]
            half = max(12.0, grow * CLICK_SHARE * max(width, height) / 2)
            box = clip_box((min(xs) - half, min(ys) - half, max(xs) + half, max(ys) + half), width, height)
        if box[2] - box[0] < 2 or box[3] - box[1] < 2:
            raise InvalidOptionsError("Invalid fields: box (it must cover at least 2×2 pixels of the image)")
        return box


def _with_points(mask: np.ndarray, points: tuple[tuple[int, int, int], ...], box: Box) -> np.ndarray:
    """Clicked points are certain: a negative one cuts the part of the mask it lies in; a positive one
    adds a disc sized to the prompt's box."""
    radius = max(2, (box[2] - box[0] + box[3] - box[1]) // 40)
    out = mask.astype(np.uint8)
    for x, y, label in points:
        if not (0 <= y < out.shape[0] and 0 <= x < out.shape[1]):
            continue
        if label:
            cv2.circle(out, (x, y), radius, 1, -1)
        elif out[y, x]:
            _, parts = cv2.connectedComponents(out, connectivity=8)
            out[parts == parts[y, x]] = 0
    return out.astype(bool)


def _model_kind(role: str) -> Callable[[ModelSet, str, np.ndarray, Prompt], np.ndarray]:
    def segment(models: ModelSet, backend: str, rgb: np.ndarray, prompt: Prompt) -> np.ndarray:
        h, w = rgb.shape[:2]
        box = prompt.window(w, h)
        chosen = models.backend(backend)
        model = chosen.faces if role == "faces" else chosen.plate_shapes
        x1, y1, x2, y2 = box  # the prompt bounds the answer: nothing outside the box a person drew
        inside = np.zeros((h, w), bool)
        inside[y1:y2, x1:x2] = True
        mask, seen = inside, box
        for _ in range(REFINE_PASSES):  # a loose box, then the found object's own box, as trained
            (wx1, wy1, wx2, wy2), local = model.masks(rgb, [tuple(float(v) for v in seen)])[0]
            found = np.zeros((h, w), bool)
            found[wy1:wy2, wx1:wx2] = local
            found &= inside
            if found.sum() < 0.1 * (x2 - x1) * (y2 - y1):
                break
            mask = found
            ys, xs = np.nonzero(found)
            seen = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
        if mask is inside:
            mask = _grabcut(rgb, box, prompt.points)  # the model sees no face/plate there: fall back
        return _with_points(mask, prompt.points, box)

    return segment


def _grabcut(rgb: np.ndarray, box: Box, points: tuple[tuple[int, int, int], ...]) -> np.ndarray:
    """GrabCut in the box's window (scaled to ``GRABCUT_SIDE``), with a margin of certain background."""
    h, w = rgb.shape[:2]
    x1, y1, x2, y2 = box
    margin = max(4, (x2 - x1 + y2 - y1) // 16)
    wx1, wy1, wx2, wy2 = max(0, x1 - margin), max(0, y1 - margin), min(w, x2 + margin), min(h, y2 + margin)
    scale = min(1.0, GRABCUT_SIDE / max(wx2 - wx1, wy2 - wy1))
    size = (max(1, round((wx2 - wx1) * scale)), max(1, round((wy2 - wy1) * scale)))
    window = cv2.resize(np.ascontiguousarray(rgb[wy1:wy2, wx1:wx2]), size, interpolation=cv2.INTER_AREA)
    seeds = np.full(window.shape[:2], cv2.GC_BGD, np.uint8)
    bx1, by1 = round((x1 - wx1) * scale), round((y1 - wy1) * scale)
    bx2, by2 = round((x2 - wx1) * scale), round((y2 - wy1) * scale)
    seeds[by1:by2, bx1:bx2] = cv2.GC_PR_BGD
    cx, cy, rx, ry = (bx1 + bx2) // 2, (by1 + by2) // 2, max(1, (bx2 - bx1) // 3), max(1, (by2 - by1) // 3)
    cv2.ellipse(seeds, (cx, cy), (rx, ry), 0, 0, 360, cv2.GC_PR_FGD, -1)
    for x, y, label in points:
        px, py = round((x - wx1) * scale), round((y - wy1) * scale)
        if 0 <= px < size[0] and 0 <= py < size[1]:
            cv2.circle(seeds, (px, py), 2, cv2.GC_FGD if label else cv2.GC_BGD, -1)
    try:
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        cv2.grabCut(cv2.cvtColor(window, cv2.COLOR_RGB2BGR), seeds, None, bgd, fgd, GRABCUT_ROUNDS,
                    cv2.GC_INIT_WITH_MASK)
        fg = (seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD)
    except cv2.error:  # one colour only (a flat box): nothing to separate
        fg = np.zeros(seeds.shape, bool)
    inner = fg[by1:by2, bx1:bx2]
    if inner.size == 0 or not 0.05 <= inner.mean() <= 0.98:
        inner = np.ones((max(1, by2 - by1), max(1, bx2 - bx1)), bool)  # nothing plausible: the whole box
    local = cv2.resize(inner.astype(np.uint8), (x2 - x1, y2 - y1), interpolation=cv2.INTER_NEAREST)
    mask = np.zeros((h, w), bool)
    mask[y1:y2, x1:x2] = local.astype(bool)
    return _largest_parts(mask)


def _largest_parts(mask: np.ndarray, keep: float = 0.1) -> np.ndarray:
    """Drop specks: parts smaller than ``keep`` × the largest one."""
    count, parts, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count <= 2:
        return mask
    areas = stats[1:, cv2.CC_STAT_AREA]
    kept = np.flatnonzero(areas >= keep * areas.max()) + 1
    return np.isin(parts, kept)


def _object(_models: ModelSet, _backend: str, rgb: np.ndarray, prompt: Prompt) -> np.ndarray:
    h, w = rgb.shape[:2]
    for grow in CLICK_GROWTH if prompt.box is None else (1.0,):
        box = prompt.window(w, h, grow)
        mask = _grabcut(rgb, box, prompt.points)
        if not _touches(mask, box, w, h):
            break  # a click's object lies wholly inside the window: done
    return _with_points(mask, prompt.points, box)


def _touches(mask: np.ndarray, box: Box, width: int, height: int) -> bool:
    """Whether the mask reaches a side of ``box`` that is not the image's edge (the object goes on)."""
    x1, y1, x2, y2 = box
    return bool((x1 > 0 and mask[y1:y2, x1].any()) or (x2 < width and mask[y1:y2, x2 - 1].any())
                or (y1 > 0 and mask[y1, x1:x2].any()) or (y2 < height and mask[y2 - 1, x1:x2].any()))


KINDS: dict[str, Callable[[ModelSet, str, np.ndarray, Prompt], np.ndarray]] = {
    "faces": _model_kind("faces"),
    "plates": _model_kind("plates"),
    "object": _object,
}


def segment_prompt(models: ModelSet, rgb: np.ndarray, prompt: Prompt, backend: str) -> np.ndarray:
    """The prompted object's mask over the whole image (bool, the image's size)."""
    if prompt.kind not in KINDS:
        raise InvalidOptionsError(f"Invalid fields: kind (one of {', '.join(KINDS)})")
    return KINDS[prompt.kind](models, backend, rgb, prompt)


def outlines(mask: np.ndarray, tolerance: float = 1.0) -> list[list[list[int]]]:
    """The mask's outer outlines as polygons [[x, y], ...] (what the editor sends back as regions)."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    polys = []
    for c in contours:
        c = cv2.approxPolyDP(c, tolerance, True)
        if len(c) >= 3:
            polys.append(c[:, 0, :].tolist())
    return polys
