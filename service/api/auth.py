"""Optional API keys: callers send ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.

Only SHA-256 digests of the keys are configured (``VEIL_API_KEY_HASHES`` or ``VEIL_API_KEYS_FILE``, one
hex digest per line); a key is checked by hashing it and comparing in constant time. With no key
configured every request is let through. Health endpoints and the API documentation stay open.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from service.errors import UnauthorizedError

_bearer = HTTPBearer(auto_error=False, description="An API key as a bearer token")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key")


def key_digest(key: str) -> str:
    """The hex SHA-256 an operator configures for ``key`` (``veil hash-key`` prints it)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_matches(key: str, digests: frozenset[str]) -> bool:
    given = key_digest(key)
    return any(hmac.compare_digest(given, d) for d in digests)  # every digest compared: no early exit


def require_key(request: Request,
                bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
                header: Annotated[str | None, Security(_header)] = None) -> None:
    digests: frozenset[str] = getattr(request.app.state, "api_key_digests", frozenset())
    if not digests:
        return
    key = bearer.credentials if bearer else header
    if not key or not key_matches(key, digests):
        raise UnauthorizedError()


Authorized = [Depends(require_key)]
"""Router dependencies of every ``/v1`` route."""
