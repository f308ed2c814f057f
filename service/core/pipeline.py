"""Still-image pipeline on arrays: detect → segment → grow → regions/ignore → redact."""

from __future__ import annotations

import numpy as np

from service.core.detections import Detection
from service.core.masks import apply_ignore, grow, region_detections
from service.core.options import Options
from service.core.redaction import redact
from service.core.timing import NO_TIMER, StageTimer
from service.inference.registry import ModelSet

CONFIRM_FACTOR = 0.6
"""Face proposals from this share of the face threshold up to it are kept where the crop model confirms."""


def detect(models: ModelSet, rgb: np.ndarray, opts: Options, timer: StageTimer = NO_TIMER,
           confirm: bool = True) -> list[Detection]:
    """Objects of the requested classes with their raw (undilated) masks.

    With ``confirm``, faces just under the threshold are kept where the crop model finds a face there.
    """
    backend = models.backend(opts.backend)
    found: list[Detection] = []
    if "faces" in opts.classes:
        low = opts.face_threshold * (CONFIRM_FACTOR if confirm else 1.0)
        with timer.stage("detect"):
            proposals = models.face_detector.detect(rgb, low, models.face_work_size)
        with timer.stage("segment"):
            found += backend.faces.refine(rgb, proposals, confirm_below=opts.face_threshold)
    if "plates" in opts.classes:
        with timer.stage("segment"):
            plates = backend.plates.find(rgb, opts.plate_threshold, models.plate_work_size)
            found += backend.plate_shapes.refine(rgb, plates)
    return found


def final_objects(models: ModelSet, rgb: np.ndarray, opts: Options, timer: StageTimer = NO_TIMER
                  ) -> list[Detection]:
    """Detections grown by the dilation options, plus caller regions, minus ignore areas."""
    h, w = rgb.shape[:2]
    found = detect(models, rgb, opts, timer)
    with timer.stage("postprocess"):
        grown = [grow(d, opts.dilation_px, opts.dilation_pct, w, h) for d in found]
        grown += region_detections(list(opts.regions), (h, w))
        return apply_ignore(grown, list(opts.ignore), (h, w))


def redact_image(models: ModelSet, rgb: np.ndarray, opts: Options) -> np.ndarray:
    return redact(rgb, final_objects(models, rgb, opts), opts.mode, opts.feather, opts.colour)
