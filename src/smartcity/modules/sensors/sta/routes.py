"""The SensorThings API v1.1 at /sta/v1.1: one catch-all route per method over resource paths.

Reads are public; writes need a device or officer token (bearer, or HTTP Basic with
the token as password, as FROST clients send it) and change only the caller's own
organisation's data (see `owners.py`). Every refusal is problem+json.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from smartcity.core.errors import NotFound, TooLarge
from smartcity.core.http import RequestContext
from smartcity.core.ratelimit import throttle
from smartcity.modules.sensors import rules
from smartcity.modules.sensors.auth import Public, Writer
from smartcity.modules.sensors.owners import acting_for
from smartcity.modules.sensors.runtime import publisher_of, registry_of, sensors_settings
from smartcity.modules.sensors.sta.entities import ENTITIES
from smartcity.modules.sensors.sta.odata import StaError, load_json, parse_options
from smartcity.modules.sensors.sta.query import Reader, resolve
from smartcity.modules.sensors.sta.writes import Writer as EntityWriter

CONFORMANCE = [
    "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/create-observations-via-mqtt/observations-creation",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/receive-updates-via-mqtt/receive-updates",
]
MQTT_CREATE = (
    "http://www.opengis.net/spec/iot_sensing/1.1/req/create-observations-via-mqtt/"
    "observations-creation"
)
OPTION_NAMES = ("$filter", "$orderby", "$select", "$expand", "$top", "$skip", "$count")

Text = Annotated[str | None, Query(max_length=4000)]


def _base(ctx: RequestContext) -> str:
    # From the configured public URL, never from the request's Host header: a forged Host
    # would otherwise be handed back in every self and next link.
    return ctx.platform.settings.base_url.rstrip("/") + "/sta/v1.1"


def _options(ctx: RequestContext) -> tuple[Any, dict[str, str]]:
    settings = sensors_settings(ctx.platform)
    raw: dict[str, str] = {}
    for name, value in ctx.request.query_params.multi_items():
        if name in raw:
            raise StaError(f"{name} given twice", code="sta_duplicate_option")
        raw[name] = value
    options = parse_options(raw, max_top=settings.max_top, max_depth=settings.max_expand_depth)
    return options, {k: v for k, v in raw.items() if k != "$skip"}


async def _json_body(ctx: RequestContext) -> Any:
    limit = sensors_settings(ctx.platform).max_body_bytes
    body = await ctx.request.body()
    if len(body) > limit:
        raise TooLarge(f"the body is larger than {limit} bytes", code="sta_body_too_large")
    return load_json(body)


def _after_commit(ctx: RequestContext, writer: EntityWriter, base: str) -> None:
    publisher = publisher_of(ctx.platform)
    if publisher is not None and writer.new_observations:
        publisher.publish_observations(writer.new_observations, base)


router = APIRouter(tags=["SensorThings API v1.1"])


def build_router() -> APIRouter:
    """The SensorThings routes (mounted at /sta/v1.1)."""
    return router


@router.get("", summary="SensorThings service root")
def root(ctx: Public) -> dict[str, Any]:
    base = _base(ctx)
    return {
        "value": [{"name": name, "url": f"{base}/{name}"} for name in ENTITIES],
        "serverSettings": {
            "conformance": CONFORMANCE,
            MQTT_CREATE: {
                "endpoints": [sensors_settings(ctx.platform).mqtt_broker or "mqtt://127.0.0.1:1883"]
            },
        },
    }


@router.get("/{resource:path}", summary="Read entities, collections and properties")
def read(
    resource: str,
    ctx: Public,
    filter_: Annotated[Text, Query(alias="$filter")] = None,
    orderby: Annotated[Text, Query(alias="$orderby")] = None,
    select_: Annotated[Text, Query(alias="$select")] = None,
    expand: Annotated[Text, Query(alias="$expand")] = None,
    top: Annotated[Text, Query(alias="$top")] = None,
    skip: Annotated[Text, Query(alias="$skip")] = None,
    count: Annotated[Text, Query(alias="$count")] = None,
) -> Response:
    throttle(ctx, "sta-read", rules.QUERIES)
    options, params = _options(ctx)
    settings = sensors_settings(ctx.platform)
    base = _base(ctx)
    with ctx.read() as session:
        found = resolve(session, resource)
        reader = Reader(session, base, settings.default_top, settings.max_top)
        if found.kind == "collection":
            page = reader.collection(
                found.entity, found.condition, options, f"{base}/{found.path}", params
            )
            return JSONResponse(page)
        if found.kind == "ref":
            page = reader.collection(
                found.entity, found.condition, options, f"{base}/{found.path}/$ref", params
            )
            page["value"] = [{"@iot.selfLink": item["@iot.selfLink"]} for item in page["value"]]
            return JSONResponse(page)
        if found.kind == "entityref":
            return JSONResponse({"@iot.selfLink": reader.self_link(found.entity, found.row.id)})
        if found.kind == "entity":
            return JSONResponse(reader.render(found.entity, found.row, options))
        from smartcity.modules.sensors.sta.entities import property_value

        name = found.prop or ""
        value = found.row.id if name == "id" else property_value(found.entity, found.row, name)
        if found.kind == "value":
            text = value if isinstance(value, str) else json.dumps(value)
            return PlainTextResponse(text)
        return JSONResponse({name: value})


@router.post("/{resource:path}", summary="Create entities (deep insert) or CreateObservations")
async def create(resource: str, ctx: Writer) -> Response:
    body = await _json_body(ctx)
    base = _base(ctx)
    if resource.strip("/") == "CreateObservations":
        with ctx.write() as uow:
            writer = EntityWriter(uow, acting_for(ctx.principal))
            links = writer.create_observations(body, base)
            event = writer.stored_event()
            if event:
                uow.emit(event)
        _after_commit(ctx, writer, base)
        return JSONResponse(links, status_code=201)
    with ctx.write() as uow:
        found = resolve(uow.session, resource)
        if found.kind != "collection":
            raise StaError("POST to a collection", code="sta_invalid_path")
        parent: dict[str, Any] = {}
        if found.parent is not None:
            parent_entity, parent_row, nav = found.parent
            if nav.target_fk is not None:
                parent[nav.target_fk] = parent_row.id
            elif parent_entity.plural == "Things" and nav.name == "Locations":
                parent["thing_id"] = parent_row.id
            elif parent_entity.plural == "Locations" and nav.name == "Things":
                parent["location_id"] = parent_row.id
            else:
                raise StaError(f"cannot create {nav.name} here", code="sta_invalid_path")
        writer = EntityWriter(uow, acting_for(ctx.principal))
        ident = writer.create(found.entity.plural, body, **parent)
        event = writer.stored_event()
        if event:
            uow.emit(event)
        reader = Reader(uow.session, base, 1, 1)
        row = uow.session.get(found.entity.model, ident)
        rendered = reader.render(found.entity, row, parse_options({}, max_top=1, max_depth=1))
    _after_commit(ctx, writer, base)
    location = f"{base}/{found.entity.plural}({ident})"
    return JSONResponse(rendered, status_code=201, headers={"Location": location})


async def _update(resource: str, ctx: RequestContext) -> Response:
    body = await _json_body(ctx)
    with ctx.write() as uow:
        found = resolve(uow.session, resource)
        if found.kind != "entity":
            raise StaError("PATCH or PUT an entity", code="sta_invalid_path")
        EntityWriter(uow, acting_for(ctx.principal)).update(found.entity, found.row, body)
        rendered = Reader(uow.session, _base(ctx), 1, 1).render(
            found.entity, found.row, parse_options({}, max_top=1, max_depth=1)
        )
    return JSONResponse(rendered)


@router.patch("/{resource:path}", summary="Update an entity (JSON merge or JSON Patch)")
async def patch(resource: str, ctx: Writer) -> Response:
    return await _update(resource, ctx)


@router.put("/{resource:path}", summary="Replace an entity's properties")
async def put(resource: str, ctx: Writer) -> Response:
    return await _update(resource, ctx)


@router.delete("/{resource:path}", summary="Delete an entity")
def remove(resource: str, ctx: Writer) -> Response:
    with ctx.write() as uow:
        found = resolve(uow.session, resource)
        if found.kind != "entity":
            raise StaError("DELETE an entity", code="sta_invalid_path")
        EntityWriter(uow, acting_for(ctx.principal)).delete(found.entity, found.row)
    registry_of(ctx.platform).clear()
    return Response(status_code=200)


_ = (NotFound, OPTION_NAMES)
