import base64

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.config import Settings

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


@pytest.fixture(scope="module")
def settings(tiny_models_dir, tmp_path_factory) -> Settings:
    return Settings(models_dir=tiny_models_dir, threads=1, max_upload_bytes=2_000_000, max_pixels=4_000_000,
                    jobs_dir=tmp_path_factory.mktemp("jobs"), callback_hosts=("127.0.0.1",),
                    webhook_secret=SECRET, max_sync_video_seconds=3)


@pytest.fixture(scope="module")
def client(settings):
    with TestClient(create_app(settings)) as c:
        yield c
