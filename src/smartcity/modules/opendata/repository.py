"""Every query of opendata's own tables (the live tables are the modules' `Select`s)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from smartcity.core.auth import Principal
from smartcity.core.departments import acts_for, acts_for_every_department, own_department
from smartcity.core.repository import as_id
from smartcity.modules.opendata.models import Dataset, Resource
from smartcity.modules.opendata.values import State


def visible(principal: Principal, *, include_private: bool = False) -> Select[Dataset]:
    """Active datasets `principal` may see: public ones, and private ones of the departments
    it acts for when it asks for them (CKAN's `include_private`)."""
    query = select(Dataset).where(Dataset.state == State.ACTIVE.value)
    public = query.where(Dataset.private.is_(False))
    if not include_private:
        return public
    if acts_for_every_department(principal):
        return query
    own = own_department(principal)
    if own is None:
        return public
    return query.where(or_(Dataset.private.is_(False), Dataset.organization == own))


def may_see(principal: Principal, dataset: Dataset) -> bool:
    """Whether `principal` may see `dataset` (a private or deleted one only its publishers)."""
    if dataset.state == State.ACTIVE.value and not dataset.private:
        return True
    return acts_for(principal, dataset.organization)


def dataset_by_ref(session: Session, ref: str) -> Dataset | None:
    """The dataset with id or name `ref`."""
    found_id = as_id(ref)
    if found_id is not None:
        found = session.get(Dataset, found_id)
        if found is not None:
            return found
    return session.scalars(select(Dataset).where(Dataset.name == ref)).first()


def datasets_by_name(session: Session) -> dict[str, Dataset]:
    """Every dataset, deleted ones too, by name."""
    return {row.name: row for row in session.scalars(select(Dataset))}


def resources_of(
    session: Session, dataset_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Resource]]:
    """The resources of each dataset, in position order."""
    found: dict[uuid.UUID, list[Resource]] = defaultdict(list)
    if not dataset_ids:
        return found
    rows = session.scalars(
        select(Resource)
        .where(Resource.dataset_id.in_(list(dataset_ids)))
        .order_by(Resource.dataset_id, Resource.position)
    )
    for row in rows:
        found[row.dataset_id].append(row)
    return found


def resource_by_id(session: Session, ref: str) -> Resource | None:
    """The resource with id `ref`."""
    found_id = as_id(ref)
    return session.get(Resource, found_id) if found_id is not None else None
