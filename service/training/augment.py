"""Photometric and geometric augmentation on uint8 RGB arrays (numpy + OpenCV, no extra deps)."""

from __future__ import annotations

import cv2
import numpy as np


def photometric(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Colour shift, low light, blur (motion or defocus), noise and JPEG artefacts, each at random."""
    out = img.astype(np.float32)
    if rng.random() < 0.8:
        gain = rng.uniform(0.5, 1.4, size=3) * rng.uniform(0.35, 1.3)
        out = out * gain + rng.uniform(-25, 25)
    if rng.random() < 0.3:
        gray = out.mean(axis=2, keepdims=True)
        out = gray + (out - gray) * rng.uniform(0.0, 1.0)
    out = np.clip(out, 0, 255).astype(np.uint8)
    r = rng.random()
    if r < 0.15:
        k = int(rng.integers(3, 9))
        kernel = np.zeros((k, k), np.float32)
        kernel[k // 2, :] = 1.0 / k
        rot = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), rng.uniform(0, 180), 1.0)
        kernel = cv2.warpAffine(kernel, rot, (k, k))
        out = cv2.filter2D(out, -1, kernel / max(kernel.sum(), 1e-6))
    elif r < 0.3:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.5, 1.8))
    if rng.random() < 0.25:
        noise = rng.normal(0, rng.uniform(2, 12), out.shape)
        out = np.clip(out + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.35:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(20, 90))])
        if ok:
            out = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    return out


def random_affine(
    img: np.ndarray, mask: np.ndarray, rng: np.random.Generator, max_rot: float = 12.0
) -> tuple[np.ndarray, np.ndarray]:
    """Small rotation, shear and perspective, applied to image and mask alike."""
    h, w = mask.shape
    jitter = 0.06 * min(h, w)
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = src + rng.uniform(-jitter, jitter, size=(4, 2)).astype(np.float32)
    persp = cv2.getPerspectiveTransform(src, dst)
    rot = np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-max_rot, max_rot), 1.0), [0, 0, 1]])
    m = rot @ persp
    img = cv2.warpPerspective(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                              borderValue=(114, 114, 114))
    mask = cv2.warpPerspective(mask, m, (w, h), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT)
    return img, mask
