"""parking's JSON routes at /api/v1/parking: segments, bays, availability, sightings, sessions.

Each endpoint parses, opens the unit of work, calls the service and shapes the answer.
"""

from __future__ import annotations

from dataclasses import asdict
from email.utils import format_datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response

from smartcity.core.http import RequestContext
from smartcity.modules.parking import repository, schemas, service
from smartcity.modules.parking.auth import Open, Reporter, Staff

router = APIRouter(tags=["parking"])

CODE = Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


def build_router() -> APIRouter:
    """parking's API routes (the manifest's factory)."""
    return router


def _segment_out(view: dict[str, Any]) -> schemas.SegmentOut:
    return schemas.SegmentOut(
        **{**view, "bays": [schemas.BayOut(**asdict(b)) for b in view["bays"]]}
    )


@router.post("/segments", response_model=schemas.SegmentOut, status_code=201)
def create_segment(body: schemas.SegmentIn, ctx: Staff) -> Any:
    """Create a road segment with its bays and tariff; each bay's sensor joins the sensor hub
    (`sensor_model` `nwave-nps405` or `bosch-tps110`), found by its dev EUI from then on."""
    with ctx.write() as uow:
        segment = service.create_segment(uow, body, service.settings_of(ctx.platform))
        return _segment_out(service.segment_view(uow.session, segment))


@router.get("/segments", response_model=list[schemas.SegmentOut])
def list_segments(ctx: Staff) -> Any:
    """The segments of the caller's department (every segment for administrators)."""
    with ctx.read() as session:
        return [
            _segment_out(service.segment_view(session, s))
            for s in repository.segments(session, ctx.principal)
        ]


@router.put("/segments/{code}/tariff", response_model=schemas.SegmentOut)
def change_tariff(code: Annotated[str, CODE], body: schemas.TariffChangeIn, ctx: Staff) -> Any:
    """Change a segment's tariff; vehicles already parked keep the tariff they arrived under."""
    with ctx.write() as uow:
        segment = repository.segment_by_code(uow.session, code)
        service.change_tariff(uow, segment, body.tariff)
        return _segment_out(service.segment_view(uow.session, segment))


@router.get("/bays/{code}", response_model=schemas.BayOut)
def get_bay(code: Annotated[str, CODE], ctx: Open) -> Any:
    """A bay's status (`free`, `occupied`, `unknown`) and since when, by its sensor's own time."""
    with ctx.read() as session:
        return schemas.BayOut(**asdict(service.bay_view(session, code)))


FEED_RESPONSES: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the `ETag` sent in `If-None-Match` is still current"}
}


def _serve_feed(ctx: RequestContext, name: str, build: Any) -> Response:
    # The whole city's feed is serialised once per change of the bays and served as those
    # bytes until the next (ADR 30): a reader costs one small query, not ~1,200 rows.
    with ctx.read() as session:
        feed = service.feed_cache(ctx.platform).get(session, name, build)
    headers = {
        "ETag": feed.etag,
        "Last-Modified": format_datetime(feed.modified, usegmt=True),
        "Cache-Control": "no-cache",
    }
    if feed.etag in ctx.request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(feed.body, media_type="application/json", headers=headers)


@router.get("/availability", response_model=schemas.AvailabilityOut, responses=FEED_RESPONSES)
def availability(ctx: Open) -> Any:
    """Free bays per segment, in the field names of TDX's `ParkingSegmentAvailability`;
    `FullStatus` is 0 when a bay is free, 1 when full, -1 when no sensor is reporting.
    Answers carry an `ETag`: send it back in `If-None-Match` for a 304 until the bays change."""
    return _serve_feed(ctx, "tdx", service.tdx_document)


@router.get(
    "/tcmsv/availability", response_model=schemas.TcmsvAvailabilityOut, responses=FEED_RESPONSES
)
def tcmsv_availability(ctx: Open) -> Any:
    """Free bays per segment in the shape of the TCMSV live parking feed: `data.UPDATETIME` (the
    city's local time), `data.park[]` with `id` (the segment), `availablecar`,
    `availablemotor` (scooter bays) and `availablebus`; -9 where no live count can be given.
    Answers carry an `ETag` for `If-None-Match`, as the TDX-shaped feed does."""
    return _serve_feed(ctx, "tcmsv", service.tcmsv_document)


def _ld(example: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {service.NGSI_LD_MEDIA_TYPE: {"example": [example]}}}}


@router.get(
    "/ngsi-ld/OnStreetParking",
    response_class=JSONResponse,
    responses=_ld(
        {
            "id": "urn:ngsi-ld:OnStreetParking:SONGZHI",
            "type": "OnStreetParking",
            "name": "松智路",
            "totalSpotNumber": 12,
            "availableSpotNumber": 5,
            "occupiedSpotNumber": 6,
            "refParkingSpot": ["urn:ngsi-ld:ParkingSpot:SONGZHI-01"],
            "location": {"type": "MultiPoint", "coordinates": [[0.0, 0.0]]},
            "dateObserved": "2026-12-07T01:00:00Z",
            "@context": service.NGSI_LD_CONTEXT,
        }
    ),
)
def ngsi_on_street_parking(ctx: Open) -> Any:
    """Every segment as a FIWARE `OnStreetParking` entity (NGSI-LD, key-values), with its
    total, available and occupied spot counts and its `ParkingSpot`s."""
    with ctx.read() as session:
        found = service.on_street_parkings(session)
    return JSONResponse(found, media_type=service.NGSI_LD_MEDIA_TYPE)


@router.get(
    "/ngsi-ld/ParkingSpot",
    response_class=JSONResponse,
    responses=_ld(
        {
            "id": "urn:ngsi-ld:ParkingSpot:SONGZHI-01",
            "type": "ParkingSpot",
            "name": "SONGZHI-01",
            "status": "free",
            "category": ["onStreet"],
            "refParentParking": "urn:ngsi-ld:OnStreetParking:SONGZHI",
            "location": {"type": "Point", "coordinates": [0.0, 0.0]},
            "dateObserved": "2026-12-07T01:00:00Z",
            "@context": service.NGSI_LD_CONTEXT,
        }
    ),
)
def ngsi_parking_spots(ctx: Open) -> Any:
    """Every bay as a FIWARE `ParkingSpot` entity (NGSI-LD, key-values): `status` free,
    occupied or unknown since `dateObserved`, the sensor's own time."""
    with ctx.read() as session:
        found = service.parking_spots(session)
    return JSONResponse(found, media_type=service.NGSI_LD_MEDIA_TYPE)


@router.post("/sightings", response_model=schemas.SightingOut, status_code=201)
def report_sighting(body: schemas.SightingIn, ctx: Reporter) -> Any:
    """A plate seen in a bay (a warden's handheld, a camera): it names the session sensed
    there at `seen_at`, which is billed to the plate once the vehicle has left. A sighting
    where no vehicle was sensed is kept, with `session` null."""
    with ctx.write() as uow:
        sighting, fee = service.record_sighting(uow, body, service.config_of(ctx.platform))
        return schemas.SightingOut(
            bay=body.bay,
            plate=sighting.plate,
            seen_at=sighting.seen_at,
            session=str(sighting.session_id) if sighting.session_id else None,
            bill_reference=fee.reference if fee else None,
        )


@router.get("/sessions", response_model=list[schemas.SessionOut])
def sessions(
    ctx: Staff,
    plate: Annotated[str, Query(min_length=2, max_length=16)],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Any:
    """A plate's sessions (of the caller's department), newest first, each with its fee and
    the reference of its bill (`GET /api/v1/payments/bills/{reference}`)."""
    with ctx.read() as session:
        found = service.sessions_of_plate(session, plate, ctx.principal, limit=limit, offset=offset)
        return [schemas.SessionOut(**asdict(s)) for s in found]
