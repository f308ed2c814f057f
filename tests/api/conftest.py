import base64

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.config import Settings
from tests.conftest import free_port

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


def start_redis(workdir, port: int | None = None):
    """A real redis-server on loopback (CI installs it from Debian packages), no persistence; returns
    (process, url) once it answers."""
    import shutil
    import subprocess
    import time

    from redis import Redis

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (CI installs it; apt-get install redis-server)")
    port = port or free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except Exception:
            time.sleep(0.05)
    client.close()
    return proc, f"redis://127.0.0.1:{port}/0"


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    proc, url = start_redis(tmp_path_factory.mktemp("redis"))
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module", params=["local", "redis"])
def jobs_client(request, settings, tmp_path_factory):
    """The same job tests against the embedded executor and against Redis + a `veil worker` process."""
    if request.param == "local":
        with TestClient(create_app(settings)) as c:
            yield c
        return
    import os
    import subprocess
    import sys

    url = request.getfixturevalue("redis_url")
    redis_settings = settings.model_copy(update={"queue": "redis", "redis_url": url,
                                                 "jobs_dir": tmp_path_factory.mktemp("shared-jobs")})
    env = {**os.environ, "VEIL_QUEUE": "redis", "VEIL_REDIS_URL": url,
           "VEIL_MODELS_DIR": str(settings.models_dir), "VEIL_JOBS_DIR": str(redis_settings.jobs_dir),
           "VEIL_THREADS": "1", "VEIL_CALLBACK_HOSTS": '["127.0.0.1"]', "VEIL_WEBHOOK_SECRET": SECRET}
    worker = subprocess.Popen([sys.executable, "-m", "service.cli", "worker"], env=env)
    try:
        with TestClient(create_app(redis_settings)) as c:
            yield c
    finally:
        worker.terminate()
        worker.wait(20)
