"""The city's calendar day of a UTC time column, computed by the database on every engine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from smartcity.core.time import city_zone


class _LocalDay(FunctionElement[str]):
    """`YYYY-MM-DD` of a UTC time in the city's zone (arguments: column, zone, offset)."""

    type = String()
    name = "local_day"
    inherit_cache = True


@compiles(_LocalDay, "postgresql")
def _postgres_day(element: _LocalDay, compiler: SQLCompiler, **kw: Any) -> str:
    column, zone, _offset = element.clauses
    return (
        f"to_char(({compiler.process(column, **kw)}) AT TIME ZONE "
        f"{compiler.process(zone, **kw)}, 'YYYY-MM-DD')"
    )


@compiles(_LocalDay)
def _sqlite_day(element: _LocalDay, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite knows no named zones; Taiwan's cities keep one offset all year (no DST), so the
    # offset now is the offset of every stored time.
    column, _zone, offset = element.clauses
    return f"date({compiler.process(column, **kw)}, {compiler.process(offset, **kw)})"


def local_day(column: ColumnElement[Any] | QueryableAttribute[Any]) -> ColumnElement[str]:
    """The city's calendar day of `column` (a UTC time), as the database computes it."""
    zone = city_zone()
    offset = datetime.now(zone).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    return _LocalDay(column, literal(str(zone)), literal(f"{minutes:+d} minutes"))
