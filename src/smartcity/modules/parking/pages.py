"""parking's pages: the public map of free bays, and the officers' console."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from smartcity.core.time import utcnow
from smartcity.modules.parking import console, service
from smartcity.modules.parking.auth import PublicPage, StaffPage
from smartcity.web import charts


def build_router() -> APIRouter:
    """parking's page routes."""
    router = APIRouter(include_in_schema=False)

    @router.get("/parking", response_class=HTMLResponse)
    def map_page(ctx: PublicPage) -> Response:
        with ctx.read() as session:
            drawn = service.parking_map(session, ctx.platform.settings.city_profile)
        return ctx.render("parking/map.html", map=drawn)

    @router.get("/staff/parking", response_class=HTMLResponse)
    def console_page(ctx: StaffPage) -> Response:
        settings = service.settings_of(ctx.platform)
        now = utcnow()
        with ctx.read() as session:
            view = console.console_of(session, ctx.principal, settings, now)
        chart = charts.time_series(
            [(ctx._("Occupied bays"), view.occupancy)],
            title=ctx._("Occupancy over the last 24 hours"),
            unit="%",
            start=now - timedelta(days=1),
            end=now,
            empty=ctx._("No sensed bays yet."),
            covers=(0, 100),
        )
        return ctx.render("parking/console.html", console=view, chart=chart)

    return router
