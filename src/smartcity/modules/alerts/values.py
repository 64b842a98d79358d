"""alerts' vocabularies, after the FIWARE Smart Data Models `Alert` (dataModel.Alert)."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """What an alert is about (the Alert model's `category`)."""

    TRAFFIC = "traffic"
    """Road traffic: accidents, jams, hazards on the road."""
    NATURAL_DISASTER = "naturalDisaster"
    """Floods, earthquakes, fires in the open."""
    WEATHER = "weather"
    """Rain, storms, heat and cold."""
    ENVIRONMENT = "environment"
    """Pollution levels."""
    HEALTH = "health"
    """A person in medical need."""
    SECURITY = "security"
    """Intrusion, suspicious actions, crime."""
    AGRICULTURE = "agriculture"
    """Crops and livestock."""


SUB_CATEGORIES: dict[Category, frozenset[str]] = {
    Category.TRAFFIC: frozenset(
        {
            "trafficJam",
            "carAccident",
            "carWrongDirection",
            "carStopped",
            "pothole",
            "roadClosed",
            "roadWorks",
            "hazardOnRoad",
            "injuredBiker",
        }
    ),
    Category.NATURAL_DISASTER: frozenset(
        {"flood", "earthquake", "tsunami", "forestFire", "landslide"}
    ),
    Category.WEATHER: frozenset(
        {"rainfall", "rainStorm", "heatWave", "coldWave", "hurricane", "tornado", "fog"}
    ),
    Category.ENVIRONMENT: frozenset({"highLevelOfPollutants", "noise"}),
    Category.HEALTH: frozenset({"asthmaAttack", "bumpedPatient", "fallenPatient", "heartAttack"}),
    Category.SECURITY: frozenset(
        {"suspiciousAction", "robbery", "assault", "civilDisorder", "buildingFire"}
    ),
    Category.AGRICULTURE: frozenset({"pest", "frost", "drought"}),
}
"""The Alert model's `subCategory` values the platform accepts, per category."""


class Severity(StrEnum):
    """How urgent an alert is (the Alert model's `severity`)."""

    INFORMATIONAL = "informational"
    """For the record; nobody needs to act."""
    LOW = "low"
    """Look at it today."""
    MEDIUM = "medium"
    """Look at it within the hour."""
    HIGH = "high"
    """Look at it now."""
    CRITICAL = "critical"
    """Lives or property at risk: act at once."""


SEVERITY_RANK = {severity: rank for rank, severity in enumerate(Severity)}
"""Severities in order, for sorting the console (critical last in the enum, first on screen)."""


class AlertStatus(StrEnum):
    """Where an alert stands in the department's console."""

    OPEN = "open"
    """Raised by a detector; nobody has looked at it yet."""
    ACKNOWLEDGED = "acknowledged"
    """An officer has seen it and is checking."""
    CONFIRMED = "confirmed"
    """The officer found the event real."""
    FALSE_ALARM = "false_alarm"
    """The officer found nothing: the detector was wrong."""


class Verdict(StrEnum):
    """What an officer concludes about an acknowledged alert."""

    CONFIRMED = "confirmed"
    """The event happened."""
    FALSE_ALARM = "false_alarm"
    """The event did not happen."""


class Source(StrEnum):
    """How an event reached the platform."""

    HTTP = "http"
    """`POST /api/v1/alerts/events`."""
    MQTT = "mqtt"
    """The `alerts/<device>/…` topics, through `smartcity alerts mqtt`."""


class AlertFigure(StrEnum):
    """Figures over a pilot's alerts that other modules read (the living lab's KPIs)."""

    DETECTIONS_PER_DAY = "detections_day"
    """Alerts raised per day of the window."""
    SHARE_CONFIRMED = "share_confirmed"
    """Confirmed ÷ (confirmed + false alarms), in per cent."""
    MINUTES_TO_ACKNOWLEDGE = "ack_minutes"
    """Median minutes from receipt to an officer's acknowledgement."""
