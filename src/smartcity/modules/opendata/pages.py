"""The data portal: search with facets, and each dataset with a preview of its records."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from smartcity.core.errors import DomainError
from smartcity.modules.opendata import service
from smartcity.modules.opendata.auth import PublicPage
from smartcity.modules.opendata.errors import DatasetNotFound

router = APIRouter(include_in_schema=False)

FACETS = ("organization", "groups", "tags", "res_format")
PREVIEW_ROWS = 20


def _call(ctx: PublicPage, params: dict[str, Any]) -> service.Call:
    return service.Call(ctx.platform, ctx.principal, params, ctx.platform.settings.base_url)


@router.get("/opendata", response_class=HTMLResponse)
def portal(
    ctx: PublicPage,
    q: str = "",
    organization: str = "",
    groups: str = "",
    tags: str = "",
    res_format: str = "",
    page: int = 1,
) -> HTMLResponse:
    """Search the catalogue; facets narrow it."""
    chosen = {
        "organization": organization,
        "groups": groups,
        "tags": tags,
        "res_format": res_format,
    }
    fq = " ".join(f'{field}:"{value}"' for field, value in chosen.items() if value)
    page = max(1, min(page, 1000))
    params = {
        "q": q,
        "fq": fq,
        "rows": 20,
        "start": (page - 1) * 20,
        "facet.field": list(FACETS),
        "facet.limit": 20,
    }
    problem = None
    try:
        with ctx.read() as session:
            found = service.READS["package_search"](session, _call(ctx, params))
    except DomainError as exc:
        problem = exc.detail
        found = {"count": 0, "results": [], "search_facets": {}}
    return ctx.render(
        "opendata/portal.html",
        found=found,
        q=q,
        chosen=chosen,
        page=page,
        pages=max(1, (found["count"] + 19) // 20),
        problem=problem,
    )


@router.get("/opendata/dataset/{name}", response_class=HTMLResponse)
def dataset(name: str, ctx: PublicPage) -> HTMLResponse:
    """A dataset: its description, resources, a preview of its live table and API examples."""
    with ctx.read() as session:
        try:
            package = service.READS["package_show"](session, _call(ctx, {"id": name}))
        except DatasetNotFound:
            raise
        previews = {}
        for resource in package["resources"]:
            if resource["datastore_active"]:
                previews[resource["id"]] = service.READS["datastore_search"](
                    session,
                    _call(ctx, {"resource_id": resource["id"], "limit": PREVIEW_ROWS}),
                )
    return ctx.render(
        "opendata/dataset.html",
        package=package,
        previews=previews,
        base_url=ctx.platform.settings.base_url.rstrip("/"),
    )


def build_router() -> APIRouter:
    """The portal's pages (the manifest's lazy factory)."""
    return router
