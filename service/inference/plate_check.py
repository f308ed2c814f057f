"""The plate verifier: the plate finder's proposals it scores under its threshold are dropped.

Its views are the plate with its bumper or neighbouring lines of text, and the car or wall around it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from service.geometry import Detection, at_edge, scaled
from service.inference.crop_check import CropVerifier

FRAMINGS = (1.0, 0.8)
"""A proposal's score is the least the verifier gives it over its box as drawn and scaled by each of
these about its centre (clipped to the frame), so its views also zoom in: a plate is a plate however its
box is drawn, while a look-alike that the finder's outline makes pass seldom passes both (docs/accuracy.md,
"A plate verifier that looks twice"). Zooming out as well (1.25) cost small plates."""

SURE = 0.9
"""A kept proposal scoring under this is kept only just (``Detection.sure`` False): whole plates almost
never score between the served threshold (0.7) and 0.9, while half of the false plates that pass
them on plate-free images do (models/plate-verifier/MODEL_CARD.md). A plate the frame's edge cuts is
always sure: the verifier sees it completed by its mirror image and scores true ones lower."""


class PlateVerifier(CropVerifier):
    mirror = True  # the plate finder completes a plate the edge cuts by its mirror image (EDGE_MIRROR)

    def scores(self, rgb: np.ndarray, boxes: list[tuple[float, float, float, float]]) -> np.ndarray:
        """Plate probability per box: the least over its ``FRAMINGS``, all run as one batch."""
        if not boxes:
            return np.zeros(0, np.float32)
        h, w = rgb.shape[:2]
        framed = [framing(tuple(float(v) for v in b), f, w, h) for f in FRAMINGS for b in boxes]
        return super().scores(rgb, framed).reshape(len(FRAMINGS), len(boxes)).min(axis=0)

    def keep(self, rgb, found: list[Detection], floor: float | None = None) -> list[Detection]:
        """The plate finder's proposals this model takes for plates, those under ``SURE`` marked as kept
        only just; with ``floor``, also those it turns down scoring at least that, marked as doubted
        (``Detection.doubt``): video keeps a plate it has seen through them."""
        if not found:
            return found
        scores = self.scores(rgb, [d.box for d in found])
        h, w = rgb.shape[:2]
        kept = [replace(d, sure=bool(s >= SURE or at_edge(d.box, w, h)))
                for d, s in zip(found, scores, strict=True) if s >= self.threshold]
        if floor is None:
            return kept
        return kept + [replace(d, sure=False, doubt=True)
                       for d, s in zip(found, scores, strict=True) if floor <= s < self.threshold]


def framing(box: tuple[float, float, float, float], factor: float, w: int, h: int
            ) -> tuple[float, float, float, float]:
    """``box`` scaled by ``factor`` about its centre, clipped to a ``w`` × ``h`` frame; a box the frame's
    edge cuts stays as drawn: scaled, it would no longer reach the edge, and its views would lose the
    mirror image that completes the plate (``mirror``)."""
    if at_edge(box, w, h):
        return box
    x1, y1, x2, y2 = scaled(box, factor)
    return max(0.0, x1), max(0.0, y1), min(float(w), x2), min(float(h), y2)
