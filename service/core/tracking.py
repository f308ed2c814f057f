"""Fail-closed temporal propagation: objects become tracks, and a track's mask covers short gaps.

Detections arrive frame by frame (possibly only every ``stride``-th frame). A frame is final once
``window`` later frames have been seen: a track sighted on both sides of it is interpolated into it,
one sighted on one side only is held for ``hold`` frames (longer where the frame's edge cuts its last
sighting). Masks never shrink: a frame's objects are the union of its own sightings and the masks
carried from each track's nearest other sightings, dilated by how far the track could have moved since
(or until); where the frame has a sighting, the other sightings are dilated only by the track's measured
own motion and one frame's least growth. Where a detected frame misses a track, a zoomed second look
(``service.core.second_look``) may find it, starting a track of its own. Where the object itself was
followed from frame to frame (``service.core.follow``), its sightings move along that path and grow only
by what following may drift; a large object a detected frame finds for the first time is followed back
through the frames before it that are not yet final, so its mask there sits where it was instead of a
cone of where it might have been. Elsewhere, where the camera's motion is known (``service.core.motion``),
they move with the picture, so interpolation, association and growth deal only with the object's own
motion.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from service.core import motion
from service.core.masks import grow
from service.core.strides import (
    CONFIRM_AFTER,
    EDGE_HOLD,
    FOLLOW_GROWTH,
    FOLLOW_SHARE,
    HOLD_STRIDES,
    LOOKAHEAD_STRIDES,
    MIN_SPEED_PER_STRIDE,
    min_speed,
)
from service.geometry import (
    Detection,
    box_iou,
    clip_box,
    crop_to,
    overlaps_frame,
    scaled,
    touches_edge,
    union,
)

if TYPE_CHECKING:
    from service.core.second_look import Look

def for_stride(width: int, height: int, stride: int, window: int, hold: int,
               growth: float = MIN_SPEED_PER_STRIDE, hold_strides: int = HOLD_STRIDES,
               lookahead_strides: int = LOOKAHEAD_STRIDES, edge_hold: int = EDGE_HOLD,
               follow_growth: float = FOLLOW_GROWTH) -> Propagator:
    """The propagator a video detected every ``stride``-th frame needs (the pipeline and its evaluation
    share it): the look-ahead spans at least ``LOOKAHEAD_STRIDES`` and the hold ``HOLD_STRIDES``,
    growth scales with the stride; a track last seen at the frame's edge is held ``edge_hold`` times
    as long."""
    hold = max(hold, hold_strides * stride)
    return Propagator(width, height, window=max(window, lookahead_strides * stride), hold=hold,
                      min_speed=min_speed(stride, growth), confirm_after=CONFIRM_AFTER,
                      edge_hold=max(1, edge_hold) * hold, follow_growth=follow_growth)


Back = Callable[[int, list[tuple[float, float, float, float]]], list[np.ndarray | None]]
"""``back(t, boxes)``: per box (frame ``t``'s pixels), the 3×3 map moving it into frame ``t - 1``, or None
where it could not be followed (``service.core.follow.ObjectFlow.back``)."""


Final = tuple[int, object, list[Detection]]
"""A finalised frame: index, the caller's payload (the frame itself), and the objects to redact."""


DISAGREE = 1.0
"""Between two sightings, one moved with the picture whose box is more than this many px off the
interpolated box is also masked as it was (see ``Propagator.objects_at``)."""

WEAK_VIEW_REACH = 1.3
"""A weak detection overlapping an object sighted in the same frame adds its pixels to that sighting
within this × the sighting's box, about its centre (``Propagator._widen``): room for a masked face's
lower half under a sure box of its eyes, not for a crowd's neighbouring heads. Chosen on the dev scenes
(docs/accuracy.md, "Video"), ``balanced``: leaks 3.33 → 1.33 %, background changed 1.27 → 1.56 %
(worst frame 9.0 → 10.7 %); unbounded, 1.13 %, 1.67 % (12.1 %); 1.0×, 1.70 %, 1.47 % (10.2 %)."""


END_CONFIRMED = ("faces",)
"""Classes whose tentative tracks sighted in a video's last detected frame are masked at its end (fail
closed). Not plates: a weak plate is a speck or one the verifier kept only just, a band where look-alikes
outnumber plates (models/plate-verifier/MODEL_CARD.md); the video's end is no evidence that it is one,
as a later detected frame would have been. On the held-out scenes, background changed 3.12 → 2.91 % and
its worst frame 17.8 → 11.6 % (a sign's text held as a plate for the last ten frames), leaks unchanged on
both suites; no class at all: the same leaks, 2.89 %."""


GROWTH_CAP = 2.0
"""A sighting moved to another frame grows by at most this × its size. An own speed measured between two
sightings a few frames apart whose boxes differ (a head, then its face) can be many px a frame, and over
a long hold it grew a 32-px weak face by 214 px (``fast``'s worst held-out frame, 31.8 % → 24.4 % of the
background); objects that move by themselves (the ``traffic`` scenes: a car crossing the frame in two
seconds, a person walking) leak no more with the cap, and no suite's leaks changed (docs/accuracy.md)."""


BACK_LARGE = 96
"""A track a frame starts is followed back (``Propagator._follow_back``) where its sighting is this many
px or more: a large object's cone before its first sighting covers a large share of the picture, and
its box holds enough texture to be followed; a small one's cone is small, and following a few px of it
back latched onto its surroundings (held-out street scenes: faces under 24 px uncovered). Nor is one the
frame's edge cuts: it is entering, and what its box holds of it does not say how it moved (a face
entering a panning scene was uncovered before its first sighting)."""


SIGHTED_SHARE, SIGHTED_LARGE = 0.5, 96
"""Where an object is sighted, its neighbouring sightings moved into that frame complete its shape (a
detection that caught part of it); for an object of ``SIGHTED_LARGE`` px or more they grow by
``SIGHTED_SHARE`` of their drift, since the sighting says where it is. Around large faces the full
growth drew rings a tenth of the face wide: on the dev scenes, `balanced`'s worst frame 10.7 → 7.5 % of
the background (a crowd the camera zooms into), `fast`'s 23.7 → 15.1 %, leaks 1.33 → 1.35 % (one
object-frame); all objects at half, leaks 1.42 % (docs/accuracy.md)."""


def _through(camera: np.ndarray | None, src: tuple[float, float], dst: tuple[float, float]) -> np.ndarray:
    """The camera's map (3×3; None: no motion), shifted so it takes the point ``src`` to ``dst``: its
    zoom and turn, the object's own place."""
    a = (camera if camera is not None else motion.IDENTITY).copy()
    (sx, sy), (dx, dy) = src, dst
    a[0, 2] += dx - (a[0, 0] * sx + a[0, 1] * sy + a[0, 2])
    a[1, 2] += dy - (a[1, 0] * sx + a[1, 1] * sy + a[1, 2])
    return a


@dataclass
class Track:
    id: int
    cls: str
    seen: dict[int, Detection] = field(default_factory=dict)  # frame index -> detection
    confirmed: bool = True  # False: started by a weak detection and not yet seen again
    speed_of: tuple[int, ...] = ()  # the sightings ``speed`` was measured on
    speed: float = 0.0  # own speed relative to the picture, see Propagator._own_speed
    found: int = -1  # the last frame the detector sighted it (a second look's track: its origin's)
    steps: dict[int, np.ndarray] = field(default_factory=dict)  # t -> 3×3 map from t - 1, followed

    def last(self) -> tuple[int, Detection]:
        t = max(self.seen)
        return t, self.seen[t]


@dataclass
class Propagator:
    width: int
    height: int
    window: int = 8
    hold: int = 8
    iou_match: float = 0.2
    min_speed: float = MIN_SPEED_PER_STRIDE  # see min_speed(stride)
    confirm_after: int = 0  # sightings that confirm a track started by a weak detection (0: never)
    edge_hold: int = 0  # the hold after a sighting the frame's edge cuts (no less than hold)
    follow_growth: float = FOLLOW_GROWTH  # least growth per frame the object was followed (× its size)
    tracks: list[Track] = field(default_factory=list)
    _pending: deque = field(default_factory=deque)  # (frame index, payload)
    _motion: dict = field(default_factory=dict)  # frame index t -> 3×3 map from t - 1 to t, or None
    _paths: dict = field(default_factory=dict)  # (track id, f, t) -> its path(f, t)
    _next_id: int = 0
    _last_detected: int = -1  # the last frame detection ran on

    def push(self, t: int, payload, dets: list[Detection] | None,
             weak: list[Detection] | None = None, camera: np.ndarray | None = None,
             look: Look | None = None, partial: bool = False,
             followed: dict[int, np.ndarray] | None = None, back: Back | None = None) -> list[Final]:
        """Add frame ``t`` (``dets`` None when detection was skipped); returns frames now final.

        ``weak`` detections (scores under the threshold) extend tracks: an object the detector is unsure
        of in this frame stays covered. One that overlaps an object sighted in this frame widens that
        sighting (``_widen``). One that matches no track starts a *tentative* track, which is
        masked only once it has been sighted in ``confirm_after`` detected frames (a strong sighting
        confirms it at once): a weak guess that the motion-compensated track finds again is an object.
        A doubted one (``Detection.doubt``: a plate the verifier turned down) only extends a painted
        track, sighted however long ago while it is remembered: a plate that was seen is kept.
        ``camera`` is the picture's motion from frame ``t - 1`` (3×3; None: unknown). ``look`` (in a
        detected frame) searches again where tracks this frame missed should be; what it finds starts
        tracks of their own (``_look_again``, ``service.core.second_look``). ``partial``: only part of
        the frame was searched (``service.core.edge_bands``); its sightings count, but a track it does
        not sight was not missed there. ``followed``: track id -> 3×3 map from frame ``t - 1`` where the
        track's object itself was followed into this frame (``follow_targets``, ``service.core.follow``).
        ``back``: follows boxes from a frame into the one before it; a track this frame starts is followed
        back through the frames before it that are not yet final (``_follow_back``).
        """
        self._motion[t] = camera
        for tr in self.tracks:
            if followed and tr.id in followed:
                tr.steps[t] = self._recentred(tr, t, followed[tr.id], camera)
        previous, first_new = self._last_detected, self._next_id
        if dets is not None:
            self._last_detected = t if not partial else previous
            self._associate(t, dets)
        if weak:
            self._associate(t, [d for d in weak if not d.doubt], weak=True)
            self._associate(t, [d for d in weak if d.doubt], weak=True, doubted=True)
        if dets is not None and look is not None and not partial:
            self._look_again(t, look, previous)
        if back is not None and self._next_id > first_new:
            self._follow_back(t, [tr for tr in self.tracks if tr.id >= first_new], back)
        self._pending.append((t, payload))
        out = []
        while self._pending and self._pending[0][0] <= t - self.window:
            ft, fp = self._pending.popleft()
            out.append((ft, fp, self.objects_at(ft)))
        self._forget(t)
        return out

    def flush(self) -> list[Final]:
        """The frames still pending, at the end of the video. A tentative track of an ``END_CONFIRMED``
        class sighted in the last detected frame had no later one to be confirmed in: it is masked
        (fail closed)."""
        for tr in self.tracks:
            if not tr.confirmed and tr.cls in END_CONFIRMED and max(tr.seen) >= self._last_detected:
                tr.confirmed = True
        out = [(ft, fp, self.objects_at(ft)) for ft, fp in self._pending]
        self._pending.clear()
        return out

    def follow_targets(self, t: int) -> list[tuple[int, tuple[float, float, float, float]]]:
        """(track id, box in frame ``t - 1``) of every track frame ``t`` may still show: where its
        object should be followed from."""
        out = []
        for tr in self.tracks:
            last = max(tr.seen)
            if last >= t or t - last > self.window + self._held(tr, last):
                continue
            box = self._box_at(tr, last, t - 1)
            if overlaps_frame(box, self.width, self.height):
                out.append((tr.id, box))
        return out

    def _recentred(self, tr: Track, t: int, shift: np.ndarray, camera: np.ndarray | None) -> np.ndarray:
        """The camera's map from ``t - 1`` (its zoom and turn), shifted so the track's box centre moves
        as the object was followed."""
        x1, y1, x2, y2 = self._box_at(tr, max(tr.seen), t - 1)
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        return _through(camera, (cx, cy), (cx + shift[0, 2], cy + shift[1, 2]))

    def _follow_back(self, t: int, new: list[Track], back: Back) -> None:
        """Follow the tracks frame ``t`` starts back into the frames before it that are not yet final (as
        far as a track is masked before its first sighting, ``hold``): an object first found here was
        most likely there already, and followed, its mask there sits where it was and grows by the follow
        growth, not by a cone of where it might have been. A track is followed back until a step fails."""
        boxes = {tr.id: tr.seen[t].box for tr in new if tr.seen[t].size >= BACK_LARGE
                 and not touches_edge(tr.seen[t].box, self.width, self.height)}
        if not boxes:
            return
        tracks = {tr.id: tr for tr in new}
        oldest = self._pending[0][0] if self._pending else t
        for k in range(t, max(t - self.hold, oldest, 0), -1):
            if not boxes:
                break
            ids = list(boxes)
            moved: dict[int, tuple[float, float, float, float]] = {}
            for i, shift in zip(ids, back(k, [boxes[i] for i in ids]), strict=True):
                if shift is None:
                    continue
                # frame k - 1 -> k: the camera's zoom and turn, shifted so the box followed back from
                # frame k lands where it was followed from
                x1, y1, x2, y2 = boxes[i]
                cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
                step = _through(self._motion.get(k), (cx + shift[0, 2], cy + shift[1, 2]), (cx, cy))
                tracks[i].steps[k] = step
                moved[i] = motion.apply(np.linalg.inv(step), boxes[i])
            boxes = moved
        self._paths = {key: v for key, v in self._paths.items() if key[0] not in tracks}

    def path(self, tr: Track, f: int, t: int) -> np.ndarray | None:
        """How ``tr``'s object moved from frame ``f`` to ``t`` (3×3): its followed steps, the camera's
        motion for the others; None where any step is unknown."""
        key = (tr.id, f, t)
        if key in self._paths:
            return self._paths[key]
        a = motion.IDENTITY
        for k in range(min(f, t) + 1, max(f, t) + 1):
            step = tr.steps.get(k)
            if step is None:
                step = self._motion.get(k)
            if step is None:
                a = None
                break
            a = step @ a
        if a is not None and f > t:
            a = np.linalg.inv(a)
        self._paths[key] = a
        return a

    def _followed(self, tr: Track, f: int, t: int) -> int:
        """Frames between sighting ``f`` and frame ``t`` over which the object itself was followed."""
        return sum(1 for k in range(min(f, t) + 1, max(f, t) + 1) if k in tr.steps)

    def _box_at(self, tr: Track, f: int, t: int) -> tuple[float, float, float, float]:
        """Where sighting ``f`` of ``tr`` is at frame ``t``: moved as it was followed, else with the
        picture."""
        a = self.path(tr, f, t)
        return tr.seen[f].box if a is None else motion.apply(a, tr.seen[f].box)

    def _at(self, tr: Track, f: int, t: int, box=None) -> Detection | None:
        """Sighting ``f`` moved to frame ``t`` (``path``), then (given ``box``) fitted to it."""
        det = tr.seen[f]
        a = self.path(tr, f, t)
        if a is None:
            a = motion.IDENTITY
        if box is not None:
            a = motion.fit(motion.apply(a, det.box), box) @ a
        return motion.move(motion.beyond_edges(det, self.width, self.height), a, self.width, self.height)

    def predicted_box(self, tr: Track, t: int) -> tuple[float, float, float, float]:
        """Constant own velocity from the last two sightings, moved with the picture (association)."""
        frames = sorted(tr.seen)[-2:]
        b1 = np.asarray(self._box_at(tr, frames[-1], t), float)
        if len(frames) < 2:
            return tuple(b1)
        b0 = np.asarray(self._box_at(tr, frames[0], t), float)
        return tuple(b1 + (b1 - b0) / (frames[1] - frames[0]) * (t - frames[-1]))

    def _associate(self, t: int, dets: list[Detection], weak: bool = False, doubted: bool = False
                   ) -> None:
        """Match ``dets`` to the live tracks; the rest start tracks. ``doubted``: they only extend
        painted tracks, live as long as they are remembered (``_forget``), and start none."""
        if not dets:
            return
        # where the track should be if the measured camera motion is right, and where it was last seen
        # (a bus filling a still picture can pass for the camera's motion: a standing object must
        # still keep its track)
        live = [(i, tr, tuple(map(int, self.predicted_box(tr, t))), tr.last()[1].box)
                for i, tr in enumerate(self.tracks)
                if (tr.confirmed if doubted else self._live(tr, t)) and not (weak and t in tr.seen)]
        candidates = sorted(
            ((max(box_iou(guess, d.box), box_iou(last, d.box)), i, j) for i, tr, guess, last in live
             for j, d in enumerate(dets) if tr.cls == d.cls),
            reverse=True)
        used_t, used_d = set(), set()
        for iou, i, j in candidates:
            if iou < self.iou_match or i in used_t or j in used_d:
                continue
            tr = self.tracks[i]
            tr.seen[t] = dets[j]
            tr.found = t
            tr.confirmed = tr.confirmed or not weak or (
                0 < self.confirm_after <= len(tr.seen))
            used_t.add(i)
            used_d.add(j)
        for j, d in enumerate(dets):
            if j in used_d or doubted or (weak and not self.confirm_after):
                continue
            if weak and self._widen(t, d):
                continue
            self.tracks.append(Track(self._next_id, d.cls, {t: d}, confirmed=not weak, found=t))
            self._next_id += 1

    def _live(self, tr: Track, t: int) -> bool:
        """Whether a detection at ``t`` may still extend ``tr``: within the look-ahead and its hold."""
        last = tr.last()[0]
        return t - last <= self.window + self._held(tr, last)

    def _widen(self, t: int, d: Detection) -> bool:
        """A weak detection overlapping an object sighted at ``t`` is another view of it: its pixels
        within ``WEAK_VIEW_REACH`` × the sighting's box join that sighting (a still paints both; a masked
        face's sure box may hold only its eyes while the weak one holds the whole face). True where it
        was such a view."""
        for tr in self.tracks:
            seen = tr.seen.get(t)
            if seen is None or tr.cls != d.cls or box_iou(seen.box, d.box) < self.iou_match:
                continue
            rx1, ry1, rx2, ry2 = clip_box(scaled(seen.box, WEAK_VIEW_REACH), self.width, self.height)
            part = crop_to(d, (rx1, ry1, rx2, ry2))
            ys, xs = np.nonzero(part)
            if len(ys):  # the sighting's box grows only as far as the pixels it gains
                y1, y2, x1, x2 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
                both = union([seen, Detection(d.cls, d.score, (int(rx1 + x1), int(ry1 + y1), int(rx1 + x2),
                                                               int(ry1 + y2)), part[y1:y2, x1:x2])])
                tr.seen[t] = replace(seen, box=both.box, mask=both.mask)
            return True
        return False

    def search_box(self, tr: Track, t: int) -> tuple[float, float, float, float]:
        """Where ``tr``'s object may be at frame ``t``: its predicted box with the margin it could have
        moved on its own since its last sighting (as ``_drifted`` grows its mask)."""
        last, det = tr.last()
        margin = max(self.min_speed * det.size, self._own_speed(tr)) * abs(t - last)
        x1, y1, x2, y2 = self.predicted_box(tr, t)
        return x1 - margin, y1 - margin, x2 + margin, y2 + margin

    def _look_again(self, t: int, look: Look, previous: int) -> None:
        """Look where the tracks sighted in the ``previous`` detected frame that this one missed should
        be. What ``look`` finds starts a track of its own, looked for again in the same way, but only
        within ``window + hold`` frames of the detector's last sighting of the object: a look-alike
        cannot keep itself masked by being found again and again."""
        lost = [(tr, self.search_box(tr, t)) for tr in self.tracks
                if tr.confirmed and t not in tr.seen and tr.last()[0] >= previous
                and t - tr.found <= self.window + self.hold]
        lost = [(tr, box) for tr, box in lost if overlaps_frame(box, self.width, self.height)]
        if not lost:
            return
        taken = [tr.seen[t].box for tr in self.tracks if t in tr.seen]
        found = look([(tr.cls, box, float(tr.last()[1].size)) for tr, box in lost], taken)
        for (tr, _), det in zip(lost, found, strict=True):
            if det is not None:
                # a track of its own: were it another object, the lost one is still held (fail closed)
                self.tracks.append(Track(self._next_id, det.cls, {t: det}, found=tr.found))
                self._next_id += 1

    def _forget(self, t: int) -> None:
        """Drop sightings and motion no pending frame can use (bounded memory on long videos)."""
        horizon = (self._pending[0][0] if self._pending else t) - self.window - self._longest_hold() - 1
        for tr in self.tracks:
            for f in [f for f in tr.seen if f < horizon]:
                del tr.seen[f]
        self.tracks = [tr for tr in self.tracks if tr.seen]
        for f in [f for f in self._motion if f < horizon]:
            del self._motion[f]
        for key in [key for key in self._paths if min(key[1:]) < horizon]:
            del self._paths[key]
        for tr in self.tracks:
            for f in [f for f in tr.steps if f < horizon]:
                del tr.steps[f]

    def objects_at(self, t: int) -> list[Detection]:
        """One mask per track at frame ``t``: the union of its sighting and propagated masks."""
        objects = []
        first, last = t - self.window - self._longest_hold(), t + self.window + self.hold
        for tr in (tr for tr in self.tracks if tr.confirmed):
            out: list[Detection | None] = []
            # the nearest *other* sightings on each side are carried into frame t even where the
            # track was sighted there: a detection that caught only part of the object is completed
            before = [f for f in tr.seen if first <= f < t]
            after = [f for f in tr.seen if t < f <= last]
            fb, fa = (max(before) if before else None), (min(after) if after else None)
            if t in tr.seen:
                # its place is known: its other sightings, moved with the picture and grown by how far
                # the track moves on its own, complete its shape; the union grown by one frame's least
                # growth, as the frames beside it are (not by the distance to those sightings)
                moved = [self._drifted(tr, self._at(tr, f, t), f, t, 0.0, sighted=True)
                         for f in (fb, fa) if f is not None]
                near = union([tr.seen[t]] + [d for d in moved if d is not None])
                out.append(self._grow(near, self.min_speed * near.size))
            elif fb is not None and fa is not None and fb != fa and fa - fb <= 2 * self.window:
                k = (t - fb) / (fa - fb)
                box = tuple((1 - k) * np.asarray(self._box_at(tr, fb, t), float)
                            + k * np.asarray(self._box_at(tr, fa, t), float))
                # both sightings' shapes in the interpolated box, grown once (dilation of a union
                # = union of the dilations)
                shapes = [d for d in (self._at(tr, f, t, box) for f in (fb, fa)) if d is not None]
                if shapes:
                    near = fb if t - fb <= fa - t else fa
                    out.append(self._drifted(tr, union(shapes), near, t, self.min_speed))
                # and each sighting as it was, moved with the picture and grown by its own drift, where
                # the two disagree (a face found, then its head; a plate, then plate and bumper): the
                # interpolated box squeezes both shapes and uncovers what each one covered
                out += [self._drifted(tr, self._at(tr, f, t), f, t, self.min_speed) for f in (fb, fa)
                        if np.abs(np.subtract(self._box_at(tr, f, t), box)).max() > DISAGREE]
            elif fb is not None and t - fb <= self._held(tr, fb):
                out.append(self._drifted(tr, self._at(tr, fb, t), fb, t, self.min_speed))  # held after
            elif fa is not None and fa - t <= self.hold:
                out.append(self._drifted(tr, self._at(tr, fa, t), fa, t, self.min_speed))  # before first seen
            # temporal smoothing: never smaller than the neighbouring sightings (a sighted frame's
            # mask above already holds them, grown)
            for f in (fb, fa) if t not in tr.seen else ():
                if f is not None and abs(f - t) <= 1:
                    out.append(self._at(tr, f, t))
            kept = [d for d in out if d is not None]
            if kept:
                objects.append(union(kept))
        return objects

    def _longest_hold(self) -> int:
        return max(self.hold, self.edge_hold)

    def _held(self, tr: Track, f: int) -> int:
        """How long sighting ``f`` of ``tr`` is held: longer where the frame's edge cuts it (a part of an
        object is often missed while it leaves; its mask, moved with the picture, leaves with it)."""
        return self._longest_hold() if touches_edge(tr.seen[f].box, self.width, self.height) else self.hold

    def _drifted(self, tr: Track, det: Detection | None, f: int, t: int, least: float,
                 sighted: bool = False) -> Detection | None:
        """``det`` (sighting ``f`` moved to frame ``t``) grown by how far the object may have moved on its
        own since (or until) it was seen: per frame the object itself was followed, ``follow_growth`` ×
        its size × its class's ``FOLLOW_SHARE`` (following measured where it went); per other frame,
        the track's fastest corner speed relative to its path (px/frame), at least ``least`` × its
        size; in all at most ``GROWTH_CAP`` × its size. Moved into a frame where the object was
        ``sighted``, an object of ``SIGHTED_LARGE`` px or more grows by ``SIGHTED_SHARE`` of that."""
        if det is None:
            return None
        gap = abs(t - f)
        followed = min(gap, self._followed(tr, f, t))
        px = (max(least * det.size, self._own_speed(tr) if gap > followed else 0.0) * (gap - followed)
              + self.follow_growth * FOLLOW_SHARE.get(tr.cls, 1.0) * det.size * followed)
        px = min(px, GROWTH_CAP * det.size)
        return self._grow(det, px * SIGHTED_SHARE if sighted and det.size >= SIGHTED_LARGE else px)

    def _grow(self, det: Detection | None, px: float) -> Detection | None:
        return None if det is None else grow(det, int(np.ceil(px)), 0.0, self.width, self.height)

    def _own_speed(self, tr: Track) -> float:
        """Fastest corner speed between consecutive sightings, relative to the picture (px/frame);
        recomputed only when the track's sightings change (it is asked for every frame)."""
        frames = tuple(sorted(tr.seen))
        if tr.speed_of != frames:
            tr.speed_of, tr.speed = frames, 0.0
            for f0, f1 in itertools.pairwise(frames):
                own = np.subtract(tr.seen[f1].box, self._box_at(tr, f0, f1))
                tr.speed = max(tr.speed, float(np.abs(own).max()) / (f1 - f0))
        return tr.speed
