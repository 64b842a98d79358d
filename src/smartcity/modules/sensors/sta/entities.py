"""The eight SensorThings entity types: properties, navigation, JSON form and SQL form."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute

from smartcity.modules.sensors.models import (
    Datastream,
    FeatureOfInterest,
    HistoricalLocation,
    HistoricalLocationLocation,
    Location,
    Observation,
    ObservedProperty,
    Sensor,
    Thing,
    ThingLocation,
)


def iso_ms(ms: int | None) -> str | None:
    """Epoch ms → `2024-11-02T00:15:03.000Z`."""
    if ms is None:
        return None
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_dt(value: datetime | None) -> str | None:
    """An aware datetime → ISO text with Z."""
    if value is None:
        return None
    return iso_ms(round(value.timestamp() * 1000))


@dataclass(frozen=True)
class Prop:
    """A property: its STA name, ORM attribute and kind (how it is compared and shown)."""

    name: str
    attr: str
    kind: str
    """`id`, `string`, `json`, `time`, `number`, `result`, `geo`, `interval`."""
    required: bool = False
    writable: bool = True


@dataclass(frozen=True)
class Nav:
    """A navigation property.

    To-one: `fk` is the parent's attribute holding the target id.
    To-many: either `target_fk` (the target's attribute holding the parent id) or a link
    table (`link`, `link_parent`, `link_target`).
    """

    name: str
    target: str
    many: bool
    fk: str | None = None
    target_fk: str | None = None
    link: Any = None
    link_parent: str | None = None
    link_target: str | None = None


@dataclass
class EntityType:
    """One entity set."""

    plural: str
    singular: str
    model: Any
    props: dict[str, Prop]
    navs: dict[str, Nav] = field(default_factory=dict)

    def column(self, name: str) -> InstrumentedAttribute[Any]:
        """The ORM attribute for a property."""
        return getattr(self.model, self.props[name].attr)  # type: ignore[no-any-return]

    def children_condition(self, nav: Nav, parent_id: Any) -> ColumnElement[bool]:
        """Rows of `nav.target` that belong to the parent with `parent_id` (to-many navs)."""
        target = ENTITIES[nav.target].model
        if nav.target_fk is not None:
            return getattr(target, nav.target_fk) == parent_id  # type: ignore[no-any-return]
        link = nav.link
        return target.id.in_(  # type: ignore[no-any-return]
            select(getattr(link, str(nav.link_target))).where(
                getattr(link, str(nav.link_parent)) == parent_id
            )
        )


def _props(*props: Prop) -> dict[str, Prop]:
    return {p.name: p for p in (Prop("id", "id", "id", writable=False), *props)}


ENTITIES: dict[str, EntityType] = {
    "Things": EntityType(
        "Things",
        "Thing",
        Thing,
        _props(
            Prop("name", "name", "string", required=True),
            Prop("description", "description", "string"),
            Prop("properties", "properties", "json"),
        ),
        {
            "Locations": Nav(
                "Locations",
                "Locations",
                True,
                link=ThingLocation,
                link_parent="thing_id",
                link_target="location_id",
            ),
            "HistoricalLocations": Nav(
                "HistoricalLocations", "HistoricalLocations", True, target_fk="thing_id"
            ),
            "Datastreams": Nav("Datastreams", "Datastreams", True, target_fk="thing_id"),
        },
    ),
    "Locations": EntityType(
        "Locations",
        "Location",
        Location,
        _props(
            Prop("name", "name", "string", required=True),
            Prop("description", "description", "string"),
            Prop("encodingType", "encoding_type", "string", required=True),
            Prop("location", "location", "geo", required=True),
            Prop("properties", "properties", "json"),
        ),
        {
            "Things": Nav(
                "Things",
                "Things",
                True,
                link=ThingLocation,
                link_parent="location_id",
                link_target="thing_id",
            ),
            "HistoricalLocations": Nav(
                "HistoricalLocations",
                "HistoricalLocations",
                True,
                link=HistoricalLocationLocation,
                link_parent="location_id",
                link_target="historical_location_id",
            ),
        },
    ),
    "HistoricalLocations": EntityType(
        "HistoricalLocations",
        "HistoricalLocation",
        HistoricalLocation,
        _props(Prop("time", "time", "datetime", required=True)),
        {
            "Thing": Nav("Thing", "Things", False, fk="thing_id"),
            "Locations": Nav(
                "Locations",
                "Locations",
                True,
                link=HistoricalLocationLocation,
                link_parent="historical_location_id",
                link_target="location_id",
            ),
        },
    ),
    "Datastreams": EntityType(
        "Datastreams",
        "Datastream",
        Datastream,
        _props(
            Prop("name", "name", "string", required=True),
            Prop("description", "description", "string"),
            Prop("observationType", "observation_type", "string", required=True),
            Prop("unitOfMeasurement", "unit_of_measurement", "json", required=True),
            Prop("observedArea", "observed_area", "json", writable=False),
            Prop("phenomenonTime", "last_ms", "interval", writable=False),
            Prop("resultTime", "last_ms", "interval", writable=False),
            Prop("properties", "properties", "json"),
        ),
        {
            "Thing": Nav("Thing", "Things", False, fk="thing_id"),
            "Sensor": Nav("Sensor", "Sensors", False, fk="sensor_id"),
            "ObservedProperty": Nav(
                "ObservedProperty", "ObservedProperties", False, fk="observed_property_id"
            ),
            "Observations": Nav("Observations", "Observations", True, target_fk="datastream_id"),
        },
    ),
    "Sensors": EntityType(
        "Sensors",
        "Sensor",
        Sensor,
        _props(
            Prop("name", "name", "string", required=True),
            Prop("description", "description", "string"),
            Prop("encodingType", "encoding_type", "string", required=True),
            Prop("metadata", "metadata_", "json", required=True),
            Prop("properties", "properties", "json"),
        ),
        {"Datastreams": Nav("Datastreams", "Datastreams", True, target_fk="sensor_id")},
    ),
    "ObservedProperties": EntityType(
        "ObservedProperties",
        "ObservedProperty",
        ObservedProperty,
        _props(
            Prop("name", "name", "string", required=True),
            Prop("definition", "definition", "string", required=True),
            Prop("description", "description", "string"),
            Prop("properties", "properties", "json"),
        ),
        {"Datastreams": Nav("Datastreams", "Datastreams", True, target_fk="observed_property_id")},
    ),
    "Observations": EntityType(
        "Observations",
        "Observation",
        Observation,
        _props(
            Prop("phenomenonTime", "phenomenon_ms", "time"),
            Prop("resultTime", "result_ms", "time"),
            Prop("result", "result_number", "result", required=True),
            Prop("resultQuality", "result_quality", "jsontext"),
            Prop("validTime", "valid_start_ms", "time"),
            Prop("parameters", "parameters", "jsontext"),
        ),
        {
            "Datastream": Nav("Datastream", "Datastreams", False, fk="datastream_id"),
            "FeatureOfInterest": Nav(
                "FeatureOfInterest", "FeaturesOfInterest", False, fk="feature_id"
            ),
        },
    ),
    "FeaturesOfInterest": EntityType(
        "FeaturesOfInterest",
        "FeatureOfInterest",
        FeatureOfInterest,
        _props(
            Prop("name", "name", "string", required=True),
            Prop("description", "description", "string"),
            Prop("encodingType", "encoding_type", "string", required=True),
            Prop("feature", "feature", "geo", required=True),
            Prop("properties", "properties", "json"),
        ),
        {"Observations": Nav("Observations", "Observations", True, target_fk="feature_id")},
    ),
}

SINGULAR = {entity.singular: entity for entity in ENTITIES.values()}


def _jsontext(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def property_value(entity: EntityType, row: Any, name: str) -> Any:
    """A property of a row in its JSON form."""
    if entity.plural == "Observations":
        if name == "phenomenonTime":
            start = iso_ms(row.phenomenon_ms)
            return f"{start}/{iso_ms(row.phenomenon_end_ms)}" if row.phenomenon_end_ms else start
        if name == "resultTime":
            return iso_ms(row.result_ms)
        if name == "result":
            if row.result_json is not None:
                return json.loads(row.result_json)
            number = row.result_number
            return (
                int(number)
                if number is not None and float(number).is_integer() and abs(number) < 2**53
                else number
            )
        if name == "validTime":
            if row.valid_start_ms is None:
                return None
            return f"{iso_ms(row.valid_start_ms)}/{iso_ms(row.valid_end_ms)}"
        if name in ("resultQuality", "parameters"):
            return _jsontext(getattr(row, entity.props[name].attr))
    if entity.plural == "Datastreams" and name in ("phenomenonTime", "resultTime"):
        if row.first_ms is None:
            return None
        return f"{iso_ms(row.first_ms)}/{iso_ms(row.last_ms)}"
    if entity.plural == "HistoricalLocations" and name == "time":
        return iso_dt(row.time)
    value = getattr(row, entity.props[name].attr)
    return value


Serializer = Callable[[EntityType, Any], dict[str, Any]]
