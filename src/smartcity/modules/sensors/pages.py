"""sensors' staff page: the hub at a glance and the dead-letter queue."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from smartcity.modules.sensors import drops, repository, service
from smartcity.modules.sensors.auth import StaffPage

router = APIRouter(include_in_schema=False)


def build_router() -> APIRouter:
    """sensors' page routes (the manifest's factory)."""
    return router


@router.get("/staff/sensors", response_class=HTMLResponse)
def hub(ctx: StaffPage) -> Response:
    with ctx.read() as session:
        things, streams, observations = repository.hub_counts(session)
        latest = service.latest(session, ("pm25", "temperature", "humidity"))[:50]
        letters = service.dead_letters(session, 100)
        letter_count = service.dead_letter_count(session)
        recent_drops = drops.recent_drops(session)
        dropped_total = drops.dropped_total(session)
        return ctx.render(
            "sensors/staff.html",
            things=things,
            streams=streams,
            observations=observations,
            latest=latest,
            letters=letters,
            letter_count=letter_count,
            drops=recent_drops,
            dropped_total=dropped_total,
        )
