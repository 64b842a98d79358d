"""sensors' staff page: the hub at a glance and the dead-letter queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from smartcity.core.http import PageContext, page_access
from smartcity.modules.sensors import drops, rules, service
from smartcity.modules.sensors.models import Datastream, Observation, Thing

Staff = Annotated[PageContext, Depends(page_access(rules.STAFF))]


def build_router() -> APIRouter:
    """sensors' page routes."""
    router = APIRouter(include_in_schema=False)

    @router.get("/staff/sensors", response_class=HTMLResponse)
    def hub(ctx: Staff) -> Response:
        with ctx.read() as session:
            things = int(session.execute(select(func.count(Thing.id))).scalar() or 0)
            streams = int(session.execute(select(func.count(Datastream.id))).scalar() or 0)
            observations = int(session.execute(select(func.count(Observation.id))).scalar() or 0)
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

    return router
