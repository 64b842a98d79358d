"""airquality's pages: the public map (no tile server), a device page, and the staff console.

The map is one server-rendered SVG: the estimated surface is the grid PNG as an <image>,
devices are circles coloured by AQI band, flagged devices are ringed, plume paths are lines.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartcity.core.auth import PUBLIC
from smartcity.core.city import CityProfile
from smartcity.core.errors import InvalidInput
from smartcity.core.http import PageContext, page_access
from smartcity.core.i18n import N_
from smartcity.core.time import format_local, isoformat_z, local_today, utcnow
from smartcity.modules.airquality import aqi, history, rules, service
from smartcity.modules.airquality.api import DEVICE_ID, settings_of
from smartcity.modules.airquality.rendering import GridSpec, city_grid
from smartcity.web import charts

Public = Annotated[PageContext, Depends(page_access(PUBLIC))]
Staff = Annotated[PageContext, Depends(page_access(rules.OPERATE))]
SCALE = 3
"""SVG pixels per grid cell of the default map."""
OUTLINES = "airquality.district_outlines"
FLAG_LABELS = {
    "out_of_range": N_("Out of range"),
    "humidity_saturated": N_("Humidity saturated"),
    "stuck": N_("Stuck at one value"),
    "spike": N_("Spike"),
    "spatial_high": N_("Higher than its neighbours"),
    "spatial_low": N_("Lower than its neighbours"),
    "local_emission": N_("Local emission"),
    "indoor": N_("Indoor"),
    "malfunction": N_("Malfunctioning"),
}
"""Each quality flag's name on pages (quality.FLAG_NAMES are the API's)."""
JOB_LABELS = {
    "quality": N_("Quality pass"),
    "calibration": N_("Calibration"),
    "plumes": N_("Plume tracking and alerts"),
}
"""The staff console's jobs by name."""


def _xy(spec: GridSpec, lat: float, lon: float) -> tuple[float, float]:
    x = (lon - spec.west) / (spec.east - spec.west) * spec.width * SCALE
    y = (spec.north - lat) / (spec.north - spec.south) * spec.height * SCALE
    return round(x, 1), round(y, 1)


def district_outlines(city: CityProfile, spec: GridSpec) -> list[dict[str, str]]:
    """Each district's boundary as an SVG path, projected as the map projects devices."""
    outlines = []
    for district in city.districts:
        rings = []
        for polygon in district.boundary:
            for ring in polygon:
                points = [_xy(spec, lat, lon) for lon, lat in ring]
                rings.append("M" + " L".join(f"{x},{y}" for x, y in points) + " Z")
        x, y = _xy(spec, *district.point)
        outlines.append(
            {
                "code": district.code,
                "label": district.label,
                "name_zh": district.name_zh,
                "name_en": district.name_en,
                "path": " ".join(rings),
                "x": str(x),
                "y": str(y),
            }
        )
    return outlines


def _outlines(services: dict[str, Any], city: CityProfile, spec: GridSpec) -> list[dict[str, str]]:
    # The same on every request of a platform: drawn once (tens of ms for a large city).
    drawn = services.get(OUTLINES)
    if drawn is None or drawn[0] != spec:
        drawn = services[OUTLINES] = (spec, district_outlines(city, spec))
    outlines: list[dict[str, str]] = drawn[1]
    return outlines


def _shown_alert(alert: dict[str, Any], locale: str) -> dict[str, Any]:
    """An alert as people read it: the city's local time, the bands by name."""
    names = {b.key: b.name_en if locale.startswith("en") else b.name_zh for b in aqi.BANDS}
    return {
        **alert,
        "time": format_local(datetime.fromisoformat(alert["time"])),
        "from_band": names.get(alert["from_band"] or "", alert["from_band"] or ""),
        "to_band": names.get(alert["to_band"], alert["to_band"]),
    }


def _inside(spec: GridSpec, lat: float, lon: float) -> bool:
    return spec.south <= lat <= spec.north and spec.west <= lon <= spec.east


def build_router() -> APIRouter:
    """airquality's page routes."""
    router = APIRouter(include_in_schema=False)

    @router.get("/airquality", response_class=HTMLResponse)
    def map_page(
        ctx: Public,
        time: Annotated[str | None, Query(max_length=40)] = None,
        q: Annotated[str, Query(max_length=40)] = "",
    ) -> Response:
        now = utcnow()
        when = service.parse_time(time)
        city = ctx.platform.settings.city_profile
        spec = city_grid(city)
        settings = settings_of(ctx.platform)
        with ctx.read() as session:
            points = service.map_points(session, when, settings)
            plumes = service.plume_tracks(session, service.local_day(when))
            if not plumes["tracks"]:
                plumes = service.plume_tracks(session, None)
            alerts = service.district_alerts(session, 10, None)
            newest = None if points else history.newest_reading(session)
            places = (
                history.search_places(
                    city, service.map_points(session, now, settings), q, ctx.locale
                )
                if q.strip()
                else []
            )
        devices = []
        for p in points:
            if not _inside(spec, p["lat"], p["lon"]):
                continue
            x, y = _xy(spec, p["lat"], p["lon"])
            devices.append({**p, "x": x, "y": y})
        tracks = []
        for t in plumes["tracks"]:
            coords = [_xy(spec, step["lat"], step["lon"]) for step in t["path"]]
            tracks.append(
                {
                    **t,
                    "points": " ".join(f"{x},{y}" for x, y in coords),
                    "start_xy": coords[0],
                    "end_xy": coords[-1],
                }
            )
        query = (
            f"time={isoformat_z(when)}&south={spec.south}&west={spec.west}&north={spec.north}"
            f"&east={spec.east}&width={spec.width}&height={spec.height}"
        )
        return ctx.render(
            "airquality/map.html",
            when=when,
            width=spec.width * SCALE,
            height=spec.height * SCALE,
            grid_url=f"/api/v1/airquality/grid.png?{query}",
            contours_url=f"/api/v1/airquality/contours.geojson?{query}",
            devices=devices,
            flagged=sum(1 for d in devices if d["status"] in ("malfunction", "indoor")),
            tracks=tracks,
            plume_day=plumes["day"],
            alerts=[_shown_alert(a, ctx.locale) for a in alerts],
            bands=aqi.BANDS,
            city=city,
            outlines=_outlines(ctx.platform.services, city, spec),
            earlier=isoformat_z(when - timedelta(hours=1)),
            # No walk into the future, where no device has reported yet.
            later=isoformat_z(when + timedelta(hours=1))
            if when + timedelta(hours=1) <= now
            else "",
            is_past=now - when > timedelta(minutes=5),
            newest=newest,
            query=q.strip(),
            places=places,
        )

    @router.get("/airquality/devices/{device_id}", response_class=HTMLResponse)
    def device_page(
        ctx: Public,
        device_id: Annotated[str, Path(pattern=DEVICE_ID)],
        span: Annotated[Literal["day", "week", "month"], Query(alias="range")] = "day",
    ) -> Response:
        now = utcnow()
        with ctx.read() as session:
            health = service.device_health(session, device_id)
            readings = history.pm25_history(session, device_id, now, history.RANGES[span])
        sensitive = aqi.BANDS[2]
        chart = charts.time_series(
            [("PM2.5", readings)],
            title=ctx._("PM2.5 at this device"),
            unit="µg/m³",
            start=now - history.RANGES[span],
            end=now,
            rules=[
                (
                    sensitive.low,
                    sensitive.name_en if ctx.locale.startswith("en") else sensitive.name_zh,
                )
            ],
            empty=ctx._("No readings in this period."),
        )
        last = readings[-1][0] if readings else None
        recent = [
            {**f, "time": format_local(datetime.fromisoformat(f["time"]))}
            for f in health["recent_flags"]
        ]
        return ctx.render(
            "airquality/device.html",
            health=health,
            recent_flags=recent,
            flag_labels={name: ctx._(label) for name, label in FLAG_LABELS.items()},
            chart=chart,
            span=span,
            last=last,
            silent=last is None or now - last > timedelta(hours=1),
        )

    @router.get("/staff/airquality", response_class=HTMLResponse)
    def staff_page(ctx: Staff, done: Annotated[str, Query(max_length=40)] = "") -> Response:
        with ctx.read() as session:
            day, rows = service.ranking(session)
            alerts = service.district_alerts(session, 20, None)
        # Devices in which the pass found nothing are counted, not listed one by one.
        suspect = [r for r in rows if r.malfunction or r.indoor or (r.score or 0) > 0]
        return ctx.render(
            "airquality/staff.html",
            day=day,
            rows=suspect[:100],
            ranked=len(rows),
            quiet=len(rows) - len(suspect),
            alerts=[_shown_alert(a, ctx.locale) for a in alerts],
            today=local_today().isoformat(),
            done=ctx._(JOB_LABELS[done]) if done in JOB_LABELS else "",
        )

    @router.post("/staff/airquality/run", response_class=HTMLResponse)
    def staff_run(
        ctx: Staff,
        kind: Annotated[str, Form(max_length=20)] = "",
        day: Annotated[str, Form(max_length=10)] = "",
    ) -> Response:
        if kind not in JOB_LABELS:
            raise InvalidInput("choose quality, calibration or plumes", code="invalid_kind")
        parsed = service.parse_day(day)
        args = (ctx.platform, ctx.principal, parsed, settings_of(ctx.platform))
        if kind == "quality":
            service.assess_day(*args, request_id=ctx.request_id)
        elif kind == "calibration":
            service.calibrate_day(*args, request_id=ctx.request_id)
        else:
            service.track_day(*args, request_id=ctx.request_id)
        return RedirectResponse(f"/staff/airquality?done={kind}", status_code=303)

    return router
