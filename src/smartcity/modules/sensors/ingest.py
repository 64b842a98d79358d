"""Ingestion of device reports: readings → Things, Locations, Datastreams and observations.

A device appears as a Thing with a Location and one Datastream per quantity on its
first message, owned by the organisation the batch is ingested for. Each batch is one
transaction: dead letters, new devices, new observations (idempotent on device and time),
the latest values and one audit entry. A reading of a device that belongs to another
owner is refused and kept as a dead letter: a device key cannot move or overwrite a
station that is not its organisation's (see `owners.py`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from smartcity.core.time import local_today, to_local, utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.sensors.events import (
    DeviceRegistered,
    ObservationsArrivedLate,
    ObservationsStored,
)
from smartcity.modules.sensors.lass import LassReading, gc_paused, reading_line
from smartcity.modules.sensors.models import (
    Datastream,
    DeadLetter,
    HistoricalLocation,
    HistoricalLocationLocation,
    Location,
    ObservedProperty,
    Sensor,
    Thing,
    ThingLocation,
)
from smartcity.modules.sensors.owners import Acting
from smartcity.modules.sensors.storage import Row, advance_latest, store_for, write_latest
from smartcity.modules.sensors.values import QUANTITIES, Quantity, ThingKind

OM_MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
GEOJSON = "application/geo+json"
ALL_QUANTITIES: tuple[str, ...] = tuple(quantity.value for quantity in Quantity)
MOVE_DEGREES = 0.0005
"""A device that reports a position further than this (about 50 m) has moved."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ms_to_datetime(ms: int) -> datetime:
    """Epoch milliseconds → aware UTC datetime."""
    return _EPOCH + timedelta(milliseconds=ms)


def datetime_to_ms(value: datetime) -> int:
    """Aware (or UTC-naive) datetime → epoch milliseconds."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return round((value - _EPOCH).total_seconds() * 1000)


@dataclass
class DeviceEntry:
    """What the ingester remembers of one device."""

    thing_id: int
    streams: dict[str, int]
    latitude: float | None
    longitude: float | None
    owner: str | None
    loaded_at: float = field(default_factory=time.monotonic)


@dataclass
class IngestResult:
    """What one batch did."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    refused: int = 0
    devices_created: int = 0
    foreign: set[str] = field(default_factory=set)
    """Devices named in the batch that belong to another owner (their readings refused)."""

    def add(self, other: IngestResult) -> None:
        """Accumulate another batch's figures."""
        self.received += other.received
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.refused += other.refused
        self.devices_created += other.devices_created
        self.foreign |= other.foreign


class DeviceRegistry:
    """A cache of device id → Thing and Datastream ids, filled from the database on demand.

    Entries expire after `ttl` seconds, so a device deleted through SensorThings is not
    written to for long by a long-running ingester.
    """

    def __init__(self, ttl: float = 300.0) -> None:
        self.ttl = ttl
        self._entries: dict[str, DeviceEntry] = {}

    def clear(self) -> None:
        """Forget everything (after deletes)."""
        self._entries.clear()

    def forget(self, device_id: str) -> None:
        """Forget one device."""
        self._entries.pop(device_id, None)

    def _load(self, session: Session, device_ids: Sequence[str]) -> None:
        if not device_ids:
            return
        found: dict[str, DeviceEntry] = {}
        for chunk_start in range(0, len(device_ids), 500):
            chunk = list(device_ids[chunk_start : chunk_start + 500])
            things = session.execute(
                select(Thing.id, Thing.device_id, Thing.owner).where(Thing.device_id.in_(chunk))
            ).all()
            by_thing = {int(thing): str(device) for thing, device, _owner in things}
            if not by_thing:
                continue
            for thing_id, device, owner in things:
                found[str(device)] = DeviceEntry(thing_id, {}, None, None, owner)
            for stream_id, thing_id, quantity in session.execute(
                select(Datastream.id, Datastream.thing_id, Datastream.quantity).where(
                    Datastream.thing_id.in_(by_thing), Datastream.quantity.is_not(None)
                )
            ):
                found[by_thing[thing_id]].streams[str(quantity)] = stream_id
            for thing_id, latitude, longitude in session.execute(
                select(ThingLocation.thing_id, Location.latitude, Location.longitude)
                .join(Location, Location.id == ThingLocation.location_id)
                .where(ThingLocation.thing_id.in_(by_thing))
            ):
                entry = found[by_thing[thing_id]]
                entry.latitude, entry.longitude = latitude, longitude
        self._entries.update(found)

    def _refresh(self, session: Session, devices: Iterable[str]) -> None:
        now = time.monotonic()
        stale = [
            device
            for device in devices
            if device not in self._entries or now - self._entries[device].loaded_at > self.ttl
        ]
        self._load(session, stale)

    def foreign(
        self, session: Session, readings: Sequence[LassReading], acting: Acting
    ) -> set[str]:
        """The devices of `readings` that exist and belong to an owner `acting` may not write."""
        if acting.everything:
            return set()
        devices = {reading.device_id for reading in readings}
        self._refresh(session, devices)
        return {
            device
            for device in devices
            if device in self._entries and not acting.may_write(self._entries[device].owner)
        }

    def resolve(
        self,
        uow: UnitOfWork,
        readings: Sequence[LassReading],
        kind: str = ThingKind.AIRBOX,
        owner: str | None = None,
    ) -> tuple[dict[str, DeviceEntry], int]:
        """Each reading's device, created (for `owner`) or moved as needed; and how many were
        created. The caller has refused the readings of devices it may not write."""
        latest: dict[str, LassReading] = {}
        for reading in readings:
            seen = latest.get(reading.device_id)
            if seen is None or reading.time_ms >= seen.time_ms:
                latest[reading.device_id] = reading
        self._refresh(uow.session, latest)
        created = 0
        for device, reading in latest.items():
            entry = self._entries.get(device)
            if entry is None:
                entry = create_device(
                    uow,
                    device_id=device,
                    name=reading.name or f"{reading.app or 'LASS'} {device}",
                    latitude=reading.latitude,
                    longitude=reading.longitude,
                    kind=kind,
                    app=reading.app,
                    time=reading.time,
                    owner=owner,
                )
                self._entries[device] = entry
                created += 1
            else:
                missing = [q for q in reading.values if q not in entry.streams]
                if missing:
                    add_streams(uow.session, entry, missing, reading.app)
                if reading.latitude is not None and reading.longitude is not None:
                    move_device(uow, device, entry, reading.latitude, reading.longitude, reading)
        return {device: self._entries[device] for device in latest}, created


def _shared_sensor(session: Session, app: str) -> int:
    name = f"{app or 'LASS'} PM sensor"
    cache = session.info.setdefault("sensors_ids", {})
    if ("sensor", name) in cache:
        return int(cache[("sensor", name)])
    cache[("sensor", name)] = ident = _find_or_make_sensor(session, name, app)
    return ident


def _find_or_make_sensor(session: Session, name: str, app: str) -> int:
    # The platform's own (owner None): one an organisation made is not shared with others.
    found = session.execute(
        select(Sensor.id).where(Sensor.name == name, Sensor.owner.is_(None))
    ).scalar()
    if found is not None:
        return int(found)
    sensor = Sensor(
        name=name,
        description=f"Low-cost particulate and climate sensor reporting in the LASS protocol "
        f"({app or 'unknown app'})",
        encoding_type="text/html",
        metadata_="https://github.com/LinkItONEDevGroup/LASS",
    )
    session.add(sensor)
    session.flush()
    return sensor.id


def _observed_property(session: Session, quantity: str) -> int:
    cache = session.info.setdefault("sensors_ids", {})
    if ("property", quantity) in cache:
        return int(cache[("property", quantity)])
    cache[("property", quantity)] = ident = _find_or_make_property(session, quantity)
    return ident


def _find_or_make_property(session: Session, quantity: str) -> int:
    name, definition, _unit, _symbol = QUANTITIES[Quantity(quantity)]
    found = session.execute(
        select(ObservedProperty.id).where(
            ObservedProperty.definition == definition, ObservedProperty.owner.is_(None)
        )
    ).scalar()
    if found is not None:
        return int(found)
    prop = ObservedProperty(name=name, definition=definition, description=name)
    session.add(prop)
    session.flush()
    return prop.id


def add_streams(session: Session, entry: DeviceEntry, quantities: Iterable[str], app: str) -> None:
    """Give a device a Datastream for each quantity it lacks."""
    sensor_id = _shared_sensor(session, app)
    made: dict[str, Datastream] = {}
    for quantity in quantities:
        if quantity in entry.streams or quantity in made:
            continue
        name, _definition, unit, symbol = QUANTITIES[Quantity(quantity)]
        made[quantity] = Datastream(
            name=f"{name}",
            description=f"{name} measured by the device",
            observation_type=OM_MEASUREMENT,
            unit_of_measurement={
                "name": unit,
                "symbol": symbol,
                "definition": "http://unitsofmeasure.org/ucum.html",
            },
            thing_id=entry.thing_id,
            sensor_id=sensor_id,
            observed_property_id=_observed_property(session, quantity),
            quantity=quantity,
        )
    if made:
        session.add_all(made.values())
        session.flush()
        for quantity, stream in made.items():
            entry.streams[quantity] = stream.id


def _new_location(
    session: Session, name: str, latitude: float, longitude: float, owner: str | None
) -> Location:
    location = Location(
        name=name,
        description=f"Where {name} stands",
        encoding_type=GEOJSON,
        location={"type": "Point", "coordinates": [longitude, latitude]},
        latitude=latitude,
        longitude=longitude,
        owner=owner,
    )
    session.add(location)
    session.flush()
    return location


def _record_history(session: Session, thing_id: int, location_id: int, at: datetime) -> None:
    history = HistoricalLocation(thing_id=thing_id, time=at)
    session.add(history)
    session.flush()
    session.add(
        HistoricalLocationLocation(historical_location_id=history.id, location_id=location_id)
    )


def create_device(
    uow: UnitOfWork,
    *,
    device_id: str,
    name: str,
    latitude: float | None,
    longitude: float | None,
    kind: str = ThingKind.AIRBOX,
    app: str = "",
    time: datetime | None = None,
    quantities: Iterable[str] = ALL_QUANTITIES,
    owner: str | None = None,
) -> DeviceEntry:
    """A new Thing of `owner` with its Location and one Datastream per quantity."""
    session = uow.session
    thing = Thing(
        name=name[:200],
        description=f"{kind} {device_id}",
        properties={"device_id": device_id, "app": app, "kind": kind},
        device_id=device_id,
        kind=kind,
        owner=owner,
    )
    session.add(thing)
    session.flush()
    entry = DeviceEntry(thing.id, {}, latitude, longitude, owner)
    if latitude is not None and longitude is not None:
        location = _new_location(session, name[:200], latitude, longitude, owner)
        session.add(ThingLocation(thing_id=thing.id, location_id=location.id))
        _record_history(session, thing.id, location.id, time or utcnow())
    add_streams(session, entry, quantities, app)
    uow.audit(
        "sensors.thing.registered",
        "thing",
        thing.id,
        {
            "device_id": device_id,
            "kind": kind,
            "owner": owner,
            "latitude": latitude,
            "longitude": longitude,
        },
    )
    uow.emit(DeviceRegistered(device_id, thing.id, kind))
    return entry


def move_device(
    uow: UnitOfWork,
    device_id: str,
    entry: DeviceEntry,
    latitude: float,
    longitude: float,
    reading: LassReading | None = None,
) -> bool:
    """Record a new position if the device moved; True if it did."""
    if (
        entry.latitude is not None
        and entry.longitude is not None
        and (
            abs(entry.latitude - latitude) < MOVE_DEGREES
            and abs(entry.longitude - longitude) < MOVE_DEGREES
        )
    ):
        return False
    session = uow.session
    thing = session.get(Thing, entry.thing_id)
    if thing is None:
        return False
    location = _new_location(session, thing.name, latitude, longitude, thing.owner)
    session.execute(delete(ThingLocation).where(ThingLocation.thing_id == entry.thing_id))
    session.add(ThingLocation(thing_id=entry.thing_id, location_id=location.id))
    _record_history(session, entry.thing_id, location.id, reading.time if reading else utcnow())
    uow.audit(
        "sensors.thing.moved",
        "thing",
        entry.thing_id,
        {"device_id": device_id, "latitude": latitude, "longitude": longitude},
    )
    entry.latitude, entry.longitude = latitude, longitude
    return True


def dead_letter(session: Session, source: str, topic: str, payload: str, reason: str) -> None:
    """Keep a message that could not be stored, with the reason."""
    session.add(
        DeadLetter(
            source=source,
            topic=topic[:300],
            payload=payload[:8000].replace("\x00", "\\0"),
            reason=reason[:500],
        )
    )


def ingest(
    uow: UnitOfWork,
    readings: Sequence[LassReading],
    refused: Sequence[tuple[str, str]] = (),
    *,
    source: str,
    acting: Acting,
    topic: str = "",
    registry: DeviceRegistry | None = None,
    kind: str = ThingKind.AIRBOX,
    whole_batch: bool = False,
) -> IngestResult:
    """Store one batch for `acting` in the caller's unit of work (which commits).

    Readings of another owner's devices are refused as dead letters; with `whole_batch`
    (an HTTP request, answered 403) nothing else of the batch is stored either.
    """
    with gc_paused():
        return _ingest(
            uow,
            readings,
            refused,
            source=source,
            acting=acting,
            topic=topic,
            registry=registry,
            kind=kind,
            whole_batch=whole_batch,
        )


def _ingest(
    uow: UnitOfWork,
    readings: Sequence[LassReading],
    refused: Sequence[tuple[str, str]],
    *,
    source: str,
    acting: Acting,
    topic: str,
    registry: DeviceRegistry | None,
    kind: str,
    whole_batch: bool,
) -> IngestResult:
    result = IngestResult(received=len(readings) + len(refused), refused=len(refused))
    session = uow.session
    for payload, reason in refused:
        dead_letter(session, source, topic, payload, reason)
    registry = registry or DeviceRegistry()
    result.foreign = registry.foreign(session, readings, acting) if readings else set()
    if result.foreign:
        mine = [r for r in readings if r.device_id not in result.foreign]
        for r in readings:
            if r.device_id in result.foreign:
                reason = f"device_id {r.device_id} belongs to another owner"
                dead_letter(session, source, topic, reading_line(r), reason)
        result.refused += len(readings) - len(mine)
        readings = [] if whole_batch else mine
    if not readings:
        session.flush()
        return result
    devices, result.devices_created = registry.resolve(uow, readings, kind, acting.owner)
    streams_of = {device: entry.streams for device, entry in devices.items()}
    rows: list[Row] = [
        (streams_of[r.device_id][quantity], r.time_ms, value)
        for r in readings
        for quantity, value in r.values.items()
    ]
    session.flush()
    store = store_for(session)
    result.stored = store.insert_numbers(session, rows)
    result.duplicates = len(rows) - result.stored
    # Latest and first values per stream, from the newest and oldest reading of each device.
    newest_reading: dict[str, LassReading] = {}
    oldest_ms: dict[str, int] = {}
    partial = False
    for r in readings:
        if len(r.values) != len(ALL_QUANTITIES):
            partial = True
        seen = newest_reading.get(r.device_id)
        if seen is None or r.time_ms > seen.time_ms:
            newest_reading[r.device_id] = r
        first = oldest_ms.get(r.device_id)
        if first is None or r.time_ms < first:
            oldest_ms[r.device_id] = r.time_ms
    newest: dict[int, tuple[int, float]] = {}
    oldest: dict[int, int] = {}
    for device, r in newest_reading.items():
        streams = streams_of[device]
        for quantity, value in r.values.items():
            newest[streams[quantity]] = (r.time_ms, value)
            oldest[streams[quantity]] = oldest_ms[device]
    # A quantity a device reported only in older messages still moves that stream's first time.
    write_latest(session, newest, oldest)
    if partial:
        advance_latest(session, [row for row in rows if row[0] not in newest])
    first_ms = min(oldest_ms.values())
    last_ms = max(r.time_ms for r in newest_reading.values())
    uow.audit(
        "sensors.observations.stored",
        "observation_batch",
        uow.request_id,
        {
            "source": source,
            "stored": result.stored,
            "duplicates": result.duplicates,
            "refused": result.refused,
            "devices": len(devices),
            "first": first_ms,
            "last": last_ms,
        },
    )
    if result.stored:
        uow.emit(
            ObservationsStored(
                count=result.stored,
                device_ids=tuple(sorted(devices)),
                first_time=ms_to_datetime(first_ms),
                last_time=ms_to_datetime(last_ms),
            )
        )
        late = ended_days(first_ms, last_ms)
        if late:
            uow.emit(ObservationsArrivedLate(days=late))
    return result


LATE_DAYS_KEPT = 31
"""How far back late readings make a city day's passes run again; older ones are history."""


def ended_days(first_ms: int, last_ms: int) -> tuple[str, ...]:
    """The city days before today, at most `LATE_DAYS_KEPT` back, that readings between the two
    times fall on (ISO dates)."""
    today = local_today()
    first = max(to_local(ms_to_datetime(first_ms)).date(), today - timedelta(days=LATE_DAYS_KEPT))
    last = min(to_local(ms_to_datetime(last_ms)).date(), today - timedelta(days=1))
    return tuple((first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1))


def as_json(value: object) -> str:
    """Compact JSON text."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
