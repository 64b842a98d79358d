"""Harvesting another catalogue: CKAN's Action API, or DCAT-AP in JSON-LD paged with Hydra.

What harvesters most often get wrong, done here on purpose: a dataset keeps one local id for
good (a UUID derived from the source and its id there), so do its resources; a name taken
here gets the source's name in front instead of overwriting; a dataset gone at the source is
deleted here; copies are never harvested back (two cities harvesting each other); and one run
is one transaction, so a harvest that fails halfway leaves the catalogue as it was.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from sqlalchemy import select

from smartcity.core import outbound
from smartcity.core.errors import InvalidInput
from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.opendata import dcat_source, repository
from smartcity.modules.opendata.models import Dataset, HarvestSource, Resource
from smartcity.modules.opendata.values import (
    GOVERNMENT_LICENSE,
    GROUPS,
    LICENSES,
    Frequency,
    Origin,
    SourceKind,
    State,
)

STABLE_IDS = uuid.UUID("6f1d3c1e-5b0a-4a57-9a43-2f1f0d6b7a10")
"""Namespace of the UUIDs (version 5) harvested datasets and resources keep for good."""
PAGE = 1000
SOURCE_NAME = re.compile(r"^[a-z0-9-]{2,40}$")


class HarvestFailed(InvalidInput):
    """The source did not answer as a CKAN or DCAT catalogue does."""

    code = "harvest_failed"


def stable_id(*parts: str) -> uuid.UUID:
    """The same local id for the same thing at the same source, run after run."""
    return uuid.uuid5(STABLE_IDS, "/".join(parts))


def add_source(
    uow: UnitOfWork, name: str, url: str, *, allow_private: bool, kind: str = SourceKind.CKAN
) -> HarvestSource:
    """Register another catalogue to harvest: a CKAN instance's base URL, or a DCAT document's."""
    if not SOURCE_NAME.match(name):
        raise InvalidInput("a source name is 2-40 of a-z, 0-9 and -", code="invalid_source")
    if kind not in set(SourceKind):
        raise InvalidInput("a source is ckan or dcat", code="invalid_source")
    outbound.check_url(url, allow_private=allow_private)
    source = HarvestSource(name=name, url=url.rstrip("/"), kind=kind, created_at=utcnow())
    uow.session.add(source)
    uow.session.flush()
    uow.audit(
        "opendata.harvest_source.created", "harvest_source", source.id, {"name": name, "kind": kind}
    )
    return source


def fetch(
    url: str, *, allow_private: bool, kind: str = SourceKind.CKAN, timeout: float = 30.0
) -> list[dict[str, Any]]:
    """Every public dataset of the catalogue at `url`, page after page, as CKAN packages."""
    if kind == SourceKind.DCAT:
        return _fetch_dcat(url, allow_private=allow_private, timeout=timeout)
    found: list[dict[str, Any]] = []
    with outbound.client(allow_private=allow_private, timeout=timeout) as http:
        while True:
            try:
                response = http.post(
                    f"{url}/api/3/action/package_search",
                    json={"rows": PAGE, "start": len(found), "sort": "name asc"},
                )
                body = response.json()
            except (httpx.HTTPError, ValueError, outbound.OutboundRefused) as exc:
                raise HarvestFailed(f"{url} did not answer: {exc}") from None
            if not isinstance(body, dict) or body.get("success") is not True:
                raise HarvestFailed(f"{url} answered {response.status_code} without a result")
            page = body["result"]["results"]
            found.extend(page)
            if len(page) < PAGE or len(found) >= body["result"]["count"]:
                return found


MAX_DCAT_PAGES = 10_000
"""A guard against a catalogue whose `hydra:next` links go round in circles."""


def _fetch_dcat(url: str, *, allow_private: bool, timeout: float) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    page_url: str | None = url
    with outbound.client(allow_private=allow_private, timeout=timeout) as http:
        while page_url is not None:
            if page_url in seen or len(seen) >= MAX_DCAT_PAGES:
                raise HarvestFailed(f"{url}: its pages lead back to {page_url}")
            seen.add(page_url)
            try:
                response = http.get(page_url, headers={"Accept": "application/ld+json"})
                response.raise_for_status()
                document = response.json()
            except (httpx.HTTPError, ValueError, outbound.OutboundRefused) as exc:
                raise HarvestFailed(f"{page_url} did not answer: {exc}") from None
            packages, next_page = dcat_source.read_page(document)
            found.extend(packages)
            page_url = _on_source_host(url, next_page) if next_page else None
    return found


def _on_source_host(source_url: str, link: str) -> str:
    """`link`'s path and query on the source's own scheme, host and port.

    A catalogue names its pages with its public URL, which may differ from the address
    harvested (a proxy, a test server); and a page may not send the harvest elsewhere.
    """
    try:
        target = httpx.URL(source_url).join(link)
        return str(httpx.URL(source_url).copy_with(path=target.path, query=target.query))
    except (httpx.InvalidURL, TypeError):
        raise HarvestFailed(f"{source_url}: a page links to {link[:200]!r}") from None


def _extras(package: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for extra in package.get("extras") or []:
        if isinstance(extra, dict) and isinstance(extra.get("key"), str):
            found[extra["key"]] = extra.get("value")
    for key in ("title_en", "notes_en", "frequency"):
        if key in package:
            found[key] = package[key]
    return found


def _described(package: Mapping[str, Any]) -> dict[str, Any]:
    extras = _extras(package)
    organization = (package.get("organization") or {}).get("name") or package.get("owner_org")
    frequency = extras.get("frequency")
    return {
        "title": str(package.get("title") or package["name"])[:300],
        "title_en": str(extras.get("title_en") or "")[:300],
        "notes": str(package.get("notes") or ""),
        "notes_en": str(extras.get("notes_en") or ""),
        "organization": str(organization or "unknown").upper()[:32],
        "tags": [t["name"] for t in package.get("tags") or [] if isinstance(t, dict)],
        "groups": [g["name"] for g in package.get("groups") or [] if g.get("name") in GROUPS],
        "license_id": package.get("license_id")
        if package.get("license_id") in LICENSES
        else GOVERNMENT_LICENSE,
        "frequency": frequency if frequency in set(Frequency) else Frequency.IRREGULAR.value,
        "contact_name": str(package.get("maintainer") or "")[:200],
        "contact_email": str(package.get("maintainer_email") or "")[:200],
    }


def _free_name(wanted: str, source: str, taken: set[str]) -> str:
    for candidate in (wanted, f"{source}-{wanted}"[:100]):
        if candidate not in taken:
            return candidate
    return f"{source}-{wanted}"[:91] + "-" + uuid.uuid4().hex[:8]


def apply(
    uow: UnitOfWork, source: HarvestSource, packages: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Bring the source's copies in step with `packages`; the run's report."""
    session = uow.session
    mine = {
        str(row.source_ref): row
        for row in session.scalars(select(Dataset).where(Dataset.harvest_source == source.name))
    }
    taken = set(repository.datasets_by_name(session))
    resources = repository.resources_of(session, [row.id for row in mine.values()])
    report: dict[str, list[str]] = {"added": [], "updated": [], "deleted": [], "skipped": []}
    seen: set[str] = set()
    now = utcnow()
    for package in packages:
        if _extras(package).get("harvest_source"):
            report["skipped"].append(str(package.get("name")))  # a copy of someone else's
            continue
        ref = str(package["id"])
        seen.add(ref)
        described = _described(package)
        row = mine.get(ref)
        if row is None:
            name = _free_name(str(package["name"]), source.name, taken)
            taken.add(name)
            row = Dataset(
                id=stable_id(source.name, ref),
                name=name,
                origin=Origin.HARVEST.value,
                harvest_source=source.name,
                source_ref=ref,
                created_at=now,
                modified_at=now,
                **described,
            )
            session.add(row)
            report["added"].append(name)
        else:
            changed = {k: v for k, v in described.items() if getattr(row, k) != v}
            if changed or row.state != State.ACTIVE.value:
                for key, value in changed.items():
                    setattr(row, key, value)
                row.state = State.ACTIVE.value
                row.modified_at = now
                report["updated"].append(row.name)
        _copy_resources(session, source.name, ref, row, package, resources.get(row.id, []), now)
    for ref, row in mine.items():
        if ref not in seen and row.state == State.ACTIVE.value:
            row.state = State.DELETED.value
            row.modified_at = now
            report["deleted"].append(row.name)
    uow.audit(
        "opendata.harvest.ran",
        "harvest_source",
        source.id,
        {key: len(names) for key, names in report.items()},
    )
    return report


def _copy_resources(
    session: Any,
    source: str,
    ref: str,
    row: Dataset,
    package: Mapping[str, Any],
    existing: Sequence[Resource],
    now: Any,
) -> None:
    by_id = {resource.id: resource for resource in existing}
    kept = set()
    for position, remote in enumerate(package.get("resources") or []):
        resource_id = stable_id(source, ref, str(remote.get("id")))
        kept.add(resource_id)
        values = {
            "name": str(remote.get("name") or "")[:300] or "data",
            "description": str(remote.get("description") or ""),
            "format": str(remote.get("format") or "")[:32],
            "url": str(remote.get("url") or "")[:1000],
            "mimetype": str(remote.get("mimetype") or "")[:100],
            "record_count": remote.get("record_count")
            if isinstance(remote.get("record_count"), int)
            else None,
            "position": position,
        }
        local = by_id.get(resource_id)
        if local is None:
            session.add(
                Resource(
                    id=resource_id, dataset_id=row.id, created_at=now, modified_at=now, **values
                )
            )
        elif any(getattr(local, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(local, key, value)
            local.modified_at = now
    for resource_id, local in by_id.items():
        if resource_id not in kept:
            session.delete(local)
