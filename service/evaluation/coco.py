"""AP_mask (IoU 0.5:0.95) by the COCO protocol, computed by pycocotools (not re-implemented)."""

from __future__ import annotations

import contextlib
import io

import numpy as np
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from service.geometry import Detection


def _rle(mask: np.ndarray) -> dict:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle["counts"] = rle["counts"].decode("ascii")
    return rle


class CocoAccumulator:
    """Collects ground truth and scored instance masks image by image, one category per instance."""

    def __init__(self) -> None:
        self.images: list[dict] = []
        self.gts: list[dict] = []
        self.dts: list[dict] = []

    def add(self, shape: tuple[int, int], gts: list[np.ndarray], dets: list[Detection]) -> None:
        image_id = len(self.images) + 1
        h, w = shape
        self.images.append({"id": image_id, "height": h, "width": w})
        for g in gts:
            rle = _rle(g)
            self.gts.append({"id": len(self.gts) + 1, "image_id": image_id, "category_id": 1, "iscrowd": 0,
                             "segmentation": rle, "area": float(g.sum()),
                             "bbox": list(mask_utils.toBbox(rle))})
        for d in dets:
            full = np.zeros(shape, bool)
            x1, y1, x2, y2 = d.box
            full[y1:y2, x1:x2] = d.mask
            self.dts.append({"image_id": image_id, "category_id": 1, "segmentation": _rle(full),
                             "score": float(d.score)})

    def result(self) -> dict[str, float | None]:
        if not self.gts:
            return {"ap_mask": None, "ap50_mask": None}
        gt = COCO()
        gt.dataset = {"images": self.images, "annotations": self.gts,
                      "categories": [{"id": 1, "name": "object"}]}
        with contextlib.redirect_stdout(io.StringIO()):
            gt.createIndex()
            if not self.dts:
                return {"ap_mask": 0.0, "ap50_mask": 0.0}
            dt = gt.loadRes(self.dts)
            ev = COCOeval(gt, dt, iouType="segm")
            ev.params.maxDets = [1, 10, 100]
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        return {"ap_mask": round(float(ev.stats[0]), 4), "ap50_mask": round(float(ev.stats[1]), 4)}
