"""FastAPI application factory; models load once in the lifespan (importing this module is cheap)."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from service.api import problems
from service.api.access_log import AccessLogMiddleware
from service.api.jobs_routes import router as jobs_router
from service.api.routes import router
from service.api.runtime import start_runtime
from service.config import Settings


def create_app(settings: Settings | None = None, load: bool = True) -> FastAPI:
    """``load=False`` builds an app whose models never load (readiness stays 503), for tests."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.runtime = start_runtime(settings) if load else None
        yield
        if app.state.runtime and app.state.runtime.jobs:
            app.state.runtime.jobs.close()
        app.state.runtime = None

    app = FastAPI(title="Veil", version="0.1.0", lifespan=lifespan,
                  description="Anonymizes faces and license plates in images, pixel-accurately.")
    problems.install(app)
    app.include_router(router)
    app.include_router(jobs_router)
    app.add_middleware(AccessLogMiddleware, max_body=settings.max_upload_bytes,
                       max_body_by_path={"/v1/jobs": settings.max_video_upload_bytes})
    return app
