"""Short-lived values signed with the platform's keys: state carried through a browser or a
chat message that must come back unaltered (sign-in redirects, a LINE link's account)."""

from __future__ import annotations

import base64
import hmac
import json
import time
from typing import Any

from smartcity.core.keys import KeyRing


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(keys: KeyRing, purpose: str, payload: dict[str, Any], seconds: int) -> str:
    """`payload` with an expiry, as URL-safe text that cannot be altered without the key; a
    value signed for one purpose is refused for any other."""
    body = _b64(json.dumps({**payload, "exp": int(time.time()) + seconds}).encode())
    mac = keys.pseudonym(f"signed:{purpose}", body)
    return f"{body}.{mac}"


def unsign(keys: KeyRing, purpose: str, value: str | None) -> dict[str, Any] | None:
    """The payload of a signed value, or None if altered, malformed, expired or signed for
    another purpose."""
    if not value or "." not in value:
        return None
    body, mac = value.rsplit(".", 1)
    if not hmac.compare_digest(mac, keys.pseudonym(f"signed:{purpose}", body)):
        return None
    try:
        payload: dict[str, Any] = json.loads(_unb64(body))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict) or payload.get("exp", 0) < time.time():
        return None
    return payload
