"""Redaction options shared by API and CLI; defaults were chosen by measurement (docs/accuracy.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.core.masks import Shape
from service.core.redaction import MODES as REDACTIONS

CLASSES = ("faces", "plates")
MODES = (*REDACTIONS, "mask")
"""Every public mode: the redaction registry's, and ``mask`` (the mask itself, for still images)."""


@dataclass(frozen=True)
class Options:
    classes: tuple[str, ...] = CLASSES
    mode: str = "blur"
    backend: str = "unet"
    face_threshold: float = 0.3
    plate_threshold: float = 0.3
    dilation_px: int = 2
    dilation_pct: float = 8.0
    feather: int = 0
    strength: float = 1.0
    regions: tuple[Shape, ...] = field(default_factory=tuple)
    ignore: tuple[Shape, ...] = field(default_factory=tuple)
    colour: tuple[int, int, int] = (0, 0, 0)
    format: str | None = None
    quality: int = 90
    # long side the full-frame face and plate models run at (None: the service's setting); video
    # profiles set them (service.core.profiles)
    face_work_size: int | None = None
    plate_work_size: int | None = None
    # a second, finer face detector pass at this long side for small faces (pipeline.small_face_limit);
    # 0: none; None: a photo's default (pipeline.for_photo), none for video frames, whose profiles set it
    small_face_work_size: int | None = None
