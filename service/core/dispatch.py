"""One synchronous entry for any upload: still images by magic bytes, otherwise a short video."""

from __future__ import annotations

from collections.abc import Callable

from service.core.options import Options
from service.core.still import Output, redact_with_mask
from service.core.video_pipeline import VideoOptions, redact_video_bytes
from service.errors import InvalidOptionsError, UnsupportedMediaError
from service.inference.registry import ModelSet
from service.media.images import sniff
from service.media.video import VideoLimits
from service.timing import NO_TIMER, StageTimer


def is_image(data: bytes) -> bool:
    try:
        sniff(data[:16])
        return True
    except UnsupportedMediaError:
        return False


def redact_any(models: ModelSet, data: bytes, opts: Options, vopts: VideoOptions, max_pixels: int,
               limits: VideoLimits, max_sync_video_seconds: float, timer: StageTimer = NO_TIMER,
               progress: Callable[[float], None] | None = None) -> Output:
    """``timer`` collects still images' stage times (the API exports them as metrics); ``progress`` is
    called at every video frame and may raise to stop."""
    if is_image(data):
        return redact_with_mask(models, data, opts, max_pixels, timer)[0]
    if opts.mode == "mask":
        raise InvalidOptionsError("Invalid fields: mode (mask is for still images)")
    return Output(*redact_video_bytes(models, data, opts, vopts, limits, max_sync_video_seconds, progress))
