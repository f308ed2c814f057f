"""The segmentation roles, each over any engine and either architecture.

* ``PlateFinder`` segments the whole frame at a working size; connected parts become plates.
* ``FaceFinder`` does the same for faces: proposals beside the face detector's (masked, small faces).
* ``PlateShaper`` re-segments a square crop around each found plate: the plate's exact shape.
* ``FaceRefiner`` segments a square crop around each face proposal into the face's pixel mask.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import cv2
import numpy as np

from service.errors import ConfigurationError
from service.geometry import (
    Detection,
    clip_box,
    crop_to,
    ellipse_mask,
    from_crop,
    overlap_matrix,
    scaled,
    square_crops,
    union,
)
from service.inference.engines import Engine


def run_images(engine: Engine, images: np.ndarray, cfg: dict[str, Any]) -> np.ndarray:
    """The model's logits for a uint8 NHWC batch, normalised by the model's own mean and std."""
    return engine.run_images(images, cfg["mean"], cfg["std"])


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


def fit_to_work_size(rgb: np.ndarray, work_size: int, mirror: int = 0) -> tuple[np.ndarray, int, int, int]:
    """Resize so the long side is ``work_size``, pad to a multiple of 32: (padded, width, height, offset).

    ``mirror``: px of the resized frame reflected outward on every side first (at most its size less one),
    so an object the frame's edge cuts is completed by its mirror image; the frame then starts at
    (``offset``, ``offset``)."""
    h, w = rgb.shape[:2]
    scale = work_size / max(h, w)
    nw, nh = max(32, round(w * scale)), max(32, round(h * scale))
    resized = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    m = min(mirror, nw - 1, nh - 1)
    if m > 0:
        resized = cv2.copyMakeBorder(resized, m, m, m, m, cv2.BORDER_REFLECT_101)
    ph, pw = resized.shape[:2]
    padded = cv2.copyMakeBorder(resized, 0, -ph % 32, 0, -pw % 32, cv2.BORDER_CONSTANT, value=(114, 114, 114))
    return padded, nw, nh, m


class CropModel:
    """A model that segments square crops of ``context`` × a box's long side, batched."""

    def __init__(self, engine: Engine, cfg: dict[str, Any], default_context: float) -> None:
        self.engine = engine
        self.cfg = cfg
        self.size = int(cfg.get("input_size", 128))
        self.context = float(cfg.get("context", default_context))
        self.threshold = float(cfg.get("threshold", 0.5))

    def masks(self, rgb: np.ndarray, boxes: list[tuple[float, float, float, float]], batch: int = 16
              ) -> list[tuple[tuple[int, int, int, int], np.ndarray]]:
        """Per box: the crop window clipped to the image and the model's mask over it (bool)."""
        crops, frames = square_crops(rgb, boxes, self.size, self.context)
        out = []
        for i in range(0, len(crops), batch):
            probs = sigmoid(run_images(self.engine, np.stack(crops[i:i + batch]), self.cfg)[:, 0])
            out += [(box, from_crop(prob, m, box) > self.threshold)
                    for prob, (m, box) in zip(probs, frames[i:i + batch], strict=True)]
        return out


class Finder:
    """Segments whole frames at a working size; each connected part becomes one ``cls`` object."""

    cls = ""
    edge_mirror = 0.0
    """Share of the working size reflected outward on every side of a frame (``fit_to_work_size``)."""

    def __init__(self, engine: Engine, cfg: dict[str, Any]) -> None:
        self.engine = engine
        self.cfg = cfg
        self.work_size = int(cfg.get("work_size", 960))
        # optional stricter threshold for a found plate's shape: tighter masks (OpenALPR dev instance IoU
        # 0.79 → 0.80 at 0.5) for one plate in 100 less covered; off by default (recall first)
        self.shape_threshold = float(cfg.get("shape_threshold", 0.0))
        # added to the logits: moves a model's operating point onto the service's plate threshold, so
        # one request threshold means the same trade-off whatever model serves it (docs/accuracy.md)
        self.logit_bias = float(cfg.get("logit_bias", 0.0))

    def probabilities(self, frames: list[np.ndarray], work_size: int | None = None, whole: bool = True
                      ) -> list[tuple[np.ndarray, float]]:
        """Per frame (all of one shape, run as one batch): the probability map at the working size
        (long side, up- or downscaled) and its scale factor. ``whole``: these are whole frames, whose
        edges cut objects (``edge_mirror``), not windows centred on what they hold."""
        if any(f.shape[:2] != frames[0].shape[:2] for f in frames):
            raise ValueError("a batch of frames must share one shape")
        size = work_size or self.work_size
        mirror = round(self.edge_mirror * size) if whole else 0
        fitted = [fit_to_work_size(f, size, mirror) for f in frames]
        _, nw, nh, m = fitted[0]
        logits = run_images(self.engine, np.stack([f[0] for f in fitted]), self.cfg)
        scale = nw / frames[0].shape[1]
        return [(sigmoid(z[0, m:m + nh, m:m + nw] + self.logit_bias), scale) for z in logits]

    def probability(self, rgb: np.ndarray, work_size: int | None = None) -> tuple[np.ndarray, float]:
        return self.probabilities([rgb], work_size)[0]

    def find(self, rgb: np.ndarray, threshold: float, work_size: int | None = None) -> list[Detection]:
        return self.objects(*self.probability(rgb, work_size), threshold, rgb.shape[:2])

    def find_many(self, frames: list[np.ndarray], threshold: float, work_size: int | None = None
                  ) -> list[list[Detection]]:
        """``find`` for frames of one shape, the model run once on all of them."""
        if not frames:
            return []
        return [self.objects(prob, scale, threshold, f.shape[:2])
                for f, (prob, scale) in zip(frames, self.probabilities(frames, work_size), strict=True)]

    def objects(self, prob: np.ndarray, scale: float, threshold: float, shape: tuple[int, ...]
                ) -> list[Detection]:
        """One object per connected part of ``prob`` over ``threshold``; ``prob`` is at ``scale`` × an
        image of ``shape``, the objects in that image's pixels."""
        h, w = shape[:2]
        binary = (prob > threshold).astype(np.uint8)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
        found = []
        for i in range(1, count):
            x, y, bw, bh, area = stats[i]
            if area < 4:
                continue
            part = labels[y:y + bh, x:x + bw] == i
            score = float(prob[y:y + bh, x:x + bw][part].max())
            if score > self.shape_threshold > threshold:
                # found at the detection threshold, shaped at a stricter one
                part &= prob[y:y + bh, x:x + bw] > self.shape_threshold
            box = clip_box(((x) / scale, y / scale, (x + bw) / scale, (y + bh) / scale), w, h)
            if box[2] <= box[0] or box[3] <= box[1]:
                continue
            size = (box[2] - box[0], box[3] - box[1])
            mask = cv2.resize(part.astype(np.uint8), size, interpolation=cv2.INTER_LINEAR) > 0
            found.append(Detection(self.cls, score, box, mask))
        return found


EDGE_MIRROR = 0.05
"""The plate finder's frame is reflected outward by this share of its working size on every side (48 px
at 960): a plate the frame's edge cuts, a car passing out of a dashcam's view, is completed by its mirror
image, and a third of a plate is found where it was missed in every frame of a held-out video scene.
It costs the finder about a quarter more pixels (docs/performance.md)."""


class PlateFinder(Finder):
    cls = "plates"
    edge_mirror = EDGE_MIRROR


MAX_PROPOSE_WIDTH = 160.0
"""The face finder was trained on faces rescaled to 8–160 px wide at its working size."""


class FaceFinder(Finder):
    cls = "faces"

    def __init__(self, engine: Engine, cfg: dict[str, Any]) -> None:
        super().__init__(engine, cfg)
        self.threshold = float(cfg.get("threshold", 0.5))
        # a part found at ``threshold`` shapes the faces it overlaps; it proposes a new face only from
        # ``propose_threshold`` (stricter: a new face costs pixels wherever it is wrong)
        self.propose_threshold = float(cfg.get("propose_threshold", self.threshold))
        # the widest face (px at the working size) it learnt to find: wider parts, on cars, walls and
        # posters, propose nothing on their own (a face that large is CenterFace's to find)
        self.max_propose_width = float(cfg.get("max_propose_width", MAX_PROPOSE_WIDTH))

    def proposals(self, frames: list[np.ndarray], known: list[np.ndarray], work_size: int | None = None
                  ) -> list[tuple[np.ndarray, list[Detection | None]]]:
        """Per frame: the ``known`` boxes followed by the faces found here (from ``propose_threshold``)
        that none of them overlaps (N×5, boxes + scores), and per box the found parts overlapping it as
        one shape hint (or None).

        The finder learnt whole faces (a worn medical mask included), so its parts widen the crop model's
        masks where that model only sees skin.
        """
        out = []
        h, w = frames[0].shape[:2] if frames else (1, 1)
        widest = self.max_propose_width * max(h, w) / (work_size or self.work_size)  # in image pixels
        for found, boxes in zip(self.find_many(frames, self.threshold, work_size), known, strict=True):
            hits = overlap_matrix([d.box for d in found], boxes)  # found part × known box
            new = [d for d, row in zip(found, hits, strict=True)
                   if not row.any() and d.score >= self.propose_threshold and d.box[2] - d.box[0] <= widest]
            hints = [_union([d for d, hit in zip(found, hits[:, j], strict=True) if hit])
                     for j in range(len(boxes))] + new
            rows = np.concatenate([np.asarray(boxes, np.float32).reshape(-1, 5),
                                   np.float32([(*d.box, d.score) for d in new]).reshape(-1, 5)])
            out.append((rows, hints))
        return out


def _union(parts: list[Detection]) -> Detection | None:
    return union(parts) if parts else None


AGREE = 0.5  # share of the finder's mask the shaped mask must cover to replace it
GROWTH = 1.5  # an unsure plate's shaped mask larger than this × the finder's is a guess: not used
SURE = 0.7  # finder score from which a plate may grow to its shaped size (a fragment made whole)
SMALL_PLATE = 40  # px (longest side in the image): a plate this small is given square corners ...
RECT_FILL = 0.6  # ... where its mask fills at least this share of its smallest enclosing rectangle


def squared(det: Detection) -> Detection:
    """A small plate's mask completed to its smallest enclosing (rotated) rectangle, within its box.

    Under ``SMALL_PLATE`` px the image holds too few pixels for a plate's corners, and the shaper's
    smooth probability, thresholded, rounds them off; a plate is a rectangle (in perspective, nearly).
    On UC3M-LP test (U-Net, zero dilation) mean plate IoU 0.811 → 0.826; a mask that fills under
    ``RECT_FILL`` of its rectangle (two plates, a plate and a bumper) keeps its shape.
    """
    if det.size >= SMALL_PLATE:
        return det
    ys, xs = np.nonzero(det.mask)
    if len(xs) < 3:
        return det
    corners = cv2.boxPoints(cv2.minAreaRect(np.stack([xs, ys], 1).astype(np.float32)))
    rect = np.zeros(det.mask.shape, np.uint8)
    cv2.fillPoly(rect, [np.round(corners).astype(np.int32)], 1)
    if len(xs) < RECT_FILL * int(rect.sum()):
        return det
    return replace(det, mask=det.mask | (rect > 0))


class PlateShaper(CropModel):
    """Shape of each found plate from a crop model.

    The shaped mask replaces the finder's where it covers at least ``AGREE`` of it and, for a plate the
    finder scored under ``SURE``, is at most ``GROWTH`` × its area; otherwise the finder's mask stays
    (never less than the finder: fail closed). The shaper decides shape, not existence: it never drops
    a plate, and it may not blow up a speck the finder was unsure of into a plate-sized blur.
    """

    def __init__(self, engine: Engine, cfg: dict[str, Any]) -> None:
        super().__init__(engine, cfg, default_context=1.35)
        if self.context < 1:
            raise ConfigurationError("a plate shaper's context must be ≥ 1 (its crop holds the whole plate)")

    def refine(self, rgb: np.ndarray, found: list[Detection]) -> list[Detection]:
        out = []
        for det, (box, local) in zip(found, self.masks(rgb, [d.box for d in found]), strict=True):
            bx1, by1 = box[:2]
            x1, y1, x2, y2 = det.box  # inside ``box``: the window is wider than the plate and clipped alike
            coarse = np.zeros_like(local)
            coarse[y1 - by1:y2 - by1, x1 - bx1:x2 - bx1] = det.mask
            area = max(1, int(coarse.sum()))
            grows = det.score < SURE and local.sum() > GROWTH * area
            if grows or (local & coarse).sum() < AGREE * area:
                out.append(det)
                continue
            ys, xs = np.nonzero(local)  # not empty: it covers half the finder's mask
            lx1, ly1, lx2, ly2 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
            out.append(replace(det, box=(bx1 + lx1, by1 + ly1, bx1 + lx2, by1 + ly2),
                               mask=local[ly1:ly2, lx1:lx2]))
        return [squared(d) for d in out]


CORE = 0.7  # share of the proposal box (per axis) whose inscribed ellipse is always masked
HINT_REACH = 1.3  # a shape hint counts inside this × the proposal box's ellipse
CONFIRM = 0.5  # share of a low-confidence proposal's ellipse the crop model must mask to keep it


class FaceRefiner(CropModel):
    def __init__(self, engine: Engine, cfg: dict[str, Any]) -> None:
        super().__init__(engine, cfg, default_context=1.5)

    def refine(self, rgb: np.ndarray, proposals: np.ndarray, batch: int = 16,
               confirm_below: float = 0.0, unsure: np.ndarray | None = None,
               hints: list[Detection | None] | None = None) -> list[Detection]:
        """One mask per proposal; falls back to the box's ellipse where the crop model finds too little.

        Proposals scoring under ``confirm_below``, and those flagged ``unsure``, are kept only where the
        crop model finds a face. A proposal's ``hints`` mask (another model's view of it) is added to
        what the crop model masks.
        """
        windows = self.masks(rgb, [tuple(float(v) for v in p[:4]) for p in proposals], batch)
        unsure = np.zeros(len(proposals), bool) if unsure is None else unsure
        hints = [None] * len(proposals) if hints is None else hints
        found = []
        for (box, local), prop, check, hint in zip(windows, proposals, unsure, hints, strict=True):
            x1, y1, x2, y2 = box
            if x2 <= x1 or y2 <= y1:
                continue
            px1, py1, px2, py2 = (float(v) for v in prop[:4])
            ellipse = ellipse_mask(box, (px1, py1, px2, py2))
            covered = (local & ellipse).sum() / max(1, ellipse.sum())
            if (check or prop[4] < confirm_below) and covered < CONFIRM:
                continue  # a low-confidence proposal the crop model does not confirm
            if covered < 0.3:
                local = local | ellipse  # fail closed: a proposal always yields a face-sized mask
            else:
                # the face's centre is always covered, whatever the crop model says about it
                local = local | ellipse_mask(box, scaled((px1, py1, px2, py2), CORE))
            if hint is not None:  # near this face only: a finder part may run on into its neighbours
                near = ellipse_mask(box, scaled((px1, py1, px2, py2), HINT_REACH))
                local = local | (crop_to(hint, box) & near)
            found.append(Detection("faces", float(prop[4]), box, local))
        return found
