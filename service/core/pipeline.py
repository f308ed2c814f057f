"""Still-image pipeline on arrays: detect → segment → grow → regions/ignore → redact."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np

from service.core.masks import apply_ignore, grow, region_detections
from service.core.options import Options
from service.core.redaction import redact
from service.geometry import Detection, overlap_matrix
from service.inference.face_detector import MAX_UPSCALE
from service.inference.registry import ModelSet
from service.timing import NO_TIMER, StageTimer

CONFIRM_FACTOR = 0.6
"""Face proposals from this share of the face threshold up to it are kept where the crop model confirms."""


SMALL_FACE_PX = 24
"""The finer face pass (``Options.small_face_work_size``) adds only faces smaller than this (their box's
long side, frame px) in a frame the first pass sees at 3/4 of its size (a 720p frame at 960 px), and in
general those the first pass sees under 18 px (``small_face_limit``): it finds larger ones, and a part of
a larger face the finer pass boxes on its own (a masked face's eyes) would stand in for the whole."""

PHOTO_SMALL_FACES = 1920
"""The finer face pass's long side on a photo larger than the face working size (``detect``): a 12-MP
group photo's 40-px faces are 10 px at 960 px, where CenterFace misses most of them, and 19 px at this
size (docs/accuracy.md, "Large photos")."""

BRANCHES = ThreadPoolExecutor(max_workers=8, thread_name_prefix="veil-faces")
"""Where face models run while the plate models run in the caller's thread (``side_by_side``)."""


def detect(models: ModelSet, rgb: np.ndarray, opts: Options, timer: StageTimer = NO_TIMER,
           confirm: bool = True) -> list[Detection]:
    """Objects of the requested classes with their raw (undilated) masks.

    With ``confirm``, faces just under the threshold are kept where the crop model finds a face there.
    A photo larger than the face working size gets the finer face pass at ``PHOTO_SMALL_FACES`` unless
    ``opts`` sets its own (0: none).
    """
    opts = for_photo(models, rgb.shape, opts)
    return detect_many(models, [rgb], opts, timer, confirm, side_by_side=True)[0]


def for_photo(models: ModelSet, shape: tuple[int, ...], opts: Options) -> Options:
    """``opts`` with the finer face pass a photo of ``shape`` gets (see ``detect``)."""
    if opts.small_face_work_size is not None or "faces" not in opts.classes:
        return opts
    long = max(shape[:2])
    if long <= (opts.face_work_size or models.face_work_size):
        return opts  # the first pass sees it at full size or larger
    return replace(opts, small_face_work_size=min(long, PHOTO_SMALL_FACES))


def small_face_limit(long_side: int, work_size: int) -> float:
    """Faces under this (frame px) are the finer pass's in a frame of ``long_side`` whose first pass
    runs at ``work_size``: those the first pass sees under ``SMALL_FACE_PX`` × 3/4 px."""
    seen = min(work_size, MAX_UPSCALE * long_side) / max(1, long_side)
    return SMALL_FACE_PX * 0.75 / seen


def detect_many(models: ModelSet, frames: list[np.ndarray], opts: Options, timer: StageTimer = NO_TIMER,
                confirm: bool = True, edge_pad: float = 0.0, side_by_side: bool = False,
                plate_floor: float | None = None) -> list[list[Detection]]:
    """``detect`` for frames of one shape: each full-frame model runs once on all of them (a GPU's
    batch); the crop models run per frame, their crops batched. ``edge_pad``: see
    ``face_detector.EDGE_PAD``. With ``side_by_side``, the face models run in a worker thread while the
    plate models run here (they are different models, and one model run does not keep every core busy);
    an error in either fails the call. ``plate_floor``: plates the verifier turns down scoring at least
    this come back doubted (``PlateVerifier.keep``; video only: a photo never paints them)."""
    if side_by_side and set(opts.classes) == {"faces", "plates"}:
        faces = BRANCHES.submit(detect_many, models, frames, replace(opts, classes=("faces",)), timer,
                                confirm, edge_pad)
        plates = detect_many(models, frames, replace(opts, classes=("plates",)), timer, confirm, edge_pad,
                             plate_floor=plate_floor)
        return [f + p for f, p in zip(faces.result(), plates, strict=True)]
    backend = models.backend(opts.backend)
    found: list[list[Detection]] = [[] for _ in frames]
    if "faces" in opts.classes:
        low = opts.face_threshold * (CONFIRM_FACTOR if confirm else 1.0)
        with timer.stage("detect"):
            proposals = face_proposals(models, frames, low, edge_pad, opts.face_work_size,
                                       unsure_below=opts.face_threshold if confirm else 0.0,
                                       small_work_size=opts.small_face_work_size)
        with timer.stage("segment"):
            for out, rgb, (boxes, unsure, hints) in zip(found, frames, proposals, strict=True):
                out += backend.faces.refine(rgb, boxes, confirm_below=opts.face_threshold, unsure=unsure,
                                            hints=hints)
    if "plates" in opts.classes:
        with timer.stage("segment"):
            plates = backend.plates.find_many(frames, opts.plate_threshold,
                                              opts.plate_work_size or models.plate_work_size)
            for out, rgb, dets in zip(found, frames, plates, strict=True):
                if models.plate_verifier is not None:
                    dets = models.plate_verifier.keep(rgb, dets, plate_floor)
                out += backend.plate_shapes.refine(rgb, dets)
    return found


def face_proposals(models: ModelSet, frames: list[np.ndarray], threshold: float, edge_pad: float = 0.0,
                   work_size: int | None = None, unsure_below: float = 0.0,
                   small_work_size: int | None = None
                   ) -> list[tuple[np.ndarray, np.ndarray, list[Detection | None] | None]]:
    """Per frame: face boxes + scores (N×5) from the detector, then the face finder's where it has one
    the detector lacks; which of them the crop model must confirm (every one the finder added); and per
    box the finder's shape of it, if any. The unsure proposals (the finder's, and the detector's under
    ``unsure_below``) are kept only where the face verifier, if loaded, takes them for faces.
    ``work_size``: CenterFace's (None: the service's). ``small_work_size``: a second CenterFace pass at
    this long side adds the faces under ``small_face_limit`` that neither the first pass nor the
    finder has (they count as the detector's)."""
    work_size = work_size or models.face_work_size
    boxes = models.face_detector.detect_many(frames, threshold, work_size, edge_pad)
    small = (models.face_detector.detect_many(frames, threshold, small_work_size, edge_pad) if small_work_size
             else [np.zeros((0, 5), np.float32)] * len(frames))
    limit = small_face_limit(max(frames[0].shape[:2]), work_size) if frames else 0.0
    finder = models.face_finder
    if finder is None:
        return [(rows, np.zeros(len(rows), bool), None)
                for rows in (_with_small(b, s, limit) for b, s in zip(boxes, small, strict=True))]
    out = []
    for rgb, known, more, (rows, hints) in zip(frames, boxes, small,
                                               finder.proposals(frames, boxes, models.face_finder_work_size),
                                               strict=True):
        added = np.arange(len(rows)) >= len(known)
        if len(extra := _with_small(rows, more, limit)) > len(rows):
            added = np.concatenate([added, np.zeros(len(extra) - len(rows), bool)])
            hints = [*hints, *[None] * (len(extra) - len(rows))]
            rows = extra
        unsure = unsure_rows(rows, added, unsure_below)
        if models.face_verifier is not None and unsure.any():
            keep = models.face_verifier.confirmed(rgb, rows, unsure)
            rows, added = rows[keep], added[keep]
            hints = [h for h, k in zip(hints, keep, strict=True) if k]
        out.append((rows, added, hints))
    return out


def _with_small(rows: np.ndarray, more: np.ndarray, limit: float) -> np.ndarray:
    """``rows`` and the faces of ``more`` under ``limit`` px that overlap none of them."""
    more = more[np.maximum(more[:, 2] - more[:, 0], more[:, 3] - more[:, 1]) < limit]
    if len(rows) and len(more):
        more = more[~overlap_matrix([tuple(b[:4]) for b in more], rows).any(axis=1)]
    return np.concatenate([rows, more.astype(rows.dtype)]) if len(more) else rows


def unsure_rows(rows: np.ndarray, added: np.ndarray, unsure_below: float) -> np.ndarray:
    """The face proposals the face verifier is asked about: the finder's own (``added``) and the
    detector's scoring under ``unsure_below``."""
    return added | (rows[:, 4] < unsure_below)


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
    return redact(rgb, final_objects(models, rgb, opts), opts.mode, opts.feather, opts.colour,
                  strength=opts.strength)
