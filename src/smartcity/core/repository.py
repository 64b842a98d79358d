"""What every module's repository shares: ids, the get-or-404, paging and module settings."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

from smartcity.core.errors import NotFound
from smartcity.core.platform import Platform

Row = TypeVar("Row")
SettingsType = TypeVar("SettingsType")


def new_id() -> uuid.UUID:
    """A random primary key: opaque, so ids reveal neither counts nor order."""
    return uuid.uuid4()


def as_id(value: uuid.UUID | str) -> uuid.UUID | None:
    """`value` as a UUID, or None when it is not one (a path or form value from outside)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def get_or_404(
    session: Session,
    model: type[Row],
    row_id: uuid.UUID | str | int,
    *,
    code: str,
    detail: str | None = None,
) -> Row:
    """The row of `model` with primary key `row_id`; NotFound with the module's `code` otherwise.

    A value that is not a UUID names no row, so it answers the same 404 as an unknown id;
    integer keys (SensorThings' ids) are used as they are.
    """
    key = row_id if isinstance(row_id, int) else as_id(row_id)
    row = session.get(model, key) if key is not None else None
    if row is None:
        raise NotFound(detail or f"no such {code.removesuffix('_not_found')}", code=code)
    return row


def page(query: Select[Any], *, limit: int, offset: int = 0) -> Select[Any]:
    """One page of an ordered query, as the APIs page today: `limit` rows after `offset`.

    The query must already be ordered on a unique key, or pages may overlap.
    """
    query = query.limit(limit)
    return query.offset(offset) if offset else query


def settings_of(platform: Platform, name: str, settings_type: type[SettingsType]) -> SettingsType:
    """Module `name`'s settings on this platform (its defaults when the module was not set up)."""
    found = platform.module_settings.get(name)
    return found if isinstance(found, settings_type) else settings_type()
