"""parking's part of the demo city: the city profile's demo segments (`parking.geojson` in the
profile's directory, if it has one), live-looking occupancy heard through the sensor hub, and
a few stays billed to plates, the demo citizen's among them."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

import smartcity.modules.payments.service as payments
import smartcity.modules.sensors.service as sensors
from smartcity.core.city import profile_directory
from smartcity.core.platform import Platform
from smartcity.core.time import city_zone, utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.parking import repository, service
from smartcity.modules.parking.schemas import SightingIn
from smartcity.modules.parking.simulate import status_frame, uplink

DEMO_PLATES = ("ABC-1234", "RBC-5566", "KAD-3021")
"""The demo citizen's plate first: their e-ledger shows the stay it was billed for."""


def _history(rng: random.Random, billed: bool, now: datetime) -> list[tuple[datetime, bool]]:
    """A bay's day: a billed stay yesterday late morning (for some bays), then the last hours."""
    zone = city_zone()
    yesterday = (now.astimezone(zone) - timedelta(days=1)).date()
    moments = [(datetime.combine(yesterday, time(9, 0), tzinfo=zone), False)]
    if billed:
        moments += [
            (datetime.combine(yesterday, time(10, 30), tzinfo=zone), True),
            (datetime.combine(yesterday, time(12, 45), tzinfo=zone), False),
        ]
    at, occupied = now - timedelta(hours=3), False
    while True:
        at += timedelta(minutes=rng.randint(20, 90) if occupied else rng.randint(5, 40))
        if at >= now:
            return moments
        occupied = not occupied
        moments.append((at, occupied))


def seed(uow: UnitOfWork, platform: Platform) -> None:
    """Load the demo segments and their day so far."""
    path = profile_directory(platform.settings.city) / "parking.geojson"
    if not path.is_file():
        return
    settings = service.settings_of(platform)
    department = payments.get_item(uow.session, settings.fee_item).department
    rows = service.read_bay_file(path.read_text(encoding="utf-8"), path.name)
    made = service.import_segments(uow, rows, settings, department)
    rng = random.Random(17)  # noqa: S311  # demo data must be the same on every load
    now = utcnow()
    messages, uplinks, billed = [], [], []
    for segment in made:
        for index, bay in enumerate(repository.bays_of(uow.session, [segment.id])):
            if not bay.dev_eui:
                continue
            will_bill = index < 2
            for frame, (at, occupied) in enumerate(_history(rng, will_bill, now)):
                frame_bytes = status_frame(bay.sensor_model, occupied)
                messages.append(uplink(bay.dev_eui, at, 1, frame_bytes, frame))
                uplinks.append(
                    (bay.dev_eui, at.astimezone(UTC), "status", int(occupied), None, None)
                )
            if will_bill:
                billed.append(bay.code)
    sensors.store_uplinks(uow, messages)
    config = service.config_of(platform)
    service.apply_uplinks(uow, uplinks, config)
    yesterday = (now.astimezone(city_zone()) - timedelta(days=1)).date()
    seen_at = datetime.combine(yesterday, time(10, 40), tzinfo=city_zone())
    for number, code in enumerate(billed):
        plate = DEMO_PLATES[number % len(DEMO_PLATES)]
        service.record_sighting(uow, SightingIn(bay=code, plate=plate, seen_at=seen_at), config)
