"""Video profiles: one named, frozen set of detection and tracking parameters per trade-off.

A person picks ``fast``, ``balanced`` or ``thorough``; each fixes how often the models look (stride),
at which working size, how far propagated masks may grow, and which extra searches run. Stride and
working sizes stay available as expert overrides of a profile. What each profile costs, leaks and
over-redacts is measured by ``veil evaluate-video --suite scenes --profile NAME`` (docs/accuracy.md,
"Video").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from service.core.strides import HOLD_FRAMES, SEEN_PLATE_FLOOR

if TYPE_CHECKING:
    from service.core.video_pipeline import VideoOptions


@dataclass(frozen=True)
class Profile:
    summary: str
    stride: int  # detect every n-th frame; the tracker follows objects in between
    face_work_size: int | None  # None: the service's setting
    small_face_work_size: int | None  # the finer face pass for faces under 24 px (None: none)
    plate_work_size: int | None
    growth: float  # least growth of a mask per frame not followed, × object size, per stride
    second_look: bool
    edge_every: int
    hold: int = HOLD_FRAMES  # least frames a track stays masked after its last sighting and before its first
    seen_plate_floor: float | None = SEEN_PLATE_FLOOR  # see service.core.strides (None: off)

    def video_options(self, **overrides) -> VideoOptions:
        """The profile's ``VideoOptions``; ``overrides`` (codec, crf, keep_audio, stride, ...) win."""
        from service.core.video_pipeline import VideoOptions  # the pipeline's heavy imports, when used

        base = {"stride": self.stride, "growth": self.growth, "second_look": self.second_look,
                "edge_every": self.edge_every, "hold": self.hold, "seen_plate_floor": self.seen_plate_floor,
                "face_work_size": self.face_work_size,
                "small_face_work_size": self.small_face_work_size,
                "plate_work_size": self.plate_work_size}
        return VideoOptions(**{**base, **{k: v for k, v in overrides.items() if v is not None}})


SMALL_FACES = 1280
"""Every profile's finer face pass: CenterFace again at this long side (a 720p frame at full resolution)
adds the faces under 24 px the first pass missed; held-out scenes' faces under 24 px leaked 17 % of their
frames without it (docs/accuracy.md, "Small faces, looked for at full resolution")."""

PROFILES: dict[str, Profile] = {
    # faces at the full working size: at 640 px the faces under 24 px leaked 18 % of their frames, at
    # 960 px 2.7 % (held-out scenes: all faces 6.2 -> 3.8 %), for ~9 % of the fps (docs/accuracy.md)
    "fast": Profile("every 10th frame detected, plates at 640 px: the fastest, with wider masks between "
                    "detections", stride=10, face_work_size=None, small_face_work_size=SMALL_FACES,
                    plate_work_size=640, growth=0.005, second_look=True, edge_every=2),
    "balanced": Profile("the default: every 5th frame detected at the full working size", stride=5,
                        face_work_size=None, small_face_work_size=SMALL_FACES, plate_work_size=None,
                        growth=0.005, second_look=True, edge_every=2),
    # detecting every frame, a 6-frame hold uncovered a moving plate missed a few frames in a row: traffic
    # leaks 4.51 -> 1.13 % with 10, background 2.12 -> 2.49 % (docs/accuracy.md, "Small faces, looked
    # for at full resolution"). Plates the verifier turns down keep no seen plate here: detecting every
    # frame, they left every leak as it was and changed more background (docs/accuracy.md, "A plate that
    # was seen is kept")
    "thorough": Profile("every frame detected at full working size: slowest, fewest leaks", stride=1,
                        face_work_size=None, small_face_work_size=SMALL_FACES, plate_work_size=None,
                        growth=0.025, second_look=True, edge_every=2, hold=10, seen_plate_floor=None),
}
DEFAULT_PROFILE = "balanced"
