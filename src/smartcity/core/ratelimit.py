"""Rate limits per client on sign-in, credential-like look-ups and costly endpoints.

The `limits` library counts (moving windows, so a burst across a window's edge is still
one window's worth); where its counters live is the operator's choice through
`SMARTCITY_RATE_LIMIT_STORAGE`: each worker's memory by default, or Redis for counters
that every worker and host share (docs/adr/0013-rate-limits-and-lockout.md). Account
lockout, which must be shared whatever is set here, is the identity module's and lives
in the database.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from smartcity.core.auth import Principal
from smartcity.core.errors import TooManyRequests
from smartcity.core.http import RequestContext
from smartcity.core.platform import Platform

Rates = tuple[RateLimitItem, ...]
"""One or more limits that all apply, e.g. `rates("20/minute; 200/hour")`."""

_SERVICE = "rate_limiter"
_made = threading.Lock()


def rates(text: str) -> Rates:
    """Limits in the `limits` notation: `10/minute`, `5 per 15 minutes; 50 per day`."""
    return tuple(parse_many(text))


class RateLimiter:
    """Counts requests per (kind of request, client) in the configured storage."""

    def __init__(self, storage_uri: str) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def hit(self, limits: Sequence[RateLimitItem], *identifiers: str) -> None:
        """Count one request, or raise 429 if it would exceed any of `limits`."""
        for item in limits:
            if not self._limiter.test(item, *identifiers):
                reset, _remaining = self._limiter.get_window_stats(item, *identifiers)
                raise TooManyRequests(
                    f"請求過於頻繁，請稍後再試。Too many requests of this kind (at most {item}).",
                    retry_after=math.ceil(reset - time.time()),
                )
        for item in limits:
            self._limiter.hit(item, *identifiers)


def limiter_of(platform: Platform) -> RateLimiter:
    """The platform's rate limiter, made on first use from its settings."""
    with _made:
        if _SERVICE not in platform.services:
            platform.services[_SERVICE] = RateLimiter(platform.settings.rate_limit_storage)
    limiter: RateLimiter = platform.services[_SERVICE]
    return limiter


def client_address(request: Request) -> str:
    """The client's IP address (behind a proxy: the one uvicorn's proxy headers name)."""
    return request.client.host if request.client else "unknown"


def caller_key(request: Request, principal: Principal) -> str:
    """Whom a limit counts: a signed-in caller by identity, anyone else by address."""
    if principal.is_authenticated:
        return f"{principal.kind}:{principal.id}"
    return f"ip:{client_address(request)}"


def throttle(ctx: RequestContext, name: str, limits: Rates) -> None:
    """Count this request of kind `name` for its caller; 429 when over `limits`."""
    limiter_of(ctx.platform).hit(limits, name, caller_key(ctx.request, ctx.principal))
