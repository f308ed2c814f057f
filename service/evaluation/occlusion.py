"""Plates partly hidden: each annotated plate has one side covered by real picture content, as a
passer-by's arm, a pole or another car covers it in a street. The plate sets show whole plates only, so
a model (or a verifier) that needs the whole plate to say "plate" passes them and still leaks the
visible part of a hidden one; this measures that part.

The cover is a band across the plate from one of its sides, ``share`` of the plate deep and reaching
past the plate on the other sides, filled with the same photo's pixels from elsewhere (a hard edge, real
texture). The truth becomes what is left of the plate.
"""

from __future__ import annotations

import zlib

import numpy as np

from service.datasets import Record
from service.geometry import quad_box, side_band

SIDES = ("top", "bottom", "left", "right")
REACH = 0.5  # the band runs this × the plate's extent past the plate across the covered side


def _band(quad: np.ndarray, side: str, share: float, w: int, h: int) -> tuple[int, int, int, int]:
    """The cover's box for a plate whose corners are ``quad``: ``share`` of its height (or width) deep
    from ``side``, wider than the plate by ``REACH`` each way, clipped to the image."""
    band, _ = side_band(quad_box(quad), SIDES.index(side), share, REACH)
    bx1, by1, bx2, by2 = (int(round(v)) for v in band)
    return max(0, bx1), max(0, by1), min(w, bx2), min(h, by2)


def occluded(rgb: np.ndarray, record: Record, share: float) -> tuple[np.ndarray, np.ndarray]:
    """``rgb`` with each plate of ``record`` partly covered (a side drawn per plate, seeded by the
    record's file name), and the mask of every covered pixel. The filling is the photo shifted by half
    its size, so it is real content, seldom a plate."""
    h, w = rgb.shape[:2]
    rng = np.random.default_rng(zlib.crc32(str(record.image.name).encode()))
    shifted = np.roll(rgb, (h // 2, w // 2), axis=(0, 1))
    out, hidden = rgb.copy(), np.zeros((h, w), bool)
    for quad in record.plates:
        x1, y1, x2, y2 = _band(np.asarray(quad, np.float32), SIDES[rng.integers(len(SIDES))], share, w, h)
        out[y1:y2, x1:x2] = shifted[y1:y2, x1:x2]
        hidden[y1:y2, x1:x2] = True
    return out, hidden


def visible(masks: list[np.ndarray], hidden: np.ndarray) -> list[np.ndarray]:
    """Each object's mask less the covered pixels (the part a redaction must still cover)."""
    return [m & ~hidden for m in masks]

