"""What the routes accept and return, declared for OpenAPI from the one option schema (``RedactParams``).

The option parameters, the multipart body and the problem+json answers are generated here so that
``/docs``, clients and fuzzers (schemathesis) see every option with its type, range and default, and
every error a route can answer.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from service.core.params import RedactParams
from service.errors import (
    HeadersTooLargeError,
    InvalidOptionsError,
    UnauthorizedError,
    UriTooLongError,
    VeilError,
)

PROBLEM_TYPE = "application/problem+json"


class Problem(BaseModel):
    """RFC 9457 problem details; ``type`` is stable (``/problems/<slug>``), ``detail`` never echoes input."""

    type: str = Field(pattern="^/problems/[a-z-]+$")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str


class Region(BaseModel):
    cls: Literal["faces", "plates"] = Field(alias="class")
    score: float = Field(ge=0, le=1)
    box: list[int] = Field(min_length=4, max_length=4, description="x1, y1, x2, y2 in pixels")
    polygon: list[list[int]] = Field(description="outline [[x, y], ...] in pixels")


class Analysis(BaseModel):
    """What /v1/analyze returns: the image's size and each detection, for review. Never stored."""

    width: int
    height: int
    regions: list[Region]


class Outlines(BaseModel):
    """/v1/segment with ``format=json``: the mask's outer outlines, to send back as ``regions``."""

    width: int
    height: int
    polygons: list[list[list[int]]] = Field(description="outlines [[[x, y], ...], ...] in pixels")
    area: int = Field(ge=0, description="masked pixels")


class JobError(BaseModel):
    type: str
    title: str
    detail: str


class JobState(BaseModel):
    id: str = Field(pattern="^[0-9a-f]{32}$")
    status: Literal["queued", "running", "succeeded", "failed", "expired"]
    progress: float = Field(ge=0, le=1)
    eta_seconds: float | None
    error: JobError | None


class JobAccepted(BaseModel):
    id: str = Field(pattern="^[0-9a-f]{32}$")
    status: Literal["queued", "running", "succeeded", "failed", "expired"]


def _plain(schema: dict[str, Any]) -> dict[str, Any]:
    """A property's schema as a form or query carries it: ``X | None`` becomes ``X`` (absent = default)."""
    out = {k: v for k, v in schema.items() if k not in {"anyOf", "title"}}
    for alt in schema.get("anyOf", ()):
        if alt.get("type") != "null":
            out.update(alt)
    if out.get("default", 0) is None:
        del out["default"]
    return out


def option_schemas(extra: dict[str, dict[str, Any]] | None = None,
                   params: type[BaseModel] = RedactParams) -> dict[str, dict[str, Any]]:
    """Every option's schema, in declaration order, from ``params`` (plus route-specific ones)."""
    props = params.model_json_schema()["properties"]
    return {**{name: _plain(s) for name, s in props.items()}, **(extra or {})}


def option_parameters(extra: dict[str, dict[str, Any]] | None = None,
                      params: type[BaseModel] = RedactParams) -> list[dict[str, Any]]:
    """The options as optional query parameters (for raw-body uploads)."""
    return [{"name": name, "in": "query", "required": False, "schema": schema,
             "description": schema.get("description", "")}
            for name, schema in option_schemas(extra, params).items()]


def upload_body(media: tuple[str, ...], extra: dict[str, dict[str, Any]] | None = None,
                params: type[BaseModel] = RedactParams) -> dict[str, Any]:
    """A multipart ``file`` with the options as fields, or the raw bytes of one of ``media``."""
    binary = {"type": "string", "format": "binary"}
    form = {"type": "object", "required": ["file"],
            "properties": {"file": binary, **option_schemas(extra, params)}}
    return {"required": True, "content": {"multipart/form-data": {"schema": form},
                                           **{m: {"schema": binary} for m in media}}}


def problems(*errors: type[VeilError], validation: bool = True) -> dict[int | str, dict[str, Any]]:
    """problem+json answers for ``errors`` (grouped by status), plus those any route can give: 401 when
    keys are set, 414/431 for oversized request lines and headers, 422 for invalid parameters and 500
    for anything unexpected."""
    every = (UnauthorizedError, UriTooLongError, HeadersTooLargeError, *errors,
             *((InvalidOptionsError,) if validation else ()), VeilError)
    by_status: dict[int, list[str]] = {}
    for err in every:
        by_status.setdefault(err.status, []).append(f"`/problems/{err.type_slug}`")
    return {status: {"description": ", ".join(dict.fromkeys(slugs)),
                     "content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
            for status, slugs in sorted(by_status.items())}


def install(app: FastAPI) -> None:
    """Generate the app's OpenAPI document once, with the ``Problem`` schema the answers refer to."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, description=app.description,
                              routes=app.routes)
            schemas = doc.setdefault("components", {}).setdefault("schemas", {})
            schemas["Problem"] = Problem.model_json_schema()
            for unused in ("HTTPValidationError", "ValidationError"):  # 422 answers are problems
                schemas.pop(unused, None)
            for operation in (op for item in doc["paths"].values() for op in item.values()):
                if "application/json" in operation["responses"].get("422", {}).get("content", {}):
                    operation["responses"]["422"] = problems()[422]
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

