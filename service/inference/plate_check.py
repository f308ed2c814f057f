"""A second opinion on every plate the finder proposes: is this crop a licence plate?

The full-frame finder reads text lines, price tags, buttons and stripes as plates on images unlike its
road-scene training data. A small classifier looks at a square crop of ``context`` × each proposal's
long side (the plate and what surrounds it: a bumper or more lines of text) and drops the proposals it
scores under its threshold. It decides existence only; the shaper still decides shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from service.geometry import Detection, square_crops
from service.inference.engines import Engine
from service.inference.segmenters import run_images, sigmoid


class PlateVerifier:
    def __init__(self, engine: Engine, cfg: dict[str, Any]) -> None:
        self.engine = engine
        self.cfg = cfg
        self.size = int(cfg.get("input_size", 96))
        self.context = float(cfg.get("context", 2.0))
        # chosen on held-out plates (UC3M-LP train hold-out, OpenALPR dev) for recall; see the model card
        self.threshold = float(cfg.get("threshold", 0.5))

    def scores(self, rgb: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
        """Plate probability per box (float32, one per box)."""
        if not boxes:
            return np.zeros(0, np.float32)
        crops, _ = square_crops(rgb, [tuple(float(v) for v in b) for b in boxes], self.size, self.context)
        logits = run_images(self.engine, np.stack(crops), self.cfg)
        return sigmoid(logits.reshape(len(boxes), -1)[:, 0]).astype(np.float32)

    def keep(self, rgb: np.ndarray, found: list[Detection]) -> list[Detection]:
        """The proposals this model takes for plates."""
        if not found:
            return found
        scores = self.scores(rgb, [d.box for d in found])
        return [d for d, s in zip(found, scores, strict=True) if s >= self.threshold]
