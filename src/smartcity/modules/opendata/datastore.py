"""CKAN's `datastore_search` over the modules' live tables: filtered, sorted and paged in SQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from smartcity.core import csvfile
from smartcity.core.registry import Dataset as Registration
from smartcity.core.time import as_utc, isoformat_z
from smartcity.modules.opendata import checks, tables
from smartcity.modules.opendata.errors import InvalidParameter

MAX_LIMIT = 32_000
"""CKAN's own cap on `limit`."""
DEFAULT_LIMIT = 100
FORMATS = ("objects", "lists", "csv")


def _value(value: Any) -> Any:
    """A database value as JSON shows it."""
    if isinstance(value, datetime):
        return isoformat_z(as_utc(value))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _filter_value(kind: str, value: Any, name: str) -> Any:
    if not isinstance(value, str | int | float | bool):
        raise InvalidParameter(f"filters: {name} takes a text, number or boolean", field="filters")
    try:
        if kind == "int":
            return int(value)
        if kind == "numeric":
            return float(value)
        if kind == "bool":
            return checks.boolean(value, "filters", default=False)
        if kind == "timestamp":
            return as_utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
        if kind == "date":
            return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidParameter(f"filters: {name} is {kind}", field="filters") from None
    return checks.text(str(value), "filters")


def search(
    session: Session, registration: Registration, resource_id: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """One page of a live table, as CKAN's `datastore_search` answers it."""
    table = tables.live_table(registration)
    kinds = {column.name: tables.ckan_type(column.type) for column in table.c}
    limit = checks.integer(
        params.get("limit"), "limit", default=DEFAULT_LIMIT, low=0, high=MAX_LIMIT
    )
    offset = checks.integer(params.get("offset"), "offset", default=0, low=0, high=10**9)
    include_total = checks.boolean(params.get("include_total"), "include_total", default=True)
    records_format = params.get("records_format") or "objects"
    if records_format not in FORMATS:
        raise InvalidParameter(
            f"records_format: one of {', '.join(FORMATS)}", field="records_format"
        )
    wanted = checks.names(params.get("fields"), "fields") or list(kinds)
    unknown = [name for name in wanted if name not in kinds]
    if unknown:
        raise InvalidParameter(f"fields: no field {unknown[0]!r}", field="fields")

    conditions: list[ColumnElement[bool]] = []
    filters = params.get("filters") or {}
    if isinstance(filters, str):
        # GET callers send the object as JSON text, as CKAN accepts it.
        try:
            filters = json.loads(filters)
        except ValueError:
            raise InvalidParameter("filters: a JSON object", field="filters") from None
    if not isinstance(filters, dict):
        raise InvalidParameter("filters: a JSON object of field → value", field="filters")
    for name, value in filters.items():
        if name not in kinds or kinds[name] == "json":
            raise InvalidParameter(f"filters: no filterable field {name!r}", field="filters")
        values = value if isinstance(value, list) else [value]
        if not values or len(values) > 1000:
            raise InvalidParameter("filters: 1 to 1000 values per field", field="filters")
        column = table.c[name]
        converted = [_filter_value(kinds[name], item, name) for item in values]
        conditions.append(column.in_(converted) if len(converted) > 1 else column == converted[0])

    q = params.get("q")
    if isinstance(q, dict):
        for name, text in q.items():
            if name not in kinds or kinds[name] != "text":
                raise InvalidParameter(f"q: no text field {name!r}", field="q")
            pattern = checks.contains_pattern(checks.text(text, "q"))
            conditions.append(table.c[name].ilike(pattern, escape="\\"))
    elif q not in (None, ""):
        pattern = checks.contains_pattern(checks.text(q, "q"))
        searchable = [table.c[name] for name, kind in kinds.items() if kind == "text"]
        if not searchable:
            raise InvalidParameter("q: this table has no text to search", field="q")
        conditions.append(
            or_(*(cast(column, String).ilike(pattern, escape="\\") for column in searchable))
        )

    order = [
        table.c[name].desc() if descending else table.c[name].asc()
        for name, descending in checks.sort_terms(params.get("sort"), "sort", set(kinds))
    ]
    where = and_(*conditions) if conditions else None
    query = select(*(table.c[name] for name in wanted)).select_from(table)
    if where is not None:
        query = query.where(where)
    rows = session.execute(query.order_by(*order).limit(limit).offset(offset)).all()
    records_lists = [[_value(value) for value in row] for row in rows]

    result: dict[str, Any] = {
        "resource_id": resource_id,
        "fields": [{"id": name, "type": kinds[name]} for name in wanted],
        "records_format": records_format,
        "limit": limit,
        "offset": offset,
        "include_total": include_total,
    }
    if records_format == "objects":
        result["records"] = [dict(zip(wanted, values, strict=True)) for values in records_lists]
    elif records_format == "lists":
        result["records"] = records_lists
    else:
        result["records"] = csvfile.csv_lines(
            [
                [
                    json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v
                    for v in row
                ]
                for row in records_lists
            ]
        )
    if include_total:
        count = select(func.count()).select_from(table)
        if where is not None:
            count = count.where(where)
        result["total"] = int(session.execute(count).scalar_one())
        result["total_was_estimated"] = False
    base = {"resource_id": resource_id, "limit": limit}
    result["_links"] = {
        "start": "/api/3/action/datastore_search?" + urlencode(base),
        "next": "/api/3/action/datastore_search?" + urlencode({**base, "offset": offset + limit}),
    }
    return result
