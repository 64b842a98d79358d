"""alerts' officer console at /staff/alerts: open alerts of the department, refused events."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

import smartcity.modules.identity.service as identity
from smartcity.core.auth import Role
from smartcity.core.errors import DomainError
from smartcity.core.http import PageContext
from smartcity.modules.alerts import service
from smartcity.modules.alerts.auth import ConsolePage
from smartcity.modules.alerts.values import SEVERITY_RANK, Severity, Verdict


def _console(ctx: PageContext, problem: str = "", status_code: int = 200) -> Response:
    with ctx.read() as session:
        alerts = service.visible_alerts(session, ctx.principal)
        # The most severe first; within a severity, newest first (the query's order).
        alerts.sort(key=lambda pair: -SEVERITY_RANK[Severity(pair[0].severity)])
        return ctx.render(
            "alerts/console.html",
            status_code=status_code,
            alerts=alerts,
            departments=identity.organisation_names(
                session, [alert.department for alert, _device in alerts], ctx.locale
            ),
            letters=service.dead_letters(session, ctx.principal, 50),
            everyone=ctx.principal.role == Role.ADMIN,
            problem=problem,
        )


router = APIRouter(include_in_schema=False)


def build_router() -> APIRouter:
    """alerts' page routes (the manifest's factory)."""
    return router


@router.get("/staff/alerts", response_class=HTMLResponse)
def console(ctx: ConsolePage) -> Response:
    return _console(ctx)


@router.post("/staff/alerts/{alert_id}/acknowledge", response_class=HTMLResponse)
def acknowledge(alert_id: uuid.UUID, ctx: ConsolePage) -> Response:
    try:
        with ctx.write() as uow:
            service.acknowledge(uow, alert_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _console(ctx, exc.detail, exc.status)
    return RedirectResponse("/staff/alerts", status_code=303)


@router.post("/staff/alerts/{alert_id}/resolve", response_class=HTMLResponse)
def resolve(
    alert_id: uuid.UUID,
    ctx: ConsolePage,
    verdict: Annotated[Verdict, Form()],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        with ctx.write() as uow:
            service.resolve(uow, alert_id, verdict, note)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _console(ctx, exc.detail, exc.status)
    return RedirectResponse("/staff/alerts", status_code=303)
