"""The catalogue's writes: the refresh that follows the modules' registrations and the data,
and the staff's CKAN write actions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import smartcity.modules.identity.service as identity
from smartcity.core.auth import STAFF, Principal
from smartcity.core.departments import acts_for
from smartcity.core.errors import NotFound
from smartcity.core.platform import Platform
from smartcity.core.registry import Dataset as Registration
from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.opendata import checks, repository, tables
from smartcity.modules.opendata.errors import (
    DatasetNotFound,
    InvalidParameter,
    NameTaken,
    NotPublisher,
    RegisteredDataset,
)
from smartcity.modules.opendata.models import Dataset, Resource
from smartcity.modules.opendata.values import (
    GOVERNMENT_LICENSE,
    GROUPS,
    LICENSES,
    Frequency,
    Origin,
    State,
)

NAME = re.compile(r"^[a-z0-9_-]{2,100}$")
MAX_UPLOAD = 10 * 1024 * 1024
"""Largest file `resource_create` takes (the edge's body limit may be lower)."""

# -- the refresh -----------------------------------------------------------------------------


def _described(registration: Registration) -> dict[str, Any]:
    return {
        "organization": registration.department,
        "title": registration.title,
        "title_en": registration.title_en,
        "notes": registration.description,
        "notes_en": registration.description_en,
        "tags": list(registration.tags),
        "groups": list(registration.groups),
        "frequency": registration.frequency,
    }


def _bbox_polygon(bbox: tuple[float, float, float, float]) -> dict[str, Any]:
    west, south, east, north = bbox
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def refresh(uow: UnitOfWork, platform: Platform) -> list[str]:
    """Bring the registered datasets in step with the manifests and their live tables.

    New registrations become datasets with one DataStore resource; a registration that went
    away (its module disabled) is deleted from the catalogue; record counts, the temporal
    and spatial coverage and `metadata_modified` follow the data. Returns the names changed.
    """
    session = uow.session
    registered = tables.registrations(platform)
    existing = repository.datasets_by_name(session)
    resources = repository.resources_of(session, [row.id for row in existing.values()])
    changed: list[str] = []
    now = utcnow()
    for name, registration in registered.items():
        row = existing.get(name)
        if row is not None and row.origin != Origin.MODULE.value:
            continue  # staff took the name first; the registration waits for a rename
        if row is None:
            row = Dataset(
                name=name,
                origin=Origin.MODULE.value,
                license_id=GOVERNMENT_LICENSE,
                created_at=now,
                modified_at=now,
                **_described(registration),
            )
            session.add(row)
            session.flush()
            table = Resource(
                dataset_id=row.id,
                name=registration.title_en,
                description=registration.description_en,
                format="CSV",
                table=name,
                mimetype="text/csv",
                created_at=now,
                modified_at=now,
            )
            session.add(table)
            resources[row.id] = [table]
            changed.append(name)
        touched = False
        for key, value in _described(registration).items():
            if getattr(row, key) != value:
                setattr(row, key, value)
                touched = True
        if row.state != State.ACTIVE.value:
            row.state = State.ACTIVE.value
            touched = True
        stats = tables.stats(session, registration)
        for resource in resources.get(row.id, []):
            if resource.table != name:
                continue
            if resource.record_count != stats.records or (
                stats.last is not None and stats.last > resource.modified_at
            ):
                resource.record_count = stats.records
                resource.modified_at = max(stats.last or now, resource.modified_at)
                touched = True
            if row.modified_at < resource.modified_at:
                row.modified_at = resource.modified_at
        coverage = (stats.first, stats.last, _bbox_polygon(stats.bbox) if stats.bbox else None)
        if coverage != (row.temporal_start, row.temporal_end, row.spatial):
            row.temporal_start, row.temporal_end, row.spatial = coverage
            touched = True
        if touched:
            row.modified_at = max(row.modified_at, now) if name not in changed else row.modified_at
            if name not in changed:
                changed.append(name)
    for name, row in existing.items():
        if (
            row.origin == Origin.MODULE.value
            and name not in registered
            and row.state == State.ACTIVE.value
        ):
            row.state = State.DELETED.value
            row.modified_at = now
            changed.append(name)
    if changed:
        uow.audit("opendata.catalogue.refreshed", "catalogue", "opendata", {"datasets": changed})
    return changed


# -- the staff's writes ----------------------------------------------------------------------

# What package_show answers but a write does not take: a client may send them back unchanged
# (ckanapi's round trip of package_show → package_update).
READ_ONLY = {
    "id",
    "type",
    "state",
    "license_title",
    "license_url",
    "organization",
    "author",
    "author_email",
    "metadata_created",
    "metadata_modified",
    "num_resources",
    "num_tags",
    "resources",
    "url",
    "version",
    "creator_user_id",
    "relationships_as_object",
    "relationships_as_subject",
    "isopen",
    "harvest_source",
    "harvest_source_ref",
}
WRITABLE = {
    "name",
    "title",
    "notes",
    "owner_org",
    "license_id",
    "tags",
    "groups",
    "private",
    "extras",
    "maintainer",
    "maintainer_email",
    "title_en",
    "notes_en",
    "frequency",
    "contact_name",
    "contact_email",
    "temporal_start",
    "temporal_end",
    "spatial",
}


def require_publisher(principal: Principal, organization: str) -> None:
    """403 unless `principal` is staff acting for `organization`."""
    if principal.kind != "system" and principal.role not in STAFF:
        raise NotPublisher("only staff with the opendata scope write to the catalogue")
    if not acts_for(principal, organization):
        raise NotPublisher(f"you do not publish for {organization.lower()}")


def _names(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidParameter(f"{field}: a list", field=field)
    found = []
    for item in value:
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not re.fullmatch(r"[\w .-]{1,100}", name):
            raise InvalidParameter(f"{field}: names of 1-100 letters, digits, - or _", field=field)
        found.append(name.strip())
    return found


def _text(data: Mapping[str, Any], key: str, limit: int) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidParameter(f"{key}: text of at most {limit} characters", field=key)
    return value


def _fields(uow: UnitOfWork, data: Mapping[str, Any]) -> dict[str, Any]:
    """The writable fields present in `data`, checked."""
    unknown = set(data) - WRITABLE - READ_ONLY
    if unknown:
        raise InvalidParameter(f"{sorted(unknown)[0]}: not a dataset field", field="__extras")
    merged: dict[str, Any] = dict(data)
    extras = data.get("extras")
    if extras is not None:
        if not isinstance(extras, list):
            raise InvalidParameter("extras: a list of {key, value}", field="extras")
        for extra in extras:
            if not isinstance(extra, dict) or extra.get("key") not in WRITABLE:
                raise InvalidParameter("extras: keys among the dataset's fields", field="extras")
            merged.setdefault(extra["key"], extra.get("value"))
    found: dict[str, Any] = {}
    if "name" in merged:
        if not isinstance(merged["name"], str) or not NAME.match(merged["name"]):
            raise InvalidParameter("name: 2-100 lower-case letters, digits, - and _", field="name")
        found["name"] = merged["name"]
    for key, column, limit in (
        ("title", "title", 300),
        ("title_en", "title_en", 300),
        ("notes", "notes", 20_000),
        ("notes_en", "notes_en", 20_000),
    ):
        if key in merged:
            found[column] = _text(merged, key, limit)
    for key, column in (
        ("maintainer", "contact_name"),
        ("contact_name", "contact_name"),
        ("maintainer_email", "contact_email"),
        ("contact_email", "contact_email"),
    ):
        if key in merged and merged[key] is not None:
            found[column] = _text(merged, key, 200)
    if "owner_org" in merged:
        code = merged["owner_org"]
        if not isinstance(code, str) or not code.strip():
            raise InvalidParameter("owner_org: a department's name", field="owner_org")
        try:
            organisation = identity.get_organisation(uow.session, code)
        except NotFound:
            organisation = None
        if organisation is None or organisation.kind != "department":
            raise InvalidParameter(f"owner_org: no department {code[:40]!r}", field="owner_org")
        found["organization"] = organisation.code
    if "license_id" in merged:
        if merged["license_id"] not in LICENSES:
            raise InvalidParameter(f"license_id: one of {', '.join(LICENSES)}", field="license_id")
        found["license_id"] = merged["license_id"]
    if "frequency" in merged:
        if merged["frequency"] not in set(Frequency):
            raise InvalidParameter(f"frequency: one of {', '.join(Frequency)}", field="frequency")
        found["frequency"] = merged["frequency"]
    if "tags" in merged:
        found["tags"] = _names(merged["tags"], "tags")
    if "groups" in merged:
        groups = _names(merged["groups"], "groups")
        if any(group not in GROUPS for group in groups):
            raise InvalidParameter(f"groups: among {', '.join(GROUPS)}", field="groups")
        found["groups"] = groups
    if "private" in merged:
        found["private"] = checks.boolean(merged["private"], "private", default=False)
    return found


def _check_name_free(uow: UnitOfWork, name: str, own: Dataset | None) -> None:
    other = repository.dataset_by_ref(uow.session, name)
    if other is not None and other is not own and other.name == name:
        raise NameTaken("That URL is already in use.", field="name")


def create(uow: UnitOfWork, principal: Principal, data: Mapping[str, Any]) -> Dataset:
    """CKAN's `package_create`: a dataset staff describe by hand."""
    fields = _fields(uow, data)
    for required in ("name", "title", "organization"):
        if not fields.get(required):
            key = "owner_org" if required == "organization" else required
            raise InvalidParameter(f"{key}: Missing value", field=key)
    require_publisher(principal, fields["organization"])
    _check_name_free(uow, fields["name"], None)
    state = data.get("state") or State.ACTIVE.value
    if state not in (State.ACTIVE.value, State.DRAFT.value):
        raise InvalidParameter("state: active or draft", field="state")
    now = utcnow()
    row = Dataset(
        origin=Origin.STAFF.value,
        license_id=GOVERNMENT_LICENSE,
        state=state,
        created_at=now,
        modified_at=now,
        **fields,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.audit("opendata.dataset.created", "dataset", row.id, {"name": row.name, **_audited(fields)})
    return row


def _audited(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if key not in ("notes", "notes_en")}


def editable(uow: UnitOfWork, principal: Principal, ref: Any) -> Dataset:
    """The staff's dataset `ref`, if `principal` may change it."""
    if not isinstance(ref, str) or not ref:
        raise InvalidParameter("id: Missing value", field="id")
    row = repository.dataset_by_ref(uow.session, ref)
    if row is None or not repository.may_see(principal, row):
        raise DatasetNotFound("Not found")
    if row.origin != Origin.STAFF.value:
        raise RegisteredDataset(
            f"{row.name} follows its module's manifest or its harvest source; change it there",
            field="name",
        )
    require_publisher(principal, row.organization)
    return row


def change(
    uow: UnitOfWork, principal: Principal, data: Mapping[str, Any], *, patch: bool
) -> Dataset:
    """CKAN's `package_update` (every field, missing ones emptied) or `package_patch`."""
    row = editable(uow, principal, data.get("id") or data.get("name"))
    fields = _fields(uow, data)
    if not patch:
        for key, empty in (("notes", ""), ("notes_en", ""), ("tags", []), ("groups", [])):
            fields.setdefault(key, empty)
    if "organization" in fields:
        require_publisher(principal, fields["organization"])
    if "name" in fields:
        _check_name_free(uow, fields["name"], row)
    before = {key: getattr(row, key) for key in fields}
    for key, value in fields.items():
        setattr(row, key, value)
    if "state" in data and data["state"] in (State.ACTIVE.value, State.DRAFT.value):
        row.state = data["state"]
    row.modified_at = utcnow()
    moved = {key: value for key, value in fields.items() if before[key] != value}
    uow.audit("opendata.dataset.updated", "dataset", row.id, _audited(moved))
    return row


def delete(uow: UnitOfWork, principal: Principal, ref: Any) -> Dataset:
    """CKAN's `package_delete`: the dataset leaves every list (its state is `deleted`)."""
    row = editable(uow, principal, ref)
    row.state = State.DELETED.value
    row.modified_at = utcnow()
    uow.audit("opendata.dataset.deleted", "dataset", row.id, {"name": row.name})
    return row


def add_resource(
    uow: UnitOfWork,
    principal: Principal,
    data: Mapping[str, Any],
    upload: tuple[str, str, bytes] | None,
) -> Resource:
    """CKAN's `resource_create`: a link, or an uploaded file (name, media type, bytes)."""
    row = editable(uow, principal, data.get("package_id"))
    url = _text(data, "url", 1000)
    if upload is None and not re.match(r"^https?://", url):
        raise InvalidParameter("url: an http(s) link, or send a file as upload", field="url")
    if upload is not None and len(upload[2]) > MAX_UPLOAD:
        raise InvalidParameter(f"upload: at most {MAX_UPLOAD} bytes", field="upload")
    existing = repository.resources_of(uow.session, [row.id]).get(row.id, [])
    name = _text(data, "name", 300) or (upload[0] if upload else url.rsplit("/", 1)[-1]) or "data"
    file_format = _text(data, "format", 32) or name.rsplit(".", 1)[-1].upper()[:32]
    now = utcnow()
    resource = Resource(
        dataset_id=row.id,
        position=len(existing),
        name=name,
        description=_text(data, "description", 20_000),
        format=file_format,
        url="" if upload else url,
        upload=upload[2] if upload else None,
        mimetype=(upload[1] if upload else _text(data, "mimetype", 100)) or "",
        created_at=now,
        modified_at=now,
    )
    uow.session.add(resource)
    row.modified_at = now
    uow.session.flush()
    uow.audit(
        "opendata.resource.created",
        "resource",
        resource.id,
        {"dataset": row.name, "name": name, "format": file_format, "uploaded": upload is not None},
    )
    return resource
