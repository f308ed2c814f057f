"""Annotated photos tiled into one large photo: the faces keep their pixels, the picture outgrows the
working size, so what a downscaled first look misses in a large group photo is measured on real faces."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from service.datasets import Record

GREY = 114


def mosaics(records: list[Record], n: int, read: Callable[[Record], np.ndarray]
            ) -> Iterator[tuple[np.ndarray, Record]]:
    """``n`` × ``n`` records at a time (the last group may hold fewer), each centred in a cell as large as
    the group's largest image, as one RGB image and its record (boxes and quadrilaterals moved)."""
    if any(r.face_mask is not None for r in records):
        raise ValueError("mosaics take box and quadrilateral annotations, not mask files")
    for k in range(0, len(records), n * n):
        group = records[k:k + n * n]
        cw, ch = max(r.width for r in group), max(r.height for r in group)
        cols = min(n, len(group))
        rows = -(-len(group) // cols)
        canvas = np.full((rows * ch, cols * cw, 3), GREY, np.uint8)
        faces: list[list[float]] = []
        plates: list[np.ndarray] = []
        for i, r in enumerate(group):
            rgb = read(r)[:r.height, :r.width]
            x = (i % cols) * cw + (cw - r.width) // 2
            y = (i // cols) * ch + (ch - r.height) // 2
            canvas[y:y + rgb.shape[0], x:x + rgb.shape[1]] = rgb
            faces += [[b[0] + x, b[1] + y, b[2] + x, b[3] + y] for b in r.faces]
            plates += [q + np.float32([x, y]) for q in r.plates]
        yield canvas, Record(Path(f"mosaic-{k // (n * n)}"), canvas.shape[1], canvas.shape[0], faces, plates,
                             split=group[0].split)
