"""opendata's routes at the paths outside clients know: CKAN's Action API and DataStore dump.

Mounted at the site root (the manifest's `root_api`), not under /api/v1, because ckanapi,
harvesters and BI connectors call `/api/3/action/{name}` and `/api/action/{name}`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from smartcity.core import csvfile
from smartcity.core.auth import STAFF
from smartcity.core.errors import (
    DomainError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from smartcity.core.http import BODY_PROBLEM
from smartcity.modules.opendata import service
from smartcity.modules.opendata.auth import Catalogue, CkanContext, Open
from smartcity.modules.opendata.errors import UnknownAction

log = logging.getLogger("smartcity.opendata")
router = APIRouter(tags=["opendata"])


def _envelope_error(exc: DomainError) -> tuple[int, dict[str, Any]]:
    """CKAN's status and error object for one of our refusals."""
    kind = getattr(exc, "ckan_type", None)
    if kind is None:
        if isinstance(exc, NotFound):
            kind = "Not Found Error"
        elif isinstance(exc, PermissionDenied | NotAuthenticated):
            kind = "Authorization Error"
        elif isinstance(exc, InvalidInput):
            kind = "Validation Error"
        else:
            kind = "Bad request"
    status = {"Not Found Error": 404, "Authorization Error": 403, "Validation Error": 409}.get(
        kind, 400
    )
    error: dict[str, Any] = {"__type": kind, "message": exc.detail}
    field = exc.extra.get("field")
    if kind == "Validation Error" and isinstance(field, str):
        error[field] = [exc.detail]
    return status, error


def _answer(request: Request, name: str, status: int, body: dict[str, Any]) -> JSONResponse:
    help_url = f"{request.app.state.platform.settings.base_url}/api/3/action/help_show?name={name}"
    return JSONResponse({"help": help_url, **body}, status_code=status)


async def _parameters(request: Request) -> tuple[dict[str, Any], tuple[str, str, bytes] | None]:
    """The call's parameters: the query string (GET), a JSON object or a multipart form."""
    if request.method == "GET":
        found: dict[str, Any] = {}
        for key, value in request.query_params.multi_items():
            if key not in found:
                found[key] = value
            elif isinstance(found[key], list):
                found[key].append(value)
            else:
                found[key] = [found[key], value]
        return found, None
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = None
        fields: dict[str, Any] = {}
        for key, item in form.multi_items():
            if isinstance(item, UploadFile):
                upload = (item.filename or "upload", item.content_type or "", await item.read())
            else:
                fields[key] = item
        return fields, upload
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = await request.form()
        return {key: value for key, value in form.items() if isinstance(value, str)}, None
    raw = await request.body()
    if not raw.strip():
        return {}, None
    problem = request.scope.get("state", {}).get(BODY_PROBLEM)
    if problem is not None:
        raise problem
    try:
        body = json.loads(raw)
    except ValueError:
        raise InvalidInput("JSON Error: could not read the request body") from None
    if not isinstance(body, dict):
        raise InvalidInput("JSON Error: the request body must be a JSON object")
    return body, None


def _run(ctx: CkanContext, name: str, params: dict[str, Any], upload: Any) -> Any:
    call = service.Call(
        ctx.platform, ctx.principal, params, ctx.platform.settings.base_url.rstrip("/"), upload
    )
    read = service.READS.get(name)
    if read is not None:
        with ctx.read() as session:
            return read(session, call)
    write = service.WRITES[name]
    with ctx.write() as uow:
        return write(uow, call)


async def _action(name: str, request: Request, ctx: CkanContext) -> Response:
    try:
        if name not in service.READS and name not in service.WRITES:
            raise UnknownAction(f"Bad request - Action name not known: {name[:100]}")
        if ctx.refusal is not None:
            raise NotAuthenticated(ctx.refusal)
        if name in service.WRITES:
            if request.method != "POST":
                raise UnknownAction(f"Bad request - {name} takes POST requests only")
            if ctx.principal.role not in STAFF:
                raise PermissionDenied(
                    f"Access denied: {name} needs an officer's or administrator's API key "
                    "with the opendata scope"
                )
        params, upload = await _parameters(request)
        result = await run_in_threadpool(_run, ctx, name, params, upload)
    except DomainError as exc:
        status, error = _envelope_error(exc)
        return _answer(request, name, status, {"success": False, "error": error})
    return _answer(request, name, 200, {"success": True, "result": result})


@router.get("/api/3/action/{name}", summary="CKAN Action API (version 3)")
@router.post("/api/3/action/{name}", summary="CKAN Action API (version 3)")
async def action_v3(name: str, request: Request, ctx: Catalogue) -> Response:
    """Call a CKAN action: package_list, package_search, current_package_list_with_resources,
    package_show, organization_list, organization_show, group_list, tag_list, resource_show,
    status_show, datastore_search, help_show; staff: package_create, package_update,
    package_patch, package_delete, resource_create."""
    return await _action(name, request, ctx)


@router.get("/api/3", summary="CKAN API version")
@router.get("/api", summary="CKAN API version")
def api_version(ctx: Open) -> dict[str, int]:
    """The Action API's version, as CKAN answers clients that probe for it (public)."""
    return {"version": 3}


@router.get("/api/action/{name}", summary="CKAN Action API (unversioned path)")
@router.post("/api/action/{name}", summary="CKAN Action API (unversioned path)")
async def action(name: str, request: Request, ctx: Catalogue) -> Response:
    """The same actions at the path without a version, as CKAN answers it."""
    return await _action(name, request, ctx)


def _dump_rows(ctx: CkanContext, resource_id: str) -> Iterator[str]:
    offset = 0
    header_written = False
    while True:
        call = service.Call(
            ctx.platform,
            ctx.principal,
            {
                "resource_id": resource_id,
                "limit": 10_000,
                "offset": offset,
                "include_total": False,
                "records_format": "lists",
            },
            ctx.platform.settings.base_url,
        )
        with ctx.read() as session:
            page = service.READS["datastore_search"](session, call)
        values = [
            [json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v for v in record]
            for record in page["records"]
        ]
        if header_written:
            yield csvfile.csv_lines(values)
        else:
            yield csvfile.write_csv([field["id"] for field in page["fields"]], values)
            header_written = True
        if len(page["records"]) < 10_000:
            return
        offset += 10_000


@router.get("/datastore/dump/{resource_id}", summary="A live table as CSV")
def dump(resource_id: str, ctx: Catalogue) -> Response:
    """The whole table of a DataStore resource as CSV (CKAN's dump URL)."""
    call = service.Call(
        ctx.platform, ctx.principal, {"id": resource_id}, ctx.platform.settings.base_url
    )
    with ctx.read() as session:
        service.READS["resource_show"](session, call)  # 404 for what the caller may not see
    rows = _dump_rows(ctx, resource_id)
    first = next(rows)  # a refusal (unknown table) is raised before the response starts
    return csvfile.CSVStreamResponse(_chain(first, rows), filename=f"{resource_id}.csv")


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


@router.get("/opendata/resource/{resource_id}/download", summary="An uploaded resource's file")
def download(resource_id: str, ctx: Catalogue) -> Response:
    """The file staff uploaded with `resource_create`."""
    with ctx.read() as session:
        name, media_type, content = service.uploaded_file(session, ctx.principal, resource_id)
    return Response(
        content,
        media_type=media_type or "application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


JSON_LD = "application/ld+json"
TURTLE = "text/turtle; charset=utf-8"


@router.get("/catalog.jsonld", summary="The catalogue in DCAT-AP (JSON-LD), paged with Hydra")
def catalog_jsonld(ctx: Open, page: int = Query(1, ge=1, le=100_000)) -> Response:
    """A page of 100 public datasets; Hydra's links name the others."""
    with ctx.read() as session:
        document = service.dcat_catalog(session, ctx.platform, page, "jsonld")
    return Response(json.dumps(document, ensure_ascii=False), media_type=JSON_LD)


@router.get("/catalog.ttl", summary="The catalogue in DCAT-AP (Turtle), paged with Hydra")
def catalog_ttl(ctx: Open, page: int = Query(1, ge=1, le=100_000)) -> Response:
    """The same page as Turtle."""
    with ctx.read() as session:
        document = service.dcat_catalog(session, ctx.platform, page, "ttl")
    return Response(service.turtle(document), media_type=TURTLE)


@router.get("/dataset/{name}.jsonld", summary="One dataset in DCAT-AP (JSON-LD)")
def dataset_jsonld(name: str, ctx: Open) -> Response:
    """A public dataset with its distributions."""
    with ctx.read() as session:
        document = service.dcat_dataset(session, ctx.platform, name)
    return Response(json.dumps(document, ensure_ascii=False), media_type=JSON_LD)


@router.get("/dataset/{name}.ttl", summary="One dataset in DCAT-AP (Turtle)")
def dataset_ttl(name: str, ctx: Open) -> Response:
    """The same dataset as Turtle."""
    with ctx.read() as session:
        document = service.dcat_dataset(session, ctx.platform, name)
    return Response(service.turtle(document), media_type=TURTLE)


@router.get(
    "/api/v1/opendata/datagovtw.json",
    summary="The public catalogue in data.gov.tw's dataset metadata (national listing)",
)
def datagovtw_json(ctx: Open) -> Response:
    """A JSON list, one object per public dataset, keyed as data.gov.tw's export is."""
    with ctx.read() as session:
        listing = service.datagovtw_listing(session, ctx.platform)
    return Response(json.dumps(listing, ensure_ascii=False), media_type="application/json")


def build_router() -> APIRouter:
    """The Action API and the DataStore's downloads (the manifest's lazy factory)."""
    return router
