"""A second opinion on every plate the finder proposes: is this crop a licence plate?

The full-frame finder reads text lines, price tags, buttons and stripes as plates on images unlike its
road-scene training data. A small classifier looks at square crops of each proposal: at ``context`` ×
its long side (the plate and what surrounds it: a bumper or more lines of text) and, for a model with
several ``contexts``, wider too (the car around a plate, the wall around a sign). It drops the proposals
it scores under its threshold. It decides existence only; the shaper still decides shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from service.geometry import Detection, square_crops
from service.inference.engines import Engine
from service.inference.segmenters import run_images, sigmoid


def view_contexts(cfg: dict[str, Any]) -> list[float]:
    """The verifier's views, as contexts (× a proposal's long side): one square each, stacked top to
    bottom in its input."""
    return [float(c) for c in cfg.get("contexts") or [cfg.get("context", 2.0)]]


class PlateVerifier:
    def __init__(self, engine: Engine, cfg: dict[str, Any]) -> None:
        self.engine = engine
        self.cfg = cfg
        self.size = int(cfg.get("input_size", 96))
        self.contexts = view_contexts(cfg)
        # chosen on held-out plates (UC3M-LP train hold-out, OpenALPR dev) for recall, per plate finder
        # (each proposes differently; ``threshold`` for any other); see the model card
        self.threshold = float(cfg.get("threshold", 0.5))
        self.thresholds = {str(k): float(v) for k, v in (cfg.get("thresholds") or {}).items()}

    def threshold_for(self, finder: str | None) -> float:
        """The threshold for proposals of the plate finder of backend ``finder``."""
        return self.thresholds.get(finder or "", self.threshold)

    def scores(self, rgb: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
        """Plate probability per box (float32, one per box)."""
        if not boxes:
            return np.zeros(0, np.float32)
        fboxes = [tuple(float(v) for v in b) for b in boxes]
        views = [square_crops(rgb, fboxes, self.size, c)[0] for c in self.contexts]
        strips = np.stack([np.concatenate(v, axis=0) for v in zip(*views, strict=True)])
        logits = run_images(self.engine, strips, self.cfg)
        return sigmoid(logits.reshape(len(boxes), -1)[:, 0]).astype(np.float32)

    def keep(self, rgb: np.ndarray, found: list[Detection], finder: str | None = None) -> list[Detection]:
        """The proposals (of the plate finder of backend ``finder``) this model takes for plates."""
        if not found:
            return found
        scores = self.scores(rgb, [d.box for d in found])
        threshold = self.threshold_for(finder)
        return [d for d, s in zip(found, scores, strict=True) if s >= threshold]
