"""Option fields (multipart form fields or query parameters) → validated core ``Options``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from service.core.masks import Shape
from service.core.options import CLASSES, MODES, Options
from service.core.profiles import DEFAULT_PROFILE, PROFILES
from service.core.prompts import Prompt
from service.core.video_pipeline import VideoOptions
from service.errors import InvalidOptionsError
from service.inference.registry import BACKENDS

M = TypeVar("M", bound=BaseModel)
_D = Options()  # one source of defaults for API, CLI and core
_V = VideoOptions()
MAX_SHAPES = 1024  # regions or ignore areas per request (the editor sends brush strokes as boxes)
_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")


class RedactParams(BaseModel):
    """Public options; strings as a form or query carries them."""

    model_config = ConfigDict(extra="forbid")

    classes: str = Field(",".join(_D.classes), pattern=r"^\s*(faces|plates)\s*(,\s*(faces|plates)\s*)*$",
                         description="what to find, comma-separated: faces, plates")
    mode: Literal[MODES] = Field(  # type: ignore[valid-type]
        _D.mode, description="how masked pixels are redacted; mask returns the 0/255 mask (images only)")
    backend: Literal[BACKENDS] | None = Field(  # type: ignore[valid-type]
        None, description="segmentation backend (default: the service's, VEIL_DEFAULT_BACKEND)")
    face_threshold: float = Field(_D.face_threshold, gt=0, lt=1,
                                  description="face detector score to accept a face (lower finds more)")
    plate_threshold: float = Field(_D.plate_threshold, gt=0, lt=1,
                                   description="plate finder score to accept a plate (lower finds more)")
    dilation_px: int = Field(_D.dilation_px, ge=0, le=200, description="grow every mask by this many pixels")
    dilation_pct: float = Field(_D.dilation_pct, ge=0, le=200,
                                description="and by this percentage of the object's size")
    feather: int = Field(_D.feather, ge=0, le=100, description="soften the mask's edge over this many pixels")
    strength: float = Field(_D.strength, ge=1, le=4, description="blur and pixelate coarser by this factor "
                                                                 "(1: sized to hide each object)")
    regions: str = Field("[]", description="JSON list of boxes [x1,y1,x2,y2] or polygons [[x,y],...]; "
                                           "in a video, {\"shape\": ..., \"from\": s, \"to\": s, \"at\": s} "
                                           "holds for that time range only and, with at (the frame "
                                           "it was drawn on), follows its object from there")
    ignore: str = Field("[]", description="JSON list of boxes or polygons never redacted")
    colour: str = Field("#000000", pattern=_HEX.pattern, description="fill colour, #rrggbb")
    format: Literal["jpeg", "jpg", "png", "webp"] | None = Field(
        None, description="output image format (default: the input's)")
    quality: int = Field(_D.quality, ge=1, le=100, description="JPEG/WebP output quality")
    profile: Literal[tuple(PROFILES)] | None = Field(  # type: ignore[valid-type]
        None, description="video: speed against thoroughness (default: the service's, VEIL_VIDEO_PROFILE)")
    stride: int | None = Field(None, ge=1, le=30,
                               description="video: detect every n-th frame (overrides the profile's)")
    codec: Literal["h264", "vp9", "av1"] = Field(_V.codec, description="video: output codec")
    crf: int = Field(_V.crf, ge=0, le=51, description="video: quality (lower is better)")
    audio: Literal["keep", "drop"] = Field("keep", description="video: copy audio bit-exact or drop it")

    @field_validator("classes")
    @classmethod
    def _classes(cls, v: str) -> str:
        items = [c.strip() for c in v.split(",") if c.strip()]
        if not items or set(items) - set(CLASSES):
            raise ValueError(f"classes must be a subset of {CLASSES}")
        return ",".join(items)

    @field_validator("regions", "ignore")
    @classmethod
    def _shapes(cls, v: str) -> str:
        _parse_shapes(v)
        return v

    @field_validator("colour")
    @classmethod
    def _colour(cls, v: str) -> str:
        if not _HEX.match(v):
            raise ValueError("colour must be #rrggbb")
        return v


def _parse_shapes(text: str) -> tuple[Shape, ...]:
    try:
        value = json.loads(text)
        if not isinstance(value, list) or len(value) > MAX_SHAPES:
            raise ValueError
        return tuple(Shape.parse(s) for s in value)
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        raise ValueError("expected a JSON list of boxes or polygons") from exc


def _validate(fields: Mapping[str, str], model: type[M]) -> M:
    """Validate raw fields; a bad one becomes a 422 that names the field, never its value."""
    try:
        return model.model_validate(dict(fields))
    except ValidationError as exc:
        names = sorted({str(e["loc"][0]) for e in exc.errors() if e.get("loc")})
        raise InvalidOptionsError(f"Invalid fields: {', '.join(names)}") from None


def to_options(fields: Mapping[str, str], default_backend: str) -> Options:
    return _options(_validate(fields, RedactParams), default_backend)


def to_all_options(fields: Mapping[str, str], default_backend: str, default_profile: str = DEFAULT_PROFILE
                   ) -> tuple[Options, VideoOptions]:
    """The redaction and the video options of one request, its fields validated once."""
    p = _validate(fields, RedactParams)
    video = PROFILES[p.profile or default_profile].video_options(
        stride=p.stride, codec=p.codec, crf=p.crf, keep_audio=p.audio == "keep")
    return _options(p, default_backend), video


def _options(p: RedactParams, default_backend: str) -> Options:
    rgb = _HEX.match(p.colour).group(1)  # type: ignore[union-attr]
    return Options(
        classes=tuple(p.classes.split(",")),
        mode=p.mode,
        backend=p.backend or default_backend,
        face_threshold=p.face_threshold,
        plate_threshold=p.plate_threshold,
        dilation_px=p.dilation_px,
        dilation_pct=p.dilation_pct,
        feather=p.feather,
        strength=p.strength,
        regions=_parse_shapes(p.regions),
        ignore=_parse_shapes(p.ignore),
        colour=(int(rgb[0:2], 16), int(rgb[2:4], 16), int(rgb[4:6], 16)),
        format=p.format,
        quality=p.quality,
    )


class SegmentParams(BaseModel):
    """The prompt of /v1/segment; JSON lists as a form or query carries them."""

    model_config = ConfigDict(extra="forbid")

    box: str | None = Field(None, max_length=200,
                            description="JSON [x1,y1,x2,y2] around the object, in pixels")
    points: str = Field("[]", max_length=20_000,
                        description="JSON [[x,y,label],...]: label 1 is on the object, 0 is not")
    kind: Literal["object", "faces", "plates"] = Field(
        "object", description="what the prompt outlines: faces and plates use Veil's own models, object "
                              "(anything else) snaps the box to the object's boundary")
    backend: Literal[BACKENDS] | None = Field(  # type: ignore[valid-type]
        None, description="segmentation backend for faces and plates (default: the service's)")
    format: Literal["png", "json"] = Field(
        "png", description="png: the 0/255 mask at the image's size; json: its outlines as polygons")


def _json_ints(text: str, what: str) -> list:
    try:
        value = json.loads(text)
    except ValueError:
        raise InvalidOptionsError(f"Invalid fields: {what}") from None
    return value


def to_prompt(fields: Mapping[str, str]) -> tuple[Prompt, str | None, str]:
    """(prompt, backend or None, output format) from raw fields; a bad field is a 422 naming it."""
    p = _validate(fields, SegmentParams)
    box = None
    if p.box is not None:
        raw = _json_ints(p.box, "box")
        if not (isinstance(raw, list) and len(raw) == 4 and all(_is_number(v) for v in raw)) \
                or raw[2] <= raw[0] or raw[3] <= raw[1]:
            raise InvalidOptionsError("Invalid fields: box")
        box = tuple(round(v) for v in raw)
    raw = _json_ints(p.points, "points")
    if not isinstance(raw, list) or len(raw) > 64 or not all(
            isinstance(q, list) and len(q) == 3 and all(_is_number(v) for v in q) and q[2] in (0, 1)
            for q in raw):
        raise InvalidOptionsError("Invalid fields: points")
    points = tuple((round(x), round(y), int(label)) for x, y, label in raw)
    if box is None and not any(label for _, _, label in points):
        raise InvalidOptionsError("Invalid fields: box, points (send a box or a positive point)")
    return Prompt(box, points, p.kind), p.backend, p.format  # type: ignore[arg-type]


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and abs(v) < 1e6
