"""alerts' JSON API at /api/v1/alerts: devices report events; officers work their console."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from smartcity.modules.alerts import service
from smartcity.modules.alerts.auth import Console, Device
from smartcity.modules.alerts.intake import take_event
from smartcity.modules.alerts.schemas import (
    EVENT_EXAMPLE,
    AlertOut,
    DeadLetterOut,
    ResolveIn,
    event_schema,
)
from smartcity.modules.alerts.values import Source

router = APIRouter(tags=["alerts"])


def build_router() -> APIRouter:
    """alerts' API routes (the manifest's factory)."""
    return router


@router.post(
    "/events",
    response_model=AlertOut,
    status_code=201,
    summary="Report an event (201 stored; 200 a replay of a stored one)",
    responses={200: {"model": AlertOut, "description": "A replay: the alert stored before"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": event_schema(),
                    "example": EVENT_EXAMPLE,
                }
            },
        }
    },
)
async def report_event(request: Request, ctx: Device) -> JSONResponse:
    # The body is read raw, not by FastAPI: what cannot be parsed is kept as a dead letter.
    raw = await request.body()
    taken = take_event(
        ctx.platform,
        ctx.principal,
        raw,
        source=Source.HTTP,
        owner=ctx.principal.organisation or "",
        sender=ctx.principal.organisation or "",
        request_id=ctx.request_id,
    )
    return JSONResponse(
        taken.alert.model_dump(mode="json", by_alias=True),
        status_code=201 if taken.created else 200,
    )


@router.get("/list", response_model=list[AlertOut], summary="The department's alerts, newest first")
def list_alerts(
    ctx: Console,
    all_states: Annotated[bool, Query(alias="all")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AlertOut]:
    with ctx.read() as session:
        return [
            AlertOut.of(alert, device)
            for alert, device in service.visible_alerts(
                session, ctx.principal, open_only=not all_states, limit=limit
            )
        ]


@router.get(
    "/dead-letters", response_model=list[DeadLetterOut], summary="Refused events, newest first"
)
def dead_letters(
    ctx: Console, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[DeadLetterOut]:
    with ctx.read() as session:
        return [
            DeadLetterOut.of(row) for row in service.dead_letters(session, ctx.principal, limit)
        ]


@router.get("/{alert_id}", response_model=AlertOut, summary="One alert")
def get_alert(alert_id: uuid.UUID, ctx: Console) -> AlertOut:
    with ctx.read() as session:
        return AlertOut.of(*service.get_alert(session, ctx.principal, alert_id))


@router.post("/{alert_id}/acknowledge", response_model=AlertOut, summary="Acknowledge")
def acknowledge(alert_id: uuid.UUID, ctx: Console) -> AlertOut:
    with ctx.write() as uow:
        return AlertOut.of(*service.acknowledge(uow, alert_id))


@router.post(
    "/{alert_id}/resolve", response_model=AlertOut, summary="Confirm, or mark a false alarm"
)
def resolve(alert_id: uuid.UUID, body: ResolveIn, ctx: Console) -> AlertOut:
    with ctx.write() as uow:
        return AlertOut.of(*service.resolve(uow, alert_id, body.verdict, body.note))
