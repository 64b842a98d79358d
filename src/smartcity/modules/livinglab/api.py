"""livinglab's JSON API, mounted at /api/v1/livinglab: parse → service → schema."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from smartcity.core.auth import PUBLIC
from smartcity.core.csvfile import CSVResponse
from smartcity.core.errors import InvalidInput
from smartcity.core.http import RequestContext, authorize, unauthenticated
from smartcity.core.i18n import DEFAULT_LOCALE
from smartcity.core.repository import settings_of
from smartcity.modules.livinglab import (
    attachments,
    dashboard,
    exchange,
    outcomes,
    ranking,
    rules,
    service,
)
from smartcity.modules.livinglab import kpis as kpi_values
from smartcity.modules.livinglab.access import Caller, caller_for
from smartcity.modules.livinglab.models import Pilot
from smartcity.modules.livinglab.schemas import (
    AttachmentOut,
    BarrierIn,
    BarrierOut,
    BarrierPatch,
    BookingIn,
    BookingOut,
    ChallengeIn,
    ChallengeOut,
    Created,
    EvaluationOut,
    ExternalPilotOut,
    FeedbackIn,
    FeedbackSummary,
    FieldIn,
    FieldOut,
    ImportIn,
    KpiIn,
    KpiOut,
    Match,
    MeasurementIn,
    MeasurementOut,
    MilestoneDoneIn,
    MilestoneIn,
    MilestoneOut,
    PilotIn,
    PilotOut,
    PilotPatch,
    PilotSummary,
    ProposalIn,
    ProposalOut,
    ProposalPatch,
    ReportIn,
    ReportOut,
    ScoreIn,
    Similar,
    SimilarIn,
    Suggestion,
    TransitionIn,
    TransitionOut,
)
from smartcity.modules.livinglab.settings import LivinglabSettings
from smartcity.modules.livinglab.values import BarrierStatus, Domain, PilotState, Track

Public = Annotated[RequestContext, Depends(unauthenticated(PUBLIC))]
Anyone = Annotated[RequestContext, Depends(authorize(rules.OPEN))]
Staff = Annotated[RequestContext, Depends(authorize(rules.STAFF))]
Vendor = Annotated[RequestContext, Depends(authorize(rules.VENDOR))]
Participant = Annotated[RequestContext, Depends(authorize(rules.PARTICIPANTS))]
Citizen = Annotated[RequestContext, Depends(authorize(rules.CITIZEN))]
Admin = Annotated[RequestContext, Depends(authorize(rules.ADMIN))]


def livinglab_settings(ctx: RequestContext) -> LivinglabSettings:
    """This platform's living-lab settings."""
    return settings_of(ctx.platform, "livinglab", LivinglabSettings)


def caller(ctx: RequestContext, session: Any) -> Caller:
    """The caller as the living lab sees them."""
    return caller_for(session, ctx.principal, livinglab_settings(ctx))


def origin_of(ctx: RequestContext) -> str:
    """This city's name in exported documents."""
    return livinglab_settings(ctx).origin or ctx.platform.settings.base_url


def pilot_out(session: Any, who: Caller, pilot: Pilot) -> PilotOut:
    """A pilot with the moves this caller could make."""
    out = PilotOut.model_validate(pilot)
    out.allowed_next = service.allowed_next(who, pilot)
    return out


def field_out(row: Any) -> FieldOut:
    """A field's public description."""
    return FieldOut.model_validate(row)


def build_router() -> APIRouter:
    """livinglab's API routes."""
    router = APIRouter(tags=["livinglab"])

    # -- fields ------------

    @router.get("/fields", response_model=list[FieldOut], summary="Test fields")
    def list_fields(
        ctx: Public, department: Annotated[str | None, Query(max_length=32)] = None
    ) -> list[FieldOut]:
        with ctx.read() as session:
            return [field_out(f) for f in service.list_fields(session, department)]

    @router.post("/fields", response_model=Created, status_code=201, summary="Offer a field")
    def create_field(body: FieldIn, ctx: Staff) -> Created:
        with ctx.write() as uow:
            row = service.create_field(
                uow, caller(ctx, uow.session), **body.model_dump(exclude_none=False)
            )
            return Created(id=row.id)

    @router.get("/fields/{field_id}", response_model=FieldOut, summary="One field")
    def get_field(field_id: uuid.UUID, ctx: Public) -> FieldOut:
        with ctx.read() as session:
            return field_out(service.get_field(session, field_id))

    # -- challenges ------------

    @router.get("/challenges", response_model=list[ChallengeOut], summary="Published challenges")
    def list_challenges(
        ctx: Public,
        domain: Domain | None = None,
        status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
    ) -> list[ChallengeOut]:
        with ctx.read() as session:
            rows = service.list_challenges(session, domain.value if domain else None, status)
            return [ChallengeOut.model_validate(r) for r in rows]

    @router.post(
        "/challenges", response_model=Created, status_code=201, summary="Publish a challenge"
    )
    def publish_challenge(body: ChallengeIn, ctx: Staff) -> Created:
        with ctx.write() as uow:
            row = service.publish_challenge(uow, caller(ctx, uow.session), **body.model_dump())
            return Created(id=row.id)

    @router.get("/challenges/{challenge_id}", response_model=ChallengeOut, summary="A challenge")
    def get_challenge(challenge_id: uuid.UUID, ctx: Public) -> ChallengeOut:
        with ctx.read() as session:
            return ChallengeOut.model_validate(service.get_challenge(session, challenge_id))

    @router.post(
        "/challenges/{challenge_id}/close", response_model=ChallengeOut, summary="Stop soliciting"
    )
    def close_challenge(challenge_id: uuid.UUID, ctx: Staff) -> ChallengeOut:
        with ctx.write() as uow:
            row = service.close_challenge(uow, caller(ctx, uow.session), challenge_id)
            return ChallengeOut.model_validate(row)

    @router.get(
        "/challenges/{challenge_id}/matches",
        response_model=list[Match],
        summary="Open proposals ranked for a challenge, best first, with reasons",
    )
    def matches(challenge_id: uuid.UUID, ctx: Staff) -> list[Match]:
        with ctx.read() as session:
            rows = ranking.matches(session, caller(ctx, session), challenge_id, ctx.platform)
            return [Match(**r) for r in rows]

    # -- proposals ------------

    @router.get("/proposals", response_model=list[ProposalOut], summary="Proposals I may see")
    def list_proposals(
        ctx: Participant, challenge_id: uuid.UUID | None = None
    ) -> list[ProposalOut]:
        with ctx.read() as session:
            rows = service.list_proposals(session, caller(ctx, session), challenge_id)
            return [ProposalOut.model_validate(r) for r in rows]

    @router.post("/proposals", response_model=Created, status_code=201, summary="Propose a pilot")
    def submit_proposal(body: ProposalIn, ctx: Vendor) -> Created:
        with ctx.write() as uow:
            row = service.submit_proposal(uow, caller(ctx, uow.session), **body.model_dump())
            return Created(id=row.id)

    @router.post(
        "/proposals/similar",
        response_model=list[Similar],
        summary="Proposals like one being written (the caller's own, or all for staff)",
    )
    def similar_proposals(body: SimilarIn, ctx: Participant) -> list[Similar]:
        with ctx.read() as session:
            rows = ranking.similar_proposals(
                session,
                ctx.platform,
                caller(ctx, session),
                title=body.title,
                summary=body.summary,
                domain=body.domain.value if body.domain else None,
            )
            return [Similar(**r) for r in rows]

    @router.get("/proposals/{proposal_id}", response_model=ProposalOut, summary="A proposal")
    def get_proposal(proposal_id: uuid.UUID, ctx: Participant) -> ProposalOut:
        with ctx.read() as session:
            row = service.get_proposal(session, caller(ctx, session), proposal_id)
            return ProposalOut.model_validate(row)

    @router.patch("/proposals/{proposal_id}", response_model=ProposalOut, summary="Edit a draft")
    def edit_proposal(proposal_id: uuid.UUID, body: ProposalPatch, ctx: Vendor) -> ProposalOut:
        with ctx.write() as uow:
            row = service.edit_proposal(
                uow, caller(ctx, uow.session), proposal_id, body.model_dump(exclude_unset=True)
            )
            return ProposalOut.model_validate(row)

    @router.post(
        "/proposals/{proposal_id}/submit", response_model=ProposalOut, summary="Submit a draft"
    )
    def send_proposal(proposal_id: uuid.UUID, ctx: Vendor) -> ProposalOut:
        with ctx.write() as uow:
            row = service.send_proposal(uow, caller(ctx, uow.session), proposal_id)
            return ProposalOut.model_validate(row)

    @router.post(
        "/proposals/{proposal_id}/attachments",
        response_model=AttachmentOut,
        status_code=201,
        summary="Attach a file (the request body is the file)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        },
    )
    async def add_attachment(
        proposal_id: uuid.UUID,
        ctx: Vendor,
        request: Request,
        filename: Annotated[str, Query(min_length=1, max_length=200)] = "attachment",
    ) -> AttachmentOut:
        content = await request.body()
        settings = livinglab_settings(ctx)
        with ctx.write() as uow:
            row = attachments.attach(
                uow,
                caller(ctx, uow.session),
                settings,
                ctx.platform.settings.data_dir,
                proposal_id,
                filename,
                request.headers.get("content-type", "application/octet-stream"),
                content,
            )
            return AttachmentOut.model_validate(row)

    @router.get(
        "/proposals/{proposal_id}/attachments",
        response_model=list[AttachmentOut],
        summary="A proposal's files",
    )
    def list_attachments(proposal_id: uuid.UUID, ctx: Participant) -> list[AttachmentOut]:
        with ctx.read() as session:
            rows = attachments.attachments_of(session, caller(ctx, session), proposal_id)
            return [AttachmentOut.model_validate(r) for r in rows]

    @router.get("/proposals/{proposal_id}/attachments/{attachment_id}", summary="Download a file")
    def download_attachment(
        proposal_id: uuid.UUID, attachment_id: uuid.UUID, ctx: Participant
    ) -> Response:
        with ctx.read() as session:
            row, content = attachments.read_attachment(
                session,
                caller(ctx, session),
                ctx.platform.settings.data_dir,
                proposal_id,
                attachment_id,
            )
        return Response(
            content,
            media_type=row.content_type,
            headers={"Content-Disposition": f'attachment; filename="{row.id}"'},
        )

    @router.get(
        "/proposals/{proposal_id}/suggestions",
        response_model=list[Suggestion],
        summary="Challenges, departments and fields ranked for a proposal",
    )
    def suggestions(proposal_id: uuid.UUID, ctx: Staff) -> list[Suggestion]:
        with ctx.read() as session:
            rows = ranking.suggestions(session, caller(ctx, session), proposal_id, ctx.platform)
            return [Suggestion(**r) for r in rows]

    # -- pilots ------------

    @router.get("/pilots", response_model=list[PilotSummary], summary="Published pilots")
    def list_pilots(
        ctx: Public,
        state: PilotState | None = None,
        domain: Domain | None = None,
        track: Track | None = None,
        department: Annotated[str | None, Query(max_length=32)] = None,
        year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    ) -> list[PilotSummary]:
        with ctx.read() as session:
            rows = service.list_pilots(
                session,
                state=state.value if state else None,
                domain=domain.value if domain else None,
                track=track.value if track else None,
                department=department.upper() if department else None,
                year=year,
            )
            return [PilotSummary.model_validate(r) for r in rows]

    @router.post("/pilots", response_model=Created, status_code=201, summary="Take in a proposal")
    def take_in(body: PilotIn, ctx: Staff) -> Created:
        with ctx.write() as uow:
            row = service.take_in(uow, caller(ctx, uow.session), body.proposal_id, body.department)
            return Created(id=row.id)

    @router.get("/pilots/mine", response_model=list[PilotOut], summary="Pilots I run")
    def my_pilots(ctx: Participant) -> list[PilotOut]:
        with ctx.read() as session:
            who = caller(ctx, session)
            return [pilot_out(session, who, p) for p in service.pilots_for(session, who)]

    @router.get("/pilots/{pilot_id}", response_model=PilotOut, summary="A pilot")
    def get_pilot(pilot_id: uuid.UUID, ctx: Anyone) -> PilotOut:
        with ctx.read() as session:
            who = caller(ctx, session)
            return pilot_out(session, who, service.get_pilot(session, who, pilot_id))

    @router.patch("/pilots/{pilot_id}", response_model=PilotOut, summary="Record pilot facts")
    def update_pilot(pilot_id: uuid.UUID, body: PilotPatch, ctx: Staff) -> PilotOut:
        with ctx.write() as uow:
            who = caller(ctx, uow.session)
            row = service.update_pilot(uow, who, pilot_id, body.model_dump(exclude_unset=True))
            return pilot_out(uow.session, who, row)

    @router.post(
        "/pilots/{pilot_id}/transitions",
        response_model=PilotOut,
        summary="Move a pilot to another state (409 with the reason if it may not)",
    )
    def transition(pilot_id: uuid.UUID, body: TransitionIn, ctx: Participant) -> PilotOut:
        with ctx.write() as uow:
            who = caller(ctx, uow.session)
            row = service.transition(
                uow,
                who,
                pilot_id,
                body.to,
                reason=body.reason,
                reference=body.reference,
                department=body.department,
                agreement_ref=body.agreement_ref,
            )
            return pilot_out(uow.session, who, row)

    @router.get(
        "/pilots/{pilot_id}/transitions",
        response_model=list[TransitionOut],
        summary="A pilot's history",
    )
    def history(pilot_id: uuid.UUID, ctx: Anyone) -> list[TransitionOut]:
        with ctx.read() as session:
            pilot = service.get_pilot(session, caller(ctx, session), pilot_id)
            return [
                TransitionOut.model_validate(t) for t in service.transitions_of(session, pilot.id)
            ]

    @router.post(
        "/pilots/{pilot_id}/milestones",
        response_model=MilestoneOut,
        status_code=201,
        summary="Plan a milestone",
    )
    def add_milestone(pilot_id: uuid.UUID, body: MilestoneIn, ctx: Participant) -> MilestoneOut:
        with ctx.write() as uow:
            row = service.add_milestone(
                uow, caller(ctx, uow.session), pilot_id, **body.model_dump()
            )
            return MilestoneOut.model_validate(row)

    @router.post(
        "/pilots/{pilot_id}/milestones/{milestone_id}/done",
        response_model=MilestoneOut,
        summary="Mark a milestone done",
    )
    def complete_milestone(
        pilot_id: uuid.UUID, milestone_id: uuid.UUID, body: MilestoneDoneIn, ctx: Participant
    ) -> MilestoneOut:
        with ctx.write() as uow:
            row = service.complete_milestone(
                uow,
                caller(ctx, uow.session),
                pilot_id,
                milestone_id,
                done_on=body.done_on,
                note=body.note,
            )
            return MilestoneOut.model_validate(row)

    @router.get(
        "/pilots/{pilot_id}/milestones", response_model=list[MilestoneOut], summary="Milestones"
    )
    def milestones(pilot_id: uuid.UUID, ctx: Anyone) -> list[MilestoneOut]:
        with ctx.read() as session:
            pilot = service.get_pilot(session, caller(ctx, session), pilot_id)
            return [
                MilestoneOut.model_validate(m) for m in service.milestones_of(session, pilot.id)
            ]

    @router.post(
        "/pilots/{pilot_id}/reports",
        response_model=ReportOut,
        status_code=201,
        summary="File a status report",
    )
    def add_report(pilot_id: uuid.UUID, body: ReportIn, ctx: Participant) -> ReportOut:
        with ctx.write() as uow:
            row = service.add_report(
                uow, caller(ctx, uow.session), pilot_id, body.status.value, body.body
            )
            return ReportOut.model_validate(row)

    @router.get(
        "/pilots/{pilot_id}/reports", response_model=list[ReportOut], summary="Status reports"
    )
    def reports(pilot_id: uuid.UUID, ctx: Participant) -> list[ReportOut]:
        with ctx.read() as session:
            who = caller(ctx, session)
            pilot = service.get_pilot(session, who, pilot_id)
            if not who.actors(pilot):
                return []
            return [ReportOut.model_validate(r) for r in service.reports_of(session, pilot.id)]

    @router.post(
        "/pilots/{pilot_id}/bookings",
        response_model=BookingOut,
        status_code=201,
        summary="Book a field (409 if already booked)",
    )
    def book(pilot_id: uuid.UUID, body: BookingIn, ctx: Staff) -> BookingOut:
        with ctx.write() as uow:
            row = service.book_field(
                uow, caller(ctx, uow.session), pilot_id, body.field_id, body.starts_on, body.ends_on
            )
            return BookingOut.model_validate(row)

    @router.get(
        "/pilots/{pilot_id}/bookings", response_model=list[BookingOut], summary="Field bookings"
    )
    def bookings(pilot_id: uuid.UUID, ctx: Anyone) -> list[BookingOut]:
        with ctx.read() as session:
            pilot = service.get_pilot(session, caller(ctx, session), pilot_id)
            return [BookingOut.model_validate(b) for b in service.bookings_of(session, pilot.id)]

    # -- KPIs ------------

    @router.post(
        "/pilots/{pilot_id}/kpis", response_model=Created, status_code=201, summary="Declare a KPI"
    )
    def declare_kpi(pilot_id: uuid.UUID, body: KpiIn, ctx: Participant) -> Created:
        with ctx.write() as uow:
            row = outcomes.declare_kpi(uow, caller(ctx, uow.session), pilot_id, **body.model_dump())
            return Created(id=row.id)

    @router.get("/pilots/{pilot_id}/kpis", response_model=list[KpiOut], summary="KPIs and values")
    def kpis(pilot_id: uuid.UUID, ctx: Anyone) -> list[KpiOut]:
        with ctx.read() as session:
            pilot = service.get_pilot(session, caller(ctx, session), pilot_id)
            out = []
            for kpi, value in outcomes.kpis_of(session, pilot):
                item = KpiOut.model_validate(kpi)
                item.current = value.current
                item.met = kpi_values.meets(kpi, value.current)
                item.live = value.live
                out.append(item)
            return out

    @router.post(
        "/kpis/{kpi_id}/measurements",
        response_model=MeasurementOut,
        status_code=201,
        summary="Enter a KPI value",
    )
    def measure(kpi_id: uuid.UUID, body: MeasurementIn, ctx: Participant) -> MeasurementOut:
        with ctx.write() as uow:
            row = outcomes.record_value(
                uow, caller(ctx, uow.session), kpi_id, body.value, body.measured_at, body.note
            )
            return MeasurementOut.model_validate(row)

    @router.get(
        "/pilots/{pilot_id}/kpis/{kpi_id}/chart.svg",
        summary="A KPI's chart (SVG)",
        response_class=Response,
    )
    def chart(pilot_id: uuid.UUID, kpi_id: uuid.UUID, ctx: Anyone) -> Response:
        with ctx.read() as session:
            who = caller(ctx, session)
            kpi, pilot = outcomes.get_kpi(session, who, kpi_id)
            if pilot.id != pilot_id:
                raise InvalidInput("that KPI belongs to another pilot", code="kpi_not_of_pilot")
            value = kpi_values.value_of(session, kpi, pilot)
            chart = dashboard.kpi_chart(
                value.series,
                target=kpi.target,
                baseline=kpi.baseline,
                unit=kpi.unit,
                title=kpi.name,
            )
        svg = ctx.platform.services["pages"].render(
            "livinglab/kpi_chart.svg", DEFAULT_LOCALE, {"chart": chart}
        )
        return Response(svg, media_type="image/svg+xml")

    # -- citizens, evaluation ------------

    @router.post(
        "/pilots/{pilot_id}/feedback",
        response_model=FeedbackSummary,
        status_code=201,
        summary="Rate a pilot I tried (verified citizens)",
    )
    def give_feedback(pilot_id: uuid.UUID, body: FeedbackIn, ctx: Citizen) -> FeedbackSummary:
        with ctx.write() as uow:
            who = caller(ctx, uow.session)
            outcomes.give_feedback(uow, who, pilot_id, **body.model_dump())
            pilot = service.get_pilot(uow.session, who, pilot_id)
            return FeedbackSummary(**outcomes.feedback_summary(uow.session, pilot, _votes(ctx)))

    @router.get(
        "/pilots/{pilot_id}/feedback", response_model=FeedbackSummary, summary="Feedback counts"
    )
    def feedback(pilot_id: uuid.UUID, ctx: Anyone) -> FeedbackSummary:
        with ctx.read() as session:
            pilot = service.get_pilot(session, caller(ctx, session), pilot_id)
            return FeedbackSummary(**outcomes.feedback_summary(session, pilot, _votes(ctx)))

    @router.post(
        "/pilots/{pilot_id}/scores",
        response_model=EvaluationOut,
        summary="Score one evaluation criterion (officers and experts)",
    )
    def score(pilot_id: uuid.UUID, body: ScoreIn, ctx: Staff) -> EvaluationOut:
        with ctx.write() as uow:
            who = caller(ctx, uow.session)
            outcomes.score(uow, who, pilot_id, body.criterion.value, body.score, body.comment)
            pilot = service.get_pilot(uow.session, who, pilot_id)
            return EvaluationOut(**outcomes.evaluation_of(uow.session, pilot))

    @router.get(
        "/pilots/{pilot_id}/evaluation", response_model=EvaluationOut, summary="The evaluation"
    )
    def evaluation(pilot_id: uuid.UUID, ctx: Anyone) -> EvaluationOut:
        with ctx.read() as session:
            pilot = service.get_pilot(session, caller(ctx, session), pilot_id)
            return EvaluationOut(**outcomes.evaluation_of(session, pilot))

    @router.get(
        "/pilots/{pilot_id}/export",
        summary="The pilot's public record, signed (Ed25519) for other cities",
    )
    def export(pilot_id: uuid.UUID, ctx: Anyone) -> JSONResponse:
        with ctx.read() as session:
            pilot = service.get_pilot(session, caller(ctx, session), pilot_id)
            if not pilot.published:
                raise InvalidInput("only published pilots are exported", code="not_published")
            record = exchange.public_record(session, pilot, origin_of(ctx))
        return JSONResponse(exchange.sign(ctx.platform.keys, record))

    # -- barriers ------------

    @router.get("/barriers", response_model=list[BarrierOut], summary="The barriers register")
    def barriers(
        ctx: Public, status: BarrierStatus | None = None, pilot_id: uuid.UUID | None = None
    ) -> list[BarrierOut]:
        with ctx.read() as session:
            rows = outcomes.list_barriers(session, status.value if status else None, pilot_id)
            return [BarrierOut.model_validate(r) for r in rows]

    @router.post("/barriers", response_model=Created, status_code=201, summary="Register a barrier")
    def register_barrier(body: BarrierIn, ctx: Staff) -> Created:
        with ctx.write() as uow:
            row = outcomes.register_barrier(uow, caller(ctx, uow.session), **body.model_dump())
            return Created(id=row.id)

    @router.patch("/barriers/{barrier_id}", response_model=BarrierOut, summary="Update a barrier")
    def update_barrier(barrier_id: uuid.UUID, body: BarrierPatch, ctx: Staff) -> BarrierOut:
        with ctx.write() as uow:
            row = outcomes.update_barrier(
                uow, caller(ctx, uow.session), barrier_id, body.model_dump(exclude_unset=True)
            )
            return BarrierOut.model_validate(row)

    # -- dashboard, open data, other cities ------------

    @router.get("/dashboard", summary="Public dashboard figures")
    def dashboard_figures(ctx: Public) -> dict[str, Any]:
        with ctx.read() as session:
            return dashboard.summary(session)

    @router.get("/open-data/pilots.json", summary="Open data: every published pilot (JSON)")
    def open_json(ctx: Public) -> list[dict[str, Any]]:
        with ctx.read() as session:
            return dashboard.open_data_rows(session)

    @router.get(
        "/open-data/pilots.csv",
        summary="Open data: every published pilot (CSV)",
        response_class=CSVResponse,
    )
    def open_csv(ctx: Public) -> Response:
        with ctx.read() as session:
            rows = dashboard.open_data_rows(session)
        # With a BOM: spreadsheet programs need it to read UTF-8 Chinese.
        return CSVResponse(
            dashboard.OPEN_DATA_COLUMNS, rows, filename="livinglab-pilots.csv", bom=True
        )

    @router.get(
        "/elsewhere", response_model=list[ExternalPilotOut], summary="Pilots in other cities"
    )
    def elsewhere(
        ctx: Public, vendor: Annotated[str | None, Query(max_length=200)] = None
    ) -> list[ExternalPilotOut]:
        with ctx.read() as session:
            return [ExternalPilotOut.model_validate(r) for r in exchange.elsewhere(session, vendor)]

    @router.post(
        "/elsewhere",
        response_model=ExternalPilotOut,
        status_code=201,
        summary="Import another city's signed pilot record",
    )
    def import_elsewhere(body: ImportIn, ctx: Admin) -> ExternalPilotOut:
        trusted = {k.strip() for k in livinglab_settings(ctx).trusted_keys.split(",") if k.strip()}
        with ctx.write() as uow:
            row = exchange.import_record(uow, body.model_dump(), trusted)
            return ExternalPilotOut.model_validate(row)

    return router


def _votes(ctx: RequestContext) -> outcomes.VoteCounter | None:
    counter = ctx.platform.services.get("livinglab.votes")
    return counter if callable(counter) else None
