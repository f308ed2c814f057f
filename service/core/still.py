"""Bytes in, bytes out for still images: the one entry point the API and the CLI share."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from service.core.masks import paint
from service.core.options import Options
from service.core.pipeline import detect, final_objects
from service.core.prompts import Prompt, outlines, segment_prompt
from service.core.redaction import redact
from service.errors import InvalidOptionsError
from service.inference.registry import ModelSet
from service.media.images import FORMAT_BY_NAME, FORMATS, DecodedImage, decode, encode, encode_mask_png
from service.timing import NO_TIMER, StageTimer


@dataclass
class Output:
    body: bytes
    media_type: str
    extension: str


def output_format(decoded: DecodedImage, opts: Options) -> str:
    if opts.format is None:
        return decoded.format
    if opts.format.lower() not in FORMAT_BY_NAME:
        raise InvalidOptionsError(f"format must be one of: {', '.join(sorted(FORMAT_BY_NAME))}")
    return FORMAT_BY_NAME[opts.format.lower()]


def redact_bytes(models: ModelSet, data: bytes, opts: Options, max_pixels: int) -> Output:
    """Decode, redact, re-encode from pixels. Any failure raises; the input is never returned."""
    return redact_with_mask(models, data, opts, max_pixels)[0]


def redact_with_mask(models: ModelSet, data: bytes, opts: Options, max_pixels: int,
                     timer: StageTimer = NO_TIMER) -> tuple[Output, np.ndarray]:
    """The redacted output and the final binary mask it used (at the oriented input's size)."""
    with timer.stage("decode"):
        decoded = decode(data, max_pixels)
    objects = final_objects(models, decoded.rgb, opts, timer)
    with timer.stage("postprocess"):
        mask = paint(objects, decoded.rgb.shape[:2])
    if opts.mode == "mask":
        with timer.stage("encode"):
            return Output(encode_mask_png(mask), "image/png", "png"), mask
    fmt = output_format(decoded, opts)
    with timer.stage("redact"):
        redacted = redact(decoded.rgb, objects, opts.mode, opts.feather, opts.colour, strength=opts.strength)
    media_type, ext = FORMATS[fmt]
    with timer.stage("encode"):
        body = encode(redacted, fmt, opts.quality, decoded.alpha)
    return Output(body, media_type, ext), mask


def analyze_bytes(models: ModelSet, data: bytes, opts: Options, max_pixels: int) -> dict[str, Any]:
    """Regions for review (class, score, box, polygon) of the raw detections; returned, never kept."""
    decoded = decode(data, max_pixels)
    h, w = decoded.rgb.shape[:2]
    regions = [
        {"class": d.cls, "score": round(d.score, 4), "box": list(d.box), "polygon": d.polygon()}
        for d in detect(models, decoded.rgb, opts)
    ]
    return {"width": w, "height": h, "regions": regions}


def segment_bytes(models: ModelSet, data: bytes, prompt: Prompt, backend: str, max_pixels: int,
                  fmt: str) -> Output:
    """The prompted object's mask: a 0/255 PNG at the (oriented) image's size, or its outlines as JSON."""
    decoded = decode(data, max_pixels)
    mask = segment_prompt(models, decoded.rgb, prompt, backend)
    if fmt == "json":
        h, w = mask.shape
        body = {"width": w, "height": h, "polygons": outlines(mask), "area": int(mask.sum())}
        return Output(json.dumps(body).encode(), "application/json", "json")
    return Output(encode_mask_png(mask), "image/png", "png")
