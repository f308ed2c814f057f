"""Over-redaction where there is nothing of a class to find: the product run on images without it.

For plates: plate-free images of many kinds (rendered documents, screens, posters and textures; the face
sets' held-out splits; sample photos that registry packages ship). For faces: the text kinds and the
plate sets' held-out splits. Per kind: the share of images with any masked pixel of the class, the mean
masked share of the image, the largest connected masked part (share of its image), and latency.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

from service.core.masks import paint
from service.core.options import Options
from service.core.pipeline import final_objects
from service.datasets import load_records, select
from service.inference.registry import ModelSet
from service.media.images import decode
from service.negatives import EVAL_SEED, KINDS, render

REAL_SETS = {
    # kind -> (folder under the data root, part): the held-out parts, never trained on
    "portraits (FASSEG test)": ("faces_fasseg", "test"),
    "crowds (Face-Mask-Detection dev)": ("faces_fmd_train", "dev"),
}
PLATE_SETS = {
    "road scenes (UC3M-LP test)": ("plates_uc3m_lp_320", "test"),
    "road scenes (OpenALPR dev)": ("plates_openalpr", "dev"),
}
SAMPLE_FILES = ("astronaut.png", "camera.png", "chelsea.png", "coffee.png", "coins.png", "page.png",
                "text.png",
                "rocket.jpg", "horse.png", "brick.png", "grass.png", "gravel.png", "color.png", "logo.png",
                "motorcycle_left.png", "retina.jpg", "moon.png", "clock_motion.png", "hubble_deep_field.jpg",
                "ihc.png", "cell.png", "chessboard_RGB.png")
"""scikit-image's bundled sample photos (BSD-3): none holds a licence plate or a face but the astronaut."""

TEXT_KINDS = ("receipt", "letter", "form", "invoice", "screenshot", "poster", "sign")


def sample_photos() -> Iterator[np.ndarray]:
    """scikit-image's sample photos, when it is installed (an evaluation extra, not a serving need)."""
    try:
        folder = resources.files("skimage") / "data"
    except ModuleNotFoundError:
        return
    for name in SAMPLE_FILES:
        path = Path(str(folder / name))
        if path.is_file():
            bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if bgr is not None:
                yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _rendered(kind: str, count: int) -> Iterator[np.ndarray]:
    for i in range(count):
        yield render(kind, EVAL_SEED + i)


def _records(data: Path, folder: str, part: str, limit: int) -> Iterator[np.ndarray]:
    path = data / folder
    if not (path / "annotations.jsonl").is_file():
        return
    for r in select(load_records(path), part)[:limit or None]:
        yield decode(r.image.read_bytes(), 1 << 31).rgb


def plate_free(data: Path | None, per_kind: int, limit: int = 0) -> dict[str, Iterator[np.ndarray]]:
    """Kind → its plate-free images, rendered (seeds from ``EVAL_SEED``) or read."""
    kinds: dict[str, Iterator[np.ndarray]] = {k: _rendered(k, per_kind) for k in KINDS}
    kinds["sample photos (scikit-image)"] = sample_photos()
    if data is not None:
        kinds |= {k: _records(data, f, p, limit) for k, (f, p) in REAL_SETS.items()}
    return kinds


def face_free(data: Path | None, per_kind: int, limit: int = 0) -> dict[str, Iterator[np.ndarray]]:
    """Kind → images without faces: the text kinds and textures rendered, the plate sets' held-out parts
    (road scenes; a few hold a driver or a pedestrian nobody labelled)."""
    kinds: dict[str, Iterator[np.ndarray]] = {k: _rendered(k, per_kind) for k in (*TEXT_KINDS, "texture")}
    if data is not None:
        kinds |= {k: _records(data, f, p, limit) for k, (f, p) in PLATE_SETS.items()}
    return kinds


def masked_stats(mask: np.ndarray) -> tuple[float, float]:
    """(masked share of the image, largest connected masked part's share)."""
    total = mask.size
    if not mask.any():
        return 0.0, 0.0
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    return float(mask.sum()) / total, float(stats[1:, cv2.CC_STAT_AREA].max()) / total


def over_redaction(models: ModelSet, images: Iterator[np.ndarray], opts: Options) -> dict:
    """The product's final mask (detection, segmentation, dilation) on images holding nothing to find."""
    areas, largest, times = [], [], []
    for rgb in images:
        t0 = time.perf_counter()
        mask = paint(final_objects(models, rgb, opts), rgb.shape[:2])
        times.append(time.perf_counter() - t0)
        area, part = masked_stats(mask)
        areas.append(area)
        largest.append(part)
    if not areas:
        return {"images": 0}
    a = np.array(areas)
    return {
        "images": len(a),
        "any_pixel": round(float((a > 0).mean()), 4),
        "mean_area_pct": round(float(a.mean()) * 100, 4),
        "worst_area_pct": round(float(a.max()) * 100, 3),
        "largest_part_pct": round(float(max(largest)) * 100, 3),
        "p50_ms": round(float(np.percentile(np.array(times) * 1000, 50)), 1),
    }


def negative_suite(models: ModelSet, opts: Options, data: Path | None, per_kind: int = 25,
                   limit: int = 0, classes: tuple[str, ...] = ("plates", "faces")) -> dict:
    """Per class, per kind of image without that class: ``over_redaction`` rows, plus all kinds pooled."""
    sources = {"plates": plate_free, "faces": face_free}
    out: dict = {"backend": opts.backend, "per_kind": per_kind, "classes": {}}
    for cls in classes:
        rows = {kind: over_redaction(models, images, replace(opts, classes=(cls,)))
                for kind, images in sources[cls](data, per_kind, limit).items()}
        rows = {k: v for k, v in rows.items() if v["images"]}
        n = sum(v["images"] for v in rows.values())
        pooled = {"images": n}
        if n:
            pooled["any_pixel"] = round(sum(v["any_pixel"] * v["images"] for v in rows.values()) / n, 4)
            area = sum(v["mean_area_pct"] * v["images"] for v in rows.values())
            pooled["mean_area_pct"] = round(area / n, 4)
            pooled["largest_part_pct"] = max(v["largest_part_pct"] for v in rows.values())
        out["classes"][cls] = {"kinds": rows, "pooled": pooled}
    return out


def markdown(before: dict, after: dict, cls: str = "plates") -> str:
    """A table of two ``negative_suite`` results (e.g. without and with the plate verifier), per kind."""
    lines = ["| kind | images | any pixel (before → after) | mean area % | largest part % |",
             "|---|---|---|---|---|"]
    rows_a, rows_b = before["classes"][cls]["kinds"], after["classes"][cls]["kinds"]
    for kind, b in rows_b.items():
        a = rows_a.get(kind)
        if a is None:
            continue
        lines.append(f"| {kind} | {b['images']} | {a['any_pixel']:.0%} → {b['any_pixel']:.0%} | "
                     f"{a['mean_area_pct']:.3g} → {b['mean_area_pct']:.3g} | "
                     f"{a['largest_part_pct']:.3g} → {b['largest_part_pct']:.3g} |")
    pa, pb = before["classes"][cls]["pooled"], after["classes"][cls]["pooled"]
    lines.append(f"| **pooled** | {pb['images']} | {pa['any_pixel']:.0%} → {pb['any_pixel']:.0%} | "
                 f"{pa['mean_area_pct']:.3g} → {pb['mean_area_pct']:.3g} | "
                 f"{pa['largest_part_pct']:.3g} → {pb['largest_part_pct']:.3g} |")
    return "\n".join(lines)
