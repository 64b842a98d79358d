"""livinglab's domain logic: fields, challenges, proposals, pilots and their state machine.

Services receive a unit of work (or a read session) and a `Caller`; they raise
domain errors with stable codes and never commit. KPIs, barriers, feedback and
the evaluation are in `outcomes.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartcity.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from smartcity.core.repository import get_or_404
from smartcity.core.time import local_today, utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.identity.service import get_organisation
from smartcity.modules.livinglab import kpis as kpi_values
from smartcity.modules.livinglab import semantic
from smartcity.modules.livinglab.access import Caller
from smartcity.modules.livinglab.models import (
    Booking,
    BookingDay,
    Challenge,
    Field,
    Kpi,
    Milestone,
    Pilot,
    Proposal,
    Score,
    StatusReport,
    Transition,
)
from smartcity.modules.livinglab.statemachine import Need, check_move, next_states, parse_state
from smartcity.modules.livinglab.values import (
    PUBLISHED_FROM,
    ChallengeStatus,
    PilotState,
    ProposalStatus,
    Track,
)

MAX_BOOKING_DAYS = 400


# -- fields ---------------------------------------------------------------------------------


def _windows(windows: Sequence[Any]) -> list[list[str]]:
    out = []
    for window in windows:
        if isinstance(window, dict):
            start, end = window.get("start"), window.get("end")
        elif hasattr(window, "start"):
            start, end = window.start, window.end
        else:
            start, end = window
        try:
            start, end = date.fromisoformat(str(start)), date.fromisoformat(str(end))
        except ValueError:
            raise InvalidInput("availability windows are ISO dates", code="bad_window") from None
        if end < start:
            raise InvalidInput("an availability window ends before it starts", code="bad_window")
        out.append([start.isoformat(), end.isoformat()])
    return out


def department_code(session: Session, code: str) -> str:
    """The code of an existing department, or why not."""
    found = get_organisation(session, code)
    if found.kind != "department":
        raise InvalidInput(f"{found.code} is not a department", code="not_a_department")
    return found.code


def _department_for(caller: Caller, given: str | None, session: Session) -> str:
    """The department a new record belongs to: an officer's own; an admin names one."""
    if caller.department:
        if given and given.upper() != caller.department:
            raise PermissionDenied(
                "officers act only for their own department", code="not_your_department"
            )
        return caller.department
    if not given:
        raise InvalidInput("name the department this is for", code="department_required")
    return department_code(session, given)


def create_field(uow: UnitOfWork, caller: Caller, **values: Any) -> Field:
    """A department offers a test site."""
    department = _department_for(caller, values.pop("department", None), uow.session)
    row = Field(
        department=department,
        name=values["name"],
        kind=str(values["kind"]),
        address=values.get("address", ""),
        latitude=values.get("latitude"),
        longitude=values.get("longitude"),
        capacity=values.get("capacity", 1),
        availability=_windows(values.get("availability", [])),
        site_rules=values.get("site_rules", ""),
        contact=values.get("contact", ""),
        domains=[str(d) for d in values.get("domains", [])],
    )
    uow.session.add(row)
    uow.session.flush()
    uow.audit("livinglab.field.created", "field", row.id, {"name": row.name, "dept": department})
    return row


def get_field(session: Session, field_id: uuid.UUID | str) -> Field:
    """A field by id, or NotFound."""
    row = get_or_404(session, Field, field_id, code="field_not_found")
    return row


def list_fields(session: Session, department: str | None = None) -> list[Field]:
    """Every field, optionally of one department."""
    query = select(Field).order_by(Field.department, Field.name)
    if department:
        query = query.where(Field.department == department.upper())
    return list(session.execute(query).scalars())


def field_is_free(session: Session, field: Field, start: date, end: date) -> bool:
    """Whether `field` is offered on every day from `start` to `end` and has a free slot."""
    if not _offered(field, start, end):
        return False
    used = session.execute(
        select(BookingDay.day, func.count())
        .where(BookingDay.field_id == field.id, BookingDay.day.between(start, end))
        .group_by(BookingDay.day)
    ).all()
    return all(count < field.capacity for _day, count in used)


def _offered(field: Field, start: date, end: date) -> bool:
    if not field.availability:
        return True
    return any(
        date.fromisoformat(a) <= start and end <= date.fromisoformat(b)
        for a, b in field.availability
    )


def first_free_day(session: Session, field: Field, weeks: int, after: date) -> date | None:
    """The first day from `after` on which `field` is free for `weeks` weeks (within a year)."""
    length = timedelta(weeks=weeks) - timedelta(days=1)
    for offset in range(0, 366, 7):
        start = after + timedelta(days=offset)
        if field_is_free(session, field, start, start + length):
            return start
    return None


# -- challenges ---------------------------------------------------------------------------------


def publish_challenge(uow: UnitOfWork, caller: Caller, **values: Any) -> Challenge:
    """A department publishes a need (open for proposals from `opens_on` to `closes_on`)."""
    department = _department_for(caller, values.pop("department", None), uow.session)
    opens = values.get("opens_on") or local_today()
    closes = values.get("closes_on") or opens + timedelta(days=60)
    if closes < opens:
        raise InvalidInput("the solicitation closes before it opens", code="bad_window")
    field_ids = [str(f) for f in values.get("field_ids", [])]
    for field_id in field_ids:
        get_field(uow.session, field_id)
    row = Challenge(
        title=values["title"],
        description=values["description"],
        domain=str(values["domain"]),
        department=department,
        expected_outcome=values.get("expected_outcome", ""),
        field_ids=field_ids,
        opens_on=opens,
        closes_on=closes,
        status=ChallengeStatus.OPEN.value,
        round=values.get("round") or f"{opens.year}-{1 if opens.month <= 6 else 2}",
    )
    uow.session.add(row)
    uow.session.flush()
    semantic.request(uow, semantic.challenge_texts(row))
    uow.audit(
        "livinglab.challenge.published",
        "challenge",
        row.id,
        {"title": row.title, "domain": row.domain, "department": department},
    )
    return row


def get_challenge(session: Session, challenge_id: uuid.UUID | str) -> Challenge:
    """A challenge by id, or NotFound."""
    row = get_or_404(session, Challenge, challenge_id, code="challenge_not_found")
    return row


def list_challenges(
    session: Session, domain: str | None = None, status: str | None = None
) -> list[Challenge]:
    """Published challenges, newest first."""
    query = select(Challenge).order_by(Challenge.opens_on.desc(), Challenge.title)
    if domain:
        query = query.where(Challenge.domain == domain)
    if status:
        query = query.where(Challenge.status == status)
    return list(session.execute(query).scalars())


def close_challenge(uow: UnitOfWork, caller: Caller, challenge_id: uuid.UUID) -> Challenge:
    """Stop soliciting."""
    row = get_challenge(uow.session, challenge_id)
    caller.require_department(row.department)
    if row.status == ChallengeStatus.CLOSED:
        raise Conflict("the challenge is already closed", code="challenge_closed")
    row.status = ChallengeStatus.CLOSED.value
    uow.audit("livinglab.challenge.closed", "challenge", row.id, {})
    return row


# -- proposals --------------------------------------------------------------------------------


def submit_proposal(uow: UnitOfWork, caller: Caller, **values: Any) -> Proposal:
    """A vendor proposes a pilot, to a challenge or bottom-up (kept as a draft if asked)."""
    if caller.vendor is None:
        raise PermissionDenied("only vendors propose pilots", code="vendors_only")
    challenge_id = values.get("challenge_id")
    if challenge_id is not None:
        challenge = get_challenge(uow.session, challenge_id)
        if challenge.status != ChallengeStatus.OPEN:
            raise Conflict("the challenge no longer takes proposals", code="challenge_closed")
    for field_id in values.get("field_ids", []):
        get_field(uow.session, field_id)
    draft = bool(values.get("draft"))
    row = Proposal(
        vendor=caller.vendor,
        challenge_id=challenge_id,
        title=values["title"],
        summary=values["summary"],
        technology=values.get("technology", ""),
        domain=str(values["domain"]),
        field_ids=[str(f) for f in values.get("field_ids", [])],
        field_kinds=[str(k) for k in values.get("field_kinds", [])],
        duration_weeks=values.get("duration_weeks", 20),
        cost_bearer=str(values.get("cost_bearer", "vendor")),
        cost_ntd=values.get("cost_ntd", 0),
        data_produced=values.get("data_produced", ""),
        risks=values.get("risks", ""),
        earliest_start=values.get("earliest_start"),
        status=(ProposalStatus.DRAFT if draft else ProposalStatus.SUBMITTED).value,
        submitted_at=None if draft else utcnow(),
    )
    uow.session.add(row)
    uow.session.flush()
    semantic.request(uow, semantic.of_proposal(row))
    uow.audit(
        "livinglab.proposal.created",
        "proposal",
        row.id,
        {"title": row.title, "vendor": row.vendor, "status": row.status},
    )
    return row


def get_proposal(session: Session, caller: Caller, proposal_id: uuid.UUID | str) -> Proposal:
    """A proposal the caller may see: drafts only to their vendor; others to staff too."""
    row = get_or_404(session, Proposal, proposal_id, code="proposal_not_found")
    own = caller.vendor is not None and caller.vendor == row.vendor
    if own or (caller.is_staff and row.status != ProposalStatus.DRAFT):
        return row
    raise NotFound("no such proposal", code="proposal_not_found")


def own_draft(session: Session, caller: Caller, proposal_id: uuid.UUID) -> Proposal:
    """A draft of the caller's own, for editing."""
    row = get_proposal(session, caller, proposal_id)
    if caller.vendor != row.vendor:
        raise NotFound("no such proposal", code="proposal_not_found")
    if row.status != ProposalStatus.DRAFT:
        raise Conflict("only drafts can be edited", code="proposal_not_draft")
    return row


def edit_proposal(
    uow: UnitOfWork, caller: Caller, proposal_id: uuid.UUID, changes: dict[str, Any]
) -> Proposal:
    """Change a draft."""
    row = own_draft(uow.session, caller, proposal_id)
    for key, value in changes.items():
        if value is not None:
            setattr(row, key, value)
    semantic.request(uow, semantic.of_proposal(row))
    uow.audit("livinglab.proposal.edited", "proposal", row.id, {"fields": sorted(changes)})
    return row


def send_proposal(uow: UnitOfWork, caller: Caller, proposal_id: uuid.UUID) -> Proposal:
    """Submit a draft: it becomes open for matching."""
    row = own_draft(uow.session, caller, proposal_id)
    row.status = ProposalStatus.SUBMITTED.value
    row.submitted_at = utcnow()
    uow.audit("livinglab.proposal.submitted", "proposal", row.id, {})
    return row


def list_proposals(
    session: Session, caller: Caller, challenge_id: uuid.UUID | None = None
) -> list[Proposal]:
    """A vendor's own proposals; for staff, every proposal past draft."""
    query = select(Proposal).order_by(Proposal.created_at.desc())
    if caller.vendor is not None:
        query = query.where(Proposal.vendor == caller.vendor)
    elif caller.is_staff:
        query = query.where(Proposal.status != ProposalStatus.DRAFT.value)
    else:
        return []
    if challenge_id is not None:
        query = query.where(Proposal.challenge_id == challenge_id)
    return list(session.execute(query.limit(500)).scalars())


def open_proposals(session: Session) -> list[Proposal]:
    """Every submitted proposal not yet taken in as a pilot (what matching ranks)."""
    return list(
        session.execute(
            select(Proposal)
            .where(Proposal.status == ProposalStatus.SUBMITTED.value)
            .order_by(Proposal.created_at)
        ).scalars()
    )


# -- pilots -------------------------------------------------------------------------------------


def take_in(
    uow: UnitOfWork, caller: Caller, proposal_id: uuid.UUID, department: str | None = None
) -> Pilot:
    """A submitted proposal becomes a pilot in state `proposed`."""
    if not caller.is_staff:
        raise PermissionDenied("officers take proposals in", code="staff_only")
    proposal = get_proposal(uow.session, caller, proposal_id)
    if proposal.status != ProposalStatus.SUBMITTED:
        raise Conflict(f"the proposal is {proposal.status}, not submitted", code="not_submitted")
    if proposal.challenge_id is not None:
        challenge = get_challenge(uow.session, proposal.challenge_id)
        host: str | None = challenge.department
        track = Track.CHALLENGE
    else:
        host = department_code(uow.session, department) if department else caller.department
        track = Track.BOTTOM_UP
    if not caller.office and not caller.acts_for(host):
        raise PermissionDenied(
            "officers take in proposals only for their own department",
            code="not_your_department",
        )
    pilot = Pilot(
        proposal_id=proposal.id,
        challenge_id=proposal.challenge_id,
        title=proposal.title,
        summary=proposal.summary,
        domain=proposal.domain,
        track=track.value,
        state=PilotState.PROPOSED.value,
        department=host,
        vendor=proposal.vendor,
        year=local_today().year,
    )
    proposal.status = ProposalStatus.PILOTED.value
    uow.session.add(pilot)
    uow.session.flush()
    uow.session.add(
        Transition(
            pilot_id=pilot.id,
            from_state=None,
            to_state=pilot.state,
            actor_role=str(caller.role or "system"),
        )
    )
    uow.audit(
        "livinglab.pilot.created",
        "pilot",
        pilot.id,
        {"proposal": str(proposal.id), "department": host, "track": track.value},
    )
    return pilot


def get_pilot(session: Session, caller: Caller, pilot_id: uuid.UUID | str) -> Pilot:
    """A pilot the caller may see (published ones are public)."""
    row = get_or_404(session, Pilot, pilot_id, code="pilot_not_found")
    caller.require_visible(row)
    return row


def list_pilots(
    session: Session,
    *,
    state: str | None = None,
    domain: str | None = None,
    track: str | None = None,
    department: str | None = None,
    year: int | None = None,
    published_only: bool = True,
    limit: int = 1000,
) -> list[Pilot]:
    """Pilots, newest first, filtered."""
    query = select(Pilot).order_by(Pilot.year.desc(), Pilot.created_at.desc(), Pilot.title)
    if published_only:
        query = query.where(Pilot.published.is_(True))
    for column, value in (
        (Pilot.state, state),
        (Pilot.domain, domain),
        (Pilot.track, track),
        (Pilot.department, department),
        (Pilot.year, year),
    ):
        if value is not None and value != "":
            query = query.where(column == value)
    return list(session.execute(query.limit(limit)).scalars())


def pilots_for(session: Session, caller: Caller) -> list[Pilot]:
    """The pilots the caller runs (their department's, their vendor's, or all for the office)."""
    query = select(Pilot).order_by(Pilot.state_changed_at.desc())
    if caller.office:
        pass
    elif caller.department:
        query = query.where(Pilot.department == caller.department)
    elif caller.vendor:
        query = query.where(Pilot.vendor == caller.vendor)
    else:
        return []
    return list(session.execute(query.limit(500)).scalars())


def update_pilot(
    uow: UnitOfWork, caller: Caller, pilot_id: uuid.UUID, changes: dict[str, Any]
) -> Pilot:
    """The host records the agreement and the outcome summary."""
    pilot = get_pilot(uow.session, caller, pilot_id)
    caller.require_department(pilot.department)
    applied = {k: v for k, v in changes.items() if v is not None}
    for key, value in applied.items():
        setattr(pilot, key, value)
    uow.audit(
        "livinglab.pilot.updated",
        "pilot",
        pilot.id,
        {k: str(v) for k, v in applied.items()},
    )
    return pilot


def allowed_next(caller: Caller, pilot: Pilot) -> list[str]:
    """States this caller could move the pilot to (ignoring preconditions)."""
    from smartcity.modules.livinglab.statemachine import TRANSITIONS

    actors = caller.actors(pilot)
    source = PilotState(pilot.state)
    return [
        target.value
        for target in next_states(source)
        if actors & TRANSITIONS[(source, target)].actors
    ]


def kpis_measured(session: Session, pilot: Pilot) -> bool:
    """At least one KPI, and each has a value."""
    rows = list(session.execute(select(Kpi).where(Kpi.pilot_id == pilot.id)).scalars())
    return bool(rows) and all(
        kpi_values.value_of(session, row, pilot).current is not None for row in rows
    )


def transition(
    uow: UnitOfWork,
    caller: Caller,
    pilot_id: uuid.UUID,
    to: str,
    *,
    reason: str = "",
    reference: str = "",
    department: str | None = None,
    agreement_ref: str | None = None,
) -> Pilot:
    """Move a pilot to state `to`: check who, check what must be present, record, audit."""
    pilot = get_pilot(uow.session, caller, pilot_id)
    target = parse_state(to)
    source = PilotState(pilot.state)
    session = uow.session
    if department and target == PilotState.MATCHED and pilot.department is None:
        if not caller.office:
            raise PermissionDenied("only the office assigns a host", code="not_your_department")
        pilot.department = department_code(session, department)
    if agreement_ref and target == PilotState.AGREED and caller.acts_for(pilot.department):
        pilot.agreement_ref = agreement_ref
        pilot.agreement_signed_on = pilot.agreement_signed_on or local_today()

    def satisfied(need: Need) -> bool:
        if need is Need.DEPARTMENT:
            return bool(pilot.department)
        if need is Need.AGREEMENT:
            return bool(pilot.agreement_ref)
        if need is Need.KPIS_MEASURED:
            return kpis_measured(session, pilot)
        if need is Need.EVALUATED:
            return bool(
                session.execute(select(Score.id).where(Score.pilot_id == pilot.id).limit(1)).first()
            )
        if need is Need.REFERENCE:
            return bool(reference.strip())
        return False  # pragma: no cover - every need is handled above

    check_move(source, target, caller.actors(pilot), satisfied)
    now = utcnow()
    pilot.state = target.value
    pilot.state_changed_at = now
    if target in PUBLISHED_FROM:
        pilot.published = True
    if target == PilotState.RUNNING:
        pilot.running_since = pilot.running_since or now
        pilot.running_until = None
    if source == PilotState.RUNNING:
        pilot.running_until = now
    if target in (PilotState.ADOPTED, PilotState.PROCURED):
        pilot.decision_reference = reference.strip()
    if target in (PilotState.ADOPTED, PilotState.PROCURED, PilotState.EXTENDED, PilotState.CLOSED):
        pilot.decision_note = reason
    session.add(
        Transition(
            pilot_id=pilot.id,
            from_state=source.value,
            to_state=target.value,
            actor_role=str(caller.role or "system"),
            reason=reason,
            at=now,
        )
    )
    uow.audit(
        "livinglab.pilot.transitioned",
        "pilot",
        pilot.id,
        {"from": source.value, "to": target.value, "reason": reason, "reference": reference},
    )
    return pilot


def transitions_of(session: Session, pilot_id: uuid.UUID) -> list[Transition]:
    """A pilot's history, oldest first."""
    return list(
        session.execute(
            select(Transition)
            .where(Transition.pilot_id == pilot_id)
            .order_by(Transition.at, Transition.id)
        ).scalars()
    )


# -- milestones, reports, bookings ----------------------------------------------------------------


def _runner(caller: Caller, pilot: Pilot) -> None:
    if not caller.actors(pilot):
        raise PermissionDenied(
            "only the host department, the office and the pilot's vendor do this",
            code="not_your_pilot",
        )


def add_milestone(uow: UnitOfWork, caller: Caller, pilot_id: uuid.UUID, **values: Any) -> Milestone:
    """Plan a step of the pilot."""
    pilot = get_pilot(uow.session, caller, pilot_id)
    _runner(caller, pilot)
    row = Milestone(pilot_id=pilot.id, **values)
    uow.session.add(row)
    uow.session.flush()
    uow.audit("livinglab.milestone.added", "pilot", pilot.id, {"title": row.title})
    return row


def complete_milestone(
    uow: UnitOfWork,
    caller: Caller,
    pilot_id: uuid.UUID,
    milestone_id: uuid.UUID,
    *,
    done_on: date,
    note: str = "",
) -> Milestone:
    """Mark a planned milestone done, on the day it was done, with a note of how."""
    pilot = get_pilot(uow.session, caller, pilot_id)
    _runner(caller, pilot)
    row = uow.session.get(Milestone, milestone_id)
    if row is None or row.pilot_id != pilot.id:
        raise NotFound("no such milestone", code="milestone_not_found")
    if row.done_on is not None:
        raise Conflict("the milestone is already done", code="milestone_already_done")
    # A milestone is recorded once it happened: a day to come is a plan, not a record.
    if done_on > local_today():
        raise InvalidInput("a milestone is done on a day past", code="milestone_done_in_future")
    row.done_on = done_on
    row.done_note = note.strip()
    uow.audit(
        "livinglab.milestone.done",
        "pilot",
        pilot.id,
        {"milestone": str(row.id), "done_on": done_on.isoformat()},
    )
    return row


def milestones_of(session: Session, pilot_id: uuid.UUID) -> list[Milestone]:
    """A pilot's milestones by due date."""
    return list(
        session.execute(
            select(Milestone).where(Milestone.pilot_id == pilot_id).order_by(Milestone.due_on)
        ).scalars()
    )


def add_report(
    uow: UnitOfWork, caller: Caller, pilot_id: uuid.UUID, status: str, body: str
) -> StatusReport:
    """File a status report."""
    pilot = get_pilot(uow.session, caller, pilot_id)
    _runner(caller, pilot)
    row = StatusReport(
        pilot_id=pilot.id, status=status, body=body, author_role=str(caller.role or "system")
    )
    uow.session.add(row)
    uow.session.flush()
    uow.audit("livinglab.report.filed", "pilot", pilot.id, {"status": status})
    return row


def reports_of(session: Session, pilot_id: uuid.UUID) -> list[StatusReport]:
    """A pilot's status reports, newest first."""
    return list(
        session.execute(
            select(StatusReport)
            .where(StatusReport.pilot_id == pilot_id)
            .order_by(StatusReport.created_at.desc())
        ).scalars()
    )


def book_field(
    uow: UnitOfWork,
    caller: Caller,
    pilot_id: uuid.UUID,
    field_id: uuid.UUID,
    starts_on: date,
    ends_on: date,
) -> Booking:
    """Book a field for a pilot; a day already fully booked is refused (409), even racing."""
    pilot = get_pilot(uow.session, caller, pilot_id)
    if not (caller.office or caller.acts_for(pilot.department)):
        raise PermissionDenied(
            "the host department or the office books fields", code="not_your_department"
        )
    field = get_field(uow.session, field_id)
    name, field_key = field.name, field.id  # read now: a failed flush expires the row
    if ends_on < starts_on:
        raise InvalidInput("the booking ends before it starts", code="bad_window")
    days = (ends_on - starts_on).days + 1
    if days > MAX_BOOKING_DAYS:
        raise InvalidInput(f"a booking is at most {MAX_BOOKING_DAYS} days", code="booking_too_long")
    if not _offered(field, starts_on, ends_on):
        raise Conflict("the field is not offered for those dates", code="field_unavailable")
    used: dict[date, set[int]] = {}
    for day, slot in uow.session.execute(
        select(BookingDay.day, BookingDay.slot).where(
            BookingDay.field_id == field.id, BookingDay.day.between(starts_on, ends_on)
        )
    ):
        used.setdefault(day, set()).add(slot)
    booking = Booking(field_id=field.id, pilot_id=pilot.id, starts_on=starts_on, ends_on=ends_on)
    uow.session.add(booking)
    uow.session.flush()
    for offset in range(days):
        day = starts_on + timedelta(days=offset)
        free = [s for s in range(field.capacity) if s not in used.get(day, set())]
        if not free:
            raise Conflict(
                f"{field.name} is already booked on {day.isoformat()}", code="field_already_booked"
            )
        uow.session.add(BookingDay(booking_id=booking.id, field_id=field.id, day=day, slot=free[0]))
    try:
        uow.session.flush()
    except IntegrityError:
        # Another transaction took the same day between our read and our write;
        # the unique key (field, day, slot) refused the second one.
        raise Conflict(
            f"{name} was just booked by someone else for those dates",
            code="field_already_booked",
        ) from None
    uow.audit(
        "livinglab.field.booked",
        "field",
        field_key,
        {"pilot": str(pilot.id), "from": starts_on.isoformat(), "to": ends_on.isoformat()},
    )
    return booking


def bookings_of(session: Session, pilot_id: uuid.UUID) -> list[Booking]:
    """A pilot's field bookings."""
    return list(
        session.execute(
            select(Booking).where(Booking.pilot_id == pilot_id).order_by(Booking.starts_on)
        ).scalars()
    )


def open_pilots() -> Select[*tuple[Any, ...]]:
    """*Open data.* Published pilots: what was tried, where in its life, with which outcome."""
    return select(
        Pilot.id.label("id"),
        Pilot.title.label("title"),
        Pilot.summary.label("summary"),
        Pilot.domain.label("domain"),
        Pilot.track.label("track"),
        Pilot.state.label("state"),
        Pilot.department.label("department"),
        Pilot.vendor.label("vendor"),
        Pilot.year.label("year"),
        Pilot.running_since.label("running_since"),
        Pilot.running_until.label("running_until"),
        Pilot.outcome_summary.label("outcome_summary"),
        Pilot.state_changed_at.label("state_changed_at"),
    ).where(Pilot.published.is_(True))


def open_kpis() -> Select[*tuple[Any, ...]]:
    """*Open data.* Published pilots' KPIs: baseline, target and direction."""
    return (
        select(
            Kpi.id.label("id"),
            Kpi.pilot_id.label("pilot_id"),
            Kpi.name.label("name"),
            Kpi.unit.label("unit"),
            Kpi.baseline.label("baseline"),
            Kpi.target.label("target"),
            Kpi.direction.label("direction"),
            Kpi.statistic.label("statistic"),
            Kpi.created_at.label("created_at"),
        )
        .join(Pilot, Pilot.id == Kpi.pilot_id)
        .where(Pilot.published.is_(True))
    )
