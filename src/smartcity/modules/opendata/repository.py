"""Every query of opendata's own tables (the live tables are the modules' `Select`s)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, String, cast, or_, select
from sqlalchemy.orm import Session

from smartcity.core.auth import Principal
from smartcity.core.departments import acts_for, acts_for_every_department, own_department
from smartcity.core.repository import as_id
from smartcity.modules.opendata import checks
from smartcity.modules.opendata.models import Dataset, Resource
from smartcity.modules.opendata.values import State

SEARCHED = (
    Dataset.id,
    Dataset.name,
    Dataset.title,
    Dataset.title_en,
    Dataset.organization,
    Dataset.tags,
    Dataset.groups,
    Dataset.license_id,
    Dataset.frequency,
    Dataset.created_at,
    Dataset.modified_at,
)
"""The columns `package_search` filters, sorts and facets on."""
DESCRIBED = (Dataset.notes, Dataset.notes_en)
"""What free-text search reads besides them (loaded only when there are words to find)."""


def _visibility(principal: Principal, include_private: bool) -> list[ColumnElement[bool]]:
    active = Dataset.state == State.ACTIVE.value
    public = Dataset.private.is_(False)
    if not include_private:
        return [active, public]
    if acts_for_every_department(principal):
        return [active]
    own = own_department(principal)
    if own is None:
        return [active, public]
    return [active, or_(public, Dataset.organization == own)]


def visible(principal: Principal, *, include_private: bool = False) -> Select[Dataset]:
    """Active datasets `principal` may see: public ones, and private ones of the departments
    it acts for when it asks for them (CKAN's `include_private`)."""
    return select(Dataset).where(*_visibility(principal, include_private))


def search_rows(
    session: Session,
    principal: Principal,
    *,
    include_private: bool,
    equal: Sequence[tuple[bool, str, str]] = (),
    words: Sequence[str] = (),
) -> list[tuple[Any, list[str]]]:
    """The `SEARCHED` columns (and `DESCRIBED`, with `words`) of every dataset `principal` may
    see, each with its resources' formats; `equal` holds (negated, column, value) conditions
    the database applies first.

    `words` narrow the rows to those holding each word in a searched text column or in the
    tags' JSON text: a superset of the matches, which search checks again in Python. A word
    beyond ASCII is left to Python (JSON may store the tags escaped, and SQLite's `lower`
    folds ASCII only).
    """
    conditions = _visibility(principal, include_private)
    for word in words:
        if not word.isascii():
            continue
        pattern = checks.contains_pattern(word)
        texts = (Dataset.name, Dataset.title, Dataset.title_en, Dataset.notes, Dataset.notes_en)
        conditions.append(
            or_(
                *(column.ilike(pattern, escape="\\") for column in texts),
                Dataset.organization.ilike(pattern, escape="\\"),
                cast(Dataset.tags, String).ilike(pattern, escape="\\"),
            )
        )
    for negated, field, value in equal:
        column = Dataset.__table__.c[field]
        if field == "organization":
            value = value.upper()  # CKAN names organisations in lower case
        conditions.append(column != value if negated else column == value)
    columns = (*SEARCHED, *DESCRIBED) if words else SEARCHED
    rows = session.execute(select(*columns).where(*conditions)).all()
    formats: dict[uuid.UUID, list[str]] = defaultdict(list)
    wanted = select(Dataset.id).where(*conditions)
    for dataset_id, fmt in session.execute(
        select(Resource.dataset_id, Resource.format).where(Resource.dataset_id.in_(wanted))
    ):
        formats[dataset_id].append(fmt)
    return [(row, formats.get(row.id, [])) for row in rows]


def datasets_by_id(session: Session, ids: Sequence[uuid.UUID]) -> list[Dataset]:
    """The datasets with these ids, in the order given."""
    found = {row.id: row for row in session.scalars(select(Dataset).where(Dataset.id.in_(ids)))}
    return [found[dataset_id] for dataset_id in ids if dataset_id in found]


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
