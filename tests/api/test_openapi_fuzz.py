"""The served OpenAPI says what the routes really do: schemathesis fuzzes a live Veil (loopback) against
it — no 5xx, every status, content type, header and body as declared — and nothing stays on disk."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from service.api.app import create_app
from service.core.params import RedactParams
from tests.conftest import live_server

CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_headers_conformance,response_schema_conformance")


def test_every_option_is_a_typed_documented_parameter_and_every_error_a_problem():
    doc = create_app(load=False).openapi()
    redact = doc["paths"]["/v1/redact"]["post"]
    query = {p["name"]: p for p in redact["parameters"] if p["in"] == "query"}
    assert set(query) == set(RedactParams.model_fields)
    described = RedactParams.model_fields["dilation_px"].description
    assert query["dilation_px"]["schema"] == {"type": "integer", "minimum": 0, "maximum": 200, "default": 2,
                                              "description": described}
    assert query["mode"]["schema"]["enum"] == ["blur", "pixelate", "fill", "mask"]
    form = redact["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert set(form["properties"]) == {"file", *RedactParams.model_fields}
    for status in ("401", "413", "415", "422", "500", "503", "504"):
        assert redact["responses"][status]["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert "callback_url" in doc["paths"]["/v1/jobs"]["post"]["requestBody"]["content"][
        "multipart/form-data"]["schema"]["properties"]
    accepted = doc["paths"]["/v1/jobs"]["post"]["responses"]["202"]["content"]["application/json"]["schema"]
    assert accepted["$ref"] == "#/components/schemas/JobAccepted"
    assert "HTTPValidationError" not in str(doc)


def test_schemathesis_finds_no_server_error_and_no_undeclared_answer(tiny_models_dir, tmp_path):
    binary = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert binary, "schemathesis is part of the dev extras"
    jobs = tmp_path / "jobs"
    env = {"VEIL_MODELS_DIR": str(tiny_models_dir), "VEIL_THREADS": "1", "VEIL_JOBS_DIR": str(jobs),
           "VEIL_MAX_UPLOAD_BYTES": "2000000"}
    with live_server(env, tmp_path / "server.log") as (port, _):
        run = subprocess.run(
            [binary, "run", f"http://127.0.0.1:{port}/openapi.json", "--checks", CHECKS, "--phases",
             "coverage,fuzzing,stateful", "-n", "25", "--seed", "7", "--workers", "1", "--no-color",
             "--generation-database", "none", "--request-timeout", "60"],
            capture_output=True, text=True, timeout=540)
    assert run.returncode == 0, run.stdout[-6000:]
    assert "passed" in run.stdout and " failure" not in run.stdout
    assert sorted(p.name for p in jobs.iterdir()) == ["idempotency"]  # no job or upload left behind
    assert not any((jobs / "idempotency").iterdir())
    assert "Traceback" not in (tmp_path / "server.log").read_text()
