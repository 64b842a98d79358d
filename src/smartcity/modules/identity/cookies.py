"""Short-lived signed cookies that carry sign-in state between redirects."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from smartcity.core import signed
from smartcity.core.keys import KeyRing

LOGIN_COOKIE = "sc_login"
FLOW_COOKIE = "sc_oauth"
FEDERATION_COOKIE = "sc_fed"
LOGIN_CSRF_COOKIE = "sc_login_csrf"
FLOW_SECONDS = 600


def sign(keys: KeyRing, purpose: str, payload: dict[str, Any], seconds: int = FLOW_SECONDS) -> str:
    """`payload` as a cookie's value that cannot be altered without the key."""
    return signed.sign(keys, f"cookie:{purpose}", payload, seconds)


def unsign(keys: KeyRing, purpose: str, value: str | None) -> dict[str, Any] | None:
    """The payload of a cookie `sign` made, or None if altered, malformed or expired."""
    return signed.unsign(keys, f"cookie:{purpose}", value)


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
