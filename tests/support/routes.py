"""The flat list of an app's routes.

FastAPI 0.16x keeps included routers lazily (`_IncludedRouter`), so
`app.routes` no longer lists every endpoint; this walks the inclusions the
way FastAPI's own URL lookup does. FastAPI is pinned, so this stays stable.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute


def iter_routes(app: Any) -> Iterator[tuple[str, BaseRoute]]:
    """(full path, route) for every route of `app`, included routers flattened."""
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is None:
            yield getattr(route, "path", ""), route
            continue
        for context in contexts():
            yield context.path, context.original_route


def api_routes(app: Any) -> list[tuple[str, APIRoute]]:
    """Only the FastAPI routes (those with dependencies and an endpoint)."""
    return [(path, route) for path, route in iter_routes(app) if isinstance(route, APIRoute)]
