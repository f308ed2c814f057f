"""Redaction modes as a registry. Strength scales with each object's size so nothing stays readable."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from service.core.masks import alpha
from service.geometry import Detection


def _shrink(region: np.ndarray, tw: int, th: int) -> np.ndarray:
    """``region`` averaged down to ``tw`` × ``th``: halved by ``pyrDown`` (a Gaussian average, several
    times faster than area averaging by a fractional factor) while at least twice that, then
    area-averaged to it."""
    small = region
    while small.shape[1] // 2 >= tw and small.shape[0] // 2 >= th and min(small.shape[:2]) >= 2:
        small = cv2.pyrDown(small)
    return cv2.resize(small, (tw, th), interpolation=cv2.INTER_AREA)


def _blur(region: np.ndarray, size: int, _colour) -> np.ndarray:
    """Gaussian blur with sigma ~ a quarter of the object's size, done on a downscaled copy."""
    sigma = max(4.0, size / 4.0)
    factor = max(1.0, sigma / 4.0)
    h, w = region.shape[:2]
    small = _shrink(region, max(1, round(w / factor)), max(1, round(h / factor)))
    small = cv2.GaussianBlur(small, (0, 0), sigma / factor, borderType=cv2.BORDER_REPLICATE)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _pixelate(region: np.ndarray, size: int, _colour) -> np.ndarray:
    """Blocks of about a sixth of the object's size (at least 6 px)."""
    block = max(6, size // 6)
    h, w = region.shape[:2]
    small = _shrink(region, max(1, w // block), max(1, h // block))
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)


def _fill(region: np.ndarray, _size: int, colour) -> np.ndarray:
    return np.broadcast_to(np.asarray(colour, np.uint8), region.shape)


MODES: dict[str, Callable[[np.ndarray, int, tuple[int, int, int]], np.ndarray]] = {
    "blur": _blur,
    "pixelate": _pixelate,
    "fill": _fill,
}
"""``mask`` is a fourth public mode handled by the pipeline: it returns the mask, not an image."""


def redact(rgb: np.ndarray, dets: list[Detection], mode: str, feather: int = 0,
           colour: tuple[int, int, int] = (0, 0, 0), in_place: bool = False, strength: float = 1.0
           ) -> np.ndarray:
    """``rgb`` with every object's (grown) mask replaced by the mode's pixels: a copy, or ``rgb``
    itself where ``in_place`` (a video frame that nothing reads after it, which saves a frame-sized
    allocation per frame). ``strength`` ≥ 1 scales blur and block size up, never below what hides an
    object of its size."""
    out = rgb if in_place else rgb.copy()
    h, w = rgb.shape[:2]
    effect = MODES[mode]
    for d in dets:
        pad = feather * 2
        x1, y1 = max(0, d.box[0] - pad), max(0, d.box[1] - pad)
        x2, y2 = min(w, d.box[2] + pad), min(h, d.box[3] + pad)
        local = np.zeros((y2 - y1, x2 - x1), bool)
        local[d.box[1] - y1:d.box[3] - y1, d.box[0] - x1:d.box[2] - x1] = d.mask
        region = out[y1:y2, x1:x2]
        replaced = effect(region, round(d.size * max(1.0, strength)), colour)
        if feather <= 0:  # hard edge: copy the masked pixels (in place), no blending arithmetic
            cv2.copyTo(np.ascontiguousarray(replaced), local.view(np.uint8), region)
            continue
        a = alpha(local, feather)[..., None]
        blended = replaced.astype(np.float32) * a + region.astype(np.float32) * (1 - a)
        out[y1:y2, x1:x2] = np.round(blended).astype(np.uint8)
    return out
