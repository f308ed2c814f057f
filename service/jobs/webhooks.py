"""Completion callbacks signed per the Standard Webhooks scheme (HMAC-SHA256, ``v1,<base64>``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.request
import uuid
from urllib.parse import urlsplit

from service.errors import InvalidOptionsError


def check_callback(url: str | None, allowed_hosts: tuple[str, ...]) -> str | None:
    """Only http(s) URLs whose host is on the allowlist; anything else is a 422."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.hostname not in allowed_hosts:
        raise InvalidOptionsError("Invalid fields: callback_url")
    return url


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def notify(url: str, secret: str, payload: dict, timeout: float = 10.0) -> bool:
    """POST the job's public state; failures are swallowed (the caller can still poll)."""
    body = json.dumps(payload).encode()
    msg_id, ts = f"msg_{uuid.uuid4().hex}", int(time.time())
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "content-type": "application/json", "webhook-id": msg_id, "webhook-timestamp": str(ts),
        "webhook-signature": sign(secret, msg_id, ts, body)})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return 200 <= resp.status < 300
    except OSError:
        return False
