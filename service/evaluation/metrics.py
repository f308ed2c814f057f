"""Redaction metrics on arrays: object coverage by size, pixel IoU/Dice/FN rate, over-redaction."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

TAUS = (0.5, 0.8, 0.95)
SIZE_BINS = (("<24", 0, 24), ("24-64", 24, 64), (">64", 64, 1 << 30))


def size_bin(size: float) -> str:
    return next(name for name, lo, hi in SIZE_BINS if lo <= size < hi)


@dataclass
class ClassTally:
    """Running sums for one class over a dataset."""

    coverages: list[tuple[float, float]] = field(default_factory=list)  # (object size, coverage)
    inter: int = 0
    union: int = 0
    gt_pixels: int = 0
    pred_pixels: int = 0
    shaped: bool = False
    outside: int = 0
    pixels: int = 0
    instance_ious: list[tuple[float, float]] = field(default_factory=list)  # (object size, IoU)
    served_ious: list[float] = field(default_factory=list)

    def add_objects(self, gts: list[np.ndarray], sizes: list[float], final: np.ndarray) -> None:
        for g, s in zip(gts, sizes, strict=True):
            area = int(g.sum())
            if area:
                self.coverages.append((s, float((final & g).sum()) / area))

    def add_pixels(self, gt: np.ndarray, raw: np.ndarray) -> None:
        self.shaped = True
        self.inter += int((gt & raw).sum())
        self.union += int((gt | raw).sum())
        self.gt_pixels += int(gt.sum())
        self.pred_pixels += int(raw.sum())

    def add_instances(self, gts: list[np.ndarray], sizes: list[float], dets: list) -> None:
        """Per ground-truth object: IoU with the raw mask of its best-overlapping instance (0 if none).

        Unlike the pixel IoU over the split, unlabelled objects the model finds do not count against it.
        ``sizes`` (longest side, px) bin the IoUs by object size.
        """
        for g, size in zip(gts, sizes, strict=True):
            area, best = int(g.sum()), 0.0
            for d in dets:
                x1, y1, x2, y2 = d.box
                inter = int((g[y1:y2, x1:x2] & d.mask).sum())
                if inter:
                    best = max(best, inter / (area + int(d.mask.sum()) - inter))
            self.instance_ious.append((size, best))

    def add_served(self, gts: list[np.ndarray], final: np.ndarray) -> None:
        """Per ground-truth object: IoU with the parts of the final (grown) mask that touch it, so shape
        (``instance_iou``, at zero dilation) and safety margin are seen apart."""
        if not gts:
            return
        count, labels = cv2.connectedComponents(final.astype(np.uint8), connectivity=8)
        for g in gts:
            touched = np.unique(labels[g & final])
            part = np.isin(labels, touched[touched > 0]) if count > 1 else np.zeros_like(g)
            inter = int((g & part).sum())
            self.served_ious.append(inter / max(1, int((g | part).sum())))

    def add_over(self, final: np.ndarray, grown_gt: np.ndarray) -> None:
        self.outside += int((final & ~grown_gt).sum())
        self.pixels += final.size

    def summary(self) -> dict:
        out: dict = {"objects": len(self.coverages)}
        cov = np.array([c for _, c in self.coverages]) if self.coverages else np.zeros(0)
        sizes = np.array([s for s, _ in self.coverages]) if self.coverages else np.zeros(0)
        for tau in TAUS:
            out[f"recall@{tau}"] = round(float((cov >= tau).mean()), 4) if cov.size else None
            for name, lo, hi in SIZE_BINS:
                sel = cov[(sizes >= lo) & (sizes < hi)]
                out[f"recall@{tau}[{name}]"] = round(float((sel >= tau).mean()), 4) if sel.size else None
        for name, lo, hi in SIZE_BINS:
            out[f"n[{name}]"] = int(((sizes >= lo) & (sizes < hi)).sum())
        if self.shaped:
            out["iou"] = round(self.inter / max(1, self.union), 4)
            out["dice"] = round(2 * self.inter / max(1, self.gt_pixels + self.pred_pixels), 4)
            out["fn_rate"] = round(1 - self.inter / max(1, self.gt_pixels), 4)
        if self.instance_ious:
            out |= _instance_rows(self.instance_ious)
        if self.served_ious:
            out["instance_iou_served"] = round(float(np.mean(self.served_ious)), 4)
        out["over_redaction"] = round(self.outside / max(1, self.pixels), 5)
        return out


def _instance_rows(pairs: list[tuple[float, float]]) -> dict:
    """Mean instance IoU (misses count 0), the same over the objects found (shape apart from recall),
    and per size bin: a boundary pixel costs a 15 px plate far more IoU than a 60 px one."""
    sizes, ious = np.array(pairs).T
    out = {"instance_iou": round(float(ious.mean()), 4)}
    if (ious > 0).any():
        out["instance_iou_found"] = round(float(ious[ious > 0].mean()), 4)
    for name, lo, hi in SIZE_BINS:
        sel = ious[(sizes >= lo) & (sizes < hi)]
        if sel.size:
            out[f"instance_iou[{name}]"] = round(float(sel.mean()), 4)
    return out


def enlarge(masks: list[np.ndarray], sizes: list[float], shape: tuple[int, int], pct: float = 25.0
            ) -> np.ndarray:
    """Union of ground-truth objects each dilated by ``pct`` % of its size: what redaction may touch."""
    out = np.zeros(shape, bool)
    h, w = shape
    for m, s in zip(masks, sizes, strict=True):
        r = max(2, int(round(s * pct / 100)))
        ys, xs = np.nonzero(m)
        if len(ys) == 0:
            continue
        # dilate within the object's box grown by the radius: the same pixels, a fraction of the work
        y1, y2 = max(0, ys.min() - r), min(h, ys.max() + r + 1)
        x1, x2 = max(0, xs.min() - r), min(w, xs.max() + r + 1)
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        out[y1:y2, x1:x2] |= cv2.dilate(m[y1:y2, x1:x2].astype(np.uint8), k) > 0
    return out
