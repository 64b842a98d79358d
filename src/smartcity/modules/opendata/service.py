"""opendata's public face: what its edges, its jobs and other modules call.

`refresh_catalogue` takes the `Platform` and opens its own transaction (ADR 21, rule 1): the
worker's schedule, the CLI and the demo all run it the same way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from smartcity.core.audit.log import open_checkpoints
from smartcity.core.auth import Principal, system_actor
from smartcity.core.platform import Platform
from smartcity.modules.opendata import repository
from smartcity.modules.opendata.actions import READS, WRITES, Call
from smartcity.modules.opendata.catalogue import refresh
from smartcity.modules.opendata.errors import ResourceNotFound
from smartcity.modules.opendata.models import Dataset
from smartcity.modules.opendata.tables import registrations

__all__ = ["READS", "WRITES", "Call", "open_transparency_checkpoints", "registrations"]


def refresh_catalogue(platform: Platform, actor: Principal | None = None) -> list[str]:
    """Follow the registrations and their data; returns the names of the datasets changed."""
    with platform.unit_of_work(actor or system_actor("opendata")) as uow:
        return refresh(uow, platform)


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


def open_transparency_checkpoints() -> Select[*tuple[Any, ...]]:
    """*Open data.* The transparency log's tree head (the kernel's table, published here)."""
    return open_checkpoints()
