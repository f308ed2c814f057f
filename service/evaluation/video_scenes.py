"""Realistic video scenes from real annotated stills, for end-to-end video evaluation.

A scene is a canvas larger than the frame, composed of real pictures: a road photo with its plates
(OpenALPR, 1280×720), a crowd photo of small masked faces (Face-Mask-Detection) pasted into a corner or
in the middle of a texture, and rendered text (a sign, a receipt, a screen: ``service.negatives``). A
camera moves over the canvas — a slow pan, a hand-held shake, a zoom — and every frame is the view
through it, with the ground-truth object masks moved by the same map. Three kinds besides the mixed
``street`` scene have only one class or none, so that every pixel the product changes in them, away
from the class it still holds, is over-redaction: ``road`` (plates, no faces), ``crowd`` (faces, no
plates) and ``text`` (nothing). In ``traffic`` scenes, asked for by name, a car's rear and a face also
move over the canvas by themselves (``Sprite``), as cars and people do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from service.datasets import Record
from service.evaluation.runner import MIN_FACE, ground_truth
from service.geometry import scaled
from service.negatives import EVAL_SEED, render

KINDS = ("street", "road", "crowd", "text")
"""What a scene holds: road + crowd inset + sign; road + sign; crowd photo on a texture + sign; text
on a texture."""
MOVING_KINDS = ("traffic",)
"""Scenes whose objects move by themselves, not only with the camera: ``traffic`` is a road photo with
a car's rear (its plate) driving across it and a face walking the other way. Not in the default suite,
whose published rates they would change; ``--kinds traffic`` measures them."""
ALL_KINDS = KINDS + MOVING_KINDS
SCENE_MOTIONS = ("pan", "shake", "zoom", "pan-shake")
CLASSES_OF = {"street": ("faces", "plates"), "road": ("plates",), "crowd": ("faces",), "text": (),
              "traffic": ("faces", "plates")}

MARGIN = 1.25
"""The canvas is this many times the frame's size: room for the camera to move."""


@dataclass(frozen=True)
class SceneSpec:
    kind: str
    motion: str
    frames: int = 60
    size: tuple[int, int] = (1280, 720)
    seed: int = 0


@dataclass
class Sprite:
    """A picture that moves over the canvas on its own: at frame t its top left is at start + t × step."""

    rgb: np.ndarray
    masks: list[np.ndarray]  # its objects, sprite-sized
    cls: str
    start: tuple[float, float]
    step: tuple[float, float]  # canvas px per frame
    ignore: np.ndarray | None = None  # sprite-sized: other objects its edge cuts (count for nothing)


@dataclass
class Canvas:
    rgb: np.ndarray
    objects: dict[str, list[np.ndarray]]  # class -> object masks on the canvas
    ignore: np.ndarray | None = None  # faces too small to be annotated: neither leak nor background
    sprites: list[Sprite] = field(default_factory=list)


def _cover(rgb: np.ndarray, masks: list[np.ndarray], w: int, h: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """``rgb`` scaled to cover ``w``×``h`` and cropped there, its masks with it: centred, but moved so
    the objects stay whole where they fit (a scene is about its objects, not about cutting them)."""
    s = max(w / rgb.shape[1], h / rgb.shape[0])
    nw, nh = max(w, round(rgb.shape[1] * s)), max(h, round(rgb.shape[0] * s))
    x0, y0 = (nw - w) // 2, (nh - h) // 2
    resized = [cv2.resize(m.astype(np.uint8), (nw, nh), interpolation=cv2.INTER_NEAREST) > 0 for m in masks]
    if any(m.any() for m in resized):
        # inside the middle of the canvas, where the camera looks (``MARGIN``)
        ys, xs = np.nonzero(np.any(resized, axis=0))
        mx, my = round(w * (1 - 1 / MARGIN) / 2), round(h * (1 - 1 / MARGIN) / 2)
        if xs.max() - xs.min() < w - 2 * mx:
            x0 = int(np.clip(x0, xs.max() + 1 - (w - mx), xs.min() - mx))
        if ys.max() - ys.min() < h - 2 * my:
            y0 = int(np.clip(y0, ys.max() + 1 - (h - my), ys.min() - my))
        x0, y0 = int(np.clip(x0, 0, nw - w)), int(np.clip(y0, 0, nh - h))
    out = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_LINEAR)[y0:y0 + h, x0:x0 + w]
    return out, [m[y0:y0 + h, x0:x0 + w] for m in resized]


def _paste(canvas: Canvas, rgb: np.ndarray, masks: list[np.ndarray], cls: str | None,
           x: int, y: int) -> None:
    """Paste ``rgb`` at (x, y); objects it covers lose those pixels, its own are added."""
    h, w = rgb.shape[:2]
    canvas.rgb[y:y + h, x:x + w] = rgb
    for objs in canvas.objects.values():
        for m in objs:
            m[y:y + h, x:x + w] = False
    if cls:
        for m in masks:
            full = np.zeros(canvas.rgb.shape[:2], bool)
            full[y:y + h, x:x + w] = m
            canvas.objects.setdefault(cls, []).append(full)


def _load(record: Record, cls: str, read) -> tuple[np.ndarray, list[np.ndarray]]:
    masks, _, _ = ground_truth(record, cls)
    return read(record), masks


def _unannotated(record: Record) -> np.ndarray:
    """The boxes of faces too small for the ground truth (``MIN_FACE``): real faces, so masking them is
    not over-redaction, and missing them is not counted as a leak."""
    m = np.zeros((record.height, record.width), bool)
    for x1, y1, x2, y2 in record.faces:
        if min(x2 - x1, y2 - y1) < MIN_FACE:
            m[max(0, int(y1) - 2):int(np.ceil(y2)) + 2, max(0, int(x1) - 2):int(np.ceil(x2)) + 2] = True
    return m


def _mark_ignored(canvas: Canvas, record: Record, size: tuple[int, int], x: int, y: int) -> None:
    small = cv2.resize(_unannotated(record).astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    h, w = canvas.rgb.shape[:2]
    small = small[: h - y, : w - x]
    if canvas.ignore is None:
        canvas.ignore = np.zeros((h, w), bool)
    canvas.ignore[y:y + small.shape[0], x:x + small.shape[1]] |= small


def compose(spec: SceneSpec, road: Record | None, crowd: Record | None, read) -> Canvas:
    """The scene's canvas; ``read(record)`` gives a record's RGB pixels."""
    rng = np.random.default_rng(spec.seed)
    cw, ch = round(spec.size[0] * MARGIN), round(spec.size[1] * MARGIN)
    canvas = Canvas(np.zeros((ch, cw, 3), np.uint8), {"faces": [], "plates": []})
    if spec.kind in ("street", "road", "traffic") and road is not None:
        rgb, masks = _cover(*_load(road, "plates", read), cw, ch)
        canvas.rgb[:] = rgb
        canvas.objects["plates"] = masks
    else:
        rgb, _ = _cover(render("texture", EVAL_SEED + spec.seed), [], cw, ch)
        canvas.rgb[:] = rgb
    if spec.kind == "crowd" and crowd is not None:  # a crowd photo at 0.6 of the frame's width, central
        rgb, masks = _load(crowd, "faces", read)
        s = 0.6 * spec.size[0] / rgb.shape[1]
        size = (max(1, round(rgb.shape[1] * s)), max(1, round(rgb.shape[0] * s)))
        big = cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR)
        bmasks = [cv2.resize(m.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0 for m in masks]
        x = int(rng.integers(cw // 10, max(cw // 10 + 1, cw - size[0] - cw // 10)))
        y = max(0, min(ch - size[1], (ch - size[1]) // 2 + int(rng.integers(-ch // 10, ch // 10 + 1))))
        _paste(canvas, big[: ch], [m[: ch] for m in bmasks], "faces", x, y)
        _mark_ignored(canvas, crowd, size, x, y)
    if spec.kind == "street" and crowd is not None:  # a crowd photo in a corner, a third of the frame
        rgb, masks = _load(crowd, "faces", read)
        s = 0.36 * spec.size[0] / rgb.shape[1]
        size = (max(1, round(rgb.shape[1] * s)), max(1, round(rgb.shape[0] * s)))
        small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        smasks = [cv2.resize(m.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0 for m in masks]
        corner = int(rng.integers(4))
        x = (cw - size[0] - cw // 10) if corner % 2 else cw // 10
        y = (ch - size[1] - ch // 10) if corner // 2 else ch // 10
        y = min(max(0, y), ch - size[1])
        _paste(canvas, small, smasks, "faces", x, y)
        _mark_ignored(canvas, crowd, size, x, y)
    if spec.kind == "traffic":
        _add_movers(canvas, spec, road, crowd, read, rng)
    # text everywhere: a sign or a document, a quarter of the frame wide (a look-alike of both classes)
    kind = ("poster", "receipt", "screenshot", "letter")[int(rng.integers(4))]
    doc = render(kind, EVAL_SEED + 7919 * spec.seed + 1)
    s = 0.25 * spec.size[0] / doc.shape[1]
    doc = cv2.resize(doc, (max(1, round(doc.shape[1] * s)), max(1, round(doc.shape[0] * s))),
                     interpolation=cv2.INTER_AREA)[: ch // 2]
    x = int(rng.integers(0, max(1, cw - doc.shape[1])))
    y = int(rng.integers(0, max(1, ch - doc.shape[0])))
    if spec.kind != "text":  # keep the text off the objects: it is a look-alike, not an occluder
        for _ in range(20):
            taken = np.zeros((ch, cw), bool)
            for objs in canvas.objects.values():
                for m in objs:
                    taken |= m
            if not taken[y:y + doc.shape[0], x:x + doc.shape[1]].any():
                break
            x = int(rng.integers(0, max(1, cw - doc.shape[1])))
            y = int(rng.integers(0, max(1, ch - doc.shape[0])))
    _paste(canvas, doc, [], None, x, y)
    return canvas


def _window(rgb: np.ndarray, box: tuple[float, float, float, float], wide: float, tall: float
            ) -> tuple[np.ndarray, tuple[int, int]]:
    """The part of ``rgb`` around ``box``, ``wide`` × its width and ``tall`` × its height, and its top
    left corner in ``rgb``."""
    x1, y1, x2, y2 = scaled(box, wide, tall)
    h, w = rgb.shape[:2]
    left, top = int(max(0, x1)), int(max(0, y1))
    right, bottom = int(min(w, x2)), int(min(h, y2))
    return rgb[top:bottom, left:right], (left, top)


def _add_movers(canvas: Canvas, spec: SceneSpec, road: Record | None, crowd: Record | None, read,
                rng: np.random.Generator) -> None:
    """A car's rear (the road photo's widest plate with its bumper) driving across the lower half of the
    canvas over the clip, and the crowd photo's largest face walking the other way across its upper half:
    18 and 9 canvas px a frame over 60 frames, a car passing and a person walking past a camera."""
    ch, cw = canvas.rgb.shape[:2]
    n = max(1, spec.frames - 1)
    ltr = bool(rng.integers(2))
    if road is not None and road.plates:
        rgb, masks = _load(road, "plates", read)
        widest = max(range(len(masks)), key=lambda i: float(np.ptp(road.plates[i][:, 0])))
        q = road.plates[widest]
        patch, (x, y) = _window(rgb, (q[:, 0].min(), q[:, 1].min(), q[:, 0].max(), q[:, 1].max()), 2.6, 4.0)
        mask = masks[widest][y:y + patch.shape[0], x:x + patch.shape[1]]
        travel = 0.7 * cw
        x0 = (cw - travel) / 2 - patch.shape[1] / 2
        y0 = ch * 0.62 - patch.shape[0] / 2
        step = travel / n
        canvas.sprites.append(Sprite(patch.copy(), [mask.copy()], "plates",
                                     (x0 if ltr else x0 + travel, y0), (step if ltr else -step, 0.0)))
    if crowd is not None and crowd.faces:
        rgb, masks = _load(crowd, "faces", read)
        if masks:
            sizes = [float(m.sum()) for m in masks]
            i = int(np.argmax(sizes))
            ys, xs = np.nonzero(masks[i])
            patch, (x, y) = _window(rgb, (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1), 2.2, 2.2)
            part = (slice(y, y + patch.shape[0]), slice(x, x + patch.shape[1]))
            others = _unannotated(crowd)[part].copy()
            for k, m in enumerate(masks):
                if k != i:
                    others |= m[part]
            s = 72.0 / max(1, xs.max() + 1 - xs.min())  # a face 72 px wide: close to the camera
            size = (max(1, round(patch.shape[1] * s)), max(1, round(patch.shape[0] * s)))
            patch = cv2.resize(patch, size, interpolation=cv2.INTER_LINEAR)
            mask, others = (cv2.resize(m.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
                            for m in (masks[i][part], others))
            travel = 0.35 * cw
            x0 = (cw - travel) / 2 - size[0] / 2
            y0 = ch * 0.3 - size[1] / 2
            step = travel / n
            canvas.sprites.append(Sprite(patch, [mask], "faces", (x0 + travel if ltr else x0, y0),
                                         (-step if ltr else step, 0.0), others & ~mask))


def _at_frame(canvas: Canvas, t: int) -> Canvas:
    """The canvas as frame ``t`` sees it: its sprites pasted where they have moved to (over what is
    there, whose objects lose those pixels)."""
    if not canvas.sprites:
        return canvas
    out = replace(canvas, rgb=canvas.rgb.copy(),
                  objects={cls: [m.copy() for m in objs] for cls, objs in canvas.objects.items()},
                  sprites=[])
    ch, cw = out.rgb.shape[:2]
    for sp in canvas.sprites:
        x, y = round(sp.start[0] + t * sp.step[0]), round(sp.start[1] + t * sp.step[1])
        h, w = sp.rgb.shape[:2]
        x1, y1, x2, y2 = max(0, x), max(0, y), min(cw, x + w), min(ch, y + h)
        if x2 <= x1 or y2 <= y1:
            continue
        part = (slice(y1 - y, y2 - y), slice(x1 - x, x2 - x))
        _paste(out, sp.rgb[part], [m[part] for m in sp.masks], sp.cls, x1, y1)
        out.ignore = np.zeros((ch, cw), bool) if out.ignore is None else out.ignore.copy()
        # what the sprite covers is its own: ignored only where it holds objects cut by its edge
        out.ignore[y1:y2, x1:x2] = False if sp.ignore is None else sp.ignore[part]
    return out


def camera(spec: SceneSpec, t: int, rng_shake: np.ndarray) -> np.ndarray:
    """2×3 map from canvas to frame pixels at frame ``t``."""
    w, h = spec.size
    cw, ch = round(w * MARGIN), round(h * MARGIN)
    u = t / max(1, spec.frames - 1)
    scale, cx, cy = 1.0, cw / 2, ch / 2
    if spec.motion in ("pan", "pan-shake"):
        cx = cw / 2 + (u - 0.5) * (cw - w) * 0.9
    if spec.motion == "zoom":
        scale = 1.0 + 0.2 * u
    if spec.motion in ("shake", "pan-shake"):
        cx, cy = cx + rng_shake[t, 0], cy + rng_shake[t, 1]
    return np.float32([[scale, 0, w / 2 - scale * cx], [0, scale, h / 2 - scale * cy]])


def frames_of(spec: SceneSpec, canvas: Canvas
              ) -> Iterator[tuple[np.ndarray, dict[str, list[np.ndarray]], np.ndarray | None]]:
    """(frame, class -> visible object masks, pixels that count for nothing) for each frame."""
    rng = np.random.default_rng(spec.seed + 1)
    # a hand-held camera: a smooth random walk of a few px per frame, not white noise
    shake = np.cumsum(rng.normal(0, 2.0, size=(spec.frames, 2)), axis=0)
    shake -= shake.mean(axis=0)
    w, h = spec.size
    for t in range(spec.frames):
        m = camera(spec, t, shake)
        now = _at_frame(canvas, t)
        frame = cv2.warpAffine(now.rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        truth = {cls: [_warp(o, m, (w, h)) for o in objs] for cls, objs in now.objects.items()}
        ignore = None if now.ignore is None else _warp(now.ignore, m, (w, h))
        yield frame, truth, ignore


def _warp(mask: np.ndarray, m: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``mask`` (canvas-sized) moved by the 2×3 map ``m`` into a ``size`` frame: only its box is warped."""
    w, h = size
    out = np.zeros((h, w), bool)
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return out
    x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
    corners = np.float32([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]]) @ np.float32(m).T
    fx0, fy0 = max(0, int(np.floor(corners[:, 0].min())) - 1), max(0, int(np.floor(corners[:, 1].min())) - 1)
    fx1, fy1 = min(w, int(np.ceil(corners[:, 0].max())) + 1), min(h, int(np.ceil(corners[:, 1].max())) + 1)
    if fx1 <= fx0 or fy1 <= fy0:
        return out
    # crop pixel -> canvas (+x0, +y0) -> frame (m) -> window (-fx0, -fy0)
    local = np.float32(m).copy()
    local[:, 2] += local[:, 0] * x0 + local[:, 1] * y0 - (fx0, fy0)
    crop = mask[y0:y1, x0:x1].astype(np.uint8)
    out[fy0:fy1, fx0:fx1] = cv2.warpAffine(crop, local, (fx1 - fx0, fy1 - fy0), flags=cv2.INTER_NEAREST) > 0
    return out


def write_clip(frames: Iterator[np.ndarray], path: Path, fps: int = 30, crf: int = 14,
               audio: bool = True) -> int:
    """Encode frames as H.264 MP4 (with a 440 Hz AAC tone when ``audio``); returns frames written."""
    n = 0
    with av.open(str(path), "w", format="mp4") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.options = {"crf": str(crf), "preset": "veryfast"}
        vs.pix_fmt = "yuv420p"
        sa = out.add_stream("aac", rate=48000) if audio else None
        sample = 0
        for rgb in frames:
            if n == 0:
                vs.width, vs.height = rgb.shape[1], rgb.shape[0]
            for p in vs.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")):
                out.mux(p)
            n += 1
            if sa is not None:  # audio up to this frame's end
                until = round(n * 48000 / fps)
                while sample < until:
                    k = np.arange(sample, sample + 1024)
                    tone = (0.2 * np.sin(2 * np.pi * 440 * k / 48000)).astype(np.float32)[None, :]
                    af = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
                    af.sample_rate, af.pts, af.time_base = 48000, sample, Fraction(1, 48000)
                    for p in sa.encode(af):
                        out.mux(p)
                    sample += 1024
        for p in vs.encode():
            out.mux(p)
        if sa is not None:
            for p in sa.encode():
                out.mux(p)
    return n


def scenes(road: list[Record], crowd: list[Record], per_kind: int, motions: tuple[str, ...] = SCENE_MOTIONS,
           frames: int = 60, kinds: tuple[str, ...] = KINDS, skip: int = 0
           ) -> list[tuple[SceneSpec, Record | None, Record | None]]:
    """``per_kind`` scenes of each kind, the motions in turn, real pictures taken in order after ``skip``:
    road photos with a plate at least 40 px wide (close-up car rears) and crowds of 3 or more faces."""
    roads = [r for r in road if r.plates and max(float(np.ptp(q[:, 0])) for q in r.plates) >= 40]
    crowds = [r for r in crowd if len(r.faces) >= 3]
    out = []
    for k, kind in enumerate(kinds):
        for i in range(skip, skip + per_kind):
            spec = SceneSpec(kind, motions[(i + k) % len(motions)], frames, seed=1000 * k + i)
            out.append((spec, roads[i % len(roads)] if roads else None,
                        crowds[i % len(crowds)] if crowds else None))
    return out
