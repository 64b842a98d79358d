"""livinglab's work pages: those who run a pilot move it through its states, declare and enter
its KPIs, plan its milestones and later mark them done, in the browser, with the API's service
functions underneath.

A refusal (a move the state machine forbids, a KPI without a target) re-renders the page with
the reason and the problem's status.
"""

from __future__ import annotations

import math
import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartcity.core.errors import DomainError, InvalidInput
from smartcity.core.http import PageContext, page_access
from smartcity.core.time import local_today
from smartcity.modules.livinglab import outcomes, rules, service, wording
from smartcity.modules.livinglab.access import caller_for
from smartcity.modules.livinglab.api import livinglab_settings
from smartcity.modules.livinglab.values import Direction, KpiSource

RunnerPage = Annotated[PageContext, Depends(page_access(rules.PARTICIPANTS))]
"""Those who run pilots: host officers, the project office, administrators, the pilot's vendor."""

router = APIRouter(include_in_schema=False)


def build_router() -> APIRouter:
    """The work pages' routes."""
    return router


def _manage_page(
    ctx: PageContext, pilot_id: uuid.UUID, error: str = "", status: int = 200
) -> Response:
    with ctx.read() as session:
        who = caller_for(session, ctx.principal, livinglab_settings(ctx))
        pilot = service.get_pilot(session, who, pilot_id)
        runs = bool(who.actors(pilot))
        kpis = [(kpi, value) for kpi, value in outcomes.kpis_of(session, pilot)]
        return ctx.render(
            "livinglab/manage.html",
            status_code=status,
            pilot=pilot,
            runs=runs,
            moves=service.allowed_next(who, pilot) if runs else [],
            kpis=kpis,
            milestones=service.milestones_of(session, pilot.id),
            history=service.transitions_of(session, pilot.id),
            names=wording.organisation_names(ctx, session, [pilot.department, pilot.vendor]),
            today=local_today().isoformat(),
            error=error,
            **wording.labels(ctx),
        )


def _done(pilot_id: uuid.UUID) -> Response:
    return RedirectResponse(f"/staff/livinglab/pilots/{pilot_id}", status_code=303)


def _refused(ctx: PageContext, pilot_id: uuid.UUID, exc: DomainError) -> Response:
    if exc.status == 404:
        raise exc
    return _manage_page(ctx, pilot_id, ctx._(exc.detail), exc.status)


def _number(value: str) -> float | None:
    """An optional number from a form field; empty is None."""
    return _required_number(value) if value.strip() else None


def _required_number(value: str) -> float:
    text = value.strip().replace(",", "")
    try:
        number = float(text)
    except ValueError:
        raise InvalidInput("give a number", code="invalid_number") from None
    if not math.isfinite(number) or abs(number) > 1e12:
        raise InvalidInput("give a number", code="invalid_number")
    return number


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("give the date as YYYY-MM-DD", code="invalid_date") from None


def _optional_day(value: str) -> date | None:
    return _day(value) if value else None


@router.get("/staff/livinglab/pilots/{pilot_id}", response_class=HTMLResponse)
def manage(pilot_id: uuid.UUID, ctx: RunnerPage) -> Response:
    return _manage_page(ctx, pilot_id)


@router.post("/staff/livinglab/pilots/{pilot_id}/transitions", response_class=HTMLResponse)
def move(
    pilot_id: uuid.UUID,
    ctx: RunnerPage,
    to: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    reference: Annotated[str, Form(max_length=200)] = "",
    department: Annotated[str, Form(max_length=32)] = "",
    agreement_ref: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        with ctx.write() as uow:
            who = caller_for(uow.session, ctx.principal, livinglab_settings(ctx))
            service.transition(
                uow,
                who,
                pilot_id,
                to,
                reason=reason,
                reference=reference,
                department=department or None,
                agreement_ref=agreement_ref or None,
            )
    except DomainError as exc:
        return _refused(ctx, pilot_id, exc)
    return _done(pilot_id)


@router.post("/staff/livinglab/pilots/{pilot_id}/kpis", response_class=HTMLResponse)
def declare_kpi(
    pilot_id: uuid.UUID,
    ctx: RunnerPage,
    name: Annotated[str, Form(max_length=200)] = "",
    unit: Annotated[str, Form(max_length=32)] = "",
    baseline: Annotated[str, Form(max_length=24)] = "",
    target: Annotated[str, Form(max_length=24)] = "",
    direction: Annotated[Direction, Form()] = Direction.HIGHER,
) -> Response:
    try:
        if not name.strip():
            raise InvalidInput("name the KPI", code="kpi_name_missing")
        with ctx.write() as uow:
            who = caller_for(uow.session, ctx.principal, livinglab_settings(ctx))
            outcomes.declare_kpi(
                uow,
                who,
                pilot_id,
                name=name.strip(),
                unit=unit.strip(),
                baseline=_number(baseline),
                target=_number(target),
                direction=direction,
                source=KpiSource.MANUAL,
            )
    except DomainError as exc:
        return _refused(ctx, pilot_id, exc)
    return _done(pilot_id)


@router.post("/staff/livinglab/pilots/{pilot_id}/kpis/{kpi_id}/values", response_class=HTMLResponse)
def record_value(
    pilot_id: uuid.UUID,
    kpi_id: uuid.UUID,
    ctx: RunnerPage,
    value: Annotated[str, Form(max_length=24)] = "",
    note: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    try:
        number = _required_number(value)
        with ctx.write() as uow:
            who = caller_for(uow.session, ctx.principal, livinglab_settings(ctx))
            _kpi, pilot = outcomes.get_kpi(uow.session, who, kpi_id)
            if pilot.id != pilot_id:
                raise InvalidInput("that KPI belongs to another pilot", code="kpi_not_of_pilot")
            outcomes.record_value(uow, who, kpi_id, number, None, note)
    except DomainError as exc:
        return _refused(ctx, pilot_id, exc)
    return _done(pilot_id)


@router.post("/staff/livinglab/pilots/{pilot_id}/milestones", response_class=HTMLResponse)
def add_milestone(
    pilot_id: uuid.UUID,
    ctx: RunnerPage,
    title: Annotated[str, Form(max_length=200)] = "",
    due_on: Annotated[str, Form(max_length=10)] = "",
    done_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    try:
        if not title.strip():
            raise InvalidInput("name the milestone", code="milestone_title_missing")
        with ctx.write() as uow:
            who = caller_for(uow.session, ctx.principal, livinglab_settings(ctx))
            service.add_milestone(
                uow,
                who,
                pilot_id,
                title=title.strip(),
                due_on=_day(due_on),
                done_on=_optional_day(done_on),
            )
    except DomainError as exc:
        return _refused(ctx, pilot_id, exc)
    return _done(pilot_id)


@router.post(
    "/staff/livinglab/pilots/{pilot_id}/milestones/{milestone_id}/done",
    response_class=HTMLResponse,
)
def complete_milestone(
    pilot_id: uuid.UUID,
    milestone_id: uuid.UUID,
    ctx: RunnerPage,
    done_on: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        day = _day(done_on)
        with ctx.write() as uow:
            who = caller_for(uow.session, ctx.principal, livinglab_settings(ctx))
            service.complete_milestone(uow, who, pilot_id, milestone_id, done_on=day, note=note)
    except DomainError as exc:
        return _refused(ctx, pilot_id, exc)
    return _done(pilot_id)
