"""parking's public face: what its edges (API, pages, CLI, jobs) and other modules call.

The logic lives in `segments`, `occupancy`, `billing`, `tariffs` and `availability`, whose
functions take a session or the caller's unit of work and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

import smartcity.modules.payments.service as payments
import smartcity.modules.sensors.service as sensors
from smartcity.core.auth import Principal
from smartcity.core.platform import Platform
from smartcity.core.repository import settings_of as module_settings
from smartcity.modules.parking import repository
from smartcity.modules.parking.availability import (
    FeedCache,
    ParkingMap,
    SegmentAvailability,
    parking_map,
    segments_availability,
    segments_near,
    tcmsv_document,
    tdx_document,
)
from smartcity.modules.parking.billing import (
    Config,
    autopay_charge_due,
    normal_plate,
    record_sighting,
    settle_autopay,
)
from smartcity.modules.parking.fiware import CONTEXT as NGSI_LD_CONTEXT
from smartcity.modules.parking.fiware import MEDIA_TYPE as NGSI_LD_MEDIA_TYPE
from smartcity.modules.parking.fiware import on_street_parkings, parking_spots
from smartcity.modules.parking.models import Bay, Segment
from smartcity.modules.parking.occupancy import apply_uplinks, mark_silent
from smartcity.modules.parking.repository import open_availability as open_availability
from smartcity.modules.parking.segments import (
    change_tariff,
    create_segment,
    import_segments,
    read_bay_file,
)
from smartcity.modules.parking.settings import ParkingSettings
from smartcity.modules.parking.simulate import SimulatedBay
from smartcity.modules.parking.tariffs import fee_of

__all__ = [
    "NGSI_LD_CONTEXT",
    "NGSI_LD_MEDIA_TYPE",
    "BayView",
    "Config",
    "FeedCache",
    "ParkingMap",
    "SegmentAvailability",
    "SessionView",
    "apply_uplinks",
    "autopay_charge_due",
    "bay_view",
    "change_tariff",
    "config_of",
    "create_segment",
    "fee_of",
    "feed_cache",
    "import_segments",
    "mark_silent",
    "on_street_parkings",
    "parking_map",
    "parking_spots",
    "read_bay_file",
    "record_sighting",
    "segment_view",
    "segments_availability",
    "segments_near",
    "sessions_of_plate",
    "settings_of",
    "settle_autopay",
    "simulated_bays",
    "tcmsv_document",
    "tdx_document",
]


def simulated_bays(session: Session) -> list[SimulatedBay]:
    """Every bay with a LoRaWAN sensor, as the simulator drives them."""
    segments = repository.segments(session)
    districts = {s.id: s.district or "" for s in segments}
    return [
        SimulatedBay(bay.dev_eui, bay.sensor_model, districts[bay.segment_id], code=bay.code)
        for bay in repository.bays_of(session, list(districts))
        if bay.dev_eui and bay.sensor_model in sensors.lorawan_models()
    ]


def settings_of(platform: Platform) -> ParkingSettings:
    """parking's settings on this platform."""
    return module_settings(platform, "parking", ParkingSettings)


def feed_cache(platform: Platform) -> FeedCache:
    """This process's serialised availability feeds."""
    cache: FeedCache = platform.services.setdefault("parking.feeds", FeedCache())
    return cache


def config_of(platform: Platform) -> Config:
    """What billing needs of the platform's settings."""
    return Config(settings_of(platform), payments.settings_of(platform))


@dataclass(frozen=True)
class BayView:
    """A bay as the edges show it."""

    code: str
    segment: str
    kind: str
    status: str
    since: datetime | None
    lat: float
    lon: float
    dev_eui: str | None
    sensor_model: str
    heard_at: datetime | None
    battery_volts: float | None
    fault: str | None


def _bay(bay: Bay, segment_code: str) -> BayView:
    return BayView(
        bay.code,
        segment_code,
        bay.kind,
        bay.status,
        bay.status_since,
        bay.latitude,
        bay.longitude,
        bay.dev_eui,
        bay.sensor_model,
        bay.heard_at,
        bay.battery_volts,
        bay.fault,
    )


def bay_view(session: Session, code: str) -> BayView:
    """A bay by code, with its segment's code."""
    bay = repository.bay_by_code(session, code)
    segment = session.get(Segment, bay.segment_id)
    return _bay(bay, segment.code if segment else "")


def segment_view(session: Session, segment: Segment) -> dict[str, Any]:
    """A segment with its bays and counts."""
    bays = [_bay(b, segment.code) for b in repository.bays_of(session, [segment.id])]
    return {
        "code": segment.code,
        "name": segment.name,
        "name_en": segment.name_en,
        "district": segment.district,
        "department": segment.department,
        "fee_item": segment.fee_item,
        "tariff": segment.tariff,
        "total_bays": len(bays),
        "free_bays": sum(1 for b in bays if b.status == "free"),
        "bays": bays,
    }


@dataclass(frozen=True)
class SessionView:
    """A parking session as the edges show it."""

    id: str
    bay: str
    segment: str
    plate: str | None
    arrived_at: datetime
    departed_at: datetime | None
    state: str
    fee: int | None
    bill_reference: str | None


def sessions_of_plate(
    session: Session, plate: str, principal: Principal, *, limit: int = 100, offset: int = 0
) -> list[SessionView]:
    """A plate's sessions in the caller's department(s), newest first."""
    rows = repository.sessions_of_plate(
        session, normal_plate(plate), principal, limit=limit, offset=offset
    )
    return [
        SessionView(
            str(stay.id),
            bay,
            segment,
            stay.plate,
            stay.arrived_at,
            stay.departed_at,
            stay.state,
            stay.fee,
            reference,
        )
        for stay, bay, segment, reference in rows
    ]
