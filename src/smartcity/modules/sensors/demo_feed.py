"""The demo city's devices keep sending: what the map, plumes and pilot KPIs show stays current.

Each demo Airbox (a school from `simulate.schools`) replays the real readings of the nearest
recorded Airbox in the city, from the recordings in `SMARTCITY_SENSORS_DEMO_RECORDINGS`
(../shared/data/airbox), shifted to now: the recording's day is repeated with its local time of
day kept, so a morning peak stays a morning peak. Quantities a recording lacks, and every
reading where no recording covers the city, come from the simulated field. The reference
stations always read the simulated field.

Only a city the demo loader seeded has the feed mark; a real city never gets a reading from here.
After a pause (a sleeping laptop) the gap is filled, at most `CATCH_UP` of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from smartcity.core.city import current_city
from smartcity.core.meta import set_meta
from smartcity.core.platform import Platform
from smartcity.core.repository import settings_of
from smartcity.core.time import city_zone, isoformat_z
from smartcity.core.uow import UnitOfWork
from smartcity.modules.sensors import service
from smartcity.modules.sensors.ingest import ingest
from smartcity.modules.sensors.lass import format_line, parse_lines
from smartcity.modules.sensors.owners import Acting
from smartcity.modules.sensors.replay import (
    RecordedDevice,
    RecordingError,
    recorded_devices,
    recorded_lines,
)
from smartcity.modules.sensors.runtime import registry_of
from smartcity.modules.sensors.settings import SensorsSettings
from smartcity.modules.sensors.simulate import Field, School, schools
from smartcity.modules.sensors.values import DeadLetterSource

FEED_MARK = service.DEMO_FEED_MARK
DEVICES = 60
STEP = timedelta(minutes=10)
CATCH_UP = timedelta(hours=24)
RECORDED_SAMPLE = timedelta(hours=6)
"""The newest stretch of the city's own recording the demo loads as it was (a quick load)."""
STALE_SECONDS = 2 * 3600
"""A recorded device silent for longer than this is silent in the replay too."""
AIRBOX_OWNER = "LASS"
"""The identity seed's LASS community: the demo Airboxes are its."""
STATION_OWNER = "DEP"
"""The identity seed's Department of Environmental Protection: the reference stations are its."""
_CACHE = "sensors.demo_recording"


@dataclass(frozen=True)
class Recording:
    """The recorded devices inside the city, and the whole days the recording spans."""

    devices: list[RecordedDevice]
    anchor: int
    """Epoch seconds of the local midnight the recording starts on."""
    days: int


def load_recording(directory: Path) -> Recording | None:
    """The recording in `directory` with the most devices inside the city, if any."""
    city = current_city()
    best: list[RecordedDevice] = []
    for path in sorted(directory.glob("*.csv.gz")) if directory.is_dir() else []:
        try:
            found = recorded_devices(
                path,
                lambda lat, lon: (
                    city.extent.contains(lat, lon) and city.district_of(lat, lon) is not None
                ),
            )
        except (RecordingError, OSError, UnicodeDecodeError):
            continue
        if len(found) > len(best):
            best = found
    if not best:
        return None
    first = min(int(d.times[0]) for d in best)
    last = max(int(d.times[-1]) for d in best)
    start = datetime.fromtimestamp(first, UTC).astimezone(city_zone())
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    days = max(1, (last - int(midnight.timestamp())) // 86400)
    return Recording(best, int(midnight.timestamp()), days)


def recording_of(platform: Platform) -> Recording | None:
    """The platform's recording, read once per process (a second or two for a large file)."""
    if _CACHE not in platform.services:
        settings = settings_of(platform, "sensors", SensorsSettings)
        platform.services[_CACHE] = load_recording(Path(settings.demo_recordings))
    found = platform.services[_CACHE]
    return found if isinstance(found, Recording) else None


def _nearest(recording: Recording, school: School) -> RecordedDevice:
    return min(
        recording.devices,
        key=lambda d: (d.latitude - school.latitude) ** 2 + (d.longitude - school.longitude) ** 2,
    )


def _replayed(recording: Recording, device: RecordedDevice, when: datetime) -> dict[str, float]:
    """The device's newest recorded values at the recording's time matching `when`."""
    span = recording.days * 86400
    shifted = recording.anchor + (int(when.timestamp()) - recording.anchor) % span
    index = int(np.searchsorted(device.times, shifted, side="right")) - 1
    if index < 0 or shifted - int(device.times[index]) > STALE_SECONDS:
        return {}
    return {
        quantity: round(float(values[index]), 1)
        for quantity, values in device.values.items()
        if np.isfinite(values[index])
    }


def feed_window(
    uow: UnitOfWork, platform: Platform, start: datetime, end: datetime, step: timedelta
) -> int:
    """Store the demo devices' and stations' readings at `start`, `start + step`, … `<= end`;
    how many of the devices' observations were stored."""
    if end < start:
        return 0
    devices = schools(DEVICES)
    recording = recording_of(platform)
    sources = {d.device_id: _nearest(recording, d) for d in devices} if recording else {}
    field = Field(seed=11)
    stations = platform.settings.city_profile.stations
    text: list[str] = []
    station_rows: dict[str, list[tuple[datetime, dict[str, float]]]] = {}
    when = start
    while when <= end:
        for school in devices:
            values = field.values(school, when)
            if recording:
                replayed = _replayed(recording, sources[school.device_id], when)
                if "pm25" not in replayed:
                    continue  # the recorded device was silent then: so is its stand-in
                values.update(replayed)
            line = format_line(school.device_id, when, values, school.latitude, school.longitude)
            text.append(f"{line}SiteName={school.name}|")  # the school, as the map names it
        for station in stations:
            place = School(station.code, station.name, *station.point)
            values = field.values(place, when)
            station_rows.setdefault(station.code, []).append(
                (
                    when,
                    {
                        "pm25": round(values["pm25"] * 0.8, 1),
                        "pm10": float(values["pm10"]),
                        "temperature": values["temperature"],
                        "humidity": values["humidity"],
                    },
                )
            )
        when += step
    readings, refused = parse_lines(text)
    result = ingest(
        uow,
        readings,
        refused,
        source=DeadLetterSource.FILE,
        acting=Acting(AIRBOX_OWNER),
        topic="demo feed",
        registry=registry_of(platform),
    )
    for code, rows in station_rows.items():
        service.record_readings(uow, code, rows)
    set_meta(uow.session, FEED_MARK, isoformat_z(end))
    return result.stored


def register_stations(uow: UnitOfWork, platform: Platform) -> None:
    """The city profile's reference stations as the department's Things."""
    for station in platform.settings.city_profile.stations:
        service.register_station(
            uow,
            station_id=station.code,
            name=station.name,
            latitude=station.point[0],
            longitude=station.point[1],
            owner=STATION_OWNER,
        )


def _floor(when: datetime) -> datetime:
    seconds = int(STEP.total_seconds())
    return datetime.fromtimestamp(int(when.timestamp()) // seconds * seconds, UTC)


def keep_alive(uow: UnitOfWork, platform: Platform, now: datetime) -> int:
    """Send the demo devices' readings due since the last step, up to `now` (at most a day
    back); nothing where the demo was never loaded. How many observations were stored."""
    fed = service.demo_fed_until(uow.session)
    if fed is None:
        return 0
    end = _floor(now)
    start = max(_floor(fed) + STEP, end - CATCH_UP)
    if start > end:
        return 0
    stored = feed_window(uow, platform, start, end, STEP)
    uow.audit(
        "sensors.demo.fed",
        "demo",
        "feed",
        {"from": isoformat_z(start), "to": isoformat_z(end), "observations": stored},
    )
    return stored


def load_recorded_sample(uow: UnitOfWork, platform: Platform) -> int:
    """The newest hours of the city's own Airbox recording (the profile's `airbox_recording`),
    stored as they were: the real devices' ids, places, times and values. Nothing when the
    profile names none or the file is absent; how many observations were stored."""
    name = platform.settings.city_profile.airbox_recording
    folder = Path(settings_of(platform, "sensors", SensorsSettings).demo_recordings)
    if not name or not (folder / name).is_file():
        return 0
    try:
        lines = [line for _when, line in recorded_lines(folder / name, RECORDED_SAMPLE)]
    except (RecordingError, OSError, UnicodeDecodeError):
        return 0
    readings, refused = parse_lines(lines)
    result = ingest(
        uow,
        readings,
        refused,
        source=DeadLetterSource.FILE,
        acting=Acting(AIRBOX_OWNER),
        topic="demo recording",
        registry=registry_of(platform),
    )
    return result.stored
