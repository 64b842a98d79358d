"""The LASS device protocol: pipe-delimited lines and the Airbox open-data JSON.

A LASS line looks like
`|ver_format=3|app=AirBox|device_id=74DA38AF1234|date=2024-11-02|time=08:15:03|s_d0=17|…|`.
`date` and `time` are the city's local time (core.time.city_zone()).
Known aliases are accepted and unknown fields are ignored; anything that cannot be
read raises `LassError` with the reason, which the caller keeps as a dead letter.
"""

from __future__ import annotations

import gc
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from smartcity.core.time import city_zone

MAX_LINE = 4096
"""Longer lines are refused (a device line is a few hundred bytes)."""

QUANTITY_FIELDS: dict[str, tuple[str, ...]] = {
    # quantity: accepted field names, first match wins
    "pm25": ("s_d0", "pm25", "pm2_5", "PM2_5", "PM25"),
    "pm10": ("s_d1", "pm10", "PM10"),
    "pm1": ("s_d2", "pm1", "PM1"),
    "temperature": ("s_t0", "s_t2", "temperature", "temp", "Temperature"),
    "humidity": ("s_h0", "s_h2", "humidity", "Humidity"),
}
_QUANTITY_ITEMS = tuple(QUANTITY_FIELDS.items())
_FIELD_OF = {quantity: names[0] for quantity, names in QUANTITY_FIELDS.items()}
"""The field a device writes each quantity in (`s_d0` for PM2.5, …)."""
DEVICE_FIELDS = ("device_id", "deviceid", "DeviceId", "device-id")
LAT_FIELDS = ("gps_lat", "gps-lat", "lat", "latitude")
LON_FIELDS = ("gps_lon", "gps_lng", "gps-lon", "lon", "lng", "longitude")
NAME_FIELDS = ("SiteName", "sitename", "name")
APP_FIELDS = ("app", "device")
_DEVICE_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MIN_MS = 946_684_800_000  # 2000-01-01
_MAX_MS = 4_102_444_800_000  # 2100-01-01
_DAY_MS: dict[str, int] = {}
_DAY_ZONE: tzinfo | None = None
_CLOCK_MS: dict[str, int] = {}
# The field order Airbox firmware sends; anything else takes the general path.
_STANDARD = re.compile(
    r"\|device_id=([A-Za-z0-9_.:\-]{1,64})\|(?:[^|]*\|)*?date=([^|]*)\|time=([^|]*)\|(?:[^|]*\|)*?"
    r"s_d0=([^|]*)\|s_d1=([^|]*)\|s_d2=([^|]*)\|s_t0=([^|]*)\|s_h0=([^|]*)\|"
    r"gps_lat=([^|]*)\|gps_lon=([^|]*)\|"
)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch builds many small, acyclic objects.

    Bulk parsing makes tens of thousands of readings and row tuples, none of them in a
    reference cycle; the collector's generation-0 passes over them cost about a third of
    the parse time and find nothing. Re-enabled on exit unless it was already off (another
    thread's batch, or the host application), so nesting and threads are harmless.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class LassError(ValueError):
    """A message the hub cannot read; the text is the reason kept in the dead-letter table."""


@dataclass(slots=True)
class LassReading:
    """One device report: who, when (UTC epoch ms), where and what it measured."""

    device_id: str
    time_ms: int
    latitude: float | None
    longitude: float | None
    values: dict[str, float]
    app: str = ""
    name: str = ""
    extra: dict[str, str] | None = None

    @property
    def time(self) -> datetime:
        """The reading's time as an aware UTC datetime."""
        return _EPOCH + timedelta(milliseconds=self.time_ms)


def _first(fields: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = fields.get(name)
        if value is not None and value != "":
            return value
    return None


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise LassError(f"{what} is not a number: {text[:40]!r}") from None
    if not math.isfinite(value):
        raise LassError(f"{what} is not a finite number")
    return value


def _local_days() -> dict[str, int]:
    """The cache of local midnights, emptied when the city's zone is another than it was."""
    global _DAY_ZONE
    zone = city_zone()
    if zone is not _DAY_ZONE:
        _DAY_MS.clear()
        _DAY_ZONE = zone
    return _DAY_MS


def _day_ms(date: str) -> int:
    """UTC epoch ms of the city's midnight starting `date`."""
    cached = _local_days().get(date)
    if cached is not None:
        return cached
    if len(date) != 10 or date[4] != "-" or date[7] != "-":
        raise LassError(f"date must be YYYY-MM-DD: {date[:40]!r}")
    try:
        day = datetime(int(date[:4]), int(date[5:7]), int(date[8:10]), tzinfo=UTC)
    except ValueError:
        raise LassError(f"not a date: {date[:40]!r}") from None
    # The offset in force at the day's noon: on a night that changes the clock, readings of
    # the hours before the change are an hour off (the cities served so far keep one offset).
    offset = city_zone().utcoffset(day.replace(hour=12, tzinfo=None)) or timedelta(0)
    value = int((day - offset - _EPOCH).total_seconds()) * 1000
    if len(_DAY_MS) < 100_000:
        _DAY_MS[date] = value
    return value


def _clock_ms(clock: str) -> int:
    cached = _CLOCK_MS.get(clock)
    if cached is not None:
        return cached
    value = _parse_clock(clock)
    if len(_CLOCK_MS) < 100_000:
        _CLOCK_MS[clock] = value
    return value


def _parse_clock(clock: str) -> int:
    parts = clock.split(":")
    # isascii: `isdigit` also takes digits such as "²" that `int` refuses.
    if len(parts) != 3 or not all(part.isascii() and part.isdigit() for part in parts):
        raise LassError(f"time must be HH:MM:SS: {clock[:40]!r}")
    hours, minutes, seconds = (int(part) for part in parts)
    if hours > 23 or minutes > 59 or seconds > 60:
        raise LassError(f"not a time of day: {clock[:40]!r}")
    return ((hours * 60 + minutes) * 60 + seconds) * 1000


def timestamp_ms(text: str) -> int:
    """ISO 8601 text → UTC epoch ms; a time without offset is the city's local time."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise LassError(f"not an ISO 8601 timestamp: {text[:40]!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=city_zone())
    return int((value - _EPOCH).total_seconds() * 1000)


def _time_ms(fields: Mapping[str, str]) -> int:
    stamp = fields.get("timestamp")
    if stamp:
        ms = timestamp_ms(stamp)
    else:
        date, clock = fields.get("date"), fields.get("time")
        if not date or not clock:
            raise LassError("missing date and time")
        ms = _day_ms(date) + _clock_ms(clock)
    if ms < _MIN_MS or ms > _MAX_MS:
        raise LassError("time out of range")
    return ms


def _standard(text: str) -> LassReading | None:
    """The fast path for a line in the firmware's own field order (None: use the general path)."""
    match = _STANDARD.search(text)
    if match is None or "SiteName=" in text:
        return None
    device, date, clock, d0, d1, d2, t0, h0, lat, lon = match.groups()
    if not (d0 and d1 and d2 and t0 and h0 and lat and lon):
        return None
    try:
        pm25, pm10, pm1 = float(d0), float(d1), float(d2)
        temperature, humidity = float(t0), float(h0)
        latitude, longitude = float(lat), float(lon)
    except ValueError:
        return None
    if not math.isfinite(pm25 + pm10 + pm1 + temperature + humidity + latitude + longitude):
        return None  # NaN, infinite or overflowing: the general path names the field
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    if not date or not clock:
        return None
    ms = _day_ms(date) + _clock_ms(clock)
    if ms < _MIN_MS or ms > _MAX_MS:
        raise LassError("time out of range")
    start = text.find("|app=")
    app = text[start + 5 : text.find("|", start + 5)][:64] if start >= 0 else ""
    return LassReading(
        device,
        ms,
        latitude,
        longitude,
        {
            "pm25": pm25,
            "pm10": pm10,
            "pm1": pm1,
            "temperature": temperature,
            "humidity": humidity,
        },
        app,
    )


def reading_from_fields(fields: Mapping[str, str]) -> LassReading:
    """A reading from a device's field map (the LASS keys, or the Airbox JSON keys as text)."""
    device_id = _first(fields, DEVICE_FIELDS)
    if device_id is None:
        raise LassError("missing device_id")
    if not _DEVICE_ID.match(device_id):
        raise LassError("device_id must be 1–64 letters, digits or ._:-")
    time_ms = _time_ms(fields)
    values: dict[str, float] = {}
    for quantity, names in _QUANTITY_ITEMS:
        for name in names:
            text = fields.get(name)
            if text:
                try:
                    number = float(text)
                except ValueError:
                    raise LassError(f"{quantity} is not a number: {text[:40]!r}") from None
                if number - number != 0:  # NaN or infinite
                    raise LassError(f"{quantity} is not a finite number")
                values[quantity] = number
                break
    if not values:
        raise LassError("no known reading (s_d0, s_d1, s_d2, s_t0, s_h0)")
    latitude = longitude = None
    lat_text, lon_text = _first(fields, LAT_FIELDS), _first(fields, LON_FIELDS)
    if lat_text is not None and lon_text is not None:
        latitude, longitude = _number(lat_text, "gps_lat"), _number(lon_text, "gps_lon")
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise LassError("gps_lat/gps_lon out of range")
    return LassReading(
        device_id=device_id,
        time_ms=time_ms,
        latitude=latitude,
        longitude=longitude,
        values=values,
        app=(_first(fields, APP_FIELDS) or "")[:64],
        name=(_first(fields, NAME_FIELDS) or "")[:200],
    )


def parse_line(line: str) -> LassReading:
    """Parse one LASS line, or raise `LassError` saying why not."""
    if len(line) > MAX_LINE:
        raise LassError(f"line longer than {MAX_LINE} characters")
    text = line.strip()
    if not text:
        raise LassError("empty message")
    if "\x00" in text:
        raise LassError("NUL character in message")
    fast = _standard(text)
    if fast is not None:
        return fast
    # key=value pairs between pipes; bare flags are skipped; the first of a repeated key wins.
    fields: dict[str, str] = {}
    for part in text.split("|"):
        key, sep, value = part.partition("=")
        if not sep:
            continue
        key = key.strip()
        if key and key not in fields:
            fields[key] = value.strip()
    if not fields:
        raise LassError("not a LASS message (no key=value fields)")
    return reading_from_fields(fields)


def _flat(record: Any) -> dict[str, str] | None:
    if not isinstance(record, dict):
        return None
    if len(record) == 1:
        (inner,) = record.values()
        if isinstance(inner, dict):
            record = inner  # {"AirBox": {...}} wrappers
    return {
        str(key): (value if isinstance(value, str) else json.dumps(value))
        for key, value in record.items()
        if value is not None and not isinstance(value, (dict, list))
    }


def parse_airbox_json(document: Any) -> tuple[list[LassReading], list[tuple[str, str]]]:
    """The Airbox open-data form `{"feeds": [{device_id, s_d0, …, timestamp}]}`.

    Returns the readings and, for each record that cannot be read, (record JSON, reason).
    """
    if not isinstance(document, dict) or not isinstance(document.get("feeds"), list):
        raise LassError('expected an object with a "feeds" list')
    readings: list[LassReading] = []
    refused: list[tuple[str, str]] = []
    for record in document["feeds"]:
        fields = _flat(record)
        try:
            if fields is None:
                raise LassError("a feed entry must be an object")
            readings.append(reading_from_fields(fields))
        except LassError as exc:
            refused.append((json.dumps(record, ensure_ascii=False)[:4000], str(exc)))
    return readings, refused


def format_line(
    device_id: str,
    time: datetime,
    values: Mapping[str, float],
    latitude: float,
    longitude: float,
    *,
    tick: int = 0,
    app: str = "AirBox",
) -> str:
    """A LASS line as an Airbox sends it (used by the simulator and tests)."""
    local = time.astimezone(city_zone())
    readings = "|".join(f"{_FIELD_OF[key]}={value:g}" for key, value in values.items())
    return (
        f"|ver_format=3|FAKE_GPS=1|app={app}|ver_app=1.0|device_id={device_id}|tick={tick}"
        f"|date={local:%Y-%m-%d}|time={local:%H:%M:%S}|device={app}|{readings}"
        f"|gps_lat={latitude:.5f}|gps_lon={longitude:.5f}|gps_fix=1|gps_alt=2|"
    )


def reading_line(reading: LassReading) -> str:
    """A parsed reading as a LASS line again (an ISO `timestamp`), e.g. to keep a refused one.

    `parse_line` reads it back to the same reading; fields the hub ignores are not kept.
    """
    fields = [f"device_id={reading.device_id}", f"timestamp={reading.time.isoformat()}"]
    fields += [f"{_FIELD_OF[quantity]}={value!r}" for quantity, value in reading.values.items()]
    if reading.latitude is not None and reading.longitude is not None:
        fields += [f"gps_lat={reading.latitude!r}", f"gps_lon={reading.longitude!r}"]
    if reading.app:
        fields.append(f"app={reading.app}")
    if reading.name:
        fields.append(f"SiteName={reading.name}")
    return "|" + "|".join(fields) + "|"


def parse_lines(lines: Iterable[str]) -> tuple[list[LassReading], list[tuple[str, str]]]:
    """Parse many lines: the readings and (line, reason) for each refused one.

    The firmware-order fast path of `parse_line` is inlined here (bulk ingestion spends most
    of its Python time in this loop); anything unusual goes through `parse_line` itself, so
    the results are the same line by line.
    """
    with gc_paused():
        return _parse_lines(lines)


def _parse_lines(lines: Iterable[str]) -> tuple[list[LassReading], list[tuple[str, str]]]:
    readings: list[LassReading] = []
    refused: list[tuple[str, str]] = []
    search = _STANDARD.search
    days, clocks = _local_days(), _CLOCK_MS
    isfinite = math.isfinite
    append = readings.append
    for line in lines:
        match = search(line) if len(line) <= MAX_LINE else None
        if match is not None and "SiteName=" not in line and "\x00" not in line:
            device, date, clock, d0, d1, d2, t0, h0, lat, lon = match.groups()
            day, clock_ms = days.get(date), clocks.get(clock)
            if day is not None and clock_ms is not None and d0 and d1 and d2 and t0 and h0:
                try:
                    pm25, pm10, pm1 = float(d0), float(d1), float(d2)
                    temperature, humidity = float(t0), float(h0)
                    latitude, longitude = float(lat), float(lon)
                except ValueError:
                    pass
                else:
                    ms = day + clock_ms
                    if (
                        isfinite(pm25 + pm10 + pm1 + temperature + humidity + latitude + longitude)
                        and -90 <= latitude <= 90
                        and -180 <= longitude <= 180
                        and _MIN_MS <= ms <= _MAX_MS
                    ):
                        start = line.find("|app=")
                        app = line[start + 5 : line.find("|", start + 5)][:64] if start >= 0 else ""
                        append(
                            LassReading(
                                device,
                                ms,
                                latitude,
                                longitude,
                                {
                                    "pm25": pm25,
                                    "pm10": pm10,
                                    "pm1": pm1,
                                    "temperature": temperature,
                                    "humidity": humidity,
                                },
                                app,
                            )
                        )
                        continue
        try:
            if line.strip():
                append(parse_line(line))
        except LassError as exc:
            refused.append((line[:4000], str(exc)))
    return readings, refused
