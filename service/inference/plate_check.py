"""The plate verifier: the plate finder's proposals it scores under its threshold are dropped.

Its views are the plate with its bumper or neighbouring lines of text, and the car or wall around it.
"""

from __future__ import annotations

from dataclasses import replace

from service.geometry import Detection, at_edge
from service.inference.crop_check import CropVerifier

SURE = 0.9
"""A kept proposal scoring under this is kept only just (``Detection.sure`` False): whole plates almost
never score between the served threshold (0.7) and 0.9, while half of the false plates that pass
them on plate-free images do (models/plate-verifier/MODEL_CARD.md). A plate the frame's edge cuts is
always sure: the verifier sees it completed by its mirror image and scores true ones lower."""


class PlateVerifier(CropVerifier):
    mirror = True  # the plate finder completes a plate the edge cuts by its mirror image (EDGE_MIRROR)

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
