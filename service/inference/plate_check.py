"""The plate verifier: the plate finder's proposals it scores under its threshold are dropped.

Its views are the plate with its bumper or neighbouring lines of text, and the car or wall around it.
"""

from __future__ import annotations

from service.geometry import Detection
from service.inference.crop_check import CropVerifier


class PlateVerifier(CropVerifier):
    mirror = True  # the plate finder completes a plate the edge cuts by its mirror image (EDGE_MIRROR)

    def keep(self, rgb, found: list[Detection], finder: str | None = None) -> list[Detection]:
        """The proposals (of the plate finder of backend ``finder``) this model takes for plates."""
        if not found:
            return found
        scores = self.scores(rgb, [d.box for d in found])
        threshold = self.threshold_for(finder)
        return [d for d, s in zip(found, scores, strict=True) if s >= threshold]
