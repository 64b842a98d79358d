"""Writing SensorThings entities: create (with deep insert), update, delete, CreateObservations."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from smartcity.core.errors import Conflict
from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.sensors.events import ObservationsStored
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
from smartcity.modules.sensors.owners import Acting, Guard
from smartcity.modules.sensors.sta.entities import ENTITIES, EntityType
from smartcity.modules.sensors.sta.odata import StaError, bounded_integer, parse_datetime_ms
from smartcity.modules.sensors.storage import advance_latest, store_for

IGNORED = {"@iot.id", "@iot.selfLink", "id"}
MAX_ENTITIES = 10_000
"""Most entities one request may create (deep insert and dataArray together)."""


class Writer:
    """Creates, updates and deletes entities in one unit of work, as `acting` may."""

    def __init__(self, uow: UnitOfWork, acting: Acting) -> None:
        self.uow = uow
        self.session = uow.session
        self.owner = acting.owner  # of every entity this writer creates
        self.guard = Guard(uow.session, acting)
        self.created = 0
        self.new_observations: list[Observation] = []

    # -- helpers ----------------------------------------------------------------

    def _count(self) -> None:
        self.created += 1
        if self.created > MAX_ENTITIES:
            raise StaError(
                f"at most {MAX_ENTITIES} entities per request", code="sta_too_many_entities"
            )

    def _object(self, value: Any, what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise StaError(f"{what} must be a JSON object", code="sta_invalid_body")
        return value

    def _check_keys(self, entity: EntityType, body: Mapping[str, Any]) -> None:
        for key in body:
            if key in IGNORED or key.endswith("@iot.navigationLink") or key in entity.navs:
                continue
            if key not in entity.props:
                raise StaError(
                    f"{entity.singular} has no property {key!r}", code="sta_unknown_property"
                )
            if not entity.props[key].writable:
                raise StaError(f"{entity.singular}.{key} is read-only", code="sta_read_only")

    def _required(self, entity: EntityType, body: Mapping[str, Any]) -> None:
        for name, prop in entity.props.items():
            if prop.required and body.get(name) is None and name != "result":
                raise StaError(f"{entity.singular} needs {name!r}", code="sta_missing_property")
        if entity.plural == "Observations" and "result" not in body:
            raise StaError("Observation needs 'result'", code="sta_missing_property")

    def _text(self, body: Mapping[str, Any], name: str, limit: int, default: str = "") -> str:
        value = body.get(name, default)
        if value is None:
            value = default
        if not isinstance(value, str):
            raise StaError(f"{name} must be text", code="sta_invalid_value")
        if len(value) > limit:
            raise StaError(f"{name} is longer than {limit} characters", code="sta_invalid_value")
        return value

    def _props_obj(self, body: Mapping[str, Any], name: str = "properties") -> Any:
        value = body.get(name)
        if value is not None and not isinstance(value, dict):
            raise StaError(f"{name} must be a JSON object", code="sta_invalid_value")
        return value

    def _reference(self, entity: EntityType, value: Any) -> int | None:
        """The id if `value` is `{"@iot.id": n}` (a link to an existing entity)."""
        body = self._object(value, entity.singular)
        # As in FROST: an object with an @iot.id links to that entity (other fields ignored).
        if body.get("@iot.id") is not None:
            ident = body["@iot.id"]
            if isinstance(ident, str) and ident.isascii() and ident.isdigit():
                ident = bounded_integer(ident)
            if not isinstance(ident, int) or isinstance(ident, bool):
                raise StaError("@iot.id must be an integer", code="sta_invalid_value")
            if self.session.get(entity.model, ident) is None:
                raise StaError(
                    f"{entity.singular} {ident} does not exist", code="sta_missing_reference"
                )
            self.guard.link(entity.plural, entity.model, ident)
            return ident
        return None

    def _link_or_create(self, plural: str, value: Any, **parent: Any) -> int:
        entity = ENTITIES[plural]
        ident = self._reference(entity, value)
        if ident is not None:
            return ident
        return self.create(plural, self._object(value, entity.singular), **parent)

    def _geometry(self, value: Any, name: str) -> tuple[Any, float | None, float | None]:
        if not isinstance(value, dict) or not isinstance(value.get("type"), str):
            raise StaError(f"{name} must be a GeoJSON geometry", code="sta_invalid_geometry")
        if len(json.dumps(value)) > 200_000:
            raise StaError(f"{name} is too large", code="sta_invalid_geometry")
        if value["type"] == "Point":
            coordinates = value.get("coordinates")
            if (
                not isinstance(coordinates, list)
                or len(coordinates) < 2
                or not all(
                    isinstance(c, (int, float)) and not isinstance(c, bool) for c in coordinates[:2]
                )
                or not all(math.isfinite(c) for c in coordinates[:2])
            ):
                raise StaError(f"{name}: a Point needs [x, y] numbers", code="sta_invalid_geometry")
            return value, float(coordinates[1]), float(coordinates[0])
        return value, None, None

    # -- create -----------------------------------------------------------------

    def create(self, plural: str, body: Mapping[str, Any], **parent: Any) -> int:
        """Create one entity (and whatever it embeds); returns its id."""
        entity = ENTITIES[plural]
        body = self._object(body, entity.singular)
        self._check_keys(entity, body)
        self._count()
        creator = getattr(self, f"_create_{entity.singular.lower()}")
        ident: int = creator(entity, body, parent)
        self.guard.made(entity.plural, ident, self.owner)
        self.uow.audit(
            f"sensors.{entity.singular.lower()}.created", entity.singular.lower(), ident, {}
        )
        return ident

    def _parent(self, plural: str, ident: int | None) -> int | None:
        """A parent id from the path (`Things(1)/Datastreams`), once the caller may link it."""
        if ident is not None:
            self.guard.link(plural, ENTITIES[plural].model, ident)
        return ident

    def _create_thing(self, entity: EntityType, body: Mapping[str, Any], parent: Any) -> int:
        self._required(entity, body)
        parent_location = self._parent("Locations", parent.get("location_id"))
        thing = Thing(
            name=self._text(body, "name", 200),
            description=self._text(body, "description", 10_000),
            properties=self._props_obj(body),
            kind="generic",
            owner=self.owner,
        )
        self.session.add(thing)
        self.session.flush()
        locations = list(body.get("Locations") or [])
        locations_ids = [parent_location] if parent_location else []
        for value in self._list(body, "Locations"):
            locations_ids.append(self._link_or_create("Locations", value))
        for location_id in locations_ids:
            self.session.add(ThingLocation(thing_id=thing.id, location_id=location_id))
        if locations_ids or locations:
            self._history(thing.id, locations_ids)
        for value in self._list(body, "Datastreams"):
            self.create("Datastreams", self._object(value, "Datastream"), thing_id=thing.id)
        for value in self._list(body, "HistoricalLocations"):
            self.create(
                "HistoricalLocations", self._object(value, "HistoricalLocation"), thing_id=thing.id
            )
        return thing.id

    def _list(self, body: Mapping[str, Any], name: str) -> list[Any]:
        value = body.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise StaError(f"{name} must be a list", code="sta_invalid_value")
        return value

    def _history(self, thing_id: int, location_ids: list[int]) -> None:
        if not location_ids:
            return
        history = HistoricalLocation(thing_id=thing_id, time=utcnow())
        self.session.add(history)
        self.session.flush()
        for location_id in location_ids:
            self.session.add(
                HistoricalLocationLocation(
                    historical_location_id=history.id, location_id=location_id
                )
            )

    def _create_location(self, entity: EntityType, body: Mapping[str, Any], parent: Any) -> int:
        self._required(entity, body)
        parent_thing = self._parent("Things", parent.get("thing_id"))
        geometry, lat, lon = self._geometry(body.get("location"), "location")
        location = Location(
            name=self._text(body, "name", 200),
            description=self._text(body, "description", 10_000),
            encoding_type=self._text(body, "encodingType", 100),
            location=geometry,
            properties=self._props_obj(body),
            latitude=lat,
            longitude=lon,
            owner=self.owner,
        )
        self.session.add(location)
        self.session.flush()
        things = [
            self._link_or_create("Things", v, location_id=location.id)
            for v in self._list(body, "Things")
        ]
        if parent_thing:
            self.session.execute(
                delete(ThingLocation).where(ThingLocation.thing_id == parent_thing)
            )
            self.session.add(ThingLocation(thing_id=parent_thing, location_id=location.id))
            self._history(parent_thing, [location.id])
        for thing_id in things:
            existing = self.session.get(ThingLocation, (thing_id, location.id))
            if existing is None:
                self.session.add(ThingLocation(thing_id=thing_id, location_id=location.id))
        return location.id

    def _create_historicallocation(
        self, entity: EntityType, body: Mapping[str, Any], parent: Any
    ) -> int:
        self._required(entity, body)
        time_ms = self._time(body.get("time"), "time")
        thing_id = self._parent("Things", parent.get("thing_id"))
        if "Thing" in body:
            thing_id = self._link_or_create("Things", body["Thing"])
        if thing_id is None:
            raise StaError("HistoricalLocation needs a Thing", code="sta_missing_reference")
        history = HistoricalLocation(
            thing_id=thing_id, time=datetime.fromtimestamp(time_ms / 1000, tz=UTC)
        )
        self.session.add(history)
        self.session.flush()
        for value in self._list(body, "Locations"):
            location_id = self._link_or_create("Locations", value)
            self.session.add(
                HistoricalLocationLocation(
                    historical_location_id=history.id, location_id=location_id
                )
            )
        return history.id

    def _create_datastream(self, entity: EntityType, body: Mapping[str, Any], parent: Any) -> int:
        self._required(entity, body)
        unit = body.get("unitOfMeasurement")
        if not isinstance(unit, dict):
            raise StaError("unitOfMeasurement must be an object", code="sta_invalid_value")
        thing_id = self._parent("Things", parent.get("thing_id"))
        if "Thing" in body:
            thing_id = self._link_or_create("Things", body["Thing"])
        sensor_id = self._parent("Sensors", parent.get("sensor_id"))
        if "Sensor" in body:
            sensor_id = self._link_or_create("Sensors", body["Sensor"])
        property_id = self._parent("ObservedProperties", parent.get("observed_property_id"))
        if "ObservedProperty" in body:
            property_id = self._link_or_create("ObservedProperties", body["ObservedProperty"])
        for name, value in (
            ("Thing", thing_id),
            ("Sensor", sensor_id),
            ("ObservedProperty", property_id),
        ):
            if value is None:
                raise StaError(f"Datastream needs a {name}", code="sta_missing_reference")
        stream = Datastream(
            name=self._text(body, "name", 200),
            description=self._text(body, "description", 10_000),
            observation_type=self._text(body, "observationType", 200),
            unit_of_measurement=unit,
            properties=self._props_obj(body),
            thing_id=thing_id,
            sensor_id=sensor_id,
            observed_property_id=property_id,
        )
        self.session.add(stream)
        self.session.flush()
        for value in self._list(body, "Observations"):
            self.create("Observations", self._object(value, "Observation"), datastream_id=stream.id)
        return stream.id

    def _create_sensor(self, entity: EntityType, body: Mapping[str, Any], parent: Any) -> int:
        self._required(entity, body)
        sensor = Sensor(
            name=self._text(body, "name", 200),
            description=self._text(body, "description", 10_000),
            encoding_type=self._text(body, "encodingType", 100),
            metadata_=body.get("metadata"),
            properties=self._props_obj(body),
            owner=self.owner,
        )
        self.session.add(sensor)
        self.session.flush()
        for value in self._list(body, "Datastreams"):
            self.create("Datastreams", self._object(value, "Datastream"), sensor_id=sensor.id)
        return sensor.id

    def _create_observedproperty(
        self, entity: EntityType, body: Mapping[str, Any], parent: Any
    ) -> int:
        self._required(entity, body)
        prop = ObservedProperty(
            name=self._text(body, "name", 200),
            definition=self._text(body, "definition", 500),
            description=self._text(body, "description", 10_000),
            properties=self._props_obj(body),
            owner=self.owner,
        )
        self.session.add(prop)
        self.session.flush()
        for value in self._list(body, "Datastreams"):
            self.create(
                "Datastreams", self._object(value, "Datastream"), observed_property_id=prop.id
            )
        return prop.id

    def _create_featureofinterest(
        self, entity: EntityType, body: Mapping[str, Any], parent: Any
    ) -> int:
        self._required(entity, body)
        geometry, _lat, _lon = self._geometry(body.get("feature"), "feature")
        feature = FeatureOfInterest(
            name=self._text(body, "name", 200),
            description=self._text(body, "description", 10_000),
            encoding_type=self._text(body, "encodingType", 100),
            feature=geometry,
            properties=self._props_obj(body),
            owner=self.owner,
        )
        self.session.add(feature)
        self.session.flush()
        for value in self._list(body, "Observations"):
            self.create("Observations", self._object(value, "Observation"), feature_id=feature.id)
        return feature.id

    def _time(self, value: Any, name: str) -> int:
        if not isinstance(value, str):
            raise StaError(f"{name} must be an ISO 8601 time", code="sta_invalid_time")
        return parse_datetime_ms(value)

    def _interval(self, value: Any, name: str) -> tuple[int, int | None]:
        if not isinstance(value, str):
            raise StaError(f"{name} must be an ISO 8601 time or interval", code="sta_invalid_time")
        if "/" in value:
            start, _, end = value.partition("/")
            return parse_datetime_ms(start), parse_datetime_ms(end)
        return parse_datetime_ms(value), None

    def _feature_for(self, datastream_id: int) -> int | None:
        """The FeatureOfInterest made from the Thing's Location (created once per Location)."""
        location = self.session.execute(
            select(Location)
            .join(ThingLocation, ThingLocation.location_id == Location.id)
            .join(Datastream, Datastream.thing_id == ThingLocation.thing_id)
            .where(Datastream.id == datastream_id)
            .limit(1)
        ).scalar()
        if location is None:
            return None
        found = self.session.execute(
            select(FeatureOfInterest.id).where(FeatureOfInterest.location_id == location.id)
        ).scalar()
        if found is not None:
            return int(found)
        feature = FeatureOfInterest(
            name=location.name,
            description=location.description,
            encoding_type=location.encoding_type,
            feature=location.location,
            location_id=location.id,
            owner=location.owner,
        )
        self.session.add(feature)
        self.session.flush()
        return feature.id

    def observation_values(self, body: Mapping[str, Any], parent: Any) -> dict[str, Any]:
        """The column values of a new Observation."""
        datastream_id = self._parent("Datastreams", parent.get("datastream_id"))
        if "Datastream" in body:
            datastream_id = self._link_or_create("Datastreams", body["Datastream"])
        if datastream_id is None:
            raise StaError("Observation needs a Datastream", code="sta_missing_reference")
        if "result" not in body:
            raise StaError("Observation needs 'result'", code="sta_missing_property")
        result = body["result"]
        number: float | None = None
        result_json: str | None = None
        if isinstance(result, (int, float)) and not isinstance(result, bool):
            number = float(result)
            if not math.isfinite(number) or abs(number) > 1e300:
                raise StaError("result must be a finite number", code="sta_invalid_value")
        else:
            result_json = json.dumps(result, ensure_ascii=False)
            if len(result_json) > 100_000:
                raise StaError("result is too large", code="sta_invalid_value")
        if body.get("phenomenonTime") is not None:
            start, end = self._interval(body["phenomenonTime"], "phenomenonTime")
        else:
            start, end = int(utcnow().timestamp() * 1000), None
        feature_id = self._parent("FeaturesOfInterest", parent.get("feature_id"))
        if "FeatureOfInterest" in body:
            feature_id = self._link_or_create("FeaturesOfInterest", body["FeatureOfInterest"])
        if feature_id is None:
            feature_id = self._feature_for(datastream_id)
        valid_start = valid_end = None
        if body.get("validTime") is not None:
            valid_start, valid_end = self._interval(body["validTime"], "validTime")
        return {
            "datastream_id": datastream_id,
            "phenomenon_ms": start,
            "phenomenon_end_ms": end,
            "result_ms": self._time(body["resultTime"], "resultTime")
            if body.get("resultTime") is not None
            else None,
            "result_number": number,
            "result_json": result_json,
            "result_quality": None
            if body.get("resultQuality") is None
            else json.dumps(body["resultQuality"]),
            "valid_start_ms": valid_start,
            "valid_end_ms": valid_end,
            "parameters": None
            if body.get("parameters") is None
            else json.dumps(self._props_obj(body, "parameters")),
            "feature_id": feature_id,
        }

    def insert_observation(self, values: dict[str, Any]) -> int | None:
        """Insert one observation; None if its datastream already has one at that time."""
        store_for(self.session).prepare(self.session, [values["phenomenon_ms"]])
        dialect = self.session.get_bind().dialect.name
        builder = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = (
            builder(Observation).values(**values).on_conflict_do_nothing().returning(Observation.id)
        )
        ident = self.session.execute(statement).scalar()
        if ident is None:
            return None
        if values["result_number"] is not None:
            advance_latest(
                self.session,
                [(values["datastream_id"], values["phenomenon_ms"], values["result_number"])],
            )
        self._note(values, int(ident))
        return int(ident)

    def _note(self, values: dict[str, Any], ident: int) -> None:
        observation = Observation(id=ident, **values)
        self.new_observations.append(observation)

    def _create_observation(self, entity: EntityType, body: Mapping[str, Any], parent: Any) -> int:
        values = self.observation_values(body, parent)
        ident = self.insert_observation(values)
        if ident is None:
            raise Conflict(
                "the datastream already has an observation at this phenomenonTime",
                code="sta_duplicate_observation",
            )
        return ident

    # -- CreateObservations -------------------------------------------------------

    def create_observations(self, body: Any, base: str) -> list[str]:
        """The dataArray request: a self link per row, or an error text for refused rows."""
        if not isinstance(body, list):
            raise StaError("CreateObservations needs a JSON array", code="sta_invalid_body")
        links: list[str] = []
        for group in body:
            group = self._object(group, "dataArray group")
            datastream = group.get("Datastream")
            if datastream is None:
                raise StaError("each group needs a Datastream", code="sta_missing_reference")
            datastream_id = self._reference(ENTITIES["Datastreams"], datastream)
            if datastream_id is None:
                raise StaError('Datastream must be {"@iot.id": n}', code="sta_invalid_body")
            components = group.get("components")
            rows = group.get("dataArray")
            if not isinstance(components, list) or not all(isinstance(c, str) for c in components):
                raise StaError("components must be a list of names", code="sta_invalid_body")
            allowed = {
                "id",
                "phenomenonTime",
                "result",
                "resultTime",
                "resultQuality",
                "validTime",
                "parameters",
                "FeatureOfInterest/id",
            }
            unknown = set(components) - allowed
            if unknown:
                raise StaError(
                    f"unknown component {sorted(unknown)[0]!r}", code="sta_unknown_property"
                )
            if not isinstance(rows, list):
                raise StaError("dataArray must be a list", code="sta_invalid_body")
            for row in rows:
                if not isinstance(row, list) or len(row) != len(components):
                    raise StaError(
                        "each dataArray row must match components", code="sta_invalid_body"
                    )
                self._count()
                observation: dict[str, Any] = {}
                for name, value in zip(components, row, strict=True):
                    if name == "FeatureOfInterest/id":
                        observation["FeatureOfInterest"] = {"@iot.id": value}
                    elif name != "id":
                        observation[name] = value
                try:
                    values = self.observation_values(observation, {"datastream_id": datastream_id})
                except StaError as exc:
                    links.append(f"error: {exc.detail}")
                    continue
                ident = self.insert_observation(values)
                links.append(
                    f"{base}/Observations({ident})"
                    if ident is not None
                    else "error: duplicate observation"
                )
        stored = list(self.new_observations)
        if stored:
            self.uow.audit(
                "sensors.observations.created",
                "datastream_batch",
                self.uow.request_id,
                {"count": len(stored)},
            )
        return links

    def stored_event(self) -> ObservationsStored | None:
        """The event for the observations this writer created."""
        if not self.new_observations:
            return None
        times = [o.phenomenon_ms for o in self.new_observations]
        return ObservationsStored(
            count=len(times),
            device_ids=(),
            first_time=datetime.fromtimestamp(min(times) / 1000, tz=UTC),
            last_time=datetime.fromtimestamp(max(times) / 1000, tz=UTC),
        )

    # -- update -----------------------------------------------------------------

    def update(self, entity: EntityType, row: Any, body: Any) -> None:
        """Apply a JSON merge body (PATCH/PUT) or a JSON Patch list."""
        self.guard.change(entity.plural, row)
        if isinstance(body, list):
            body = self._json_patch(entity, row, body)
        body = self._object(body, entity.singular)
        self._check_keys(entity, body)
        changed: dict[str, Any] = {}
        for name, value in body.items():
            if name in IGNORED or name.endswith("@iot.navigationLink"):
                continue
            if name in entity.navs:
                self._relink(entity, row, name, value)
                changed[name] = "relinked"
                continue
            prop = entity.props[name]
            if entity.plural == "Observations":
                self._update_observation(row, name, value)
            elif prop.kind == "string":
                if value is None and prop.required:
                    raise StaError(f"{name} cannot be null", code="sta_invalid_value")
                setattr(row, prop.attr, self._text({name: value}, name, 10_000))
            elif prop.kind == "geo":
                geometry, lat, lon = self._geometry(value, name)
                setattr(row, prop.attr, geometry)
                if entity.plural == "Locations":
                    row.latitude, row.longitude = lat, lon
            elif prop.kind == "datetime":
                setattr(
                    row, prop.attr, datetime.fromtimestamp(self._time(value, name) / 1000, tz=UTC)
                )
            elif name == "properties":
                setattr(row, prop.attr, self._props_obj(body))
            else:
                if prop.required and value is None:
                    raise StaError(f"{name} cannot be null", code="sta_invalid_value")
                setattr(row, prop.attr, value)
            changed[name] = True
        self.session.flush()
        self.uow.audit(
            f"sensors.{entity.singular.lower()}.updated",
            entity.singular.lower(),
            row.id,
            {"fields": sorted(changed)},
        )

    def _update_observation(self, row: Observation, name: str, value: Any) -> None:
        values = self.observation_values(
            {"result": 0, name: value} if name != "result" else {"result": value},
            {"datastream_id": 0},
        )
        if name == "result":
            row.result_number, row.result_json = values["result_number"], values["result_json"]
        elif name == "phenomenonTime":
            row.phenomenon_ms, row.phenomenon_end_ms = (
                values["phenomenon_ms"],
                values["phenomenon_end_ms"],
            )
        elif name == "resultTime":
            row.result_ms = values["result_ms"]
        elif name == "validTime":
            row.valid_start_ms, row.valid_end_ms = values["valid_start_ms"], values["valid_end_ms"]
        elif name == "resultQuality":
            row.result_quality = values["result_quality"]
        elif name == "parameters":
            row.parameters = values["parameters"]

    def _relink(self, entity: EntityType, row: Any, name: str, value: Any) -> None:
        nav = entity.navs[name]
        target = ENTITIES[nav.target]
        if nav.many:
            if entity.plural == "Things" and name == "Locations":
                ids = [
                    self._link_or_create("Locations", v) for v in self._list({name: value}, name)
                ]
                self.session.execute(delete(ThingLocation).where(ThingLocation.thing_id == row.id))
                for location_id in ids:
                    self.session.add(ThingLocation(thing_id=row.id, location_id=location_id))
                self._history(row.id, ids)
                return
            raise StaError(f"{name} cannot be changed here", code="sta_read_only")
        ident = self._reference(target, value)
        if ident is None:
            raise StaError(f'{name} must be {{"@iot.id": n}}', code="sta_invalid_value")
        setattr(row, nav.fk or "", ident)

    def _json_patch(self, entity: EntityType, row: Any, operations: list[Any]) -> dict[str, Any]:
        from smartcity.modules.sensors.sta.entities import property_value

        body: dict[str, Any] = {}
        for operation in operations:
            operation = self._object(operation, "JSON Patch operation")
            op, path = operation.get("op"), operation.get("path")
            if op not in ("add", "replace", "remove") or not isinstance(path, str):
                raise StaError(
                    "JSON Patch supports add, replace and remove", code="sta_invalid_patch"
                )
            parts = [p.replace("~1", "/").replace("~0", "~") for p in path.strip("/").split("/")]
            head = parts[0]
            if head not in entity.props:
                raise StaError(
                    f"{entity.singular} has no property {head!r}", code="sta_unknown_property"
                )
            if len(parts) == 1:
                body[head] = None if op == "remove" else operation.get("value")
                continue
            current = body.get(head, property_value(entity, row, head))
            current = json.loads(json.dumps(current)) if current is not None else {}
            target = current
            for part in parts[1:-1]:
                if not isinstance(target, dict):
                    raise StaError("JSON Patch path does not exist", code="sta_invalid_patch")
                target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise StaError("JSON Patch path does not exist", code="sta_invalid_patch")
            if op == "remove":
                target.pop(parts[-1], None)
            else:
                target[parts[-1]] = operation.get("value")
            body[head] = current
        return body

    # -- delete -----------------------------------------------------------------

    def delete(self, entity: EntityType, row: Any) -> None:
        """Delete an entity and what cannot exist without it."""
        self.guard.change(entity.plural, row)
        session = self.session
        ident = row.id
        if entity.plural == "Things":
            for stream_id in (
                session.execute(select(Datastream.id).where(Datastream.thing_id == ident))
                .scalars()
                .all()
            ):
                session.execute(delete(Observation).where(Observation.datastream_id == stream_id))
        elif entity.plural == "Datastreams":
            session.execute(delete(Observation).where(Observation.datastream_id == ident))
        elif entity.plural in ("Sensors", "ObservedProperties"):
            column = (
                Datastream.sensor_id
                if entity.plural == "Sensors"
                else (Datastream.observed_property_id)
            )
            for stream_id in (
                session.execute(select(Datastream.id).where(column == ident)).scalars().all()
            ):
                session.execute(delete(Observation).where(Observation.datastream_id == stream_id))
        elif entity.plural == "FeaturesOfInterest":
            session.execute(delete(Observation).where(Observation.feature_id == ident))
        session.delete(row)
        session.flush()
        self.uow.audit(
            f"sensors.{entity.singular.lower()}.deleted", entity.singular.lower(), ident, {}
        )
