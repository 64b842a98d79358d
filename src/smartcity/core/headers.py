"""The security headers on every response: Content-Security-Policy, HSTS, framing, cookies.

`EdgeMiddleware` applies `SecurityHeaders` to each response. A page that needs a different
policy (the API docs, an OAuth page that posts back to a client) builds it with `policy()` and
sets it on its response; the edge keeps a policy a response already carries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

# No inline script or style, no plug-ins, no <base>, no framing (CSP Level 3). Templates are
# the only source of markup and every script and style sheet is a file under /static, so an
# injected attribute or element can do nothing even if escaping were ever missed.
PAGE_POLICY: Mapping[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),
    "object-src": ("'none'",),
    "base-uri": ("'none'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}

HSTS = "max-age=31536000"
"""A year; no includeSubDomains, since other hosts of a city's domain may not serve HTTPS yet."""

_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?$")


def policy(
    base: Mapping[str, tuple[str, ...]] = PAGE_POLICY, *, form_targets: Iterable[str] = ()
) -> str:
    """A Content-Security-Policy header value; `form_targets` are URLs forms may lead to.

    Browsers check `form-action` against every redirect that follows a form submission, so a
    page whose form ends in a redirect to another site (OAuth consent) must name that site.
    """
    directives = {name: list(sources) for name, sources in base.items()}
    for url in form_targets:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        # Only a plain origin can become a source: nothing that could end the directive.
        if _ORIGIN.match(origin) and origin not in directives["form-action"]:
            directives["form-action"].append(origin)
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


class SecurityHeaders:
    """Adds the security headers to a response's ASGI header list.

    `https` means the site is served over HTTPS (forced on in production): every cookie is
    then marked Secure, whichever code set it, and browsers are told to keep to HTTPS.
    """

    def __init__(self, *, https: bool) -> None:
        self.https = https
        self.default_policy = policy().encode()

    def apply(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """`headers` with the security headers added (and cookies made Secure under HTTPS)."""
        out = []
        has_policy = False
        for name, value in headers:
            lowered = name.lower()
            if lowered == b"content-security-policy":
                has_policy = True
            elif lowered == b"set-cookie" and self.https and not _is_secure(value):
                value += b"; Secure"
            out.append((name, value))
        if not has_policy:
            out.append((b"content-security-policy", self.default_policy))
        out += [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"x-frame-options", b"DENY"),
        ]
        if self.https:
            out.append((b"strict-transport-security", HSTS.encode()))
        return out


def _is_secure(cookie: bytes) -> bool:
    attributes = (part.strip().lower() for part in cookie.split(b";")[1:])
    return b"secure" in attributes
