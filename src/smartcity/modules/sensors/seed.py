"""sensors' part of the demo city: ~60 school Airboxes with three days of hourly readings,
and the city's reference stations (invented readings at the real stations' places)."""

from __future__ import annotations

from datetime import timedelta

from smartcity.core.platform import Platform
from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.sensors import service
from smartcity.modules.sensors.ingest import ingest
from smartcity.modules.sensors.lass import parse_lines
from smartcity.modules.sensors.owners import Acting
from smartcity.modules.sensors.runtime import registry_of
from smartcity.modules.sensors.simulate import Field, School, lines, schools
from smartcity.modules.sensors.values import DeadLetterSource, ThingKind

DEVICES = 60
HOURS = 72
AIRBOX_OWNER = "LASS"
"""The identity seed's LASS community: the demo Airboxes are its."""
STATION_OWNER = "DEP"
"""The identity seed's Department of Environmental Protection: the reference stations are its."""


def seed(uow: UnitOfWork, platform: Platform) -> None:
    """Load the demo devices, stations and readings into the caller's unit of work."""
    end = utcnow().replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=HOURS - 1)
    devices = schools(DEVICES)
    text = [line for _when, _school, line in lines(devices, start, HOURS, timedelta(hours=1))]
    readings, refused = parse_lines(text)
    ingest(
        uow,
        readings,
        refused,
        source=DeadLetterSource.FILE,
        acting=Acting(AIRBOX_OWNER),
        topic="demo seed",
        registry=registry_of(platform),
    )
    field = Field(seed=11)
    for station in platform.settings.city_profile.stations:
        station_id, name, (lat, lon) = station.code, station.name, station.point
        service.register_station(
            uow,
            station_id=station_id,
            name=name,
            latitude=lat,
            longitude=lon,
            kind=ThingKind.REFERENCE,
            owner=STATION_OWNER,
        )
        place = School(station_id, name, lat, lon)
        rows = []
        for hour in range(HOURS):
            when = start + timedelta(hours=hour)
            values = field.values(place, when)
            rows.append(
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
        service.record_readings(uow, station_id, rows)
