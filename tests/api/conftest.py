import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.config import Settings


@pytest.fixture(scope="module")
def settings(tiny_models_dir) -> Settings:
    return Settings(models_dir=tiny_models_dir, threads=1, max_upload_bytes=2_000_000, max_pixels=4_000_000)


@pytest.fixture(scope="module")
def client(settings):
    with TestClient(create_app(settings)) as c:
        yield c
