"""Free bays per segment, as TDX's ParkingSegmentAvailability and as the public map shows them."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from smartcity.core.boundaries import distance_km
from smartcity.core.city import CityProfile
from smartcity.core.time import city_zone, utcnow
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
    scooters: int = 0
    """Of `total`, the scooter bays; `free_scooters` and `unknown_scooters` of them likewise."""
    free_scooters: int = 0
    unknown_scooters: int = 0
    latitude: float | None = None
    """The middle of the segment's bays (None: it has none)."""
    longitude: float | None = None

    @property
    def full_status(self) -> int:
        """0 bays free, 1 full, -1 unknown (no bay of the segment has a known status)."""
        if self.total == 0 or self.unknown == self.total:
            return -1
        return 0 if self.free else 1


def segments_availability(session: Session) -> list[SegmentAvailability]:
    """Every segment's counts, by code."""
    return [
        SegmentAvailability(
            row.code,
            row.name,
            row.name_en,
            row.district,
            row.total,
            row.free,
            row.unknown,
            row.newest,
            row.scooters,
            row.free_scooters,
            row.unknown_scooters,
            row.latitude,
            row.longitude,
        )
        for row in repository.availability_rows(session)
    ]


def segments_near(
    session: Session, latitude: float, longitude: float, within_km: float
) -> list[tuple[SegmentAvailability, float]]:
    """*Public service.* The segments whose bays' middle lies within `within_km` of a point,
    nearest first, each with its distance in km."""
    distances = [
        (segment, distance_km(latitude, longitude, segment.latitude, segment.longitude))
        for segment in segments_availability(session)
        if segment.latitude is not None and segment.longitude is not None
    ]
    return sorted((pair for pair in distances if pair[1] <= within_km), key=lambda pair: pair[1])


def _newest(segments: list[SegmentAvailability]) -> datetime:
    return max((s.collected_at for s in segments if s.collected_at), default=utcnow())


def tdx_document(segments: list[SegmentAvailability]) -> dict[str, object]:
    """`GET /api/v1/parking/availability`: TDX's field names, the platform's numbers."""
    return {
        "SrcUpdateTime": _newest(segments),
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


NO_LIVE_COUNT = -9
"""TCMSV's number for a count it cannot give now (no bay of that kind, or none reporting)."""


def _tcmsv_count(free: int, total: int, unknown: int) -> int:
    return NO_LIVE_COUNT if total == unknown else free


def tcmsv_document(segments: list[SegmentAvailability]) -> dict[str, object]:
    """`GET /api/v1/parking/tcmsv/availability`: the shape of the TCMSV live parking feed
    (`data.UPDATETIME` in the city's local time, `data.park[]` with `id`, `availablecar`,
    `availablemotor`, `availablebus`), a road segment per entry."""
    return {
        "data": {
            "UPDATETIME": _newest(segments).astimezone(city_zone()).strftime("%Y-%m-%d %H:%M:%S"),
            "park": [
                {
                    "id": s.code,
                    "availablecar": _tcmsv_count(
                        s.free - s.free_scooters,
                        s.total - s.scooters,
                        s.unknown - s.unknown_scooters,
                    ),
                    "availablemotor": _tcmsv_count(s.free_scooters, s.scooters, s.unknown_scooters),
                    "availablebus": NO_LIVE_COUNT,  # no roadside bay is a bus bay
                }
                for s in segments
            ],
        }
    }


def _json_value(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    raise TypeError(f"not JSON: {type(value).__name__}")


@dataclass(frozen=True)
class SerialisedFeed:
    """A feed as served: its bytes, the change it shows, and when its data last changed."""

    version: int
    body: bytes
    modified: datetime

    @property
    def etag(self) -> str:
        return f'"parking-{self.version}"'


class FeedCache:
    """Each whole-city feed serialised once per change of the bays, not once per request.

    The version is read first, in the reader's transaction, and then the data: a feed is
    never kept under a version newer than its data. A request that finds the version it
    read (or a newer one) cached is served those bytes; one finds it stale and builds it,
    while the others wait for that one build instead of each building their own.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._feeds: dict[str, SerialisedFeed] = {}

    def get(
        self,
        session: Session,
        name: str,
        build: Callable[[list[SegmentAvailability]], dict[str, object]],
    ) -> SerialisedFeed:
        """The feed `name` as of the session's view of the bays, built by `build` if stale."""
        version = repository.feed_version(session)
        found = self._feeds.get(name)
        if found is not None and found.version >= version:
            return found
        with self._lock:
            found = self._feeds.get(name)
            if found is not None and found.version >= version:
                return found
            segments = segments_availability(session)
            body = json.dumps(
                build(segments), ensure_ascii=False, separators=(",", ":"), default=_json_value
            ).encode()
            found = SerialisedFeed(version, body, _newest(segments))
            self._feeds[name] = found
            return found


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
class MapLabel:
    """A segment's name and free bays, written beside its bays on the map."""

    segment: SegmentAvailability
    x: float
    y: float
    anchor: str
    """SVG text-anchor: `start`, `middle` or `end`."""


@dataclass(frozen=True)
class ParkingMap:
    """The public map: bays, district boundaries, a label by each segment and each
    segment's counts."""

    width: int
    height: int
    bays: list[MapBay]
    districts: list[MapShape]
    segments: list[SegmentAvailability]
    labels: list[MapLabel]


MAP_WIDTH = 800
MARGIN = 0.15
"""Room around the bays, as a share of their extent, so the nearest streets show."""
LABEL_GAP = 16
"""Map units between a segment's bays and its label."""
LABEL_ROOM = 300
"""Map units a label may need (a long road name and its counts, in the larger type a phone
gets, app.css)."""


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
    segments = segments_availability(session)
    return ParkingMap(
        width, height, drawn, districts, segments, segment_labels(drawn, segments, width)
    )


def segment_labels(
    bays: list[MapBay], segments: list[SegmentAvailability], width: int
) -> list[MapLabel]:
    """A label for each segment with bays: above or below a row of bays, beside a column,
    on the side with room, so that a reader knows which road the dots are."""
    at: dict[str, list[MapBay]] = {}
    for bay in bays:
        at.setdefault(bay.segment, []).append(bay)
    labels = []
    for segment in segments:
        own = at.get(segment.code)
        if not own:
            continue
        left, right = min(b.x for b in own), max(b.x for b in own)
        top, bottom = min(b.y for b in own), max(b.y for b in own)
        if right - left >= bottom - top:
            y = top - LABEL_GAP if top - LABEL_GAP > 2 * LABEL_GAP else bottom + 2 * LABEL_GAP
            middle = min(max((left + right) / 2, LABEL_ROOM / 2), width - LABEL_ROOM / 2)
            labels.append(MapLabel(segment, round(middle, 1), y, "middle"))
        elif right + LABEL_GAP + LABEL_ROOM <= width:
            labels.append(MapLabel(segment, right + LABEL_GAP, (top + bottom) / 2, "start"))
        else:
            labels.append(MapLabel(segment, left - LABEL_GAP, (top + bottom) / 2, "end"))
    return labels
