"""Throughput-versus-input-size chart (PNG) drawn with OpenCV, so benchmarking needs no plotting library."""

from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import numpy as np

COLOURS = [(200, 80, 30), (40, 140, 40), (30, 60, 200), (150, 40, 150), (20, 150, 190), (90, 90, 90)]


def throughput_plot(series: dict[str, list[tuple[float, float]]], path: Path, title: str) -> Path:
    """``series``: label → [(megapixels, images per second)]; one line per engine/backend."""
    w, h, left, right, top, bottom = 900, 560, 80, 230, 50, 60
    img = np.full((h, w, 3), 255, np.uint8)
    points = [p for pts in series.values() for p in pts]
    xmax = max(p[0] for p in points) * 1.1
    ymax = max(p[1] for p in points) * 1.15

    def at(mp: float, ips: float) -> tuple[int, int]:
        return (int(left + mp / xmax * (w - left - right)), int(h - bottom - ips / ymax * (h - top - bottom)))

    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.rectangle(img, (left, top), (w - right, h - bottom), (0, 0, 0), 1)
    for i in range(6):
        y = ymax * i / 5
        cv2.putText(img, f"{y:.1f}", (8, at(0, y)[1] + 4), font, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
        x = xmax * i / 5
        cv2.putText(img, f"{x:.1f}", (at(x, 0)[0] - 10, h - bottom + 18), font, 0.4, (0, 0, 0), 1,
                    cv2.LINE_AA)
    cv2.putText(img, "input size (megapixels)", (left + 200, h - 15), font, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, "images/s", (8, top - 15), font, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, title, (left + 80, 25), font, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
    for k, (label, pts) in enumerate(sorted(series.items())):
        colour = COLOURS[k % len(COLOURS)]
        xy = [at(mp, ips) for mp, ips in sorted(pts)]
        for a, b in itertools.pairwise(xy):
            cv2.line(img, a, b, colour, 2, cv2.LINE_AA)
        for p in xy:
            cv2.circle(img, p, 4, colour, -1, cv2.LINE_AA)
        cv2.putText(img, label, (w - right + 10, top + 20 + 22 * k), font, 0.45, colour, 1, cv2.LINE_AA)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), img):
        raise OSError(f"could not write {path}")
    return path
