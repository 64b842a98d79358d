"""What pilots produce: KPIs and their values, barriers, citizens' feedback, the evaluation."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartcity.core.errors import Conflict, InvalidInput, PermissionDenied
from smartcity.core.repository import get_or_404
from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.identity.service import get_user
from smartcity.modules.livinglab import kpis as kpi_values
from smartcity.modules.livinglab.access import Caller
from smartcity.modules.livinglab.models import Barrier, Feedback, Kpi, Measurement, Pilot, Score
from smartcity.modules.livinglab.service import get_pilot
from smartcity.modules.livinglab.values import (
    ALERT_STATISTICS,
    TERMINAL_STATES,
    Criterion,
    KpiSource,
    KpiStatistic,
    PilotState,
)
from smartcity.modules.sensors.values import Quantity

FEEDBACK_STATES = frozenset({PilotState.RUNNING, PilotState.EVALUATING, PilotState.EXTENDED})
SCORING_STATES = frozenset({PilotState.EVALUATING})

VoteCounter = Callable[[uuid.UUID], dict[str, int]]
"""The hook for citizen votes: a future i-Voting module registers one as
`platform.services["livinglab.votes"]`; it returns counts such as {"yes": 10, "no": 2}."""


# -- KPIs ------------------------------------------------------------------------------------


def declare_kpi(uow: UnitOfWork, caller: Caller, pilot_id: uuid.UUID, **values: Any) -> Kpi:
    """Declare a KPI with its baseline and target (a KPI without a target is refused)."""
    pilot = get_pilot(uow.session, caller, pilot_id)
    if not caller.actors(pilot):
        raise PermissionDenied("only those who run the pilot declare KPIs", code="not_your_pilot")
    if PilotState(pilot.state) in TERMINAL_STATES or pilot.state == PilotState.EVALUATING:
        raise Conflict("KPIs are declared before the evaluation", code="pilot_past_kpis")
    if values.get("target") is None:
        raise InvalidInput(
            "a KPI needs a target: what value counts as success?", code="kpi_target_missing"
        )
    source = str(values.get("source", KpiSource.MANUAL))
    statistic = str(values.get("statistic", KpiStatistic.MEDIAN))
    if source == KpiSource.SENSOR:
        _check_sensor_links(values, statistic)
    if (source == KpiSource.ALERTS) != (statistic in ALERT_STATISTICS):
        raise InvalidInput(
            "an alerts KPI, and only it, is one of the statistics "
            f"{', '.join(sorted(ALERT_STATISTICS))}",
            code="kpi_bad_statistic",
        )
    row = Kpi(
        pilot_id=pilot.id,
        name=values["name"],
        unit=values.get("unit", ""),
        baseline=values.get("baseline"),
        target=float(values["target"]),
        direction=str(values.get("direction", "higher")),
        source=source,
        statistic=statistic,
        datastream_ids=list(values.get("datastream_ids", [])),
        thing_ids=list(values.get("thing_ids", [])),
        device_ids=list(values.get("device_ids", [])),
        quantity=values.get("quantity", ""),
        expected_interval_s=values.get("expected_interval_s", 300),
    )
    uow.session.add(row)
    uow.session.flush()
    uow.audit(
        "livinglab.kpi.declared",
        "pilot",
        pilot.id,
        {"kpi": str(row.id), "name": row.name, "target": row.target, "source": source},
    )
    return row


def _check_sensor_links(values: dict[str, Any], statistic: str) -> None:
    """A sensor KPI names what it is computed from, with ids the sensor hub uses."""
    if statistic == KpiStatistic.ONLINE_RATIO:
        if not values.get("thing_ids"):
            raise InvalidInput(
                "an online-ratio KPI names the pilot's things", code="kpi_no_devices"
            )
    elif not values.get("datastream_ids") and not (
        values.get("device_ids") and values.get("quantity")
    ):
        raise InvalidInput(
            "a sensor KPI names its datastreams, or its device ids and a quantity",
            code="kpi_no_devices",
        )
    for key in ("thing_ids", "datastream_ids"):
        if not all(str(i).isdigit() and len(str(i)) < 16 for i in values.get(key, [])):
            raise InvalidInput(f"{key} are the sensor hub's numeric ids", code="kpi_bad_id")
    quantity = values.get("quantity", "")
    if quantity and quantity not in {q.value for q in Quantity}:
        raise InvalidInput(f"unknown quantity {quantity!r}", code="kpi_bad_quantity")


def get_kpi(session: Session, caller: Caller, kpi_id: uuid.UUID) -> tuple[Kpi, Pilot]:
    """A KPI and its pilot, if the caller may see the pilot."""
    row = get_or_404(session, Kpi, kpi_id, code="kpi_not_found", detail="no such KPI")
    return row, get_pilot(session, caller, row.pilot_id)


def record_value(
    uow: UnitOfWork,
    caller: Caller,
    kpi_id: uuid.UUID,
    value: float,
    measured_at: datetime | None = None,
    note: str = "",
    *,
    snapshot: bool = False,
) -> Measurement:
    """Enter a KPI value by hand (or store a snapshot of a live one)."""
    kpi, pilot = get_kpi(uow.session, caller, kpi_id)
    if not caller.actors(pilot):
        raise PermissionDenied("only those who run the pilot enter values", code="not_your_pilot")
    if kpi.source in (KpiSource.SENSOR, KpiSource.ALERTS) and not snapshot:
        raise Conflict(f"this KPI is computed live ({kpi.source})", code="kpi_is_live")
    row = Measurement(kpi_id=kpi.id, measured_at=measured_at or utcnow(), value=value, note=note)
    uow.session.add(row)
    uow.session.flush()
    uow.audit("livinglab.kpi.measured", "pilot", pilot.id, {"kpi": str(kpi.id), "value": value})
    return row


def kpis_of(session: Session, pilot: Pilot) -> list[tuple[Kpi, kpi_values.KpiValue]]:
    """A pilot's KPIs with their values."""
    rows = session.execute(
        select(Kpi).where(Kpi.pilot_id == pilot.id).order_by(Kpi.created_at, Kpi.name)
    ).scalars()
    return [(row, kpi_values.value_of(session, row, pilot)) for row in rows]


# -- barriers --------------------------------------------------------------------------------


def register_barrier(uow: UnitOfWork, caller: Caller, **values: Any) -> Barrier:
    """Record a legal or regulatory barrier found in a pilot."""
    department = caller.department or (caller.settings.office_department if caller.settings else "")
    pilot_id = values.pop("pilot_id", None)
    if pilot_id is not None:
        pilot = get_pilot(uow.session, caller, pilot_id)
        if not caller.office and not caller.acts_for(pilot.department):
            raise PermissionDenied(
                "barriers of a pilot are recorded by its host or the office",
                code="not_your_department",
            )
        department = pilot.department or department
    row = Barrier(
        pilot_id=pilot_id,
        department=department or "SCPMO",
        law=values["law"],
        article=values.get("article", ""),
        blocks=values["blocks"],
        workaround=values.get("workaround", ""),
        amendment=values.get("amendment", ""),
        status=str(values.get("status", "identified")),
    )
    uow.session.add(row)
    uow.session.flush()
    uow.audit("livinglab.barrier.registered", "barrier", row.id, {"law": row.law})
    return row


def update_barrier(
    uow: UnitOfWork, caller: Caller, barrier_id: uuid.UUID, changes: dict[str, Any]
) -> Barrier:
    """Move a barrier along (proposed, under review, amended…)."""
    row = get_or_404(uow.session, Barrier, barrier_id, code="barrier_not_found")
    caller.require_department(row.department)
    applied = {k: (str(v) if k == "status" else v) for k, v in changes.items() if v is not None}
    for key, value in applied.items():
        setattr(row, key, value)
    uow.audit("livinglab.barrier.updated", "barrier", row.id, applied)
    return row


def list_barriers(
    session: Session, status: str | None = None, pilot_id: uuid.UUID | None = None
) -> list[Barrier]:
    """The register, newest first."""
    query = select(Barrier).order_by(Barrier.created_at.desc())
    if status:
        query = query.where(Barrier.status == status)
    if pilot_id:
        query = query.where(Barrier.pilot_id == pilot_id)
    return list(session.execute(query.limit(1000)).scalars())


# -- citizens in the loop ---------------------------------------------------------------------


def give_feedback(uow: UnitOfWork, caller: Caller, pilot_id: uuid.UUID, **values: Any) -> Feedback:
    """A verified citizen rates a pilot they tried (once per pilot)."""
    pilot = get_pilot(uow.session, caller, pilot_id)
    user = get_user(uow.session, str(caller.principal.id))
    if user.verification_level != "verified":
        raise PermissionDenied(
            "feedback needs a verified digital ID (verify at a counter or with the digital-ID app)",
            code="verification_required",
        )
    if PilotState(pilot.state) not in FEEDBACK_STATES:
        raise Conflict(
            "feedback opens while the pilot runs and is evaluated", code="feedback_closed"
        )
    row = Feedback(pilot_id=pilot.id, user_id=user.id, **values)
    uow.session.add(row)
    try:
        uow.session.flush()
    except IntegrityError:
        raise Conflict("you already gave feedback on this pilot", code="feedback_exists") from None
    uow.audit("livinglab.feedback.given", "pilot", pilot.id, {"rating": row.rating})
    return row


def feedback_summary(
    session: Session, pilot: Pilot, votes: VoteCounter | None = None
) -> dict[str, Any]:
    """Counts, average and comments (never who wrote them), plus votes when a counter exists."""
    rows = list(
        session.execute(
            select(Feedback).where(Feedback.pilot_id == pilot.id).order_by(Feedback.created_at)
        ).scalars()
    )
    ratings = Counter(str(r.rating) for r in rows)
    return {
        "pilot_id": pilot.id,
        "count": len(rows),
        "average_rating": round(sum(r.rating for r in rows) / len(rows), 2) if rows else None,
        "ratings": {str(k): ratings.get(str(k), 0) for k in range(1, 6)},
        "would_use": sum(1 for r in rows if r.would_use),
        "comments": [r.comment for r in rows if r.comment][-50:],
        "votes": votes(pilot.id) if votes else None,
    }


# -- evaluation ---------------------------------------------------------------------------------


def score(
    uow: UnitOfWork, caller: Caller, pilot_id: uuid.UUID, criterion: str, value: int, comment: str
) -> Score:
    """An officer of the host department, the office or an expert scores one criterion."""
    pilot = get_pilot(uow.session, caller, pilot_id)
    if not (caller.office or caller.expert or caller.acts_for(pilot.department)):
        raise PermissionDenied(
            "the host department, the office and experts score pilots", code="not_your_department"
        )
    if PilotState(pilot.state) not in SCORING_STATES:
        raise Conflict("pilots are scored while being evaluated", code="not_evaluating")
    Criterion(criterion)
    scorer = str(caller.principal.id or caller.principal.kind)
    kind = "expert" if caller.expert else ("admin" if caller.is_admin else "officer")
    existing = uow.session.execute(
        select(Score).where(
            Score.pilot_id == pilot.id, Score.criterion == criterion, Score.scorer_id == scorer
        )
    ).scalar_one_or_none()
    row = existing or Score(pilot_id=pilot.id, criterion=criterion, scorer_id=scorer)
    row.score, row.comment, row.scorer_kind = value, comment, kind
    if existing is None:
        uow.session.add(row)
    uow.session.flush()
    uow.audit(
        "livinglab.evaluation.scored",
        "pilot",
        pilot.id,
        {"criterion": criterion, "score": value, "by": kind},
    )
    return row


def evaluation_of(session: Session, pilot: Pilot) -> dict[str, Any]:
    """Scores, averages per criterion and the decision."""
    rows = list(session.execute(select(Score).where(Score.pilot_id == pilot.id)).scalars())
    by: dict[str, list[int]] = {}
    for row in rows:
        by.setdefault(row.criterion, []).append(row.score)
    averages = {k: round(sum(v) / len(v), 2) for k, v in sorted(by.items())}
    decided = pilot.state in (
        PilotState.ADOPTED,
        PilotState.PROCURED,
        PilotState.EXTENDED,
        PilotState.CLOSED,
    )
    return {
        "pilot_id": pilot.id,
        "scores": [
            {"criterion": r.criterion, "score": r.score, "by": r.scorer_kind, "comment": r.comment}
            for r in rows
        ],
        "averages": averages,
        "overall": round(sum(averages.values()) / len(averages), 2) if averages else None,
        "decision": pilot.state if decided else None,
        "reference": pilot.decision_reference,
    }
