"""sensors' public services: what other modules (airquality, livinglab) may call.

Every function reads through the storage of this module; none commits (writes take
the caller's unit of work). Times are aware UTC datetimes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from smartcity.core.errors import InvalidInput, NotFound
from smartcity.core.uow import UnitOfWork
from smartcity.modules.sensors import lorawan
from smartcity.modules.sensors.decoders import DECODERS
from smartcity.modules.sensors.events import ObservationsArrivedLate, ObservationsStored
from smartcity.modules.sensors.ingest import (
    DeviceRegistry,
    add_streams,
    create_device,
    datetime_to_ms,
    ended_days,
    move_device,
    ms_to_datetime,
)
from smartcity.modules.sensors.models import (
    Datastream,
    DeadLetter,
    Location,
    Observation,
    Thing,
    ThingLocation,
)
from smartcity.modules.sensors.owners import NotOwner, acting_for
from smartcity.modules.sensors.storage import Row, advance_latest, store_for
from smartcity.modules.sensors.values import Quantity, ThingKind

DEFAULT_PROPERTIES: tuple[str, ...] = ("pm25", "temperature", "humidity")
PROPERTIES = tuple(q.value for q in Quantity)


@dataclass(frozen=True)
class DeviceSeries:
    """One device's readings in a window, as aligned arrays."""

    device_id: str
    thing_id: int
    name: str
    latitude: float
    longitude: float
    times: np.ndarray
    """`datetime64[s]`, UTC, ascending, one entry per time any asked property was reported."""
    values: dict[str, np.ndarray]
    """Per property (`pm25`, `pm10`, `pm1`, `temperature`, `humidity`): float64, NaN for gaps."""
    kind: str = ThingKind.AIRBOX
    """`airbox` or `reference`."""


@dataclass(frozen=True)
class DeviceLatest:
    """A device's latest values, read from the datastreams (no history scan)."""

    device_id: str
    thing_id: int
    name: str
    latitude: float
    longitude: float
    time: datetime
    """The newest of the values' times (UTC)."""
    values: dict[str, float]
    kind: str = ThingKind.AIRBOX
    times: dict[str, datetime] = field(default_factory=dict)
    """Each value's own time."""


def _check_properties(properties: Sequence[str]) -> list[str]:
    wanted = list(dict.fromkeys(properties))
    unknown = [p for p in wanted if p not in PROPERTIES]
    if unknown or not wanted:
        raise InvalidInput(
            f"properties must be among {', '.join(PROPERTIES)}", code="unknown_property"
        )
    return wanted


def _located_streams(properties: Sequence[str], *columns: Any) -> Select[Any]:
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


def _observation_chunks(
    session: Session, stream_ids: Sequence[int], start_ms: int, end_ms: int
) -> Iterator[Sequence[Any]]:
    """(datastream id, time, numeric result) rows with `start_ms <= time < end_ms`, read 900
    datastreams at a time (SQLite's limit on bound parameters)."""
    for offset in range(0, len(stream_ids), 900):
        yield session.execute(
            select(
                Observation.datastream_id, Observation.phenomenon_ms, Observation.result_number
            ).where(
                Observation.datastream_id.in_(stream_ids[offset : offset + 900]),
                Observation.phenomenon_ms >= start_ms,
                Observation.phenomenon_ms < end_ms,
            )
        ).all()


def _devices(
    session: Session, properties: Sequence[str], device_ids: Sequence[str] | None
) -> list[tuple[int, str, str, str, float, float, dict[str, int]]]:
    """(thing id, device id, name, kind, lat, lon, {property: datastream id}) of located devices."""
    query = _located_streams(properties, Datastream.id)
    if device_ids is not None:
        query = query.where(Thing.device_id.in_(list(device_ids)))
    found: dict[int, Any] = {}
    for thing_id, device, name, kind, lat, lon, quantity, stream in session.execute(query):
        entry = found.setdefault(thing_id, (thing_id, device, name, kind, lat, lon, {}))
        entry[6][quantity] = stream
    return list(found.values())


def readings(
    session: Session,
    start: datetime,
    end: datetime,
    properties: Sequence[str] = DEFAULT_PROPERTIES,
    device_ids: Sequence[str] | None = None,
) -> list[DeviceSeries]:
    """Each located device's readings with `start <= time < end`, aligned per device.

    Only devices with at least one reading in the window are returned, sorted by
    device id. A time appears once per device; a property not reported then is NaN.
    """
    wanted = _check_properties(properties)
    start_ms, end_ms = datetime_to_ms(start), datetime_to_ms(end)
    if end_ms <= start_ms:
        return []
    devices = _devices(session, wanted, device_ids)
    if not devices:
        return []
    stream_owner: dict[int, tuple[int, str]] = {}
    for thing_id, _device, _name, _kind, _lat, _lon, streams in devices:
        for quantity, stream in streams.items():
            stream_owner[stream] = (thing_id, quantity)
    stream_ids = sorted(stream_owner)
    chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for rows in _observation_chunks(session, stream_ids, start_ms, end_ms):
        if rows:
            array = np.array(
                [(s, t, np.nan if v is None else v) for s, t, v in rows], dtype=np.float64
            )
            chunks.append((array[:, 0].astype(np.int64), array[:, 1].astype(np.int64), array[:, 2]))
    if not chunks:
        return []
    streams_all = np.concatenate([c[0] for c in chunks])
    times_all = np.concatenate([c[1] for c in chunks])
    values_all = np.concatenate([c[2] for c in chunks])
    order = np.lexsort((times_all, streams_all))
    streams_all, times_all, values_all = streams_all[order], times_all[order], values_all[order]
    bounds = np.searchsorted(streams_all, np.array([*stream_ids, 2**62], dtype=np.int64))
    per_stream = {
        stream: (times_all[bounds[i] : bounds[i + 1]], values_all[bounds[i] : bounds[i + 1]])
        for i, stream in enumerate(stream_ids)
    }
    result: list[DeviceSeries] = []
    for thing_id, device, name, kind, lat, lon, streams in devices:
        parts = [per_stream[s] for s in streams.values() if len(per_stream[s][0])]
        if not parts:
            continue
        times_ms = np.unique(np.concatenate([p[0] for p in parts]))
        values: dict[str, np.ndarray] = {}
        for quantity in wanted:
            column = np.full(len(times_ms), np.nan)
            stream_id = streams.get(quantity)
            if stream_id is not None:
                t, v = per_stream[stream_id]
                if len(t):
                    column[np.searchsorted(times_ms, t)] = v
            values[quantity] = column
        result.append(
            DeviceSeries(
                device_id=device,
                thing_id=thing_id,
                name=name,
                latitude=float(lat),
                longitude=float(lon),
                times=(times_ms // 1000).astype("datetime64[s]"),
                values=values,
                kind=kind,
            )
        )
    return result


def latest(session: Session, properties: Sequence[str] = DEFAULT_PROPERTIES) -> list[DeviceLatest]:
    """Every located device's latest values, from the datastream rows (never the history)."""
    wanted = _check_properties(properties)
    query = _located_streams(wanted, Datastream.last_ms, Datastream.last_result).where(
        Datastream.last_ms.is_not(None)
    )
    found: dict[int, dict[str, Any]] = {}
    for thing_id, device, name, kind, lat, lon, quantity, last_ms, value in session.execute(query):
        entry = found.setdefault(
            thing_id,
            {
                "device": device,
                "name": name,
                "kind": kind,
                "lat": lat,
                "lon": lon,
                "v": {},
                "t": {},
            },
        )
        if value is not None:
            entry["v"][quantity] = float(value)
            entry["t"][quantity] = ms_to_datetime(int(last_ms or 0))
    return [
        DeviceLatest(
            device_id=e["device"],
            thing_id=thing_id,
            name=e["name"],
            latitude=float(e["lat"]),
            longitude=float(e["lon"]),
            time=max(e["t"].values()),
            values=e["v"],
            kind=e["kind"],
            times=e["t"],
        )
        for thing_id, e in found.items()
        if e["t"]
    ]


def register_station(
    uow: UnitOfWork,
    *,
    station_id: str,
    name: str,
    latitude: float,
    longitude: float,
    kind: str = ThingKind.REFERENCE,
    owner: str | None = None,
) -> int:
    """A station (or device, `kind="airbox"`) of organisation `owner` (None: the platform's)
    as a Thing with a Location and datastreams.

    Idempotent on `station_id`: a second call updates the name and position and returns the
    same Thing id. Only the station's owner (or an administrator, or the platform's own jobs)
    may register it, and never for another owner: it keeps the owner it was made with.
    """
    acting = acting_for(uow.actor)
    if not acting.may_write(owner):
        raise NotOwner(f"cannot register a station for {owner or 'the platform'}")
    if kind not in (ThingKind.REFERENCE, ThingKind.AIRBOX):
        raise InvalidInput("kind must be reference or airbox", code="invalid_kind")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput("latitude or longitude out of range", code="invalid_position")
    registry = DeviceRegistry()
    registry._load(uow.session, [station_id])
    entry = registry._entries.get(station_id)
    if entry is None:
        created = create_device(
            uow,
            device_id=station_id,
            name=name,
            latitude=latitude,
            longitude=longitude,
            kind=kind,
            app="reference" if kind == ThingKind.REFERENCE else "AirBox",
            owner=owner,
        )
        return created.thing_id
    thing = uow.session.get(Thing, entry.thing_id)
    if thing is None:
        raise NotFound(f"no station {station_id!r}", code="unknown_device")
    if thing.owner != owner:
        raise NotOwner(f"station {station_id} belongs to another owner")
    if thing.name != name:
        thing.name = name
        uow.audit("sensors.thing.renamed", "thing", thing.id, {"name": name})
    add_streams(uow.session, entry, PROPERTIES, "reference" if kind == "reference" else "AirBox")
    move_device(uow, station_id, entry, latitude, longitude)
    return entry.thing_id


def record_readings(
    uow: UnitOfWork, device_id: str, rows: Iterable[tuple[datetime, dict[str, float]]]
) -> int:
    """Store a registered device's readings; idempotent on (device, time). Returns new rows.

    Values that are not finite numbers are skipped. Only the device's owner (or an
    administrator, or the platform's own jobs) may.
    """
    registry = DeviceRegistry()
    registry._load(uow.session, [device_id])
    entry = registry._entries.get(device_id)
    if entry is None:
        raise NotFound(f"no device {device_id!r}; register it first", code="unknown_device")
    if not acting_for(uow.actor).may_write(entry.owner):
        raise NotOwner(f"device {device_id} belongs to another owner")
    batch: list[Row] = []
    for when, values in rows:
        ms = datetime_to_ms(when)
        for quantity, value in values.items():
            if quantity not in PROPERTIES:
                raise InvalidInput(f"unknown property {quantity!r}", code="unknown_property")
            if value is None or not np.isfinite(value):
                continue
            if quantity not in entry.streams:
                add_streams(uow.session, entry, [quantity], "AirBox")
            batch.append((entry.streams[quantity], ms, float(value)))
    if not batch:
        return 0
    uow.session.flush()
    stored = store_for(uow.session).insert_numbers(uow.session, batch)
    advance_latest(uow.session, batch)
    first_ms, last_ms = min(r[1] for r in batch), max(r[1] for r in batch)
    uow.audit(
        "sensors.observations.stored",
        "thing",
        entry.thing_id,
        {"device_id": device_id, "stored": stored, "first": first_ms, "last": last_ms},
    )
    if stored:
        uow.emit(
            ObservationsStored(
                stored, (device_id,), ms_to_datetime(first_ms), ms_to_datetime(last_ms)
            )
        )
        late = ended_days(first_ms, last_ms)
        if late:
            uow.emit(ObservationsArrivedLate(days=late))
    return stored


def datastream_stats(
    session: Session, datastream_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, dict[str, Any]]:
    """Per datastream, over `start <= time < end`: count, median, mean, min, max, last_time.

    Streams without numeric readings in the window get count 0 and None elsewhere.
    """
    start_ms, end_ms = datetime_to_ms(start), datetime_to_ms(end)
    values: dict[int, list[float]] = defaultdict(list)
    last: dict[int, int] = {}
    ids = list(dict.fromkeys(int(i) for i in datastream_ids))
    for rows in _observation_chunks(session, ids, start_ms, end_ms):
        for stream, ms, value in rows:
            if value is None:
                continue
            values[stream].append(float(value))
            if ms > last.get(stream, -1):
                last[stream] = ms
    stats: dict[int, dict[str, Any]] = {}
    for stream in ids:
        array = np.array(values.get(stream, []), dtype=np.float64)
        if not len(array):
            stats[stream] = {
                "count": 0,
                "median": None,
                "mean": None,
                "min": None,
                "max": None,
                "last_time": None,
            }
            continue
        stats[stream] = {
            "count": len(array),
            "median": float(np.median(array)),
            "mean": float(array.mean()),
            "min": float(array.min()),
            "max": float(array.max()),
            "last_time": ms_to_datetime(last[stream]),
        }
    return stats


def thing_online_ratio(
    session: Session,
    thing_ids: Sequence[int],
    start: datetime,
    end: datetime,
    expected_interval_s: float,
) -> float:
    """The share of expected reports the Things made in the window (0.0 … 1.0).

    A Thing is expected to report once per `expected_interval_s`; a report is a
    distinct phenomenon time on any of its datastreams, counted once per interval slot.
    """
    if expected_interval_s <= 0:
        raise InvalidInput("expected_interval_s must be positive", code="invalid_interval")
    ids = list(dict.fromkeys(int(i) for i in thing_ids))
    start_ms, end_ms = datetime_to_ms(start), datetime_to_ms(end)
    interval_ms = int(expected_interval_s * 1000)
    slots_each = max(0, (end_ms - start_ms) // interval_ms)
    if not ids or slots_each == 0:
        return 0.0
    slot = (Observation.phenomenon_ms - start_ms) // interval_ms
    seen = 0
    for offset in range(0, len(ids), 900):
        chunk = ids[offset : offset + 900]
        query = (
            select(Datastream.thing_id, func.count(func.distinct(slot)))
            .join(Datastream, Datastream.id == Observation.datastream_id)
            .where(
                Datastream.thing_id.in_(chunk),
                Observation.phenomenon_ms >= start_ms,
                Observation.phenomenon_ms < start_ms + slots_each * interval_ms,
            )
            .group_by(Datastream.thing_id)
        )
        seen += sum(min(int(count), slots_each) for _thing, count in session.execute(query))
    return seen / (len(ids) * slots_each)


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


def register_lorawan_device(
    uow: UnitOfWork,
    *,
    dev_eui: str,
    model: str,
    name: str,
    latitude: float,
    longitude: float,
    owner: str | None = None,
) -> int:
    """Make (or update) the Thing of a LoRaWAN device the ingester will find by its dev EUI:
    its occupancy, battery and device-temperature Datastreams; the Thing's id."""
    try:
        return lorawan.register_device(
            uow,
            dev_eui=dev_eui,
            model=model,
            name=name,
            latitude=latitude,
            longitude=longitude,
            owner=owner,
        )
    except lorawan.RefusedUplink as refused:
        raise InvalidInput(str(refused), code="invalid_device") from None


def lorawan_models() -> tuple[str, ...]:
    """The LoRaWAN models whose payloads the hub decodes itself."""
    return tuple(sorted(DECODERS))


def store_uplinks(uow: UnitOfWork, messages: Sequence[tuple[str, bytes]]) -> int:
    """Store LoRaWAN uplink messages (topic, JSON) as the MQTT ingester does; how many were new."""
    return lorawan.store_uplinks(uow, messages)
