"""A second opinion on a finder's proposals: does this crop hold the object (a plate, a face)?

A full-frame finder reads text lines, price tags, buttons and stripes as plates, and letters, logos and
specks as faces, on images unlike its training data. A small classifier looks at square crops of each
proposal: at ``context`` × its long side (the object and what surrounds it) and, for a model with several
``contexts``, wider too (the car around a plate, the body or page around a face). It decides existence
only; the crop models still decide shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from service.geometry import at_edge, square_crops
from service.inference.engines import Engine
from service.inference.segmenters import run_images, sigmoid


def view_contexts(cfg: dict[str, Any]) -> list[float]:
    """The verifier's views, as contexts (× a proposal's long side): one square each, stacked top to
    bottom in its input."""
    return [float(c) for c in cfg.get("contexts") or [cfg.get("context", 2.0)]]


class CropVerifier:
    mirror = False
    """Whether a proposal the frame's edge cuts is seen completed by the frame reflected about that edge,
    as the finder whose proposals this model verifies saw it (else: grey beyond the frame)."""

    def __init__(self, engine: Engine, cfg: dict[str, Any]) -> None:
        self.engine = engine
        self.cfg = cfg
        self.size = int(cfg.get("input_size", 96))
        self.contexts = view_contexts(cfg)
        self.threshold = float(cfg.get("threshold", 0.5))  # chosen on held-out data: see the model card

    def scores(self, rgb: np.ndarray, boxes: list[tuple[float, float, float, float]]) -> np.ndarray:
        """Object probability per box (float32, one per box)."""
        if not boxes:
            return np.zeros(0, np.float32)
        fboxes = [tuple(float(v) for v in b) for b in boxes]
        h, w = rgb.shape[:2]
        mirror = [self.mirror and at_edge(b, w, h) for b in fboxes]
        views = [square_crops(rgb, fboxes, self.size, c, mirror)[0] for c in self.contexts]
        strips = np.stack([np.concatenate(v, axis=0) for v in zip(*views, strict=True)])
        logits = run_images(self.engine, strips, self.cfg)
        return sigmoid(logits.reshape(len(boxes), -1)[:, 0]).astype(np.float32)
