"""Asynchronous video jobs: create (202 + Location), status, result download, cancel/delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.background import BackgroundTask

from service.api.auth import Authorized
from service.api.routes import RuntimeDep
from service.api.upload import save_upload
from service.core.params import to_options, to_video_options
from service.errors import JobExpiredError, JobNotFinishedError, JobNotFoundError
from service.jobs.store import Job
from service.jobs.webhooks import check_callback
from service.media.video import probe

router = APIRouter(prefix="/v1/jobs", dependencies=Authorized)


def _job(runtime, job_id: str) -> Job:
    try:
        return runtime.jobs.store.get(job_id)
    except KeyError:
        raise JobNotFoundError() from None


@router.post("", status_code=202, description="Upload a video (multipart `file` or raw body) with the "
             "options of /v1/redact plus profile, stride, codec, crf, audio and callback_url.")
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
            to_options(fields, runtime.settings.default_backend)
            to_video_options(fields, runtime.settings.video_profile)
            await run_in_threadpool(probe, store.input_path(job.id), runtime.settings.video_limits())
        except BaseException:
            store.delete(job.id)
            raise
        store.update(job, options=fields, callback_url=callback)
        runtime.jobs.submit(job.id)
    return JSONResponse({"id": job.id, "status": job.status}, status_code=202,
                        headers={"Location": f"/v1/jobs/{job.id}", "Cache-Control": "no-store"})


@router.get("/{job_id}")
def job_status(job_id: str, runtime: RuntimeDep) -> Any:
    return JSONResponse(_job(runtime, job_id).public(), headers={"Cache-Control": "no-store"})


@router.get("/{job_id}/result", response_class=Response, responses={200: {"content": {"video/*": {}}}})
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


@router.delete("/{job_id}", status_code=204)
def delete_job(job_id: str, runtime: RuntimeDep) -> Response:
    _job(runtime, job_id)
    runtime.jobs.store.delete(job_id)
    return Response(status_code=204)
