"""opendata's public face: what its edges, its jobs and other modules call.

`refresh_catalogue` takes the `Platform` and opens its own transaction (ADR 21, rule 1): the
worker's schedule, the CLI and the demo all run it the same way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from smartcity.core.audit.log import open_checkpoints
from smartcity.core.auth import ANONYMOUS, Principal, system_actor
from smartcity.core.platform import Platform
from smartcity.core.time import utcnow
from smartcity.modules.opendata import datagovtw, dcat, harvest, repository, sources
from smartcity.modules.opendata.actions import READS, WRITES, Call
from smartcity.modules.opendata.catalogue import refresh
from smartcity.modules.opendata.dcat import turtle
from smartcity.modules.opendata.errors import ResourceNotFound
from smartcity.modules.opendata.harvested import HarvestedCopy, harvested_copies
from smartcity.modules.opendata.models import Dataset, HarvestRun, HarvestSource
from smartcity.modules.opendata.tables import registrations

__all__ = [
    "READS",
    "WRITES",
    "Call",
    "HarvestedCopy",
    "harvested_copies",
    "open_transparency_checkpoints",
    "registrations",
    "turtle",
]


def refresh_catalogue(platform: Platform, actor: Principal | None = None) -> list[str]:
    """Follow the registrations and their data; returns the names of the datasets changed."""
    with platform.unit_of_work(actor or system_actor("opendata")) as uow:
        return refresh(uow, platform)


def add_harvest_source(platform: Platform, name: str, url: str, kind: str = "ckan") -> str:
    """Register another catalogue to harvest; its id.

    `kind` is `ckan` (`url` is a CKAN instance's base URL) or `dcat` (`url` is a DCAT-AP
    JSON-LD document, such as another instance's `/catalog.jsonld`).
    """
    with platform.unit_of_work(system_actor("opendata-harvest")) as uow:
        allow = platform.settings.outbound_private_allowed
        return str(harvest.add_source(uow, name, url, allow_private=allow, kind=kind).id)


def harvest_source(platform: Platform, name: str) -> dict[str, Any]:
    """Harvest one source now: fetch, then apply in one transaction, then record the run.

    A source that fails (unreachable, not CKAN, a page missing halfway) changes nothing in
    the catalogue; the failed run is recorded in a transaction of its own.
    """
    actor = system_actor("opendata-harvest")
    started = utcnow()
    session = platform.db.read_session()
    try:
        source = session.scalars(select(HarvestSource).where(HarvestSource.name == name)).first()
        if source is None:
            raise harvest.HarvestFailed(f"no harvest source {name!r}", code="unknown_source")
        source_id, url, kind = source.id, source.url, source.kind
    finally:
        session.close()
    try:
        allow = platform.settings.outbound_private_allowed
        packages = harvest.fetch(url, allow_private=allow, kind=kind)
        with platform.unit_of_work(actor) as uow:
            source = uow.session.get(HarvestSource, source_id)
            if source is None:
                raise harvest.HarvestFailed(f"the source {name!r} was removed meanwhile")
            report: dict[str, Any] = dict(harvest.apply(uow, source, packages))
            uow.session.add(
                HarvestRun(
                    source_id=source_id,
                    started_at=started,
                    finished_at=utcnow(),
                    status="ok",
                    report=report,
                )
            )
        return {"status": "ok", **report}
    except (harvest.HarvestFailed, KeyError, TypeError, AttributeError) as exc:
        failed = {"status": "failed", "error": str(exc)[:500]}
        with platform.unit_of_work(actor) as uow:
            uow.session.add(
                HarvestRun(
                    source_id=source_id,
                    started_at=started,
                    finished_at=utcnow(),
                    status="failed",
                    report={"error": failed["error"]},
                )
            )
            uow.audit("opendata.harvest.failed", "harvest_source", source_id, failed)
        return failed


def harvest_all(platform: Platform) -> dict[str, dict[str, Any]]:
    """Harvest every source not switched off, one after the other; each one's report."""
    session = platform.db.read_session()
    try:
        names = sources.enabled_names(session)
    finally:
        session.close()
    return {name: harvest_source(platform, name) for name in names}


def list_harvest_sources(session: Session) -> list[dict[str, Any]]:
    """Every harvest source: name, kind, URL and when it was added, by name."""
    return [
        {"name": row.name, "kind": row.kind, "url": row.url, "created_at": row.created_at}
        for row in session.scalars(select(HarvestSource).order_by(HarvestSource.name))
    ]


def list_harvest_runs(
    session: Session, source: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """The latest harvest runs, newest first (of one source when `source` names it).

    Each is `{"source", "started_at", "finished_at", "status", "report"}`; an `ok` run's
    report lists the names `added`, `updated`, `deleted` and `skipped`, a failed run's holds
    the `error`.
    """
    query = (
        select(HarvestRun, HarvestSource.name)
        .join(HarvestSource, HarvestSource.id == HarvestRun.source_id)
        .order_by(HarvestRun.started_at.desc(), HarvestRun.finished_at.desc())
        .limit(max(1, min(limit, 1000)))
    )
    if source is not None:
        query = query.where(HarvestSource.name == source)
    return [
        {
            "source": name,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "status": run.status,
            "report": run.report,
        }
        for run, name in session.execute(query)
    ]


def uploaded_file(
    session: Session, principal: Principal, resource_id: str
) -> tuple[str, str, bytes]:
    """An uploaded resource's file name, media type and bytes, if `principal` may see it."""
    resource = repository.resource_by_id(session, resource_id)
    dataset = session.get(Dataset, resource.dataset_id) if resource is not None else None
    if (
        resource is None
        or resource.upload is None
        or dataset is None
        or not repository.may_see(principal, dataset)
    ):
        raise ResourceNotFound("Not found")
    return resource.name, resource.mimetype, resource.upload


def dcat_catalog(session: Session, platform: Platform, page: int, extension: str) -> dict[str, Any]:
    """One page of the public catalogue as a DCAT-AP JSON-LD document, paged with Hydra."""
    base_url = platform.settings.base_url.rstrip("/")
    params = {"rows": dcat.PAGE_SIZE, "start": (page - 1) * dcat.PAGE_SIZE, "sort": "name asc"}
    found = READS["package_search"](session, Call(platform, ANONYMOUS, params, base_url))
    profile = platform.settings.city_profile
    title = (f"{profile.name_in('zh_Hant')}開放資料", f"{profile.name_in('en')} open data")
    return dcat.catalog_document(found["results"], found["count"], page, base_url, title, extension)


def dcat_dataset(session: Session, platform: Platform, name: str) -> dict[str, Any]:
    """One public dataset as a DCAT-AP JSON-LD document."""
    base_url = platform.settings.base_url.rstrip("/")
    package = READS["package_show"](session, Call(platform, ANONYMOUS, {"id": name}, base_url))
    return {"@context": dcat.CONTEXT, "@graph": [dcat.dataset_node(package, base_url)]}


def datagovtw_listing(session: Session, platform: Platform) -> list[dict[str, str]]:
    """Every public dataset in data.gov.tw's dataset metadata (`datagovtw.FIELDS`), by name."""
    base_url = platform.settings.base_url.rstrip("/")
    registered = registrations(platform)
    found: list[dict[str, str]] = []
    while True:
        params = {"rows": 1000, "start": len(found), "sort": "name asc"}
        page = READS["package_search"](session, Call(platform, ANONYMOUS, params, base_url))
        found.extend(
            datagovtw.record(package, registered.get(package["name"]))
            for package in page["results"]
        )
        if not page["results"] or len(found) >= page["count"]:
            return found


def open_transparency_checkpoints() -> Select[*tuple[Any, ...]]:
    """*Open data.* The transparency log's tree head (the kernel's table, published here)."""
    return open_checkpoints()
