"""alerts' request and response bodies, in the FIWARE Alert model's camelCase names."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from smartcity.modules.alerts.models import Alert, DeadLetter
from smartcity.modules.alerts.values import SUB_CATEGORIES, Category, Severity, Verdict

DeviceId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
]
EventId = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:/#@-]+$")
]


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Point(BaseModel):
    """A GeoJSON Point (RFC 7946 §3.1.2): coordinates are [longitude, latitude]."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["Point"]
    coordinates: tuple[float, float]

    @field_validator("coordinates")
    @classmethod
    def _on_earth(cls, value: tuple[float, float]) -> tuple[float, float]:
        longitude, latitude = value
        if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
            raise ValueError("coordinates are [longitude, latitude] in degrees")
        return value


class EventIn(_Camel):
    """An event a detector reports: one FIWARE Alert."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    alert_source: DeviceId | None = Field(
        None, description="The detector's device id (over MQTT the topic names it)."
    )
    event_id: EventId = Field(description="The device's own id of this event: stored once.")
    category: Category
    sub_category: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    severity: Severity
    location: Point
    date_issued: AwareDatetime
    description: Annotated[str, StringConstraints(max_length=500)] = ""
    data: dict[str, Any] = Field(
        default_factory=dict, description="The detector's raw output (bounded in size)."
    )

    @model_validator(mode="after")
    def _sub_category_of_category(self) -> EventIn:
        if self.sub_category not in SUB_CATEGORIES[self.category]:
            allowed = ", ".join(sorted(SUB_CATEGORIES[self.category]))
            raise ValueError(
                f"subCategory {self.sub_category!r} is not one of {self.category.value}'s: "
                f"{allowed}"
            )
        return self


def event_schema() -> dict[str, Any]:
    """EventIn's JSON Schema with its definitions inlined, for the OpenAPI request body
    (where a `#/$defs/…` reference would point into the OpenAPI document, not the schema)."""
    schema = EventIn.model_json_schema(by_alias=True)
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref", "")
            if reference.startswith("#/$defs/"):
                return inline(definitions[reference.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    inlined: dict[str, Any] = inline(schema)
    return inlined


EVENT_EXAMPLE = {
    "alertSource": "ACOUSTIC-01",
    "eventId": "evt-000123",
    "category": "traffic",
    "subCategory": "carAccident",
    "severity": "high",
    "location": {"type": "Point", "coordinates": [121.3, 24.1]},
    "dateIssued": "2026-12-01T08:15:03Z",
    "description": "possible collision",
    "data": {"confidence": 0.87, "clip": "clip-88431"},
}


class AlertOut(_Camel):
    """A stored alert as its department's console sees it."""

    id: uuid.UUID
    alert_source: str
    event_id: str
    category: str
    sub_category: str
    severity: str
    location: Point
    date_issued: datetime
    description: str
    data: dict[str, Any]
    department: str | None
    status: str
    received_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    note: str

    @classmethod
    def of(cls, alert: Alert, device_id: str) -> AlertOut:
        """The response for `alert` of detector `device_id`."""
        return cls(
            id=alert.id,
            alert_source=device_id,
            event_id=alert.event_id,
            category=alert.category,
            sub_category=alert.sub_category,
            severity=alert.severity,
            location=Point(type="Point", coordinates=(alert.longitude, alert.latitude)),
            date_issued=alert.date_issued,
            description=alert.description,
            data=alert.data,
            department=alert.department,
            status=alert.status,
            received_at=alert.received_at,
            acknowledged_at=alert.acknowledged_at,
            resolved_at=alert.resolved_at,
            note=alert.note,
        )


class ResolveIn(BaseModel):
    """An officer's verdict on an acknowledged alert."""

    model_config = ConfigDict(extra="forbid")

    verdict: Verdict
    note: Annotated[str, StringConstraints(max_length=500)] = ""


class DeadLetterOut(_Camel):
    """A refused event with the reason."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)

    id: int
    received_at: datetime
    source: str
    sender: str
    device_id: str
    code: str
    reason: str
    payload: str

    @classmethod
    def of(cls, row: DeadLetter) -> DeadLetterOut:
        """The response for a dead letter."""
        return cls.model_validate(row)
