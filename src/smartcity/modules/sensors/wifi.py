"""Bay sensors and parking meters on WiFi, which post their readings over HTTP.

A device with a device key posts what it sensed, already decoded (no byte layout to pin),
with its own time. The readings go through the same store as LoRaWAN uplinks: an
Observation per quantity at the device's time, so a repeated post (a retry after a lost
answer) stores nothing, an older reading after a newer one is kept but moves no bay, and the
batch's new readings reach subscribers in the same `UplinksStored` event.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from smartcity.core.uow import UnitOfWork
from smartcity.modules.sensors.decoders import Decoded
from smartcity.modules.sensors.errors import NotOwner
from smartcity.modules.sensors.ingest import dead_letter
from smartcity.modules.sensors.lorawan import UplinkStore
from smartcity.modules.sensors.owners import Acting
from smartcity.modules.sensors.values import DeadLetterSource, ThingKind

MODELS = ("wifi-bay", "wifi-meter")
"""WiFi devices the hub registers for bays: a presence sensor, a meter that senses its bay."""
ENDPOINT = "POST /api/v1/sensors/uplinks"


@dataclass(frozen=True)
class Reading:
    """One reading as a WiFi device posts it."""

    device_id: str
    time: datetime
    message: str
    occupied: bool | None
    battery_volts: float | None
    temperature: float | None
    fault: str | None


@dataclass(frozen=True)
class Stored:
    """What a post did: readings new, already stored, kept as dead letters (with reasons)."""

    stored: int
    duplicates: int
    refused: list[str]


def store_readings(uow: UnitOfWork, readings: Sequence[Reading], acting: Acting) -> Stored:
    """Store a device's posted readings in the caller's unit of work.

    A reading of another owner's device refuses the whole post (nothing stored); one of an
    unknown device is kept as a dead letter with the reason, so nothing accepted is lost.
    """
    store = UplinkStore(uow)
    store.load_devices((r.device_id for r in readings), ThingKind.WIFI)
    devices = {r.device_id: store.device(r.device_id, ThingKind.WIFI) for r in readings}
    foreign = sorted(
        eui for eui, found in devices.items() if found and not acting.may_write(found.owner)
    )
    if foreign:
        raise NotOwner(
            f"{', '.join(foreign[:10])}: device of another owner; nothing of this post was stored"
        )
    stored = duplicates = 0
    refused: list[str] = []
    for reading in readings:
        device = devices[reading.device_id]
        if device is None:
            reason = f"unknown WiFi device {reading.device_id}"
            dead_letter(uow.session, DeadLetterSource.HTTP_UPLINK, ENDPOINT, _text(reading), reason)
            refused.append(reason)
            continue
        decoded = Decoded(
            reading.message,
            occupied=reading.occupied,
            battery_volts=reading.battery_volts,
            temperature=reading.temperature,
            fault=reading.fault,
        )
        if store.keep(reading.device_id, reading.time.astimezone(UTC), decoded, device.streams):
            stored += 1
        else:
            duplicates += 1
    store.finish()
    return Stored(stored, duplicates, refused)


def _text(reading: Reading) -> str:
    return json.dumps(
        {
            "device_id": reading.device_id,
            "time": reading.time.isoformat(),
            "message": reading.message,
            "occupied": reading.occupied,
            "battery_volts": reading.battery_volts,
            "temperature": reading.temperature,
            "fault": reading.fault,
        },
        ensure_ascii=False,
    )
