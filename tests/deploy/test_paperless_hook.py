"""The Paperless-ngx pre-consume example, run as Paperless runs it, against a live Veil (real models,
API keys on): photos are replaced in place redacted; PDFs pass or are refused by the setting; when Veil
is unreachable the hook fails, so Paperless does not archive the original."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tests.conftest import FIXTURES, MODELS, ROOT, fixture_faces, free_port, live_server

HOOK = ROOT / "deploy" / "dms" / "paperless-ngx" / "veil-pre-consume.py"
KEY = "paperless-hook-key-42"
PHOTO = "street_faces_809.jpg"


@pytest.fixture(scope="module")
def veil_url(tmp_path_factory):
    env = {"VEIL_MODELS_DIR": str(MODELS), "VEIL_THREADS": "2",
           "VEIL_API_KEY_HASHES": f'["{hashlib.sha256(KEY.encode()).hexdigest()}"]',
           "VEIL_JOBS_DIR": str(tmp_path_factory.mktemp("jobs"))}
    with live_server(env) as (port, _):
        yield f"http://127.0.0.1:{port}"


def run_hook(path, url, **env):
    full = {**os.environ, "DOCUMENT_WORKING_PATH": str(path), "VEIL_URL": url, "VEIL_API_KEY": KEY,
            "TASK_ID": "5e1f0c2a", **env}
    return subprocess.run([sys.executable, str(HOOK)], env=full, capture_output=True, text=True, timeout=180)


def test_a_photo_is_redacted_in_place(veil_url, tmp_path):
    doc = tmp_path / "scan.jpg"
    doc.write_bytes((FIXTURES / PHOTO).read_bytes())
    done = run_hook(doc, veil_url, VEIL_OPTIONS="mode=fill&colour=ff00ff")
    assert done.returncode == 0, done.stderr
    out = np.asarray(Image.open(io.BytesIO(doc.read_bytes())).convert("RGB")).astype(int)
    magenta = (out[..., 0] > 200) & (out[..., 1] < 80) & (out[..., 2] > 200)
    for x1, y1, x2, y2 in fixture_faces()[PHOTO]:
        w, h = x2 - x1, y2 - y1
        assert magenta[int(y1 + h * 0.3):int(y2 - h * 0.3), int(x1 + w * 0.3):int(x2 - w * 0.3)].mean() > 0.9
    assert magenta.mean() < 0.25
    assert not list(tmp_path.glob("*.veil"))


def test_pdfs_pass_or_are_refused_by_the_setting(veil_url, tmp_path):
    pdf = tmp_path / "letter.pdf"
    original = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    pdf.write_bytes(original)
    assert run_hook(pdf, veil_url).returncode == 0 and pdf.read_bytes() == original
    refused = run_hook(pdf, veil_url, VEIL_PDF="refuse")
    assert refused.returncode != 0 and pdf.read_bytes() == original


def test_failures_keep_the_document_out_of_the_archive(veil_url, tmp_path):
    doc = tmp_path / "scan.jpg"
    original = (FIXTURES / PHOTO).read_bytes()
    doc.write_bytes(original)
    dead = f"http://127.0.0.1:{free_port()}"
    assert run_hook(doc, dead).returncode != 0 and doc.read_bytes() == original
    wrong_key = run_hook(doc, veil_url, VEIL_API_KEY="not-the-key")
    assert wrong_key.returncode != 0 and "401" in wrong_key.stderr and doc.read_bytes() == original
    odd = tmp_path / "scan.tiff"
    odd.write_bytes(b"II*\x00" + bytes(64))
    assert run_hook(odd, veil_url).returncode != 0
