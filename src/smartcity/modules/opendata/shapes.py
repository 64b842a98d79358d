"""Catalogue rows as CKAN's dictionaries (package, resource, organization, group, tag)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smartcity.core.time import as_utc
from smartcity.modules.opendata.models import Dataset, Resource
from smartcity.modules.opendata.values import GROUPS, LICENSES

EXTRA_KEYS = (
    "title_en",
    "notes_en",
    "frequency",
    "temporal_start",
    "temporal_end",
    "spatial",
    "contact_name",
    "contact_email",
)
"""Our fields beyond CKAN's core schema, carried as `extras` (as ckanext-dcat reads them)."""


def ckan_time(value: datetime | None) -> str | None:
    """A time as CKAN writes it: UTC without a zone suffix, microseconds included."""
    if value is None:
        return None
    return as_utc(value).replace(tzinfo=None).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Organisation:
    """A publishing department, as the catalogue names it."""

    code: str
    title: str
    title_en: str

    @property
    def name(self) -> str:
        """CKAN's URL name: the code in lower case."""
        return self.code.lower()


def organization_dict(
    organisation: Organisation, package_count: int | None = None
) -> dict[str, Any]:
    """CKAN's organization dictionary."""
    found: dict[str, Any] = {
        "id": organisation.name,
        "name": organisation.name,
        "title": organisation.title,
        "display_name": organisation.title,
        "description": organisation.title_en,
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
    }
    if package_count is not None:
        found["package_count"] = package_count
    return found


def group_dict(name: str, package_count: int | None = None) -> dict[str, Any]:
    """CKAN's group dictionary for one of the catalogue's themes."""
    title, title_en = GROUPS.get(name, (name, name))
    found: dict[str, Any] = {
        "id": name,
        "name": name,
        "title": title,
        "display_name": title,
        "description": title_en,
        "type": "group",
        "is_organization": False,
        "state": "active",
        "image_url": "",
    }
    if package_count is not None:
        found["package_count"] = package_count
    return found


def tag_dict(name: str) -> dict[str, Any]:
    """CKAN's tag dictionary (free tags: no vocabulary)."""
    return {
        "id": name,
        "name": name,
        "display_name": name,
        "state": "active",
        "vocabulary_id": None,
    }


def resource_url(resource: Resource, base_url: str) -> str:
    """Where a client fetches a resource: the DataStore, the upload, or the outside link."""
    if resource.table:
        return f"{base_url}/datastore/dump/{resource.id}"
    if resource.upload is not None:
        return f"{base_url}/opendata/resource/{resource.id}/download"
    return resource.url


def resource_dict(resource: Resource, base_url: str) -> dict[str, Any]:
    """CKAN's resource dictionary."""
    return {
        "id": str(resource.id),
        "package_id": str(resource.dataset_id),
        "name": resource.name,
        "description": resource.description,
        "format": resource.format,
        "url": resource_url(resource, base_url),
        "url_type": "datastore" if resource.table else "upload" if resource.upload else None,
        "datastore_active": bool(resource.table),
        "mimetype": resource.mimetype or None,
        "size": len(resource.upload) if resource.upload is not None else None,
        "position": resource.position,
        "state": "active",
        "created": ckan_time(resource.created_at),
        "last_modified": ckan_time(resource.modified_at),
        "metadata_modified": ckan_time(resource.modified_at),
        "record_count": resource.record_count,
    }


def extras_of(dataset: Dataset) -> dict[str, str]:
    """Our fields beyond CKAN's schema, as text."""
    values: dict[str, Any] = {
        "title_en": dataset.title_en,
        "notes_en": dataset.notes_en,
        "frequency": dataset.frequency,
        "temporal_start": ckan_time(dataset.temporal_start),
        "temporal_end": ckan_time(dataset.temporal_end),
        "spatial": json.dumps(dataset.spatial) if dataset.spatial else None,
        "contact_name": dataset.contact_name,
        "contact_email": dataset.contact_email,
    }
    if dataset.harvest_source:
        # Marks a copy, so that two instances harvesting each other never copy copies back.
        values["harvest_source"] = dataset.harvest_source
        values["harvest_source_ref"] = dataset.source_ref
    return {key: str(value) for key, value in values.items() if value}


def package_dict(
    dataset: Dataset,
    resources: Sequence[Resource],
    organisations: Mapping[str, Organisation],
    base_url: str,
) -> dict[str, Any]:
    """CKAN's package dictionary, as `package_show` and `package_search` answer it."""
    organisation = organisations.get(
        dataset.organization, Organisation(dataset.organization, dataset.organization, "")
    )
    title, url = LICENSES.get(dataset.license_id, (dataset.license_id, ""))
    extras = extras_of(dataset)
    return {
        "id": str(dataset.id),
        "name": dataset.name,
        "title": dataset.title,
        "notes": dataset.notes,
        "type": "dataset",
        "state": dataset.state,
        "private": dataset.private,
        "license_id": dataset.license_id,
        "license_title": title,
        "license_url": url,
        "owner_org": organisation.name,
        "organization": organization_dict(organisation),
        "author": organisation.title,
        "author_email": None,
        "maintainer": dataset.contact_name or None,
        "maintainer_email": dataset.contact_email or None,
        "metadata_created": ckan_time(dataset.created_at),
        "metadata_modified": ckan_time(dataset.modified_at),
        "num_resources": len(resources),
        "num_tags": len(dataset.tags),
        "tags": [tag_dict(tag) for tag in dataset.tags],
        "groups": [group_dict(group) for group in dataset.groups],
        "resources": [resource_dict(resource, base_url) for resource in resources],
        "url": f"{base_url}/opendata/dataset/{dataset.name}",
        "version": None,
        "extras": [{"key": key, "value": value} for key, value in sorted(extras.items())],
        **extras,
    }
