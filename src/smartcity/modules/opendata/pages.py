"""The data portal: search with facets, and each dataset with previews of its records (the
first rows, a chart of its time series, a map of its places)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from smartcity.core.errors import DomainError
from smartcity.core.i18n import N_
from smartcity.core.time import format_local
from smartcity.modules.opendata import console, previews, service
from smartcity.modules.opendata.auth import PublicPage
from smartcity.modules.opendata.values import Frequency

router = APIRouter(include_in_schema=False)

FACETS = ("organization", "groups", "tags", "res_format")
PREVIEW_ROWS = 20
FREQUENCY_NAMES = {
    Frequency.CONTINUOUS.value: N_("As data arrives"),
    Frequency.HOURLY.value: N_("Hourly"),
    Frequency.DAILY.value: N_("Daily"),
    Frequency.MONTHLY.value: N_("Monthly"),
    Frequency.IRREGULAR.value: N_("When something changes"),
}
"""Each update frequency's name on pages (the API answers the code)."""


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


def _local(ckan_time: str | None) -> str:
    """A CKAN time (UTC, no zone suffix) in the city's time."""
    return format_local(datetime.fromisoformat(ckan_time)) if ckan_time else ""


def _shown(preview: dict[str, Any]) -> list[dict[str, Any]]:
    """The preview's records with their timestamps in the city's time (and averages' float
    noise rounded off)."""
    times = [field["id"] for field in preview["fields"] if field["type"] == "timestamp"]
    return [
        {
            **{k: round(v, 6) if isinstance(v, float) else v for k, v in record.items()},
            **{name: _local(str(record[name]).rstrip("Z")) for name in times if record[name]},
        }
        for record in preview["records"]
    ]


def _previews(ctx: PublicPage, session: Any, package: dict[str, Any]) -> dict[str, Any]:
    """Per live resource: its first records, and a chart and a map where the data has them."""
    registration = service.registrations(ctx.platform).get(package["name"])
    spatial = json.loads(package["spatial"]) if package.get("spatial") else None
    english = ctx.locale.startswith("en") and package.get("title_en")
    title = str(package["title_en"] if english else package["title"])
    found: dict[str, Any] = {}
    for resource in package["resources"]:
        if not resource["datastore_active"]:
            continue
        read = service.READS["datastore_search"]
        first = read(session, _call(ctx, {"resource_id": resource["id"], "limit": PREVIEW_ROWS}))
        shown: dict[str, Any] = {"fields": first["fields"], "records": _shown(first)}
        time = previews.time_field(first["fields"], registration)
        params = {"resource_id": resource["id"], "limit": previews.CHART_SAMPLE}
        newest = first
        # A dataset that changes only now and then (pilots, KPIs) is no time series.
        if time is not None and package.get("frequency") != Frequency.IRREGULAR.value:
            newest = read(session, _call(ctx, {**params, "sort": f"{time} desc"}))
            plan = previews.chart_plan(newest["records"], newest["fields"], registration)
            chart = previews.time_series(newest["records"], plan, title=title) if plan else None
            if chart is not None and chart.has_values:
                shown["chart"] = chart
        if previews.has_places(first["fields"]):
            if newest is first:
                newest = read(session, _call(ctx, {**params, "limit": previews.MAP_SAMPLE}))
            label = "name" if any(f["id"] == "name" for f in first["fields"]) else None
            shown["map"] = previews.data_map(
                ctx.platform.settings.city_profile, newest["records"], spatial, label
            )
        found[resource["id"]] = shown
    return found


@router.get("/opendata/dataset/{name}", response_class=HTMLResponse)
def dataset(name: str, ctx: PublicPage) -> HTMLResponse:
    """A dataset: its description, resources, previews of its live tables and API examples."""
    with ctx.read() as session:
        package = service.READS["package_show"](session, _call(ctx, {"id": name}))
        shown = _previews(ctx, session, package)
    return ctx.render(
        "opendata/dataset.html",
        package=package,
        previews=shown,
        modified=_local(package["metadata_modified"]),
        temporal=(_local(package.get("temporal_start")), _local(package.get("temporal_end"))),
        frequency_names=FREQUENCY_NAMES,
        city=ctx.platform.settings.city_profile,
        preview_sample=previews.CHART_SAMPLE,
        base_url=ctx.platform.settings.base_url.rstrip("/"),
    )


def build_router() -> APIRouter:
    """The portal's pages and the harvest console (the manifest's lazy factory)."""
    pages = APIRouter(include_in_schema=False)
    pages.include_router(router)
    pages.include_router(console.router)
    return pages
