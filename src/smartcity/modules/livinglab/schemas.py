"""Pydantic bodies of livinglab's API (inputs forbid unknown fields; sizes are bounded)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from smartcity.modules.livinglab.values import (
    BarrierStatus,
    CostBearer,
    Criterion,
    Direction,
    Domain,
    FieldKind,
    KpiSource,
    KpiStatistic,
    ReportStatus,
)

Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=5000)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
Ref = Annotated[str, StringConstraints(max_length=200)]
Day = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
"""Dates the living lab accepts (bounded so that date arithmetic never overflows)."""
Moment = Annotated[
    datetime,
    Field(ge=datetime(2000, 1, 2), le=datetime(2100, 12, 30)),  # noqa: DTZ001  # bounds only
]


class In(BaseModel):
    """Base of request bodies."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """Base of responses."""

    model_config = ConfigDict(from_attributes=True)


class Created(Out):
    """The id of a new record."""

    id: uuid.UUID


# -- fields ------------------------------------------------------------------------


class Window(In):
    """A date range, both ends included."""

    start: Day
    end: Day


class FieldIn(In):
    """A test site offered by the caller's department."""

    name: Text200
    kind: FieldKind
    address: Annotated[str, StringConstraints(max_length=300)] = ""
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    capacity: int = Field(1, ge=1, le=20)
    availability: list[Window] = Field(default_factory=list, max_length=20)
    site_rules: LongText = ""
    contact: Ref = ""
    domains: list[Domain] = Field(default_factory=list, max_length=8)
    department: Code | None = None
    """Only administrators name the department; officers offer their own."""


class FieldOut(Out):
    """A test site."""

    id: uuid.UUID
    name: str
    kind: str
    department: str
    address: str
    latitude: float | None
    longitude: float | None
    capacity: int
    availability: list[list[str]]
    site_rules: str
    contact: str
    domains: list[str]


# -- challenges -----------------------------------------------------------------------


class ChallengeIn(In):
    """A need the caller's department publishes."""

    title: Text200
    description: Annotated[str, StringConstraints(min_length=1, max_length=5000)]
    domain: Domain
    expected_outcome: LongText = ""
    field_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)
    opens_on: Day | None = None
    closes_on: Day | None = None
    round: Annotated[str, StringConstraints(max_length=16)] = ""
    department: Code | None = None


class ChallengeOut(Out):
    """A published challenge."""

    id: uuid.UUID
    title: str
    description: str
    domain: str
    department: str
    expected_outcome: str
    field_ids: list[str]
    opens_on: date
    closes_on: date
    status: str
    round: str


# -- proposals ----------------------------------------------------------------------------


class ProposalIn(In):
    """A vendor's proposal; `draft: true` keeps it private until submitted."""

    title: Text200
    summary: Annotated[str, StringConstraints(min_length=1, max_length=5000)]
    domain: Domain
    challenge_id: uuid.UUID | None = None
    technology: LongText = ""
    field_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)
    field_kinds: list[FieldKind] = Field(default_factory=list, max_length=7)
    duration_weeks: int = Field(20, ge=1, le=156)
    cost_bearer: CostBearer = CostBearer.VENDOR
    cost_ntd: int = Field(0, ge=0, le=10_000_000_000)
    data_produced: LongText = ""
    risks: LongText = ""
    earliest_start: Day | None = None
    draft: bool = False


class ProposalPatch(In):
    """Changes to a draft proposal."""

    title: Text200 | None = None
    summary: Annotated[str, StringConstraints(min_length=1, max_length=5000)] | None = None
    technology: LongText | None = None
    data_produced: LongText | None = None
    risks: LongText | None = None
    duration_weeks: int | None = Field(None, ge=1, le=156)
    cost_ntd: int | None = Field(None, ge=0, le=10_000_000_000)


class AttachmentOut(Out):
    """A stored attachment's description."""

    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str


class ProposalOut(Out):
    """A proposal."""

    id: uuid.UUID
    vendor: str
    challenge_id: uuid.UUID | None
    title: str
    summary: str
    technology: str
    domain: str
    field_ids: list[str]
    field_kinds: list[str]
    duration_weeks: int
    cost_bearer: str
    cost_ntd: int
    data_produced: str
    risks: str
    earliest_start: date | None
    status: str


class Match(BaseModel):
    """One ranked candidate with the reasons it ranks there."""

    proposal_id: uuid.UUID
    score: float
    reasons: list[str]


class SimilarIn(In):
    """A proposal being written: what to compare it with."""

    title: Text200
    summary: Annotated[str, StringConstraints(min_length=1, max_length=5000)]
    domain: Domain | None = None


class Similar(BaseModel):
    """A proposal like the one being written, with why it looks alike."""

    proposal_id: uuid.UUID
    title: str
    score: float
    reasons: list[str]


class Suggestion(BaseModel):
    """A department, challenge or field suggested for a bottom-up proposal."""

    kind: str
    id: str
    title: str
    score: float
    reasons: list[str]


# -- pilots -----------------------------------------------------------------------------------


class PilotIn(In):
    """Take a submitted proposal in as a pilot."""

    proposal_id: uuid.UUID
    department: Code | None = None


class PilotPatch(In):
    """Facts of a pilot its host records."""

    agreement_ref: Ref | None = None
    agreement_signed_on: Day | None = None
    outcome_summary: LongText | None = None


class TransitionIn(In):
    """Move a pilot to state `to`."""

    to: Annotated[str, StringConstraints(max_length=32)]
    reason: LongText = ""
    reference: Ref = ""
    """The policy or procurement reference (needed for adopted and procured)."""
    department: Code | None = None
    """The host department, when matching a bottom-up pilot."""
    agreement_ref: Ref | None = None


class PilotSummary(Out):
    """A pilot as the public list shows it."""

    id: uuid.UUID
    title: str
    domain: str
    track: str
    state: str
    department: str | None
    vendor: str
    year: int


class TransitionOut(Out):
    """One state change."""

    from_state: str | None
    to_state: str
    actor_role: str
    reason: str
    at: datetime


class PilotOut(PilotSummary):
    """A pilot with its facts."""

    summary: str
    proposal_id: uuid.UUID | None
    challenge_id: uuid.UUID | None
    published: bool
    agreement_ref: str
    agreement_signed_on: date | None
    decision_reference: str
    decision_note: str
    outcome_summary: str
    running_since: datetime | None
    running_until: datetime | None
    allowed_next: list[str] = Field(default_factory=list)


class MilestoneIn(In):
    """A planned step."""

    title: Text200
    due_on: Day
    done_on: Day | None = None


class MilestoneDoneIn(In):
    """A planned step marked done: the day it was done and how."""

    done_on: Day
    note: LongText = ""


class MilestoneOut(Out):
    """A planned step."""

    id: uuid.UUID
    title: str
    due_on: date
    done_on: date | None
    done_note: str


class ReportIn(In):
    """A status report."""

    status: ReportStatus
    body: Annotated[str, StringConstraints(min_length=1, max_length=5000)]


class ReportOut(Out):
    """A status report."""

    id: uuid.UUID
    status: str
    body: str
    author_role: str
    created_at: datetime


class BookingIn(In):
    """Book a field for a pilot, both ends included."""

    field_id: uuid.UUID
    starts_on: Day
    ends_on: Day


class BookingOut(Out):
    """A field booking."""

    id: uuid.UUID
    field_id: uuid.UUID
    pilot_id: uuid.UUID
    starts_on: date
    ends_on: date


# -- KPIs -----------------------------------------------------------------------------------------


class KpiIn(In):
    """A KPI with baseline and target; `sensor` KPIs name the pilot's datastreams or things."""

    name: Text200
    unit: Annotated[str, StringConstraints(max_length=32)] = ""
    baseline: float | None = Field(None, ge=-1e12, le=1e12)
    target: float | None = Field(None, ge=-1e12, le=1e12)
    direction: Direction = Direction.HIGHER
    source: KpiSource = KpiSource.MANUAL
    statistic: KpiStatistic = KpiStatistic.MEDIAN
    datastream_ids: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        default_factory=list, max_length=50
    )
    thing_ids: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        default_factory=list, max_length=50
    )
    device_ids: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        default_factory=list, max_length=50
    )
    quantity: Annotated[str, StringConstraints(max_length=16)] = ""
    """With `device_ids`: the sensor quantity (`pm25`, `pm10`, `temperature`…)."""
    expected_interval_s: int = Field(300, ge=1, le=86_400)


class MeasurementIn(In):
    """A hand-entered KPI value."""

    value: float = Field(ge=-1e12, le=1e12)
    measured_at: Moment | None = None
    note: Annotated[str, StringConstraints(max_length=300)] = ""


class MeasurementOut(Out):
    """A KPI value."""

    measured_at: datetime
    value: float
    note: str


class KpiOut(Out):
    """A KPI with its current value and whether it meets its target."""

    id: uuid.UUID
    name: str
    unit: str
    baseline: float | None
    target: float
    direction: str
    source: str
    statistic: str
    datastream_ids: list[str]
    thing_ids: list[str]
    device_ids: list[str]
    quantity: str
    current: float | None = None
    met: bool | None = None
    live: str = ""


# -- barriers, feedback, evaluation ------------------------------------------------------


class BarrierIn(In):
    """A legal or regulatory constraint found in a pilot."""

    pilot_id: uuid.UUID | None = None
    law: Text200
    article: Annotated[str, StringConstraints(max_length=100)] = ""
    blocks: Annotated[str, StringConstraints(min_length=1, max_length=5000)]
    workaround: LongText = ""
    amendment: LongText = ""
    status: BarrierStatus = BarrierStatus.IDENTIFIED


class BarrierPatch(In):
    """A barrier's new status or amendment text."""

    status: BarrierStatus | None = None
    amendment: LongText | None = None
    workaround: LongText | None = None


class BarrierOut(Out):
    """A barrier."""

    id: uuid.UUID
    pilot_id: uuid.UUID | None
    department: str
    law: str
    article: str
    blocks: str
    workaround: str
    amendment: str
    status: str


class FeedbackIn(In):
    """A citizen's structured feedback on a pilot they tried."""

    rating: int = Field(ge=1, le=5)
    ease: int | None = Field(None, ge=1, le=5)
    would_use: bool | None = None
    comment: Annotated[str, StringConstraints(max_length=2000)] = ""


class FeedbackSummary(BaseModel):
    """Counts and averages of a pilot's feedback (comments without names)."""

    pilot_id: uuid.UUID
    count: int
    average_rating: float | None
    ratings: dict[str, int]
    would_use: int
    comments: list[str]
    votes: dict[str, int] | None = None


class ScoreIn(In):
    """One criterion of the opportunity evaluation."""

    criterion: Criterion
    score: int = Field(ge=1, le=5)
    comment: LongText = ""


class EvaluationOut(BaseModel):
    """The opportunity evaluation so far."""

    pilot_id: uuid.UUID
    scores: list[dict[str, object]]
    averages: dict[str, float]
    overall: float | None
    decision: str | None
    reference: str


class ImportIn(In):
    """A signed pilot record from another city."""

    document: dict[str, object]
    signature: Annotated[str, StringConstraints(max_length=200)]
    public_key: Annotated[str, StringConstraints(max_length=100)]
    algorithm: Annotated[str, StringConstraints(max_length=16)] = "Ed25519"


class ExternalPilotOut(Out):
    """A pilot from another city."""

    id: uuid.UUID
    origin: str
    source_id: str
    title: str
    domain: str
    vendor: str
    state: str
    key_fingerprint: str
