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


def scale_out(settings: Settings, redis_url: str, jobs_dir, lease: float | None = None, quiet: bool = False):
    """An API's settings in Redis mode and a started ``veil worker`` sharing its jobs directory (with the
    callback settings of these tests, and a job lease of ``lease`` seconds if given)."""
    import os
    import subprocess
    import sys

    update = {"queue": "redis", "redis_url": redis_url, "jobs_dir": jobs_dir}
    env = {**os.environ, "VEIL_QUEUE": "redis", "VEIL_REDIS_URL": redis_url, "VEIL_THREADS": "1",
           "VEIL_MODELS_DIR": str(settings.models_dir), "VEIL_JOBS_DIR": str(jobs_dir),
           "VEIL_CALLBACK_HOSTS": '["127.0.0.1"]', "VEIL_WEBHOOK_SECRET": SECRET}
    if lease is not None:
        update["job_lease_seconds"] = lease
        env["VEIL_JOB_LEASE_SECONDS"] = str(lease)
    out = subprocess.DEVNULL if quiet else None
    worker = subprocess.Popen([sys.executable, "-m", "service.cli", "worker"], env=env, stdout=out,
                              stderr=out)
    return settings.model_copy(update=update), worker


@pytest.fixture(scope="module", params=["local", "redis"])
def jobs_client(request, settings, tmp_path_factory):
    """The same job tests against the embedded executor and against Redis + a `veil worker` process."""
    if request.param == "local":
        with TestClient(create_app(settings)) as c:
            yield c
        return
    redis_settings, worker = scale_out(settings, request.getfixturevalue("redis_url"),
                                       tmp_path_factory.mktemp("shared-jobs"))
    try:
        with TestClient(create_app(redis_settings)) as c:
            yield c
    finally:
        worker.terminate()
        worker.wait(20)
