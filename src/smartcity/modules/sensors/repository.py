"""Every query of sensors' public services (SensorThings' own are compiled in `sta/`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from smartcity.modules.sensors.models import (
    Datastream,
    DeadLetter,
    Location,
    Observation,
    Thing,
    ThingLocation,
)

SQLITE_PARAMETERS = 900
"""Ids bound per query: under SQLite's limit on bound parameters."""


def located_streams(properties: Sequence[str], *columns: Any) -> Select[Any]:
    """Devices with a location and their datastreams of `properties`, by device id:
    (thing id, device id, name, kind, lat, lon, property, *columns)."""
    return (
        select(
            Thing.id,
            Thing.device_id,
            Thing.name,
            Thing.kind,
            Location.latitude,
            Location.longitude,
            Datastream.quantity,
            *columns,
        )
        .join(Datastream, Datastream.thing_id == Thing.id)
        .join(ThingLocation, ThingLocation.thing_id == Thing.id)
        .join(Location, Location.id == ThingLocation.location_id)
        .where(
            Thing.device_id.is_not(None),
            Datastream.quantity.in_(list(properties)),
            Location.latitude.is_not(None),
        )
        .order_by(Thing.device_id)
    )


def latest_of_streams(session: Session, properties: Sequence[str]) -> Sequence[Any]:
    """The located devices' datastreams of `properties` that have a latest value:
    (thing id, device id, name, kind, lat, lon, property, last time in ms, last result)."""
    query = located_streams(properties, Datastream.last_ms, Datastream.last_result).where(
        Datastream.last_ms.is_not(None)
    )
    return session.execute(query).all()


def observation_chunks(
    session: Session, stream_ids: Sequence[int], start_ms: int, end_ms: int
) -> Iterator[Sequence[Any]]:
    """(datastream id, time, numeric result) rows with `start_ms <= time < end_ms`, read
    SQLITE_PARAMETERS datastreams at a time."""
    for offset in range(0, len(stream_ids), SQLITE_PARAMETERS):
        yield session.execute(
            select(
                Observation.datastream_id, Observation.phenomenon_ms, Observation.result_number
            ).where(
                Observation.datastream_id.in_(stream_ids[offset : offset + SQLITE_PARAMETERS]),
                Observation.phenomenon_ms >= start_ms,
                Observation.phenomenon_ms < end_ms,
            )
        ).all()


def located_devices(
    session: Session, properties: Sequence[str], device_ids: Sequence[str] | None
) -> list[tuple[int, str, str, str, float, float, dict[str, int]]]:
    """(thing id, device id, name, kind, lat, lon, {property: datastream id}) of located devices."""
    query = located_streams(properties, Datastream.id)
    if device_ids is not None:
        query = query.where(Thing.device_id.in_(list(device_ids)))
    found: dict[int, Any] = {}
    for thing_id, device, name, kind, lat, lon, quantity, stream in session.execute(query):
        entry = found.setdefault(thing_id, (thing_id, device, name, kind, lat, lon, {}))
        entry[6][quantity] = stream
    return list(found.values())


def reports_per_thing(
    session: Session, thing_ids: Sequence[int], start_ms: int, end_ms: int, interval_ms: int
) -> Iterator[tuple[int, int]]:
    """(thing id, distinct `interval_ms` slots after `start_ms` with a report before `end_ms`)."""
    slot = (Observation.phenomenon_ms - start_ms) // interval_ms
    for offset in range(0, len(thing_ids), SQLITE_PARAMETERS):
        chunk = thing_ids[offset : offset + SQLITE_PARAMETERS]
        query = (
            select(Datastream.thing_id, func.count(func.distinct(slot)))
            .join(Datastream, Datastream.id == Observation.datastream_id)
            .where(
                Datastream.thing_id.in_(chunk),
                Observation.phenomenon_ms >= start_ms,
                Observation.phenomenon_ms < end_ms,
            )
            .group_by(Datastream.thing_id)
        )
        for thing, count in session.execute(query):
            yield int(thing), int(count)


def dead_letters(session: Session, limit: int = 200) -> list[DeadLetter]:
    """The newest refused messages."""
    return list(
        session.execute(
            select(DeadLetter).order_by(DeadLetter.id.desc()).limit(max(1, min(limit, 1000)))
        ).scalars()
    )


def dead_letter_count(session: Session) -> int:
    """How many refused messages are kept."""
    return int(session.execute(select(func.count(DeadLetter.id))).scalar() or 0)


def hub_counts(session: Session) -> tuple[int, int, int]:
    """How many Things, Datastreams and Observations the hub holds."""
    return tuple(  # type: ignore[return-value]  # three counts, in that order
        int(session.execute(select(func.count(model.id))).scalar() or 0)
        for model in (Thing, Datastream, Observation)
    )


def open_airbox_readings() -> Select[*tuple[Any, ...]]:
    """Airbox-class devices' readings as open data: device, quantity, time and value only."""
    return (
        select(
            Observation.id.label("id"),
            Thing.device_id.label("device_id"),
            Datastream.quantity.label("quantity"),
            Observation.phenomenon_ms.label("time_ms"),
            Observation.result_number.label("value"),
        )
        .join(Datastream, Datastream.id == Observation.datastream_id)
        .join(Thing, Thing.id == Datastream.thing_id)
        .where(Thing.kind == "airbox", Datastream.quantity.is_not(None))
    )
