"""HTTP routes: validate, delegate to the core, shape the response. No image logic here."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, Response

from service.api.auth import Authorized
from service.api.metrics import CONTENT_TYPE
from service.api.openapi_spec import Analysis, Outlines, option_parameters, problems, upload_body
from service.api.replay import Answer, fingerprint
from service.api.runtime import Runtime
from service.api.upload import read_upload
from service.core.dispatch import redact_any
from service.core.params import SegmentParams, to_all_options, to_options, to_prompt
from service.core.still import analyze_bytes, segment_bytes
from service.errors import (
    BusyError,
    IdempotencyMismatchError,
    ModelError,
    NotReadyError,
    RequestTimeoutError,
    TooLargeError,
    UndecodableError,
    UnsupportedMediaError,
)
from service.timing import StageTimer

router = APIRouter()

MEDIA = ("image/jpeg", "image/png", "image/webp", "video/mp4", "video/quicktime", "video/webm",
         "video/x-matroska", "application/octet-stream")
_UPLOAD = {"requestBody": upload_body(MEDIA), "parameters": option_parameters()}
_INPUT_ERRORS = (TooLargeError, UnsupportedMediaError, UndecodableError, NotReadyError, BusyError,
                 ModelError, RequestTimeoutError)
_REDACTED = {"description": "The redacted image (or short video), in the input's format unless `format` "
             "says otherwise; no metadata of the input is kept.",
             "content": {"image/*": {"schema": {"type": "string", "format": "binary"}},
                         "video/*": {"schema": {"type": "string", "format": "binary"}}}}


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    if runtime is None or not runtime.ready:
        raise NotReadyError()
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


@router.post("/v1/redact", openapi_extra=_UPLOAD, response_class=Response, dependencies=Authorized,
             responses={200: _REDACTED, **problems(*_INPUT_ERRORS, IdempotencyMismatchError)})
async def redact(request: Request, runtime: RuntimeDep,
                 idempotency_key: Annotated[str | None, Header(max_length=200)] = None) -> Response:
    return await runtime.answer(partial(_redact, request, runtime, idempotency_key))


async def _redact(request: Request, runtime: Runtime, idempotency_key: str | None,
                  progress: Callable[[float], None]) -> Response:
    upload = await read_upload(request)
    s = runtime.settings
    opts, vopts = to_all_options(upload.fields, s.default_backend, s.video_profile)
    if not upload.data:
        raise UndecodableError()
    headers = {"Cache-Control": "no-store"}
    digest = fingerprint("redact", upload.data, upload.fields) if idempotency_key else ""
    if idempotency_key and (kept := runtime.replays.get(idempotency_key, digest)):
        headers["Idempotent-Replay"] = "true"
        return Response(kept.body, media_type=kept.media_type, headers=headers)
    timer = StageTimer()
    out = await runtime.run(redact_any, runtime.models, upload.data, opts, vopts, s.max_pixels,
                            s.video_limits(), s.max_sync_video_seconds, timer, progress)
    request.app.state.metrics.observe_stages(timer)
    if idempotency_key:
        runtime.replays.put(idempotency_key, digest, Answer(out.body, out.media_type))
    return Response(out.body, media_type=out.media_type, headers=headers)


@router.post("/v1/analyze", openapi_extra=_UPLOAD, dependencies=Authorized,
             responses={200: {"model": Analysis, "description": "The detections, for review; never stored."},
                        **problems(*_INPUT_ERRORS)})
async def analyze(request: Request, runtime: RuntimeDep) -> Any:
    return await runtime.answer(partial(_analyze, request, runtime))


async def _analyze(request: Request, runtime: Runtime, _: Callable[[float], None]) -> Any:
    upload = await read_upload(request)
    opts = to_options(upload.fields, runtime.settings.default_backend)
    if not upload.data:
        raise UndecodableError()
    result = await runtime.run(analyze_bytes, runtime.models, upload.data, opts, runtime.settings.max_pixels)
    return JSONResponse(result, headers={"Cache-Control": "no-store"})


_IMAGES = ("image/jpeg", "image/png", "image/webp", "application/octet-stream")


@router.post("/v1/segment", dependencies=Authorized,
             openapi_extra={"requestBody": upload_body(_IMAGES, params=SegmentParams),
                            "parameters": option_parameters(params=SegmentParams)},
             response_class=Response, description="A mask from a prompt (a box and/or clicked points) for "
             "manual review: faces and plates use Veil's models, any other object is snapped to its "
             "boundary. Returned, never kept.",
             responses={200: {"description": "The mask (0/255 PNG at the image's size) or its outlines.",
                              "content": {"image/png": {"schema": {"type": "string", "format": "binary"}},
                                          "application/json": {"schema": Outlines.model_json_schema()}}},
                        **problems(*_INPUT_ERRORS)})
async def segment(request: Request, runtime: RuntimeDep) -> Response:
    return await runtime.answer(partial(_segment, request, runtime))


async def _segment(request: Request, runtime: Runtime, _: Callable[[float], None]) -> Response:
    upload = await read_upload(request)
    prompt, backend, fmt = to_prompt(upload.fields)
    if not upload.data:
        raise UndecodableError()
    out = await runtime.run(segment_bytes, runtime.models, upload.data, prompt,
                            backend or runtime.settings.default_backend, runtime.settings.max_pixels, fmt)
    return Response(out.body, media_type=out.media_type, headers={"Cache-Control": "no-store"})


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus exposition; open like the health endpoints (it holds no request content)."""
    m = request.app.state.metrics
    return Response(m.exposition(), media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})


@router.get("/readyz", responses=problems(NotReadyError, validation=False))
def readyz(runtime: RuntimeDep) -> dict[str, Any]:
    rt = runtime.models.compute
    return {"status": "ready", "backends": sorted(runtime.models.backends), "device": rt.device,
            "engine": rt.engine, "precision": runtime.models.precisions()}
