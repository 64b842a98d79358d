"""livinglab's vocabularies: domains, tracks, pilot states and the rest."""

from __future__ import annotations

from enum import StrEnum

from smartcity.core.i18n import N_


class Domain(StrEnum):
    """The 1 + 7 domains in which departments publish needs."""

    GOVERNMENT = "government"
    """Smart government: services, data, back office."""
    BUILDING = "building"
    """Smart building: housing, construction, facilities."""
    TRANSPORT = "transport"
    """Smart transport: parking, buses, traffic, self-driving."""
    EDUCATION = "education"
    """Smart education: campuses, learning, school safety."""
    HEALTH = "health"
    """Smart health: hospitals, care, long-term care."""
    SECURITY = "security"
    """Smart security: policing, fire, disaster response."""
    ENVIRONMENT = "environment"
    """Smart environment: air, water, waste, energy."""
    ECONOMY = "economy"
    """Smart economy: markets, shops, payments, tourism."""


DOMAIN_NAMES = {
    Domain.GOVERNMENT: "智慧政府 Government",
    Domain.BUILDING: "智慧建築 Building",
    Domain.TRANSPORT: "智慧交通 Transport",
    Domain.EDUCATION: "智慧教育 Education",
    Domain.HEALTH: "智慧健康 Health",
    Domain.SECURITY: "智慧安全 Security",
    Domain.ENVIRONMENT: "智慧環境 Environment",
    Domain.ECONOMY: "智慧經濟 Economy",
}


DOMAIN_LABELS = {
    Domain.GOVERNMENT: N_("Smart government"),
    Domain.BUILDING: N_("Smart building"),
    Domain.TRANSPORT: N_("Smart transport"),
    Domain.EDUCATION: N_("Smart education"),
    Domain.HEALTH: N_("Smart health"),
    Domain.SECURITY: N_("Smart security"),
    Domain.ENVIRONMENT: N_("Smart environment"),
    Domain.ECONOMY: N_("Smart economy"),
}
"""Each domain's name on pages, translated where shown (`DOMAIN_NAMES` is matching's)."""


class Track(StrEnum):
    """How a pilot came to the city."""

    BOTTOM_UP = "bottom_up"
    """A company proposed it; the office found a department and a field."""
    CHALLENGE = "challenge"
    """The government set the problem and industry answered it."""


TRACK_LABELS = {
    Track.BOTTOM_UP: N_("Bottom-up"),
    Track.CHALLENGE: N_("City challenge"),
}
"""Each track's name on pages."""


class PilotState(StrEnum):
    """Where a pilot stands in the proof-of-concept pipeline."""

    PROPOSED = "proposed"
    """A submitted proposal taken in as a pilot candidate."""
    SCREENING = "screening"
    """The office is reviewing it in writing."""
    MATCHED = "matched"
    """A host department (and field) agreed to look at it; published from here on."""
    AGREED = "agreed"
    """A cooperation agreement is signed."""
    PREPARING = "preparing"
    """Fields booked, devices installed, people briefed."""
    RUNNING = "running"
    """The field trial is on; citizens may try it."""
    EVALUATING = "evaluating"
    """Trial over; officers and experts score the opportunity."""
    ADOPTED = "adopted"
    """Became city policy or a standing service."""
    PROCURED = "procured"
    """The city buys it (a procurement reference is recorded)."""
    EXTENDED = "extended"
    """The trial is extended (it may run again)."""
    CLOSED = "closed"
    """Ended without adoption; results stay public."""
    WITHDRAWN = "withdrawn"
    """Withdrawn by the vendor or the city before evaluation."""


TERMINAL_STATES = frozenset(
    {PilotState.ADOPTED, PilotState.PROCURED, PilotState.CLOSED, PilotState.WITHDRAWN}
)
PUBLISHED_FROM = frozenset(
    {
        PilotState.MATCHED,
        PilotState.AGREED,
        PilotState.PREPARING,
        PilotState.RUNNING,
        PilotState.EVALUATING,
        PilotState.ADOPTED,
        PilotState.PROCURED,
        PilotState.EXTENDED,
        PilotState.CLOSED,
    }
)
"""Reaching one of these states publishes a pilot (it stays published afterwards)."""

STATE_LABELS = {
    PilotState.PROPOSED: N_("Proposed"),
    PilotState.SCREENING: N_("Screening"),
    PilotState.MATCHED: N_("Matched"),
    PilotState.AGREED: N_("Agreed"),
    PilotState.PREPARING: N_("Preparing"),
    PilotState.RUNNING: N_("Running in the field"),
    PilotState.EVALUATING: N_("Evaluating"),
    PilotState.ADOPTED: N_("Adopted as policy"),
    PilotState.PROCURED: N_("Procured"),
    PilotState.EXTENDED: N_("Extended"),
    PilotState.CLOSED: N_("Closed"),
    PilotState.WITHDRAWN: N_("Withdrawn"),
}
"""Each pilot state's name on pages, translated where shown."""


class ProposalStatus(StrEnum):
    """Where a vendor's proposal stands."""

    DRAFT = "draft"
    """Only its vendor sees and edits it."""
    SUBMITTED = "submitted"
    """Open: officers see it and matching ranks it."""
    PILOTED = "piloted"
    """Taken in as a pilot."""
    WITHDRAWN = "withdrawn"
    """Withdrawn by its vendor."""


PROPOSAL_STATUS_LABELS = {
    ProposalStatus.DRAFT: N_("Draft"),
    ProposalStatus.SUBMITTED: N_("Submitted"),
    ProposalStatus.PILOTED: N_("Taken in as a pilot"),
    ProposalStatus.WITHDRAWN: N_("Proposal withdrawn"),
}
"""Each proposal status's name on pages."""


class ChallengeStatus(StrEnum):
    """Whether a challenge takes proposals."""

    OPEN = "open"
    """Published and soliciting."""
    CLOSED = "closed"
    """No longer soliciting."""


CHALLENGE_STATUS_LABELS = {
    ChallengeStatus.OPEN: N_("Open for proposals"),
    ChallengeStatus.CLOSED: N_("Closed for proposals"),
}
"""Each challenge status's name on pages."""


class FieldKind(StrEnum):
    """What kind of test site a field is."""

    SCHOOL = "school"
    """A school campus."""
    HOSPITAL = "hospital"
    """A hospital ward or clinic."""
    ROAD = "road"
    """A road segment or bus lane."""
    PARK = "park"
    """A park or riverside."""
    MARKET = "market"
    """A public market."""
    BUILDING = "building"
    """A public building, housing estate or office."""
    OTHER = "other"
    """Anything else."""


FIELD_KIND_LABELS = {
    FieldKind.SCHOOL: N_("School"),
    FieldKind.HOSPITAL: N_("Hospital"),
    FieldKind.ROAD: N_("Road"),
    FieldKind.PARK: N_("Park"),
    FieldKind.MARKET: N_("Market"),
    FieldKind.BUILDING: N_("Public building"),
    FieldKind.OTHER: N_("Other site"),
}
"""Each field kind's name on pages."""

FIELD_KIND_NAMES = {
    FieldKind.SCHOOL: "學校 school",
    FieldKind.HOSPITAL: "醫院 hospital",
    FieldKind.ROAD: "道路 road",
    FieldKind.PARK: "公園 park",
    FieldKind.MARKET: "市場 market",
    FieldKind.BUILDING: "公有建築 public building",
    FieldKind.OTHER: "其他場域 other site",
}
"""Each field kind's name in matching's reasons, which are written in both languages."""


class CostBearer(StrEnum):
    """Who pays for the pilot."""

    VENDOR = "vendor"
    """The vendor bears the cost (the usual PoC)."""
    CITY = "city"
    """The city pays (a bought mini-pilot)."""
    SHARED = "shared"
    """Shared between them."""


class KpiSource(StrEnum):
    """Where a KPI's value comes from."""

    MANUAL = "manual"
    """Entered by hand by the host department or the vendor."""
    SENSOR = "sensor"
    """Computed from the pilot's devices in the sensor hub."""
    ALERTS = "alerts"
    """Computed from the events the pilot's detectors raised (the alerts module)."""


class KpiStatistic(StrEnum):
    """How a sensor KPI is computed over the running window."""

    MEDIAN = "median"
    """Median of the linked datastreams' readings."""
    MEAN = "mean"
    """Mean of the readings."""
    ONLINE_RATIO = "online_ratio"
    """Share of expected reports the linked things sent (0–100 %)."""
    DETECTIONS_PER_DAY = "detections_day"
    """Alerts KPIs: events the pilot's detectors raised per day of the running window."""
    SHARE_CONFIRMED = "share_confirmed"
    """Alerts KPIs: confirmed ÷ (confirmed + false alarms), 0–100 %."""
    MINUTES_TO_ACKNOWLEDGE = "ack_minutes"
    """Alerts KPIs: median minutes from an event's receipt to an officer's acknowledgement."""


ALERT_STATISTICS = frozenset(
    {
        KpiStatistic.DETECTIONS_PER_DAY,
        KpiStatistic.SHARE_CONFIRMED,
        KpiStatistic.MINUTES_TO_ACKNOWLEDGE,
    }
)
"""The statistics an `alerts` KPI may use, and only it."""


class Direction(StrEnum):
    """Which way is better for a KPI."""

    HIGHER = "higher"
    """Reaching or passing the target from below."""
    LOWER = "lower"
    """Staying at or under the target."""


class BarrierStatus(StrEnum):
    """Where a legal or regulatory barrier stands."""

    IDENTIFIED = "identified"
    """Found in a pilot."""
    PROPOSED = "proposed"
    """An amendment is proposed."""
    UNDER_REVIEW = "under_review"
    """Before the Smart City Committee, the council or central government."""
    AMENDED = "amended"
    """The rule was changed."""
    DECLINED = "declined"
    """The amendment was not taken up."""


BARRIER_STATUS_LABELS = {
    BarrierStatus.IDENTIFIED: N_("Identified"),
    BarrierStatus.PROPOSED: N_("Amendment proposed"),
    BarrierStatus.UNDER_REVIEW: N_("Under review"),
    BarrierStatus.AMENDED: N_("Amended"),
    BarrierStatus.DECLINED: N_("Amendment declined"),
}
"""Each barrier status's name on pages."""


class Criterion(StrEnum):
    """Criteria of the opportunity evaluation (each scored 1–5)."""

    EFFECTIVENESS = "effectiveness"
    """Did it meet its KPIs in the field?"""
    CITIZEN_VALUE = "citizen_value"
    """Did citizens find it useful?"""
    SCALABILITY = "scalability"
    """Can it scale city-wide?"""
    COST = "cost"
    """Is the cost reasonable against the benefit?"""
    LEGAL_READINESS = "legal_readiness"
    """Can it run under current rules (or with known amendments)?"""


CRITERION_LABELS = {
    Criterion.EFFECTIVENESS: N_("Effectiveness"),
    Criterion.CITIZEN_VALUE: N_("Value to citizens"),
    Criterion.SCALABILITY: N_("Scalability"),
    Criterion.COST: N_("Cost against benefit"),
    Criterion.LEGAL_READINESS: N_("Legal readiness"),
}
"""Each evaluation criterion's name on pages."""


class ReportStatus(StrEnum):
    """A status report's health flag."""

    ON_TRACK = "on_track"
    """As planned."""
    AT_RISK = "at_risk"
    """Behind or facing a problem."""
    BLOCKED = "blocked"
    """Cannot continue until something changes."""
