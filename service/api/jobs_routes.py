"""Asynchronous video jobs: create (202 + Location), status, result download, cancel/delete."""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.background import BackgroundTask

from service.api.auth import Authorized
from service.api.openapi_spec import JobAccepted, JobState, option_parameters, problems, upload_body
from service.api.routes import RuntimeDep
from service.api.upload import save_upload
from service.core.params import to_all_options
from service.errors import (
    JobExpiredError,
    JobNotFinishedError,
    JobNotFoundError,
    NotReadyError,
    QueueUnavailableError,
    TooLargeError,
    UndecodableError,
    UnsupportedMediaError,
)
from service.jobs.store import Job
from service.jobs.webhooks import check_callback
from service.media.video import probe

router = APIRouter(prefix="/v1/jobs", dependencies=Authorized)


def _job(runtime, job_id: str) -> Job:
    try:
        return runtime.jobs.store.get(job_id)
    except KeyError:
        raise JobNotFoundError() from None


_CALLBACK = {"callback_url": {"type": "string", "format": "uri", "maxLength": 2048, "description": (
    "POSTed (signed, see the docs) when the job ends; its host must be in VEIL_CALLBACK_HOSTS")}}
_LOOKUP = (JobNotFoundError, NotReadyError, QueueUnavailableError)
_VIDEO = ("video/mp4", "video/quicktime", "video/webm", "video/x-matroska", "video/x-msvideo",
          "application/octet-stream")


@router.post("", status_code=202, description="Upload a video (multipart `file` or raw body) with the "
             "options of /v1/redact and a `callback_url`; poll the job at its `Location`.",
             openapi_extra={"requestBody": upload_body(_VIDEO, _CALLBACK),
                            "parameters": option_parameters(_CALLBACK)},
             responses={202: {"model": JobAccepted, "description": "Queued; `Location` names the job."},
                        **problems(TooLargeError, UnsupportedMediaError, UndecodableError, NotReadyError,
                                 QueueUnavailableError)})
async def create_job(request: Request, runtime: RuntimeDep,
                     idempotency_key: Annotated[str | None, Header(max_length=200)] = None) -> Any:
    store = runtime.jobs.store
    await run_in_threadpool(store.sweep)  # old finished jobs go before a new one arrives
    job = store.find(idempotency_key)
    if job is None:
        job = store.create(idempotency_key)
        try:
            fields = await save_upload(request, store.input_path(job.id))
            callback = check_callback(fields.pop("callback_url", None), runtime.settings.callback_hosts)
            to_all_options(fields, runtime.settings.default_backend, runtime.settings.video_profile)
            await run_in_threadpool(probe, store.input_path(job.id), runtime.settings.video_limits())
            store.update(job, options=fields, callback_url=callback)
            runtime.jobs.submit(job.id)
        except BaseException:
            with suppress(QueueUnavailableError):  # the files go first; Redis keys expire on their own
                store.delete(job.id)
                store.release(idempotency_key)
            raise
    return JSONResponse({"id": job.id, "status": job.status}, status_code=202,
                        headers={"Location": f"/v1/jobs/{job.id}", "Cache-Control": "no-store"})


@router.get("/{job_id}", responses={200: {"model": JobState, "description": "The job's state."},
                                    **problems(*_LOOKUP, validation=False)})
def job_status(job_id: str, runtime: RuntimeDep) -> Any:
    return JSONResponse(_job(runtime, job_id).public(), headers={"Cache-Control": "no-store"})


@router.get("/{job_id}/result", response_class=Response, responses={
    200: {"description": "The redacted video, once; the job expires with this download.",
          "content": {"video/*": {"schema": {"type": "string", "format": "binary"}}}},
    **problems(*_LOOKUP, JobNotFinishedError, JobExpiredError, validation=False)})
def job_result(job_id: str, runtime: RuntimeDep) -> Any:
    store = runtime.jobs.store
    job = _job(runtime, job_id)
    if job.status == "expired":
        raise JobExpiredError()
    if job.status != "succeeded" or not store.result_path(job_id).exists():
        raise JobNotFinishedError()

    def forget() -> None:  # the result lives until its first download
        store.result_path(job_id).unlink(missing_ok=True)
        store.update(job, status="expired")

    return FileResponse(store.result_path(job_id), media_type=job.media_type,
                        filename=f"redacted.{job.extension}", headers={"Cache-Control": "no-store"},
                        background=BackgroundTask(forget))


@router.delete("/{job_id}", status_code=204, responses={
    204: {"description": "Cancelled (if running) and its files deleted."},
    **problems(*_LOOKUP, validation=False)})
def delete_job(job_id: str, runtime: RuntimeDep) -> Response:
    _job(runtime, job_id)
    runtime.jobs.store.delete(job_id)
    return Response(status_code=204)
