"""Read one upload from a request: multipart ``file`` + fields, or a raw image body + query fields.

Everything stays in memory (bounded by the body limit); nothing is spooled to disk.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from service.errors import InvalidOptionsError, UnsupportedMediaError

RAW_TYPES = ("image/", "video/", "application/octet-stream")


class _InMemoryParser(MultiPartParser):
    spool_max_size = 1 << 40  # the body limit already bounds memory; never write uploads to disk


@dataclass
class Upload:
    data: bytes
    fields: dict[str, str]


async def read_upload(request: Request) -> Upload:
    content_type = request.headers.get("content-type", "")
    fields = dict(request.query_params)
    if content_type.startswith("multipart/form-data"):
        parser = _InMemoryParser(request.headers, request.stream(), max_files=1, max_fields=32,
                                 max_part_size=64 * 1024)
        try:
            form = await parser.parse()
        except MultiPartException as exc:
            raise InvalidOptionsError("The multipart body is malformed.") from exc
        try:
            file = form.get("file")
            if not isinstance(file, UploadFile):
                raise InvalidOptionsError("Send the image in a multipart field named 'file'.")
            data = await file.read()
            fields.update({k: v for k, v in form.multi_items() if isinstance(v, str)})
        finally:
            await form.close()
        return Upload(data, fields)
    if content_type.split(";")[0].strip().lower().startswith(RAW_TYPES):
        return Upload(await request.body(), fields)
    raise UnsupportedMediaError()
