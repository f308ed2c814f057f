#!/usr/bin/env python3
"""Paperless-ngx pre-consume hook: every incoming photo goes through Veil before Paperless stores it.

Paperless-ngx runs this with DOCUMENT_WORKING_PATH pointing at its working copy of the new document;
the copy is replaced in place with Veil's redacted image. Any failure exits non-zero, which makes
Paperless abort the consumption: an unredacted photo is never archived because Veil was down.

Standard library only (runs in Paperless' own image). Settings (environment):
  VEIL_URL         Veil's base URL (default http://veil-api)
  VEIL_API_KEY     API key, if Veil requires one
  VEIL_OPTIONS     query string of redaction options (default mode=blur), e.g. mode=fill&classes=faces
  VEIL_PDF         pass (archive PDFs unchanged; Veil redacts images only) or refuse (default pass)
  VEIL_TIMEOUT     seconds per attempt (default 120); 503 "busy" answers are retried 5 times
Install: PAPERLESS_PRE_CONSUME_SCRIPT=/usr/src/paperless/scripts/veil-pre-consume.py
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
import urllib.error
import urllib.request

IMAGE_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def media_type(head: bytes) -> str | None:
    for magic, kind in IMAGE_TYPES.items():
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF"):
        return "application/pdf"
    return None


def redact(data: bytes, kind: str, key: str) -> bytes:
    url = os.environ.get("VEIL_URL", "http://veil-api").rstrip("/")
    options = os.environ.get("VEIL_OPTIONS", "mode=blur")
    headers = {"Content-Type": kind, "Idempotency-Key": key}
    if api_key := os.environ.get("VEIL_API_KEY"):
        headers["Authorization"] = f"Bearer {api_key}"
    timeout = float(os.environ.get("VEIL_TIMEOUT", "120"))
    for attempt in range(6):
        request = urllib.request.Request(f"{url}/v1/redact?{options}", data=data, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                return resp.read()
        except urllib.error.HTTPError as err:
            if err.code != 503 or attempt == 5:
                problem = err.read()[:300].decode("utf-8", "replace")
                raise SystemExit(f"veil: refused ({err.code}): {problem}") from None
            time.sleep(min(30.0, float(err.headers.get("Retry-After") or 1)))
    raise SystemExit("veil: still busy")


def main() -> int:
    path = os.environ.get("DOCUMENT_WORKING_PATH")
    if not path or not os.path.isfile(path):
        print("veil: DOCUMENT_WORKING_PATH is not a file", file=sys.stderr)
        return 2
    with open(path, "rb") as f:
        data = f.read()
    kind = media_type(data[:16])
    if kind == "application/pdf":
        if os.environ.get("VEIL_PDF", "pass") == "refuse":
            print("veil: PDFs are refused (VEIL_PDF=refuse)", file=sys.stderr)
            return 3
        print("veil: PDF archived unchanged (Veil redacts images)")
        return 0
    if kind is None:
        print("veil: not a JPEG, PNG, WebP or PDF: refused", file=sys.stderr)
        return 3
    # the same document retried gets the same answer without a second inference
    key = os.environ.get("TASK_ID") or hashlib.sha256(data).hexdigest()
    try:
        redacted = redact(data, kind, f"paperless-{key}")
    except (OSError, urllib.error.URLError) as exc:
        print(f"veil: unreachable ({type(exc).__name__}); document not consumed", file=sys.stderr)
        return 4
    if media_type(redacted[:16]) != kind:
        print("veil: unexpected answer; document not consumed", file=sys.stderr)
        return 5
    tmp = f"{path}.veil"
    with open(tmp, "wb") as f:
        f.write(redacted)
    os.replace(tmp, path)  # atomic: Paperless never sees a half-written file
    print("veil: image redacted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
