"""Read one upload from a request: multipart ``file`` + fields, or a raw image body + query fields.

Everything stays in memory (bounded by the body limit); nothing is spooled to disk.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser

from service.errors import InvalidOptionsError, UnsupportedMediaError
from service.jobs.store import private_file

RAW_TYPES = ("image/", "video/", "application/octet-stream")


class _InMemoryParser(MultiPartParser):
    spool_max_size = 1 << 40  # the body limit already bounds memory; never write uploads to disk


@dataclass
class Upload:
    data: bytes
    fields: dict[str, str]


@asynccontextmanager
async def _form_file(parse: Awaitable[FormData], fields: dict[str, str]) -> AsyncIterator[UploadFile]:
    """The multipart ``file`` part; its text fields are merged into ``fields``; the form is closed after."""
    try:
        form = await parse
    except (MultiPartException, HTTPException) as exc:  # (Request.form wraps the first in the second)
        raise InvalidOptionsError("The multipart body is malformed.") from exc
    try:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise InvalidOptionsError("Send the media in a multipart field named 'file'.")
        fields.update({k: v for k, v in form.multi_items() if isinstance(v, str)})
        yield file
    finally:
        await form.close()


async def read_upload(request: Request) -> Upload:
    content_type = request.headers.get("content-type", "")
    fields = dict(request.query_params)
    if content_type.startswith("multipart/form-data"):
        parser = _InMemoryParser(request.headers, request.stream(), max_files=1, max_fields=32,
                                 max_part_size=1024 * 1024)
        async with _form_file(parser.parse(), fields) as file:
            return Upload(await file.read(), fields)
    if content_type.split(";")[0].strip().lower().startswith(RAW_TYPES):
        return Upload(await request.body(), fields)
    raise UnsupportedMediaError()


async def save_upload(request: Request, target: Path) -> dict[str, str]:
    """Stream an upload (raw body or multipart ``file``) to ``target``; returns the option fields.

    Large videos never sit in memory: raw bodies are written chunk by chunk, multipart files are
    spooled by Starlette to a temporary file that is closed (deleted) before this returns.
    """
    content_type = request.headers.get("content-type", "")
    fields = dict(request.query_params)
    if content_type.startswith("multipart/form-data"):
        async with _form_file(request.form(max_files=1, max_fields=32), fields) as file:
            with private_file(target) as out:
                shutil.copyfileobj(file.file, out, 1 << 20)
        return fields
    if not content_type.split(";")[0].strip().lower().startswith(RAW_TYPES):
        raise UnsupportedMediaError()
    with private_file(target) as out:
        async for chunk in request.stream():
            out.write(chunk)
    return fields
