"""docker-compose.yml: API + worker + Redis with a password, read-only roots, health checks on
readiness, a shared jobs volume; the GPU override puts the worker on a GPU."""

from __future__ import annotations

import yaml

from tests.conftest import ROOT


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text())


def test_compose_runs_api_worker_and_a_password_protected_redis():
    services = load("docker-compose.yml")["services"]
    assert set(services) == {"api", "worker", "redis"}
    for name in ("api", "worker"):
        s = services[name]
        assert s["read_only"] is True and "/tmp" in s["tmpfs"] and s["cap_drop"] == ["ALL"]
        assert "jobs:/var/lib/veil/jobs" in s["volumes"]
        assert s["environment"]["VEIL_QUEUE"] == "redis"
        assert "${VEIL_REDIS_PASSWORD:?" in s["environment"]["VEIL_REDIS_URL"]
        assert s["depends_on"]["redis"]["condition"] == "service_healthy"
        assert s["healthcheck"]["test"][0] == "CMD"
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])
    assert services["worker"]["command"] == ["worker"]
    assert services["worker"]["environment"]["VEIL_WORKER_METRICS_PORT"] == "9100"
    assert "ports" not in services["worker"] and services["api"]["ports"] == ["127.0.0.1:8000:8000"]
    redis = services["redis"]
    cmd = redis["command"]
    assert cmd[cmd.index("--requirepass") + 1].startswith("${VEIL_REDIS_PASSWORD:?")
    assert cmd[cmd.index("--save") + 1] == "" and cmd[cmd.index("--appendonly") + 1] == "no"
    assert redis["read_only"] is True and "ports" not in redis


def test_the_gpu_override_gives_the_worker_a_gpu_and_the_cuda_image():
    worker = load("docker-compose.gpu.yml")["services"]["worker"]
    assert worker["build"]["args"]["FLAVOUR"] == "cuda" and worker["environment"]["VEIL_DEVICE"] == "cuda"
    device = worker["deploy"]["resources"]["reservations"]["devices"][0]
    assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"]
