"""Reading SensorThings resources: resource paths, query options, $expand and paging."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.exc import DataError, DBAPIError, StatementError
from sqlalchemy.orm import Session

from smartcity.core.errors import NotFound
from smartcity.modules.sensors.sta.compile import Compiler, install_sqlite_functions
from smartcity.modules.sensors.sta.entities import ENTITIES, EntityType, Nav, property_value
from smartcity.modules.sensors.sta.odata import QueryOptions, StaError

# PostgreSQL refusing the types of a client's expression: no such function or operator for
# them, mismatched or unconvertible types (SQLSTATE class 42). Class 22 (bad values, a
# division by zero, an overflow) arrives as a DataError.
_PG_EXPRESSION_ERRORS = frozenset({"42883", "42804", "42846", "42725"})
# SQLite's messages for an expression it cannot evaluate (anything else is the database's).
_SQLITE_EXPRESSION_ERRORS = (
    "user-defined function raised exception",
    "malformed JSON",
    "JSON path error",
    "bad JSON path",
    "integer overflow",
)
_SEGMENT = re.compile(r"^([A-Za-z]+)(?:\((\d{1,18}|'[^']{0,64}')\))?$")


@dataclass
class Resource:
    """What a resource path names."""

    kind: str
    """`collection`, `entity`, `property`, `value` or `ref`."""
    entity: EntityType
    condition: Any = None
    row: Any = None
    prop: str | None = None
    path: str = ""
    parent: tuple[EntityType, Any, Nav] | None = None


def _id(text: str | None) -> int | None:
    if text is None:
        return None
    if text.startswith("'"):
        text = text[1:-1]
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise NotFound(f"no entity with id {text[:40]!r}", code="sta_not_found")
    return int(text)


def resolve(session: Session, path: str) -> Resource:
    """Walk `Things(1)/Datastreams`, `Observations(5)/Datastream/Thing`, `…/name/$value`."""
    segments = [s for s in path.strip("/").split("/") if s]
    if not segments:
        raise NotFound("empty resource path", code="sta_not_found")
    match = _SEGMENT.match(segments[0])
    if not match or match.group(1) not in ENTITIES:
        raise NotFound(f"no entity set {segments[0][:60]!r}", code="sta_not_found")
    entity = ENTITIES[match.group(1)]
    ident = _id(match.group(2))
    walked = entity.plural
    if ident is None:
        current = Resource("collection", entity, None, path=walked)
    else:
        row = session.get(entity.model, ident)
        if row is None:
            raise NotFound(f"{entity.singular} {ident} does not exist", code="sta_not_found")
        walked += f"({ident})"
        current = Resource("entity", entity, row=row, path=walked)
    for index, segment in enumerate(segments[1:], start=1):
        last = index == len(segments) - 1
        if segment == "$ref" and last and current.kind in ("collection", "entity"):
            current.kind = "ref" if current.kind == "collection" else "entityref"
            return current
        if segment == "$value" and last and current.kind == "property":
            current.kind = "value"
            return current
        if current.kind != "entity":
            raise StaError(
                f"cannot navigate from {walked} to {segment[:60]!r}", code="sta_invalid_path"
            )
        match = _SEGMENT.match(segment)
        name = match.group(1) if match else ""
        entity = current.entity
        if match and name in entity.navs:
            nav = entity.navs[name]
            target = ENTITIES[nav.target]
            ident = _id(match.group(2))
            walked += f"/{name}"
            if nav.many:
                condition = entity.children_condition(nav, current.row.id)
                if ident is None:
                    current = Resource(
                        "collection",
                        target,
                        condition,
                        path=walked,
                        parent=(entity, current.row, nav),
                    )
                    continue
                row = session.execute(
                    select(target.model).where(condition, target.model.id == ident)
                ).scalar()
            else:
                if ident is not None:
                    raise StaError(f"{name} is a single entity", code="sta_invalid_path")
                target_id = getattr(current.row, nav.fk or "")
                row = session.get(target.model, target_id) if target_id is not None else None
            if row is None:
                raise NotFound(f"{walked} does not exist", code="sta_not_found")
            current = Resource("entity", target, row=row, path=walked)
            continue
        if name in entity.props and match and match.group(2) is None:
            current = Resource("property", entity, row=current.row, prop=name, path=walked)
            continue
        raise NotFound(f"{entity.singular} has no {segment[:60]!r}", code="sta_not_found")
    return current


def caused_by_the_request(exc: StatementError) -> bool:
    """Whether a failed query failed on the client's expression (a 400), not on the database.

    An unreachable, locked or unmigrated database must reach the edge's handler, which
    answers 503 with Retry-After: a 400 tells clients not to retry.
    """
    if not isinstance(exc, DBAPIError):
        return True  # a value of the expression could not even be bound
    if exc.connection_invalidated:
        return False
    if isinstance(exc, DataError):
        return True
    if getattr(exc.orig, "sqlstate", None) in _PG_EXPRESSION_ERRORS:
        return True
    message = str(exc.orig)
    return type(exc.orig).__module__ == "sqlite3" and message.startswith(_SQLITE_EXPRESSION_ERRORS)


class Reader:
    """Renders resources as SensorThings JSON."""

    def __init__(self, session: Session, base: str, default_top: int, max_top: int) -> None:
        self.session = session
        self.base = base.rstrip("/")
        self.default_top = default_top
        self.max_top = max_top
        self.dialect = session.get_bind().dialect.name
        self.compiler = Compiler(self.dialect)
        if self.dialect == "sqlite":
            install_sqlite_functions(session.connection().connection.driver_connection)

    def self_link(self, entity: EntityType, ident: Any) -> str:
        """The entity's URL."""
        return f"{self.base}/{entity.plural}({ident})"

    def render(self, entity: EntityType, row: Any, options: QueryOptions) -> dict[str, Any]:
        """One entity, with its selected properties and expansions."""
        link = self.self_link(entity, row.id)
        out: dict[str, Any] = {"@iot.selfLink": link, "@iot.id": row.id}
        for name in entity.props:
            if name != "id":
                value = property_value(entity, row, name)
                if value is not None or name == "result":  # FROST leaves out empty properties
                    out[name] = value
        for name in entity.navs:
            out[f"{name}@iot.navigationLink"] = f"{link}/{name}"
        if options.select is not None:
            wanted = set(options.select)
            for name in list(out):
                key = name.split("@")[0] if "@iot.navigationLink" in name else name
                if name == "@iot.id" and ("id" in wanted or "@iot.id" in wanted):
                    continue
                if key not in wanted:
                    del out[name]
            unknown = wanted - set(entity.props) - set(entity.navs) - {"@iot.id", "@iot.selfLink"}
            if unknown:
                raise StaError(
                    f"{entity.singular} has no property {sorted(unknown)[0]!r}",
                    code="sta_unknown_property",
                )
        for item in options.expand:
            name = item.path[0]
            nav = entity.navs.get(name)
            if nav is None:
                raise StaError(
                    f"{entity.singular} has no navigation {name!r}", code="sta_unknown_navigation"
                )
            target = ENTITIES[nav.target]
            if nav.many:
                condition = entity.children_condition(nav, row.id)
                page = self.collection(target, condition, item.options, f"{link}/{name}", {})
                out[name] = page["value"]
                if "@iot.nextLink" in page:
                    out[f"{name}@iot.nextLink"] = page["@iot.nextLink"]
                if "@iot.count" in page:
                    out[f"{name}@iot.count"] = page["@iot.count"]
            else:
                target_id = getattr(row, nav.fk or "")
                child = self.session.get(target.model, target_id) if target_id else None
                out[name] = self.render(target, child, item.options) if child else None
        return out

    def _query(self, entity: EntityType, condition: Any, options: QueryOptions) -> Any:
        query = select(entity.model)
        if condition is not None:
            query = query.where(condition)
        if options.filter is not None:
            query = query.where(self.compiler.condition(entity, options.filter))
        return query

    def collection(
        self,
        entity: EntityType,
        condition: Any,
        options: QueryOptions,
        url: str,
        params: dict[str, str],
    ) -> dict[str, Any]:
        """A page of a collection, with `@iot.count` and `@iot.nextLink` as asked."""
        top = options.top if options.top is not None else self.default_top
        query = self._query(entity, condition, options)
        ordered = query
        for item in options.orderby:
            expression = self.compiler.order(entity, item.expression)
            ordered = ordered.order_by(expression.desc() if item.descending else expression.asc())
        ordered = ordered.order_by(entity.model.id.asc())
        try:
            rows = list(self.session.execute(ordered.offset(options.skip).limit(top + 1)).scalars())
            page: dict[str, Any] = {}
            if options.count:
                page["@iot.count"] = int(
                    self.session.execute(
                        select(func.count()).select_from(
                            query.with_only_columns(entity.model.id).subquery()
                        )
                    ).scalar()
                    or 0
                )
        except StatementError as exc:
            if not caused_by_the_request(exc):
                raise
            self.session.rollback()
            raise StaError(
                "the request could not be evaluated on the stored data (check types in $filter)",
                code="sta_evaluation_failed",
            ) from exc
        page["value"] = [self.render(entity, row, options) for row in rows[:top]]
        if top > 0 and len(rows) > top:
            following = dict(params)
            following["$top"] = str(top)
            following["$skip"] = str(options.skip + top)
            page["@iot.nextLink"] = f"{url}?{urlencode(following)}"
        return page
