"""sensors' public services: what other modules (airquality, livinglab) may call.

Every function reads through the storage of this module; none commits (writes take
the caller's unit of work). Times are aware UTC datetimes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from smartcity.core.errors import InvalidInput
from smartcity.core.meta import get_meta
from smartcity.core.repository import get_or_404
from smartcity.core.uow import UnitOfWork
from smartcity.modules.sensors import errors, lorawan, repository, wifi
from smartcity.modules.sensors.decoders import DECODERS
from smartcity.modules.sensors.errors import NotOwner
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
    DeadLetter,
    Thing,
)
from smartcity.modules.sensors.owners import Acting, acting_for
from smartcity.modules.sensors.repository import open_airbox_readings as open_airbox_readings
from smartcity.modules.sensors.storage import Row, advance_latest, store_for
from smartcity.modules.sensors.values import Quantity, ThingKind

DEMO_FEED_MARK = "sensors.demo_fed_until"
"""core_meta key: the time of the newest demo step stored; present only in a demo city."""
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
        raise errors.UnknownProperty(f"properties must be among {', '.join(PROPERTIES)}")
    return wanted


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
    devices = repository.located_devices(session, wanted, device_ids)
    if not devices:
        return []
    stream_owner: dict[int, tuple[int, str]] = {}
    for thing_id, _device, _name, _kind, _lat, _lon, streams in devices:
        for quantity, stream in streams.items():
            stream_owner[stream] = (thing_id, quantity)
    stream_ids = sorted(stream_owner)
    chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for rows in repository.observation_chunks(session, stream_ids, start_ms, end_ms):
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
    found: dict[int, dict[str, Any]] = {}
    rows = repository.latest_of_streams(session, wanted)
    for thing_id, device, name, kind, lat, lon, quantity, last_ms, value in rows:
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
        raise errors.InvalidKind("kind must be reference or airbox")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise errors.InvalidPosition("latitude or longitude out of range")
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
    thing = get_or_404(
        uow.session,
        Thing,
        entry.thing_id,
        code="unknown_device",
        detail=f"no station {station_id!r}",
    )
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
        raise errors.UnknownDevice(f"no device {device_id!r}; register it first")
    if not acting_for(uow.actor).may_write(entry.owner):
        raise NotOwner(f"device {device_id} belongs to another owner")
    batch: list[Row] = []
    for when, values in rows:
        ms = datetime_to_ms(when)
        for quantity, value in values.items():
            if quantity not in PROPERTIES:
                raise errors.UnknownProperty(f"unknown property {quantity!r}")
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
    for rows in repository.observation_chunks(session, ids, start_ms, end_ms):
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
        raise errors.InvalidInterval("expected_interval_s must be positive")
    ids = list(dict.fromkeys(int(i) for i in thing_ids))
    start_ms, end_ms = datetime_to_ms(start), datetime_to_ms(end)
    interval_ms = int(expected_interval_s * 1000)
    slots_each = max(0, (end_ms - start_ms) // interval_ms)
    if not ids or slots_each == 0:
        return 0.0
    reports = repository.reports_per_thing(
        session, ids, start_ms, start_ms + slots_each * interval_ms, interval_ms
    )
    seen = sum(min(count, slots_each) for _thing, count in reports)
    return seen / (len(ids) * slots_each)


def dead_letters(session: Session, limit: int = 200) -> list[DeadLetter]:
    """The newest refused messages."""
    return repository.dead_letters(session, limit)


def dead_letter_count(session: Session) -> int:
    """How many refused messages are kept."""
    return repository.dead_letter_count(session)


def demo_fed_until(session: Session) -> datetime | None:
    """*Public service.* The newest step the demo feed (`demo_feed.py`) stored; None outside
    a demo city."""
    fed = get_meta(session, DEMO_FEED_MARK)
    return datetime.fromisoformat(fed) if fed else None


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


def wifi_models() -> tuple[str, ...]:
    """The models of WiFi bay devices, which post decoded readings over HTTP."""
    return wifi.MODELS


def register_wifi_device(
    uow: UnitOfWork,
    *,
    device_id: str,
    model: str,
    name: str,
    latitude: float,
    longitude: float,
    owner: str | None,
) -> int:
    """Make (or update) the Thing of a WiFi bay device, whose keys of organisation `owner`
    post its readings (`POST /api/v1/sensors/uplinks`), with the same Datastreams as a
    LoRaWAN bay sensor's; the Thing's id."""
    try:
        return lorawan.register_device(
            uow,
            dev_eui=device_id,
            model=model,
            name=name,
            latitude=latitude,
            longitude=longitude,
            owner=owner,
            kind=ThingKind.WIFI,
        )
    except lorawan.RefusedUplink as refused:
        raise InvalidInput(str(refused), code="invalid_device") from None


def store_http_uplinks(uow: UnitOfWork, readings: Sequence[Any], acting: Acting) -> wifi.Stored:
    """Store WiFi devices' posted readings (`schemas.HttpUplinkIn`) as uplinks are stored."""
    return wifi.store_readings(
        uow,
        [
            wifi.Reading(
                r.device_id,
                r.time,
                r.message,
                r.occupied,
                r.battery_volts,
                r.temperature,
                r.fault,
            )
            for r in readings
        ],
        acting,
    )


def store_uplinks(uow: UnitOfWork, messages: Sequence[tuple[str, bytes]]) -> int:
    """Store LoRaWAN uplink messages (topic, JSON) as the MQTT ingester does; how many were new."""
    return lorawan.store_uplinks(uow, messages)
