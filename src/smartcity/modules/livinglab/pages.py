"""livinglab's pages: the public dashboard, pilot pages, challenges, barriers, pilots
elsewhere, and the staff overview. Server-rendered; charts are inline SVG."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartcity.core.errors import DomainError
from smartcity.core.http import PageContext, page_access
from smartcity.modules.livinglab import (
    dashboard,
    exchange,
    outcomes,
    ranking,
    rules,
    service,
    wording,
)
from smartcity.modules.livinglab import kpis as kpi_values
from smartcity.modules.livinglab.access import caller_for
from smartcity.modules.livinglab.api import livinglab_settings
from smartcity.modules.livinglab.values import BarrierStatus, Domain, PilotState, Track

Public = Annotated[PageContext, Depends(page_access(rules.OPEN))]
Citizen = Annotated[PageContext, Depends(page_access(rules.CITIZEN))]
Staff = Annotated[PageContext, Depends(page_access(rules.STAFF))]


def _choice(value: str, allowed: type) -> str | None:
    try:
        return str(allowed(value).value) if value else None
    except ValueError:
        return None


DASHBOARD_PAGE = 25
"""Pilots a page of the public dashboard lists (a phone scrolls through 25, not 155)."""


def build_router() -> APIRouter:
    """livinglab's page routes."""
    router = APIRouter(include_in_schema=False)

    @router.get("/livinglab", response_class=HTMLResponse)
    def dashboard_page(
        ctx: Public,
        state: str = "",
        domain: str = "",
        track: str = "",
        year: str = "",
        page: Annotated[int, Query(ge=1, le=1000)] = 1,
    ) -> Response:
        with ctx.read() as session:
            figures = dashboard.summary(session)
            chosen_year = int(year) if year.isdigit() and len(year) == 4 else None
            first = (page - 1) * DASHBOARD_PAGE
            # One more than the page holds tells whether a next page exists.
            pilots = service.list_pilots(
                session,
                state=_choice(state, PilotState),
                domain=_choice(domain, Domain),
                track=_choice(track, Track),
                year=chosen_year,
                limit=first + DASHBOARD_PAGE + 1,
            )[first:]
            words = wording.labels(ctx)
            charts = {  # each figure as an inline SVG bar chart
                "domain": dashboard.bar_chart(
                    figures["by_domain"], words["domains"], title=ctx._("By domain")
                ),
                "state": dashboard.bar_chart(
                    {k: v for k, v in figures["by_state"].items() if v},
                    words["states"],
                    title=ctx._("By state"),
                ),
                "year": dashboard.bar_chart(figures["by_year"], {}, title=ctx._("By year")),
                "track": dashboard.bar_chart(
                    figures["by_track"], words["tracks"], title=ctx._("By track")
                ),
            }
            shown = pilots[:DASHBOARD_PAGE]
            return ctx.render(
                "livinglab/dashboard.html",
                figures=figures,
                charts=charts,
                pilots=shown,
                page=page,
                more=len(pilots) > DASHBOARD_PAGE,
                names=wording.organisation_names(ctx, session, [p.department for p in shown]),
                filters={"state": state, "domain": domain, "track": track, "year": year},
                **words,
            )

    def _pilot_page(
        ctx: PageContext, pilot_id: uuid.UUID, message: str = "", status: int = 200
    ) -> Response:
        with ctx.read() as session:
            who = caller_for(session, ctx.principal, livinglab_settings(ctx))
            pilot = service.get_pilot(session, who, pilot_id)
            kpis = []
            for kpi, value in outcomes.kpis_of(session, pilot):
                kpis.append(
                    {
                        "kpi": kpi,
                        "value": value,
                        "met": kpi_values.meets(kpi, value.current),
                        "chart": dashboard.kpi_chart(
                            value.series,
                            target=kpi.target,
                            baseline=kpi.baseline,
                            unit=kpi.unit,
                            title=kpi.name,
                        ),
                    }
                )
            return ctx.render(
                "livinglab/pilot.html",
                status_code=status,
                pilot=pilot,
                kpis=kpis,
                history=service.transitions_of(session, pilot.id),
                milestones=service.milestones_of(session, pilot.id),
                bookings=service.bookings_of(session, pilot.id),
                field_names={f.id: f.name for f in service.list_fields(session)},
                barriers=outcomes.list_barriers(session, pilot_id=pilot.id),
                feedback=outcomes.feedback_summary(session, pilot),
                evaluation=outcomes.evaluation_of(session, pilot),
                open_for_feedback=PilotState(pilot.state) in outcomes.FEEDBACK_STATES,
                names=wording.organisation_names(ctx, session, [pilot.department, pilot.vendor]),
                message=message,
                **wording.labels(ctx),
            )

    @router.get("/livinglab/pilots/{pilot_id}", response_class=HTMLResponse)
    def pilot_page(pilot_id: uuid.UUID, ctx: Public) -> Response:
        return _pilot_page(ctx, pilot_id)

    @router.post("/livinglab/pilots/{pilot_id}/feedback", response_class=HTMLResponse)
    def give_feedback(
        pilot_id: uuid.UUID,
        ctx: Citizen,
        rating: Annotated[int, Form(ge=1, le=5)],
        comment: Annotated[str, Form(max_length=2000)] = "",
        would_use: Annotated[str, Form(max_length=5)] = "",
    ) -> Response:
        try:
            with ctx.write() as uow:
                who = caller_for(uow.session, ctx.principal, livinglab_settings(ctx))
                outcomes.give_feedback(
                    uow,
                    who,
                    pilot_id,
                    rating=rating,
                    comment=comment,
                    would_use=would_use == "yes",
                )
        except DomainError as exc:
            if exc.status == 404:
                raise
            return _pilot_page(ctx, pilot_id, exc.detail, exc.status)
        return RedirectResponse(f"/livinglab/pilots/{pilot_id}?thanks=1", status_code=303)

    @router.get("/livinglab/challenges", response_class=HTMLResponse)
    def challenges(ctx: Public) -> Response:
        with ctx.read() as session:
            rows = service.list_challenges(session)
            return ctx.render(
                "livinglab/challenges.html",
                challenges=rows,
                names=wording.organisation_names(ctx, session, [c.department for c in rows]),
                **wording.labels(ctx),
            )

    @router.get("/livinglab/challenges/{challenge_id}", response_class=HTMLResponse)
    def challenge(challenge_id: uuid.UUID, ctx: Public) -> Response:
        with ctx.read() as session:
            row = service.get_challenge(session, challenge_id)
            fields = [service.get_field(session, f) for f in row.field_ids]
            return ctx.render(
                "livinglab/challenge.html",
                challenge=row,
                fields=fields,
                names=wording.organisation_names(ctx, session, [row.department]),
                **wording.labels(ctx),
            )

    @router.get("/livinglab/barriers", response_class=HTMLResponse)
    def barriers(ctx: Public, status: str = "") -> Response:
        with ctx.read() as session:
            rows = outcomes.list_barriers(session, _choice(status, BarrierStatus))
            return ctx.render(
                "livinglab/barriers.html",
                barriers=rows,
                status=status,
                **wording.labels(ctx),
            )

    @router.get("/livinglab/elsewhere", response_class=HTMLResponse)
    def elsewhere(ctx: Public) -> Response:
        with ctx.read() as session:
            rows = exchange.elsewhere(session)
            return ctx.render(
                "livinglab/elsewhere.html",
                pilots=rows,
                names=wording.organisation_names(ctx, session, [p.vendor for p in rows]),
                **wording.labels(ctx),
            )

    @router.get("/staff/livinglab", response_class=HTMLResponse)
    def staff(ctx: Staff, challenge: str = "") -> Response:
        with ctx.read() as session:
            who = caller_for(session, ctx.principal, livinglab_settings(ctx))
            pilots = service.pilots_for(session, who)
            mine = [
                c
                for c in service.list_challenges(session, status="open")
                if who.office or who.acts_for(c.department)
            ]
            matches = []
            chosen = None
            if challenge:
                try:
                    chosen = service.get_challenge(session, uuid.UUID(challenge))
                    matches = ranking.matches(session, who, chosen.id, ctx.platform)[:10]
                except (ValueError, DomainError):
                    chosen, matches = None, []
            titles = {p.id: p.title for p in service.open_proposals(session)}
            codes = [ctx.principal.department, *(c.department for c in mine)]
            return ctx.render(
                "livinglab/staff.html",
                pilots=pilots,
                challenges=mine,
                chosen=chosen,
                matches=matches,
                titles=titles,
                office=who.office,
                names=wording.organisation_names(
                    ctx, session, [*codes, *(p.department for p in pilots)]
                ),
                **wording.labels(ctx),
            )

    return router
