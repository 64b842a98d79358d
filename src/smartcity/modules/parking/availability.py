"""Free bays per segment, as TDX's ParkingSegmentAvailability and as the public map shows them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from smartcity.core.city import CityProfile
from smartcity.core.time import utcnow
from smartcity.modules.parking import repository


@dataclass(frozen=True)
class SegmentAvailability:
    """One segment's bays by status."""

    code: str
    name: str
    name_en: str
    district: str | None
    total: int
    free: int
    unknown: int
    collected_at: datetime | None

    @property
    def full_status(self) -> int:
        """0 bays free, 1 full, -1 unknown (no bay of the segment has a known status)."""
        if self.total == 0 or self.unknown == self.total:
            return -1
        return 0 if self.free else 1


def segments_availability(session: Session) -> list[SegmentAvailability]:
    """Every segment's counts, by code."""
    counts = repository.segment_counts(session)
    found = []
    for segment in repository.segments(session):
        total, free, unknown, newest = counts.get(segment.id, (0, 0, 0, None))
        found.append(
            SegmentAvailability(
                segment.code,
                segment.name,
                segment.name_en,
                segment.district,
                total,
                free,
                unknown,
                newest,
            )
        )
    return found


def tdx_document(session: Session) -> dict[str, object]:
    """`GET /api/v1/parking/availability`: TDX's field names, the platform's numbers."""
    segments = segments_availability(session)
    return {
        "SrcUpdateTime": max(
            (s.collected_at for s in segments if s.collected_at), default=utcnow()
        ),
        "CurbParkingSegmentAvailabilities": [
            {
                "ParkingSegmentID": s.code,
                "ParkingSegmentName": {"Zh_tw": s.name, "En": s.name_en},
                "TotalSpaces": s.total,
                "AvailableSpaces": s.free,
                "FullStatus": s.full_status,
                "DataCollectTime": s.collected_at,
            }
            for s in segments
        ],
    }


@dataclass(frozen=True)
class MapBay:
    """A bay as the map draws it."""

    code: str
    segment: str
    status: str
    x: float
    y: float


@dataclass(frozen=True)
class MapShape:
    """A district boundary as the map draws it: SVG path data in the map's own units."""

    code: str
    label: str
    path: str


@dataclass(frozen=True)
class ParkingMap:
    """The public map: bays, district boundaries and each segment's counts."""

    width: int
    height: int
    bays: list[MapBay]
    districts: list[MapShape]
    segments: list[SegmentAvailability]


MAP_WIDTH = 800
MARGIN = 0.15
"""Room around the bays, as a share of their extent, so the nearest streets show."""


def parking_map(session: Session, city: CityProfile) -> ParkingMap:
    """The bays' part of the city, drawn without a tile server: the bays coloured by status
    on the city profile's district boundaries."""
    bays = repository.bays_of(session, [s.id for s in repository.segments(session)])
    codes = {s.id: s.code for s in repository.segments(session)}
    if bays:
        south, north = min(b.latitude for b in bays), max(b.latitude for b in bays)
        west, east = min(b.longitude for b in bays), max(b.longitude for b in bays)
    else:
        south, north, west, east = (
            city.extent.south,
            city.extent.north,
            city.extent.west,
            city.extent.east,
        )
    pad_lat = max((north - south) * MARGIN, 0.002)
    pad_lon = max((east - west) * MARGIN, 0.002)
    south, north, west, east = south - pad_lat, north + pad_lat, west - pad_lon, east + pad_lon
    # Degrees of longitude shrink with latitude: keep the map's aspect true on the ground.
    aspect = (north - south) / ((east - west) * math.cos(math.radians((north + south) / 2)))
    width, height = MAP_WIDTH, max(200, round(MAP_WIDTH * aspect))

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return (
            round((lon - west) / (east - west) * width, 1),
            round((north - lat) / (north - south) * height, 1),
        )

    districts = []
    for district in city.districts:
        rings = []
        for polygon in district.boundary:
            for ring in polygon:
                points = [xy(lat, lon) for lon, lat in ring]
                rings.append("M" + " L".join(f"{x},{y}" for x, y in points) + " Z")
        if rings:
            districts.append(MapShape(district.code, district.label, " ".join(rings)))
    drawn = [
        MapBay(b.code, codes[b.segment_id], b.status, *xy(b.latitude, b.longitude)) for b in bays
    ]
    return ParkingMap(width, height, drawn, districts, segments_availability(session))
