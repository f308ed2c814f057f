"""Hard-negative mining: where does an existing plate model fire on scenes that hold no plate?

The boxes it returns become extra negative windows for the next training run (text, signs,
grilles, patterned clothes — whatever the model confused for a plate).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from service.datasets import Record
from service.inference.devices import Compute
from service.inference.engines import make_engine
from service.inference.model_files import read_config
from service.inference.segmenters import PlateFinder


def _finder(model_dir: Path, threads: int) -> PlateFinder:
    engine = make_engine(Compute("cpu", "onnx", threads), Path(model_dir))
    return PlateFinder(engine, read_config(Path(model_dir)))


def mine_false_positives(
    model_dir: Path, negatives: list[Record], threshold: float = 0.3, threads: int = 1
) -> dict[int, list[tuple[int, int, int, int]]]:
    """Index of each negative image → boxes (source pixels) of the model's plate components."""
    finder = _finder(model_dir, threads)
    found: dict[int, list[tuple[int, int, int, int]]] = {}
    for i, record in enumerate(negatives):
        bgr = cv2.imread(str(record.image), cv2.IMREAD_COLOR)
        if bgr is None:
            continue
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        hits = finder.find(rgb, threshold)
        if hits:
            found[i] = [d.box for d in hits]
    return found


def mine_images(model_dir: Path, images: list[np.ndarray], threshold: float = 0.2, threads: int = 1
                ) -> dict[int, list[tuple[int, int, int, int]]]:
    """``mine_false_positives`` on images in memory (rendered scenes among them)."""
    finder = _finder(model_dir, threads)
    found = {}
    for i, rgb in enumerate(images):
        if hits := finder.find(rgb, threshold):
            found[i] = [d.box for d in hits]
    return found
