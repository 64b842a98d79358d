"""CKAN's Action API, action by action: parameters in, CKAN's `result` out.

Read actions take a read `Session`, write actions the edge's `UnitOfWork`; both get the
caller and the instance's public URL (links in CKAN's dictionaries are absolute).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

import smartcity.modules.identity.service as identity
from smartcity import __version__
from smartcity.core.auth import Principal
from smartcity.core.errors import NotFound
from smartcity.core.platform import Platform
from smartcity.core.uow import UnitOfWork
from smartcity.modules.opendata import catalogue, checks, datastore, repository, search, tables
from smartcity.modules.opendata.errors import (
    DatasetNotFound,
    InvalidParameter,
    OrganizationNotFound,
    ResourceNotFound,
)
from smartcity.modules.opendata.models import Dataset, Resource
from smartcity.modules.opendata.shapes import (
    Organisation,
    group_dict,
    organization_dict,
    package_dict,
    resource_dict,
)
from smartcity.modules.opendata.values import GROUPS

CKAN_VERSION = "2.10.4"
"""The CKAN release whose Action API this one follows (clients check it)."""


@dataclass
class Call:
    """One action call: who asks, with what, on which instance."""

    platform: Platform
    principal: Principal
    params: Mapping[str, Any]
    base_url: str
    upload: tuple[str, str, bytes] | None = None


def organisations(session: Session, codes: Iterable[str]) -> dict[str, Organisation]:
    """The publishing departments' names, by code (an unknown code stands for itself)."""
    found: dict[str, Organisation] = {}
    for code in set(codes):
        try:
            view = identity.get_organisation(session, code)
            found[code] = Organisation(code, view.name, view.name_en)
        except NotFound:
            found[code] = Organisation(code, code, code)
    return found


def _packages(session: Session, call: Call, rows: list[Dataset]) -> list[dict[str, Any]]:
    resources = repository.resources_of(session, [row.id for row in rows])
    names = organisations(session, (row.organization for row in rows))
    return [package_dict(row, resources.get(row.id, []), names, call.base_url) for row in rows]


def _visible(session: Session, call: Call, *, include_private: bool = False) -> list[Dataset]:
    return list(
        session.scalars(repository.visible(call.principal, include_private=include_private))
    )


def _paging(params: Mapping[str, Any], *, default: int, high: int) -> tuple[int, int]:
    limit = checks.integer(params.get("limit"), "limit", default=default, low=0, high=high)
    offset = checks.integer(params.get("offset"), "offset", default=0, low=0, high=10**7)
    return limit, offset


def _ref(params: Mapping[str, Any], key: str = "id") -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameter(f"{key}: Missing value", field=key)
    return value.strip()


# -- read actions ----------------------------------------------------------------------------


def package_list(session: Session, call: Call) -> list[str]:
    """The names of the public datasets, in name order."""
    limit, offset = _paging(call.params, default=10_000, high=10_000)
    names = sorted(row.name for row in _visible(session, call))
    return names[offset : offset + limit]


def package_search(session: Session, call: Call) -> dict[str, Any]:
    """Datasets matching q and fq, with facets over every match."""
    include_private = checks.boolean(
        call.params.get("include_private"), "include_private", default=False
    )
    query = search.parse(call.params)
    equal = [term for term in query.filters if term[1] in search.COLUMN_FIELDS]
    candidates = [
        search.Candidate(row, formats)
        for row, formats in repository.search_rows(
            session,
            call.principal,
            include_private=include_private,
            equal=equal,
            words=query.words,
        )
    ]
    found = search.search(candidates, query)
    page = repository.datasets_by_id(session, [candidate.dataset.id for candidate in found.page])
    resources = repository.resources_of(session, [row.id for row in page])
    names = organisations(session, (row.organization for row in page))
    results = [package_dict(row, resources.get(row.id, []), names, call.base_url) for row in page]
    facet_names = organisations(
        session, (name.upper() for name in found.facets.get("organization", Counter()))
    )
    search_facets = {}
    for field, counter in found.facets.items():
        items = []
        for name, count in counter.most_common():
            display = name
            if field == "organization":
                display = facet_names[name.upper()].title
            elif field == "groups":
                display = GROUPS.get(name, (name, name))[0]
            items.append({"name": name, "display_name": display, "count": count})
        search_facets[field] = {"title": field, "items": items}
    return {
        "count": found.count,
        "sort": found.sort,
        "results": results,
        "facets": {field: dict(counter) for field, counter in found.facets.items()},
        "search_facets": search_facets,
    }


def _shown(session: Session, call: Call) -> Dataset:
    row = repository.dataset_by_ref(session, _ref(call.params))
    if row is None or not repository.may_see(call.principal, row):
        raise DatasetNotFound("Not found")
    return row


def package_show(session: Session, call: Call) -> dict[str, Any]:
    """One dataset by id or name (private, draft and deleted ones only to its publishers)."""
    return _packages(session, call, [_shown(session, call)])[0]


def _organisation_counts(rows: list[Dataset]) -> Counter[str]:
    return Counter(row.organization for row in rows)


def organization_list(session: Session, call: Call) -> list[Any]:
    """The departments that publish public datasets (names, or dictionaries with all_fields)."""
    counts = _organisation_counts(_visible(session, call))
    limit, offset = _paging(call.params, default=1000, high=1000)
    names = organisations(session, counts)
    ordered = sorted(counts, key=lambda code: names[code].name)[offset : offset + limit]
    if checks.boolean(call.params.get("all_fields"), "all_fields", default=False):
        return [organization_dict(names[code], counts[code]) for code in ordered]
    return [names[code].name for code in ordered]


def organization_show(session: Session, call: Call) -> dict[str, Any]:
    """One department and, when asked, its public datasets."""
    code = _ref(call.params).upper()
    rows = [row for row in _visible(session, call) if row.organization == code]
    if not rows:
        # A department that publishes nothing public yet is still an organisation.
        try:
            view = identity.get_organisation(session, code)
        except NotFound:
            raise OrganizationNotFound("Not found") from None
        if view.kind != "department":
            raise OrganizationNotFound("Not found")
    found = organization_dict(organisations(session, [code])[code], len(rows))
    if checks.boolean(call.params.get("include_datasets"), "include_datasets", default=False):
        found["packages"] = _packages(session, call, sorted(rows, key=lambda row: row.name))
    return found


def group_list(session: Session, call: Call) -> list[Any]:
    """The catalogue's themes."""
    counts: Counter[str] = Counter()
    for row in _visible(session, call):
        counts.update(row.groups)
    if checks.boolean(call.params.get("all_fields"), "all_fields", default=False):
        return [group_dict(name, counts[name]) for name in sorted(GROUPS)]
    return sorted(GROUPS)


def tag_list(session: Session, call: Call) -> list[str]:
    """The tags of public datasets (those containing `query`, when given)."""
    query = checks.text(call.params.get("query"), "query").strip().lower()
    tags = {tag for row in _visible(session, call) for tag in row.tags}
    return sorted(tag for tag in tags if query in tag.lower())


def _resource(session: Session, call: Call, key: str = "id") -> tuple[Resource, Dataset]:
    resource = repository.resource_by_id(session, _ref(call.params, key))
    dataset = session.get(Dataset, resource.dataset_id) if resource is not None else None
    if resource is None or dataset is None or not repository.may_see(call.principal, dataset):
        raise ResourceNotFound("Not found")
    return resource, dataset


def resource_show(session: Session, call: Call) -> dict[str, Any]:
    """One resource by id."""
    resource, _dataset = _resource(session, call)
    return resource_dict(resource, call.base_url)


def status_show(session: Session, call: Call) -> dict[str, Any]:
    """What this instance is: CKAN's version it follows, its extensions, its site."""
    settings = call.platform.settings
    return {
        "site_title": settings.city_profile.name,
        "site_url": call.base_url,
        "site_description": "smartcity open data",
        "ckan_version": CKAN_VERSION,
        "smartcity_version": __version__,
        "locale_default": "zh_Hant",
        "extensions": ["datastore", "dcat"],
    }


def current_package_list_with_resources(session: Session, call: Call) -> list[dict[str, Any]]:
    """The public datasets with their resources, most recently modified first (limit ≤ 1000,
    offset; or page, counted from 1, of `limit` datasets)."""
    limit, offset = _paging(call.params, default=1000, high=1000)
    if call.params.get("page") is not None:
        page = checks.integer(call.params.get("page"), "page", default=1, low=1, high=10**6)
        offset = (page - 1) * limit
    rows = sorted(
        _visible(session, call), key=lambda row: (row.modified_at, row.name), reverse=True
    )
    return _packages(session, call, rows[offset : offset + limit])


def help_show(session: Session, call: Call) -> str:
    """What an action does and takes (the link every answer's `help` gives)."""
    name = _ref(call.params, "name")
    action = READS.get(name) or WRITES.get(name)
    if action is None or action.__doc__ is None:
        raise NotFound(f"Action name not known: {name[:100]}")
    return " ".join(action.__doc__.split())


def datastore_search(session: Session, call: Call) -> dict[str, Any]:
    """Records of a live table: filters, q, fields, sort, limit (≤ 32,000), offset."""
    resource, _dataset = _resource(session, call, "resource_id")
    registration = tables.registrations(call.platform).get(resource.table or "")
    if registration is None:
        raise ResourceNotFound("this resource has no DataStore table")
    return datastore.search(session, registration, str(resource.id), call.params)


READS: dict[str, Callable[[Session, Call], Any]] = {
    "package_list": package_list,
    "package_search": package_search,
    "current_package_list_with_resources": current_package_list_with_resources,
    "package_show": package_show,
    "organization_list": organization_list,
    "organization_show": organization_show,
    "group_list": group_list,
    "tag_list": tag_list,
    "resource_show": resource_show,
    "status_show": status_show,
    "datastore_search": datastore_search,
    "help_show": help_show,
}

# -- write actions ---------------------------------------------------------------------------


def _written(uow: UnitOfWork, call: Call, row: Dataset) -> dict[str, Any]:
    return _packages(uow.session, call, [row])[0]


def package_create(uow: UnitOfWork, call: Call) -> dict[str, Any]:
    """A new dataset described by staff."""
    return _written(uow, call, catalogue.create(uow, call.principal, call.params))


def package_update(uow: UnitOfWork, call: Call) -> dict[str, Any]:
    """Every field of a staff dataset (fields left out are emptied)."""
    return _written(uow, call, catalogue.change(uow, call.principal, call.params, patch=False))


def package_patch(uow: UnitOfWork, call: Call) -> dict[str, Any]:
    """Only the fields given."""
    return _written(uow, call, catalogue.change(uow, call.principal, call.params, patch=True))


def package_delete(uow: UnitOfWork, call: Call) -> None:
    """The dataset leaves every list."""
    catalogue.delete(uow, call.principal, call.params.get("id"))


def resource_create(uow: UnitOfWork, call: Call) -> dict[str, Any]:
    """A link or an uploaded file added to a staff dataset."""
    resource = catalogue.add_resource(uow, call.principal, call.params, call.upload)
    return resource_dict(resource, call.base_url)


WRITES: dict[str, Callable[[UnitOfWork, Call], Any]] = {
    "package_create": package_create,
    "package_update": package_update,
    "package_patch": package_patch,
    "package_delete": package_delete,
    "resource_create": resource_create,
}
