"""Links in answers: web pages, phone numbers and mail addresses, nothing else.

An answer's links become `<a href>` on the public chat page, so a `javascript:` or `data:`
link would run in a citizen's browser. Only these schemes are stored, and links stored
before this rule are left out when an answer is shown.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

from smartcity.core.errors import InvalidInput

SCHEMES = ("https", "http", "tel", "mailto")


def is_allowed(url: str) -> bool:
    """Whether `url` is an https, http, tel or mailto link (http ones with a host)."""
    # Browsers drop tabs, newlines and leading spaces from a URL, so "java\tscript:" runs.
    if not url or any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in url):
        return False
    scheme, colon, rest = url.partition(":")
    scheme = scheme.lower()
    if not colon or scheme not in SCHEMES or not rest:
        return False
    return scheme not in ("http", "https") or bool(urlsplit(url).hostname)


def checked(links: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    """`links` to store, or InvalidInput naming the first that is not https/http/tel/mailto."""
    for link in links:
        url = str(link.get("url", ""))
        if not is_allowed(url):
            raise InvalidInput(
                f"the link {url[:80]!r} is not an https, http, tel or mailto link",
                code="link_refused",
            )
    return [dict(link) for link in links]


def shown(links: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    """The links of a stored item that may be shown (older rows may hold others)."""
    return [dict(link) for link in links if is_allowed(str(link.get("url", "")))]
