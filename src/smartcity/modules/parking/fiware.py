"""Segments and bays as FIWARE Smart Data Models' `OnStreetParking` and `ParkingSpot`
entities (dataModel.Parking), in NGSI-LD's key-value form (`options=keyValues`).

Identifiers are `urn:ngsi-ld:<type>:<code>`; locations are GeoJSON with longitude first;
a spot's `status` is the model's `free`, `occupied` or `unknown`, its `dateObserved` the
sensor's own time of that status.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from smartcity.modules.parking import repository
from smartcity.modules.parking.availability import segments_availability
from smartcity.modules.parking.models import Bay

CONTEXT = [
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Parking/master/context.jsonld",
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld",
]
"""The Parking data model's @context, then NGSI-LD's core context."""
MEDIA_TYPE = "application/ld+json"

# Smart Data Models' vehicle types for the platform's bay kinds.
_VEHICLE = {
    "car": "car",
    "scooter": "motorcycle",
    "disabled": "car",
    "loading": "lorry",
    "ev": "car",
}


def spot_id(code: str) -> str:
    """A bay's NGSI-LD id."""
    return f"urn:ngsi-ld:ParkingSpot:{code}"


def segment_id(code: str) -> str:
    """A segment's NGSI-LD id."""
    return f"urn:ngsi-ld:OnStreetParking:{code}"


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _spot(bay: Bay, segment_code: str) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "id": spot_id(bay.code),
        "type": "ParkingSpot",
        "name": bay.code,
        "location": {"type": "Point", "coordinates": [bay.longitude, bay.latitude]},
        "status": bay.status,
        "category": ["onStreet"] + (["forDisabled"] if bay.kind == "disabled" else []),
        "refParentParking": segment_id(segment_code),
        "@context": CONTEXT,
    }
    if bay.status_since is not None:
        entity["dateObserved"] = _time(bay.status_since)
    return entity


def parking_spots(session: Session) -> list[dict[str, Any]]:
    """Every bay as a `ParkingSpot`, by segment and bay code."""
    segments = repository.segments(session)
    codes = {s.id: s.code for s in segments}
    bays = repository.bays_of(session, list(codes))
    return sorted((_spot(bay, codes[bay.segment_id]) for bay in bays), key=lambda e: str(e["id"]))


def on_street_parkings(session: Session) -> list[dict[str, Any]]:
    """Every segment as an `OnStreetParking` with its spot counts, by code."""
    segments = repository.segments(session)
    by_segment: dict[Any, list[Bay]] = defaultdict(list)
    for bay in repository.bays_of(session, [s.id for s in segments]):
        by_segment[bay.segment_id].append(bay)
    counts = {a.code: a for a in segments_availability(session)}
    found = []
    for segment in segments:
        bays = by_segment[segment.id]
        counted = counts[segment.code]
        occupied = sum(1 for b in bays if b.status == "occupied")
        entity: dict[str, Any] = {
            "id": segment_id(segment.code),
            "type": "OnStreetParking",
            "name": segment.name,
            "alternateName": segment.name_en,
            "category": ["feeCharged", "public"]
            + (["onlyWithPermit"] if bays and all(b.kind == "disabled" for b in bays) else []),
            "allowedVehicleType": sorted({_VEHICLE[b.kind] for b in bays}) or ["car"],
            "chargeType": ["temporaryPrice"],
            "occupancyDetectionType": ["singleSpaceDetection"],
            "totalSpotNumber": counted.total,
            "availableSpotNumber": counted.free,
            "occupiedSpotNumber": occupied,
            "refParkingSpot": sorted(spot_id(b.code) for b in bays),
            "@context": CONTEXT,
        }
        if bays:
            points = [[b.longitude, b.latitude] for b in sorted(bays, key=lambda b: b.code)]
            entity["location"] = (
                {"type": "Point", "coordinates": points[0]}
                if len(points) == 1
                else {"type": "MultiPoint", "coordinates": points}
            )
        if segment.district:
            entity["areaServed"] = segment.district
        if counted.collected_at:
            entity["dateObserved"] = _time(counted.collected_at)
        found.append(entity)
    return found
