"""Short-lived signed cookies that carry sign-in state between redirects."""

from __future__ import annotations

import base64
import hmac
import json
import time
from typing import Any

from fastapi.responses import Response

from smartcity.core.keys import KeyRing

LOGIN_COOKIE = "sc_login"
FLOW_COOKIE = "sc_oauth"
FEDERATION_COOKIE = "sc_fed"
LOGIN_CSRF_COOKIE = "sc_login_csrf"
FLOW_SECONDS = 600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(keys: KeyRing, purpose: str, payload: dict[str, Any], seconds: int = FLOW_SECONDS) -> str:
    """`payload` with an expiry, as text that cannot be altered without the key."""
    body = _b64(json.dumps({**payload, "exp": int(time.time()) + seconds}).encode())
    mac = keys.pseudonym(f"cookie:{purpose}", body)
    return f"{body}.{mac}"


def unsign(keys: KeyRing, purpose: str, value: str | None) -> dict[str, Any] | None:
    """The payload of a signed value, or None if altered, malformed or expired."""
    if not value or "." not in value:
        return None
    body, mac = value.rsplit(".", 1)
    if not hmac.compare_digest(mac, keys.pseudonym(f"cookie:{purpose}", body)):
        return None
    try:
        payload: dict[str, Any] = json.loads(_unb64(body))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict) or payload.get("exp", 0) < time.time():
        return None
    return payload


def set_cookie(
    response: Response, name: str, value: str, *, secure: bool, max_age: int | None = None
) -> None:
    """Set an http-only, same-site cookie for the whole site."""
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, secure=secure, samesite="lax", path="/"
    )


def clear_cookie(response: Response, name: str, *, secure: bool) -> None:
    """Remove a cookie set by `set_cookie`."""
    response.delete_cookie(name, path="/", httponly=True, secure=secure, samesite="lax")


def safe_next(target: str | None) -> str:
    """A same-site path to return to after sign-in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/me"
    return target
