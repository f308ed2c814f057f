"""Choosing a verifier's threshold: what each threshold keeps of true objects and of false ones.

Plates. Positives: the finder's proposals that overlap an annotated plate on held-out plate images
(UC3M-LP's train hold-out, OpenALPR dev: never used to train the verifier). A plate is kept at threshold
t when one of its proposals scores at least t. Negatives: the finder's proposals on plate-free scenes
rendered with seeds neither training nor the negative suite use, and on Face-Mask-Detection dev.

Faces. Positives: the labelled Face-Mask-Detection dev faces that only unsure proposals cover (the face
finder's own, CenterFace's under the face threshold); a face CenterFace is sure of is never asked.
Negatives: the unsure proposals on face-free scenes rendered with the same choice seeds (documents,
posters, textures).

The threshold is chosen for recall first: the highest that keeps (almost) every held-out object.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from service.core.options import Options
from service.core.pipeline import CONFIRM_FACTOR, face_proposals, unsure_rows
from service.datasets import DEV_HOLDOUT_EVERY, Record, is_holdout, load_records, select
from service.geometry import boxes_intersect, quad_box
from service.inference.registry import ModelSet
from service.media.images import decode
from service.negatives import KINDS, render

CHOICE_SEED = 500_000
"""Rendered scenes for the choice use seeds from here (training: below 1000; negative suite: 1 000 000+)."""
THRESHOLDS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def held_out_plates(data: Path) -> list[Record]:
    uc3m = [r for r in select(load_records(data / "plates_uc3m_lp_320"), "train")
            if is_holdout(r, DEV_HOLDOUT_EVERY)]
    return [r for r in uc3m + select(load_records(data / "plates_openalpr"), "dev") if r.plates]


def plate_scores(models: ModelSet, backend: str, records: list[Record], threshold: float) -> list[float]:
    """Per annotated plate: the best verifier score among the finder's proposals overlapping it (0 where
    the finder proposed nothing there: the verifier cannot lose what was never found)."""
    finder, verifier = models.backend(backend).plates, models.plate_verifier
    out = []
    for r in records:
        rgb = decode(r.image.read_bytes(), 1 << 31).rgb
        found = finder.find(rgb, threshold, models.plate_work_size)
        scores = verifier.scores(rgb, [d.box for d in found])
        for quad in r.plates:
            hits = [s for d, s in zip(found, scores, strict=True) if boxes_intersect(d.box, quad_box(quad))]
            out.append(float(max(hits)) if hits else -1.0)
    return out


def negative_scores(models: ModelSet, backend: str, images, threshold: float) -> list[list[float]]:
    """Per plate-free image: the verifier score of every finder proposal on it."""
    finder, verifier = models.backend(backend).plates, models.plate_verifier
    out = []
    for rgb in images:
        found = finder.find(rgb, threshold, models.plate_work_size)
        out.append(verifier.scores(rgb, [d.box for d in found]).tolist())
    return out


def _unsure(models: ModelSet, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(every face proposal, which of them are unsure, the verifier's score of those)."""
    sure_from = Options().face_threshold
    (rows, added, _), = face_proposals(replace(models, face_verifier=None), [rgb], sure_from * CONFIRM_FACTOR)
    unsure = unsure_rows(rows, added, sure_from)
    scores = models.face_verifier.scores(rgb, [tuple(float(v) for v in b[:4]) for b in rows[unsure]])
    return rows, unsure, scores


def face_scores(models: ModelSet, records: list[Record]) -> list[float]:
    """Per labelled face that no sure CenterFace proposal overlaps: the best verifier score among the
    unsure proposals overlapping it (-1 where there is none)."""
    out = []
    for r in records:
        rgb = decode(r.image.read_bytes(), 1 << 31).rgb
        rows, unsure, scores = _unsure(models, rgb)
        for face in r.faces:
            if any(boxes_intersect(b, face) for b in rows[~unsure]):
                continue
            hits = [s for b, s in zip(rows[unsure], scores, strict=True) if boxes_intersect(b, face)]
            out.append(float(max(hits)) if hits else -1.0)
    return out


def face_negative_scores(models: ModelSet, images) -> list[list[float]]:
    """Per face-free image: the verifier score of every unsure face proposal on it."""
    return [_unsure(models, rgb)[2].tolist() for rgb in images]


def face_choice_scenes(per_kind: int):
    """Rendered scenes of every kind, seeds from ``CHOICE_SEED``."""
    for kind in KINDS:
        for i in range(per_kind):
            yield render(kind, CHOICE_SEED + i)


def choice_scenes(data: Path, per_kind: int):
    """The rendered choice scenes, then Face-Mask-Detection dev (plate-free people photos)."""
    yield from face_choice_scenes(per_kind)
    for r in select(load_records(data / "faces_fmd_train"), "dev"):
        yield decode(r.image.read_bytes(), 1 << 31).rgb


def trade_off(positives: list[float], negatives: list[list[float]], noun: str = "plates") -> list[dict]:
    """Per threshold: share of found objects kept, share of object-free images left with a proposal."""
    found = [s for s in positives if s >= 0]
    rows = []
    for t in THRESHOLDS:
        rows.append({"threshold": t,
                     f"{noun}_kept": round(float(np.mean([s >= t for s in found])), 4) if found else None,
                     f"{noun}_lost": int(sum(s < t for s in found)),
                     f"negative_images_with_a_{noun[:-1]}": round(float(np.mean([any(s >= t for s in n)
                                                                                for n in negatives])), 4),
                     "negative_proposals_kept": int(sum(s >= t for n in negatives for s in n))})
    return rows
