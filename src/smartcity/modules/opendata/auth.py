"""Every opendata route's one authorisation dependency, as a typed alias (ADR 21).

CKAN clients send their API key bare in `Authorization` or in `X-CKAN-API-Key` (ckanapi
sends both), so the Action API reads those as well as `Bearer`. An unknown key is not an
error of the edge: the action answers CKAN's own 403 envelope.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from smartcity.core.auth import ANONYMOUS, PUBLIC, Principal, Rule
from smartcity.core.http import (
    PageContext,
    RequestContext,
    page_access,
    platform_of,
    request_id_of,
    unauthenticated,
)
from smartcity.core.platform import Platform
from smartcity.modules.opendata import rules


@dataclass
class CkanContext(RequestContext):
    """A request context for the Action API: the caller, or why its key was refused."""

    refusal: str | None = None


def ckan_key(request: Request) -> str | None:
    """The API key a CKAN client sent, if any."""
    header = request.headers.get("authorization") or request.headers.get("x-ckan-api-key")
    if not header or not header.strip():
        return None
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() == "bearer" and rest.strip():
        return rest.strip()
    return header.strip()


def _look_up(platform: Platform, token: str) -> Principal | None:
    if platform.authenticator is None:
        return None
    session = platform.db.read_session()
    try:
        return platform.authenticator.from_bearer(session, token)
    finally:
        session.close()


def ckan_access(rule: Rule) -> Callable[[Request], Awaitable[CkanContext]]:
    """Dependency for the Action API: the caller named by a CKAN-style key, under `rule`."""

    async def dependency(request: Request) -> CkanContext:
        platform = platform_of(request)
        token = ckan_key(request)
        principal, refusal = ANONYMOUS, None
        if token is not None:
            authenticator = platform.authenticator
            found = authenticator.remembered(token) if authenticator else None
            if found is None:
                found = await run_in_threadpool(_look_up, platform, token)
            if found is None:
                refusal = "the API key is unknown, expired or revoked"
            else:
                principal = rule.caller(found)
        return CkanContext(request, platform, principal, request_id_of(request), refusal)

    dependency.rule = rule  # type: ignore[attr-defined]  # read by the authorisation matrix
    dependency.surface = "api"  # type: ignore[attr-defined]  # credentials: an API key
    return dependency


Catalogue = Annotated[CkanContext, Depends(ckan_access(rules.CATALOGUE))]
"""Anyone reads; staff with the `opendata` scope also write (checked per action)."""
Open = Annotated[RequestContext, Depends(unauthenticated(PUBLIC))]
"""The DCAT documents: public catalogue, no credential read."""
PublicPage = Annotated[PageContext, Depends(page_access(PUBLIC))]
"""The data portal's pages."""
HarvestConsole = Annotated[PageContext, Depends(page_access(rules.HARVEST))]
"""The harvest console (the office department is checked in the route)."""
