"""FastAPI application factory; models load once in the lifespan (importing this module is cheap)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from service.api import openapi_spec, problems
from service.api.access_log import AccessLogMiddleware
from service.api.jobs_routes import router as jobs_router
from service.api.metrics import Metrics, MetricsMiddleware
from service.api.routes import router
from service.api.runtime import start_runtime
from service.config import Settings

SWAGGER = "/docs/assets"
SWAGGER_FILES = Path(str(resources.files("fastapi_offline") / "static"))
"""Swagger UI 5 as the ``fastapi-offline`` package ships it (Apache-2.0 files, MIT package)."""


def create_app(settings: Settings | None = None, load: bool = True) -> FastAPI:
    """``load=False`` builds an app whose models never load (readiness stays 503), for tests."""
    settings = settings or Settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.runtime = start_runtime(settings) if load else None
        if app.state.runtime and app.state.runtime.jobs:
            metrics.watch_queue(app.state.runtime.jobs.depth)
            app.state.runtime.jobs.on_finished = metrics.count_job
        yield
        if app.state.runtime and app.state.runtime.jobs:
            app.state.runtime.jobs.close()
        app.state.runtime = None

    app = FastAPI(title="Veil", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Anonymizes faces and license plates in images, pixel-accurately.")
    app.state.metrics = metrics
    app.state.api_key_digests = settings.api_key_digests()
    problems.install(app)
    openapi_spec.install(app)
    app.include_router(router)
    app.include_router(jobs_router)
    _offline_docs(app)
    app.mount("/editor", EditorFiles(directory=EDITOR_FILES, html=True), name="editor")
    app.add_middleware(AccessLogMiddleware, max_body=settings.max_upload_bytes,
                       max_body_by_path={"/v1/jobs": settings.max_video_upload_bytes})
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app


EDITOR_FILES = Path(__file__).parent / "static" / "editor"
"""The review editor: one page, its script and style; nothing loaded from elsewhere."""


class EditorFiles(StaticFiles):
    """The editor's files with a policy that lets the page talk to this Veil only."""

    def file_response(self, *args, **kwargs):
        response = super().file_response(*args, **kwargs)
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; "
            "frame-ancestors 'none'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response


def _offline_docs(app: FastAPI) -> None:
    """Swagger UI from files installed with Veil (no CDN: the page works air-gapped)."""
    app.mount(SWAGGER, StaticFiles(directory=SWAGGER_FILES), name="swagger-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title="Veil API",
                                   swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{SWAGGER}/swagger-ui.css",
                                   swagger_favicon_url=f"{SWAGGER}/favicon.png")
