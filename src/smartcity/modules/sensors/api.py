"""sensors' JSON API at /api/v1/sensors: LASS and Airbox uploads, latest values, dead letters.

The SensorThings API lives at /sta/v1.1 (see `sta/routes.py`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request

from smartcity.core.http import RequestContext
from smartcity.modules.sensors import errors, service
from smartcity.modules.sensors.auth import Public, Staff, Writer
from smartcity.modules.sensors.ingest import ingest
from smartcity.modules.sensors.lass import (
    LassError,
    LassReading,
    parse_airbox_json,
    parse_lines,
)
from smartcity.modules.sensors.owners import acting_for
from smartcity.modules.sensors.runtime import registry_of, sensors_settings
from smartcity.modules.sensors.schemas import (
    DeadLetterOut,
    DeviceLatestOut,
    HttpUplinksIn,
    HttpUplinksOut,
    IngestOut,
)
from smartcity.modules.sensors.values import DeadLetterSource

LASS_EXAMPLE = (
    "|ver_format=3|app=AirBox|device_id=74DA38AF1234|date=2024-11-02|time=08:15:03"
    "|s_d0=17|s_d1=23|s_d2=11|s_t0=24.5|s_h0=68|gps_lat=25.0330|gps_lon=121.5654|"
)


async def _body(request: Request, limit: int) -> bytes:
    body = await request.body()
    if len(body) > limit:
        raise errors.BodyTooLarge(f"the body is larger than {limit} bytes")
    return body


def _store(
    ctx: RequestContext,
    readings: list[LassReading],
    refused: list[tuple[str, str]],
    topic: str,
) -> IngestOut:
    """Store what a request delivered; refused lines go to the dead letters under `topic`.

    A request naming a device of another owner stores nothing but its dead letters, and is
    answered 403: its sender learns at once, and nothing it sent was half taken.
    """
    acting = acting_for(ctx.principal)
    with ctx.write() as uow:
        result = ingest(
            uow,
            readings,
            refused,
            source=DeadLetterSource.HTTP,
            acting=acting,
            topic=topic,
            registry=registry_of(ctx.platform),
            whole_batch=True,
        )
    if result.foreign:
        raise errors.NotOwner(
            f"{', '.join(sorted(result.foreign)[:10])}: device_id of another owner; "
            "nothing of this request was stored",
            devices=sorted(result.foreign)[:100],
        )
    return IngestOut(
        received=result.received,
        stored=result.stored,
        duplicates=result.duplicates,
        refused=result.refused,
        devices_created=result.devices_created,
    )


router = APIRouter(tags=["sensors"])


def build_router() -> APIRouter:
    """sensors' API routes (the manifest's factory)."""
    return router


@router.post(
    "/lass",
    response_model=IngestOut,
    summary="Upload LASS lines (one message a line)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/plain": {"schema": {"type": "string"}, "example": LASS_EXAMPLE}},
        }
    },
)
async def upload_lass(request: Request, ctx: Writer) -> IngestOut:
    settings = sensors_settings(ctx.platform)
    body = await _body(request, settings.max_body_bytes)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.InvalidEncoding("the body must be UTF-8 text") from None
    readings, refused = parse_lines(text.splitlines())
    return _store(ctx, readings, refused, "POST /api/v1/sensors/lass")


@router.post(
    "/airbox",
    response_model=IngestOut,
    summary="Upload readings in the Airbox open-data JSON form",
)
async def upload_airbox(
    request: Request,
    ctx: Writer,
    document: Annotated[
        dict[str, object],
        Body(
            examples=[
                {
                    "source": "last-all-airbox by IIS-NRL",
                    "feeds": [
                        {
                            "device_id": "74DA38AF1234",
                            "SiteName": "示範國民中學",
                            "gps_lat": 24.75,
                            "gps_lon": 121.75,
                            "s_d0": 17,
                            "s_t0": 24.5,
                            "s_h0": 68,
                            "timestamp": "2024-11-02T00:15:03Z",
                        }
                    ],
                }
            ]
        ),
    ],
) -> IngestOut:
    settings = sensors_settings(ctx.platform)
    await _body(request, settings.max_body_bytes)
    try:
        readings, refused = parse_airbox_json(document)
    except LassError as exc:
        raise errors.InvalidAirboxJson(str(exc)) from None
    return _store(ctx, readings, refused, "POST /api/v1/sensors/airbox")


@router.post(
    "/uplinks",
    response_model=HttpUplinksOut,
    summary="Post readings of a WiFi bay sensor or parking meter (its own device key)",
)
def post_uplinks(body: HttpUplinksIn, ctx: Writer) -> HttpUplinksOut:
    """Store readings of WiFi devices registered for bays (models `wifi-bay`, `wifi-meter`)
    at the devices' own times, exactly once per device and time, as LoRaWAN uplinks are;
    a device of another owner refuses the whole post (403), an unknown one is a dead letter."""
    acting = acting_for(ctx.principal)
    with ctx.write() as uow:
        done = service.store_http_uplinks(uow, body.readings, acting)
    return HttpUplinksOut(
        received=len(body.readings),
        stored=done.stored,
        duplicates=done.duplicates,
        refused=done.refused,
    )


@router.get("/latest", response_model=list[DeviceLatestOut], summary="Every device's latest values")
def latest_values(
    ctx: Public,
    properties: Annotated[str, Query(max_length=100)] = "pm25,temperature,humidity",
) -> list[DeviceLatestOut]:
    wanted = [p.strip() for p in properties.split(",") if p.strip()]
    with ctx.read() as session:
        return [
            DeviceLatestOut(
                device_id=d.device_id,
                thing_id=d.thing_id,
                name=d.name,
                kind=d.kind,
                latitude=d.latitude,
                longitude=d.longitude,
                time=d.time,
                values=d.values,
            )
            for d in service.latest(session, wanted)
        ]


@router.get(
    "/dead-letters",
    response_model=list[DeadLetterOut],
    summary="Refused messages, newest first",
)
def dead_letters(
    ctx: Staff,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DeadLetterOut]:
    with ctx.read() as session:
        return [DeadLetterOut.model_validate(row) for row in service.dead_letters(session, limit)]
