"""airquality's JSON API at /api/v1/airquality: open data, estimates, maps, flags, plumes.

Reads are public open data; running the quality pass, calibration and plume tracking
is for officers and administrators.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from smartcity.core.city import CityProfile
from smartcity.core.csvfile import CSVResponse
from smartcity.core.http import RequestContext
from smartcity.core.ratelimit import throttle
from smartcity.core.time import isoformat_z
from smartcity.modules.airquality import rules, service
from smartcity.modules.airquality.adapters import AIRBOX_FIELDS
from smartcity.modules.airquality.auth import Operator, Public
from smartcity.modules.airquality.maps import Snapshot
from smartcity.modules.airquality.readings import FloatArray
from smartcity.modules.airquality.rendering import (
    GridSpec,
    city_grid,
    contours_geojson,
    render_png,
)
from smartcity.modules.airquality.schemas import AirboxDocument, EstimateOut, RunIn, RunOut

# Re-exported: pages.py imports the settings accessor from here.
from smartcity.modules.airquality.service import settings_of as settings_of

DEVICE_ID = r"^[A-Za-z0-9._:\-]{1,64}$"
"""A device id in a path: what LASS devices are named (the pages use it too)."""

router = APIRouter(tags=["airquality"])


def _surface(ctx: RequestContext, q: GridQuery) -> tuple[GridSpec, datetime, FloatArray, Snapshot]:
    """The estimated surface a map route asks for, its time and grid checked: (grid spec,
    time, estimates, the snapshot they were made from)."""
    throttle(ctx, "airquality-surface", rules.SURFACES)
    when = service.parse_time(q.time)
    spec = service.check_grid(q.spec(ctx.platform.settings.city_profile))
    with ctx.read() as session:
        grid, snap = service.grid_at(session, spec, when, settings_of(ctx.platform), q.method)
    return spec, when, grid, snap


def build_router() -> APIRouter:
    """airquality's API routes (the manifest's factory)."""
    return router


class GridQuery:
    """The query of a map grid: extent, size, time and method; the city's map by default."""

    def __init__(
        self,
        time: Annotated[
            str | None, Query(max_length=40, description="ISO 8601; now if absent")
        ] = None,
        south: Annotated[float | None, Query(ge=-90, le=90)] = None,
        west: Annotated[float | None, Query(ge=-180, le=180)] = None,
        north: Annotated[float | None, Query(ge=-90, le=90)] = None,
        east: Annotated[float | None, Query(ge=-180, le=180)] = None,
        width: Annotated[int | None, Query(ge=2, le=500)] = None,
        height: Annotated[int | None, Query(ge=2, le=500)] = None,
        method: Literal["kriging", "idw"] = "kriging",
    ) -> None:
        self.time = time
        self.given = (south, west, north, east, width, height)
        self.method: Literal["kriging", "idw"] = method

    def spec(self, city: CityProfile) -> GridSpec:
        """The grid asked for, each part not given taken from the city's map."""
        default = city_grid(city)
        south, west, north, east, width, height = self.given
        return GridSpec(
            default.south if south is None else south,
            default.west if west is None else west,
            default.north if north is None else north,
            default.east if east is None else east,
            default.width if width is None else width,
            default.height if height is None else height,
        )


@router.get(
    "/last-all-airbox.json",
    response_model=AirboxDocument,
    summary="Every device's latest reading in the Airbox open-data form",
)
def last_all_airbox(ctx: Public) -> dict[str, Any]:
    with ctx.read() as session:
        return service.airbox_document(session)


@router.get("/last-all-airbox.csv", response_class=CSVResponse, summary="The same feeds as CSV")
def last_all_airbox_csv(ctx: Public) -> Response:
    with ctx.read() as session:
        document = service.airbox_document(session)
    # Device owners name their sites: a name such as =HYPERLINK(…) is written as text.
    return CSVResponse(AIRBOX_FIELDS, document["feeds"], filename="last-all-airbox.csv")


@router.get(
    "/devices/{device_id}/health",
    summary="A device's quality flags, health summary and place in the malfunction ranking",
)
def device_health(
    ctx: Public, device_id: Annotated[str, Path(pattern=DEVICE_ID)]
) -> dict[str, Any]:
    with ctx.read() as session:
        return service.device_health(session, device_id)


@router.get("/estimate", response_model=EstimateOut, summary="PM2.5 at a point and time")
def estimate(
    ctx: Public,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    time: Annotated[str | None, Query(max_length=40)] = None,
    method: Literal["kriging", "idw"] = "kriging",
) -> dict[str, Any]:
    throttle(ctx, "airquality-surface", rules.SURFACES)
    when = service.parse_time(time)
    with ctx.read() as session:
        return service.estimate_at(session, lat, lon, when, settings_of(ctx.platform), method)


@router.get(
    "/grid.png",
    response_class=Response,
    summary="The estimated surface as a PNG coloured by AQI band (north up)",
    responses={200: {"content": {"image/png": {}}}},
)
def grid_png(ctx: Public, q: Annotated[GridQuery, Depends()]) -> Response:
    _spec, _when, grid, _snap = _surface(ctx, q)
    return Response(
        render_png(grid), media_type="image/png", headers={"Cache-Control": "max-age=60"}
    )


@router.get(
    "/contours.geojson",
    summary="AQI band isolines of the estimated surface as GeoJSON",
    responses={200: {"content": {"application/geo+json": {}}}},
)
def contours(ctx: Public, q: Annotated[GridQuery, Depends()]) -> Response:
    spec, when, grid, snap = _surface(ctx, q)
    document = contours_geojson(grid, spec)
    document["properties"] = {
        "time": isoformat_z(when),
        "method": q.method,
        "devices": len(snap.device_ids),
    }
    return Response(json.dumps(document), media_type="application/geo+json")


@router.get("/plumes", summary="Plume tracks of a day (path, speed, direction)")
def plumes(
    ctx: Public,
    day: Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD")] = None,
) -> dict[str, Any]:
    parsed = service.parse_day(day) if day else None
    with ctx.read() as session:
        return service.plume_tracks(session, parsed)


@router.get("/alerts", summary="District AQI band crossings, newest first")
def alerts(
    ctx: Public,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    district: Annotated[str | None, Query(max_length=32)] = None,
) -> list[dict[str, Any]]:
    with ctx.read() as session:
        return service.district_alerts(session, limit, district)


@router.get("/ranking", summary="The malfunction ranking of a day (newest by default)")
def ranking(
    ctx: Public,
    day: Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD")] = None,
) -> dict[str, Any]:
    parsed = service.parse_day(day) if day else None
    with ctx.read() as session:
        found, rows = service.ranking(session, parsed)
        return {
            "day": found.isoformat() if found else None,
            "devices": [
                {
                    "device_id": r.device_id,
                    "rank": r.rank,
                    "score": r.score,
                    "malfunction": r.malfunction,
                    "indoor": r.indoor,
                }
                for r in rows
            ],
        }


@router.post(
    "/runs/{kind}",
    response_model=RunOut,
    summary="Run the quality pass, calibration or plume tracking for a day",
)
def run(
    ctx: Operator, kind: Literal["quality", "calibration", "plumes"], body: RunIn
) -> dict[str, Any]:
    settings = settings_of(ctx.platform)
    day = service.check_day(body.day)
    args = (ctx.platform, ctx.principal, day, settings)
    if kind == "quality":
        detail: Any = service.assess_day(*args, request_id=ctx.request_id).as_dict()
    elif kind == "calibration":
        detail = {"stations": service.calibrate_day(*args, request_id=ctx.request_id)}
    else:
        detail = service.track_day(*args, request_id=ctx.request_id)
    return {"day": day.isoformat(), "detail": detail}
