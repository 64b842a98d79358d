"""OData expression trees → SQLAlchemy expressions, for SQLite and PostgreSQL alike.

Geometry functions work on points (Locations, FeaturesOfInterest) against WKT
literals: `geo.distance` in coordinate units (degrees for WGS 84, as FROST reports
it), `st_within`/`st_intersects`/`geo.intersects`/`st_contains` as point-in-polygon.

A path through navigations (`Datastream/Thing/name`, `Locations/location`) gets one
alias per navigation; the condition that uses it becomes a subquery over those aliases
(`IN`, or `EXISTS` when it leaves the entity by two navigations): "some related entity
satisfies it", never a duplicated row. Across `and`, one path names one related entity,
as in FROST-Server (ADR 0017).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.orm import aliased
from sqlalchemy.types import UserDefinedType

from smartcity.core.time import utcnow
from smartcity.modules.sensors.sta.entities import ENTITIES, EntityType, Nav
from smartcity.modules.sensors.sta.odata import Binary, Call, Literal, Path, StaError, Unary

_NUMBER = r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_POINT = re.compile(rf"^\s*POINT\s*\(\s*({_NUMBER})\s+({_NUMBER})\s*\)\s*$", re.IGNORECASE)
_POLYGON = re.compile(r"^\s*POLYGON\s*\(\s*\((.*)\)\s*\)\s*$", re.IGNORECASE)

MAX_NAVIGATION_DEPTH = 6
"""Navigations in one path: `Observations` to `…/Datastream/Thing/Locations/location` is 3."""
MAX_NAVIGATIONS = 16
"""Distinct navigation paths in one expression: each is one more alias in a subquery."""


class _Polygon(UserDefinedType[Any]):
    """PostgreSQL's built-in `polygon`, so that a polygon literal is a bound parameter."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "polygon"


@dataclass(frozen=True)
class Hop:
    """One navigation of a path: the tables it adds and how they join the entity it leaves."""

    froms: tuple[Any, ...]
    """The aliases it adds (a link table's, then the target's); the target's is last."""
    joins: tuple[Any, ...]
    """Conditions among its own aliases (a link table to the target)."""
    parent_side: Any
    """The column of the entity navigated from that …"""
    child_side: Any
    """… equals this column of the hop's aliases."""
    many: bool


@dataclass
class Typed:
    """A compiled expression, its kind and the navigations (`keys`) it reads through."""

    expr: Any
    kind: str
    entity: EntityType | None = None
    prop: str | None = None
    source: Any = None
    """The table (the root's, or a navigation's alias) that `prop` is read from."""
    keys: frozenset[tuple[str, ...]] = frozenset()
    """Navigation paths from the root with their prefixes: `("Datastream",)`, `("Datastream",
    "Thing")`."""
    parts: tuple[tuple[Any, frozenset[tuple[str, ...]]], ...] = ()
    """A condition's `and`-ed parts before their navigations are closed (`expr` has them closed),
    so that an enclosing `and` can ask one related entity to satisfy parts of both sides."""


def _keys(*typed: Typed) -> frozenset[tuple[str, ...]]:
    return frozenset().union(*(t.keys for t in typed))


def _wkt_point(text: str) -> tuple[float, float]:
    match = _POINT.match(text)
    if not match:
        raise StaError("expected geography'POINT(x y)'", code="sta_invalid_geometry")
    return float(match.group(1)), float(match.group(2))


def _wkt_polygon(text: str) -> list[tuple[float, float]]:
    match = _POLYGON.match(text)
    if not match:
        raise StaError("expected geography'POLYGON((x y, …))'", code="sta_invalid_geometry")
    ring: list[tuple[float, float]] = []
    for pair in match.group(1).split(","):
        parts = pair.split()
        if len(parts) != 2:
            raise StaError("a polygon vertex must be 'x y'", code="sta_invalid_geometry")
        try:
            x, y = float(parts[0]), float(parts[1])
        except ValueError:
            raise StaError(
                "polygon coordinates must be numbers", code="sta_invalid_geometry"
            ) from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise StaError("polygon coordinates must be finite", code="sta_invalid_geometry")
        ring.append((x, y))
    if len(ring) < 3 or len(ring) > 10_000:
        raise StaError("a polygon needs 3 to 10,000 vertices", code="sta_invalid_geometry")
    return ring


def point_in_polygon(x: float | None, y: float | None, ring_json: str) -> int:
    """Ray casting; registered as an SQLite function."""
    if x is None or y is None:
        return 0
    ring = json.loads(ring_json)
    inside = False
    count = len(ring)
    for i in range(count):
        x1, y1 = ring[i]
        x2, y2 = ring[(i + 1) % count]
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / ((y2 - y1) or 1e-300) + x1:
            inside = not inside
    return 1 if inside else 0


def install_sqlite_functions(connection: Any) -> None:
    """Functions SQLite lacks but the compiler uses."""
    connection.create_function(
        "sc_sqrt",
        1,
        lambda v: math.sqrt(v) if v is not None and v >= 0 else None,
        deterministic=True,
    )
    connection.create_function("sc_in_polygon", 3, point_in_polygon, deterministic=True)


class Compiler:
    """Compiles expressions against one entity type for one SQL dialect."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.hops: dict[tuple[str, ...], Hop] = {}

    # -- entry points ---------------------------------------------------------

    def condition(self, entity: EntityType, node: Any) -> Any:
        """A WHERE clause from a `$filter` tree."""
        self.hops = {}
        typed = self.compile(entity, node)
        if typed.kind != "bool":
            raise StaError("$filter must be a condition (true or false)", code="sta_invalid_filter")
        return typed.expr

    def order(self, entity: EntityType, node: Any) -> Any:
        """An ORDER BY expression; navigations to one entity only."""
        self.hops = {}
        typed = self.compile(entity, node)
        if any(self.hops[key].many for key in typed.keys):
            raise StaError("cannot order by a to-many navigation", code="sta_invalid_orderby")
        if typed.kind in ("geo", "geoliteral"):
            raise StaError("cannot order by a geometry", code="sta_invalid_orderby")
        if typed.kind == "null":
            raise StaError("cannot order by null", code="sta_invalid_orderby")
        # JSON members order as their text: PostgreSQL's `json` has no ordering of its own.
        value = typed.expr.as_string() if typed.kind == "json" else typed.expr
        if not typed.keys:
            return value
        froms, joins = self._joins(typed.keys)
        return select(value).select_from(*froms).where(*joins).scalar_subquery()

    # -- the tree ---------------------------------------------------------------

    def compile(self, entity: EntityType, node: Any) -> Typed:
        """Compile any node."""
        if isinstance(node, Literal):
            if node.kind == "null":
                return Typed(None, "null")
            if node.kind == "geo":
                return Typed(node.value, "geoliteral")
            return Typed(literal(node.value), node.kind)
        if isinstance(node, Path):
            return self.path(entity, list(node.segments))
        if isinstance(node, Unary):
            operand = self.compile(entity, node.operand)
            if node.op == "not":
                if operand.kind != "bool":
                    raise StaError("'not' needs a condition", code="sta_invalid_filter")
                return self._condition(not_(operand.expr))
            if operand.kind not in ("number", "result"):
                raise StaError("'-' needs a number", code="sta_invalid_filter")
            return Typed(-self._numeric(operand), "number", keys=operand.keys)
        if isinstance(node, Binary):
            return self.binary(entity, node)
        if isinstance(node, Call):
            return self.call(entity, node)
        raise StaError("unsupported expression", code="sta_invalid_filter")

    def path(self, entity: EntityType, segments: list[str]) -> Typed:
        """A property path, through navigations and into JSON properties."""
        current, source = entity, entity.model
        key: tuple[str, ...] = ()
        for index, segment in enumerate(segments):
            head = "id" if segment in ("@iot.id", "id") else segment
            rest = segments[index + 1 :]
            if head in current.props:
                prop = current.props[head]
                column = getattr(source, prop.attr)
                keys = frozenset(key[:n] for n in range(1, len(key) + 1))
                if rest:
                    if prop.kind not in ("json", "geo"):
                        raise StaError(f"{head} has no sub-properties", code="sta_unknown_property")
                    return Typed(column[tuple(rest)], "json", current, head, source, keys)
                kind = {"id": "number", "interval": "time", "jsontext": "jsontext"}.get(
                    prop.kind, prop.kind
                )
                return Typed(column, kind, current, head, source, keys)
            nav = current.navs.get(head)
            if nav is None or not rest:
                raise StaError(
                    f"{current.singular} has no property {head!r}", code="sta_unknown_property"
                )
            key = (*key, head)
            source = self._hop(key, nav, source)
            current = ENTITIES[nav.target]
        raise StaError("empty property path", code="sta_unknown_property")  # pragma: no cover

    def _hop(self, key: tuple[str, ...], nav: Nav, parent: Any) -> Any:
        """The alias of the entity at the end of `key`, joined once per expression."""
        if key in self.hops:
            return self.hops[key].froms[-1]
        if len(key) > MAX_NAVIGATION_DEPTH:
            raise StaError(
                f"a path may navigate at most {MAX_NAVIGATION_DEPTH} times",
                code="sta_navigation_too_deep",
            )
        if len(self.hops) >= MAX_NAVIGATIONS:
            raise StaError(
                f"an expression may use at most {MAX_NAVIGATIONS} navigation paths",
                code="sta_expression_too_complex",
            )
        target = aliased(ENTITIES[nav.target].model)
        if not nav.many:
            hop = Hop((target,), (), getattr(parent, nav.fk or ""), target.id, False)
        elif nav.target_fk is not None:
            hop = Hop((target,), (), parent.id, getattr(target, nav.target_fk), True)
        else:
            link = aliased(nav.link)
            hop = Hop(
                (link, target),
                (getattr(link, nav.link_target or "") == target.id,),
                parent.id,
                getattr(link, nav.link_parent or ""),
                True,
            )
        self.hops[key] = hop
        return target

    def _joins(
        self, keys: frozenset[tuple[str, ...]], *, uncorrelated: tuple[str, ...] = ()
    ) -> tuple[list[Any], list[Any]]:
        """The aliases of `keys` and the conditions joining them, each to the entity it leaves
        (but `uncorrelated`)."""
        froms: list[Any] = []
        joins: list[Any] = []
        for key in sorted(keys, key=lambda k: (len(k), k)):
            hop = self.hops[key]
            froms.extend(hop.froms)
            joins.extend(hop.joins)
            if key != uncorrelated:
                joins.append(hop.child_side == hop.parent_side)
        return froms, joins

    def _condition(self, condition: Any, keys: frozenset[tuple[str, ...]] = frozenset()) -> Typed:
        """A condition over the navigations `keys`, closed, and open for an enclosing `and`."""
        parts = ((condition, keys),)
        return Typed(self._close(parts), "bool", parts=parts)

    def _parts(self, typed: Typed) -> tuple[tuple[Any, frozenset[tuple[str, ...]]], ...]:
        return typed.parts or ((typed.expr, frozenset()),)

    def _close(self, parts: tuple[tuple[Any, frozenset[tuple[str, ...]]], ...]) -> Any:
        """`and`-ed parts, those through navigations grouped by the navigations they share: in
        one group a path names one related entity, as in FROST-Server (ADR 0017)."""
        plain = [condition for condition, keys in parts if not keys]
        groups: list[tuple[set[tuple[str, ...]], list[Any]]] = []
        for condition, keys in parts:
            if not keys:
                continue
            merged: tuple[set[tuple[str, ...]], list[Any]] = (set(keys), [condition])
            for group in [g for g in groups if g[0] & {key[:1] for key in keys}]:
                groups.remove(group)
                merged[0].update(group[0])
                merged[1][:0] = group[1]
            groups.append(merged)
        closed = plain + [self._related(and_(*c), frozenset(k)) for k, c in groups]
        return closed[0] if len(closed) == 1 else and_(*closed)

    def _related(self, condition: Any, keys: frozenset[tuple[str, ...]]) -> Any:
        """True when some combination of the related entities along `keys` satisfies it."""
        first = [key for key in keys if len(key) == 1]
        if len(first) > 1:
            froms, joins = self._joins(keys)
            return exists(select(literal(1)).select_from(*froms).where(*joins, condition))
        # One way out of the root: `root.col IN (SELECT …)`, which SQLite evaluates once for all
        # rows where a correlated EXISTS runs once per row. The NULL checks keep `not` meaning
        # "no related entity satisfies it", as NOT EXISTS would.
        hop = self.hops[first[0]]
        froms, joins = self._joins(keys, uncorrelated=first[0])
        related = (
            select(hop.child_side)
            .select_from(*froms)
            .where(*joins, hop.child_side.is_not(None), condition)
        )
        return and_(hop.parent_side.is_not(None), hop.parent_side.in_(related))

    # -- operators --------------------------------------------------------------

    def _numeric(self, typed: Typed) -> Any:
        if typed.kind == "json":
            return typed.expr.as_float()
        return typed.expr

    def _coerce_pair(self, left: Typed, right: Typed) -> tuple[Any, Any, str]:
        kinds = {left.kind, right.kind}
        if left.kind == "json" or right.kind == "json":
            other = right if left.kind == "json" else left
            element = left if left.kind == "json" else right
            if other.kind in ("number", "result"):
                value = element.expr.as_float()
            elif other.kind == "bool":
                value = element.expr.as_boolean()
            elif other.kind == "json":
                value = element.expr.as_string()
                other_value = other.expr.as_string()
                return (value, other_value, "string")
            else:
                value = element.expr.as_string()
            if left.kind == "json":
                return value, other.expr, other.kind
            return other.expr, value, other.kind
        if left.kind == "result" or right.kind == "result":
            result = left if left.kind == "result" else right
            other = right if left.kind == "result" else left
            if other.kind == "string":
                column = result.source.result_json
                encoded = literal(json.dumps(_literal_value(other.expr)))
                return (
                    (column, encoded, "string")
                    if left.kind == "result"
                    else (encoded, column, "string")
                )
            return left.expr, right.expr, "number"
        if kinds == {"time", "datetime"}:
            if left.kind == "datetime":
                return left.expr, self._ms_to_datetime(right.expr), "datetime"
            return self._ms_to_datetime(left.expr), right.expr, "datetime"
        if len(kinds) == 1 or kinds == {"number"}:
            return left.expr, right.expr, left.kind
        raise StaError(f"cannot compare {left.kind} with {right.kind}", code="sta_type_mismatch")

    def _ms_to_datetime(self, expr: Any) -> Any:
        value = _literal_value(expr)
        if isinstance(value, int):
            return literal(datetime.fromtimestamp(value / 1000, tz=UTC))
        raise StaError("compare times with time literals", code="sta_type_mismatch")

    def binary(self, entity: EntityType, node: Binary) -> Typed:
        """Comparison, logical and arithmetic operators."""
        left = self.compile(entity, node.left)
        right = self.compile(entity, node.right)
        keys = _keys(left, right)
        if node.op in ("and", "or"):
            if left.kind != "bool" or right.kind != "bool":
                raise StaError(
                    f"'{node.op}' needs conditions on both sides", code="sta_invalid_filter"
                )
            if node.op == "or":
                return self._condition(or_(left.expr, right.expr))
            parts = (*self._parts(left), *self._parts(right))
            return Typed(self._close(parts), "bool", parts=parts)
        if node.op in ("eq", "ne", "gt", "ge", "lt", "le"):
            if left.kind == "null" or right.kind == "null":
                other = right if left.kind == "null" else left
                if other.kind == "null":
                    result = true() if node.op == "eq" else false()
                elif other.kind == "geoliteral":
                    raise StaError(
                        "compare geometries with geo functions", code="sta_type_mismatch"
                    )
                elif node.op in ("eq", "ne"):
                    # A JSON member as JSON text is 'null' when missing; as SQL text it is NULL.
                    value = other.expr.as_string() if other.kind == "json" else other.expr
                    result = value.is_(None) if node.op == "eq" else value.is_not(None)
                else:
                    raise StaError("only eq and ne compare with null", code="sta_invalid_filter")
                return self._condition(result, keys)
            if "geo" in (left.kind, right.kind) or "geoliteral" in (left.kind, right.kind):
                raise StaError("compare geometries with geo functions", code="sta_type_mismatch")
            if "jsontext" in (left.kind, right.kind):
                raise StaError("this property cannot be compared", code="sta_unsupported")
            a, b, _kind = self._coerce_pair(left, right)
            operations = {
                "eq": lambda x, y: x == y,
                "ne": lambda x, y: x != y,
                "gt": lambda x, y: x > y,
                "ge": lambda x, y: x >= y,
                "lt": lambda x, y: x < y,
                "le": lambda x, y: x <= y,
            }
            return self._condition(operations[node.op](a, b), keys)
        # arithmetic
        if left.kind not in ("number", "result", "json") or right.kind not in (
            "number",
            "result",
            "json",
        ):
            raise StaError(f"'{node.op}' needs numbers", code="sta_type_mismatch")
        a, b = self._numeric(left), self._numeric(right)
        if node.op == "add":
            expr = a + b
        elif node.op == "sub":
            expr = a - b
        elif node.op == "mul":
            expr = a * b
        elif node.op == "div":
            expr = cast(a, Float) / func.nullif(cast(b, Float), 0)
        else:
            if self.dialect == "postgresql":
                expr = func.mod(cast(a, Integer), func.nullif(cast(b, Integer), 0))
            else:
                expr = cast(a, Integer) % func.nullif(cast(b, Integer), 0)
        return Typed(expr, "number", keys=keys)

    # -- functions --------------------------------------------------------------

    def _args(self, entity: EntityType, node: Call, count: tuple[int, ...]) -> list[Typed]:
        if len(node.args) not in count:
            raise StaError(
                f"{node.name} takes {' or '.join(map(str, count))} argument(s)",
                code="sta_invalid_function",
            )
        return [self.compile(entity, arg) for arg in node.args]

    def _string(self, typed: Typed) -> Any:
        if typed.kind == "json":
            return typed.expr.as_string()
        if typed.kind != "string":
            raise StaError("this function needs text", code="sta_type_mismatch")
        return typed.expr

    def _time_part(self, typed: Typed, part: str) -> Any:
        formats = {
            "year": "%Y",
            "month": "%m",
            "day": "%d",
            "hour": "%H",
            "minute": "%M",
            "second": "%S",
        }
        if typed.kind == "time":
            if self.dialect == "postgresql":
                stamp = func.timezone("UTC", func.to_timestamp(typed.expr / 1000.0))
                return cast(func.extract(part, stamp), Integer)
            return cast(func.strftime(formats[part], typed.expr / 1000, "unixepoch"), Integer)
        if typed.kind == "datetime":
            if self.dialect == "postgresql":
                return cast(func.extract(part, func.timezone("UTC", typed.expr)), Integer)
            return cast(func.strftime(formats[part], typed.expr), Integer)
        raise StaError("this function needs a time", code="sta_type_mismatch")

    def _sqrt(self, expr: Any) -> Any:
        return func.sqrt(expr) if self.dialect == "postgresql" else func.sc_sqrt(expr)

    def _point_columns(self, typed: Typed) -> tuple[Any, Any]:
        if typed.kind != "geo" or typed.entity is None:
            raise StaError(
                "the geometry argument must be a location or feature", code="sta_type_mismatch"
            )
        if typed.entity.plural == "Locations":
            return typed.source.longitude, typed.source.latitude
        column = getattr(typed.source, typed.entity.props[typed.prop or "feature"].attr)
        return column[("coordinates", 0)].as_float(), column[("coordinates", 1)].as_float()

    def _geometry_pair(self, entity: EntityType, node: Call) -> tuple[Typed, str, bool]:
        """A stored geometry and a WKT literal, in either order; True when the literal is first."""
        a, b = self._args(entity, node, (2,))
        if b.kind == "geoliteral" and a.kind != "geoliteral":
            self._point_columns(a)
            return a, b.expr, False
        if a.kind == "geoliteral" and b.kind != "geoliteral":
            self._point_columns(b)
            return b, a.expr, True
        raise StaError(
            f"{node.name} compares a location or feature with a geography'…' literal",
            code="sta_invalid_geometry",
        )

    def _point_in(self, typed: Typed, wkt: str) -> Any:
        """Whether the stored point lies in (or, for a point literal, on) the literal's shape."""
        px, py = self._point_columns(typed)
        if wkt.strip().upper().startswith("POINT"):
            x, y = _wkt_point(wkt)
            return and_(px == x, py == y)
        ring = _wkt_polygon(wkt)
        if self.dialect == "postgresql":
            polygon = "(" + ",".join(f"({x!r},{y!r})" for x, y in ring) + ")"
            return func.point(px, py).op("<@")(cast(literal(polygon), _Polygon()))
        return func.sc_in_polygon(px, py, json.dumps(ring)) == 1

    def _is_point(self, typed: Typed) -> Any:
        px, py = self._point_columns(typed)
        return and_(px.is_not(None), py.is_not(None))

    def call(self, entity: EntityType, node: Call) -> Typed:
        """String, date, math and geometry functions."""
        name = node.name
        if name in ("substringof", "contains", "startswith", "endswith"):
            a, b = self._args(entity, node, (2,))
            first, second = self._string(a), self._string(b)
            if name == "substringof":
                return self._condition(second.contains(first), _keys(a, b))
            method = {"contains": "contains", "startswith": "startswith", "endswith": "endswith"}[
                name
            ]
            return self._condition(getattr(first, method)(second), _keys(a, b))
        if name in ("length", "tolower", "toupper", "trim"):
            (a,) = self._args(entity, node, (1,))
            text = self._string(a)
            sql = {
                "length": func.length,
                "tolower": func.lower,
                "toupper": func.upper,
                "trim": func.trim,
            }[name](text)
            return Typed(sql, "number" if name == "length" else "string", keys=a.keys)
        if name == "indexof":
            a, b = self._args(entity, node, (2,))
            position = (
                func.strpos(self._string(a), self._string(b))
                if self.dialect == "postgresql"
                else func.instr(self._string(a), self._string(b))
            )
            return Typed(position - 1, "number", keys=_keys(a, b))
        if name == "substring":
            args = self._args(entity, node, (2, 3))
            text = self._string(args[0])
            if any(arg.kind != "number" for arg in args[1:]):
                raise StaError("substring positions must be numbers", code="sta_type_mismatch")
            start = cast(args[1].expr, Integer) + 1
            if len(args) == 3:
                part = func.substr(text, start, cast(args[2].expr, Integer))
                return Typed(part, "string", keys=_keys(*args))
            return Typed(func.substr(text, start), "string", keys=_keys(*args))
        if name == "concat":
            a, b = self._args(entity, node, (2,))
            return Typed(self._string(a).concat(self._string(b)), "string", keys=_keys(a, b))
        if name in ("year", "month", "day", "hour", "minute", "second"):
            (a,) = self._args(entity, node, (1,))
            return Typed(self._time_part(a, name), "number", keys=a.keys)
        if name == "fractionalseconds":
            (a,) = self._args(entity, node, (1,))
            if a.kind != "time":
                raise StaError("fractionalseconds needs a time", code="sta_type_mismatch")
            return Typed(cast(a.expr % 1000, Float) / 1000.0, "number", keys=a.keys)
        if name == "totaloffsetminutes":
            self._args(entity, node, (1,))
            return Typed(literal(0), "number")
        if name == "date":
            (a,) = self._args(entity, node, (1,))
            if a.kind != "time":
                raise StaError("date needs a time", code="sta_type_mismatch")
            return Typed((a.expr / 86_400_000) * 86_400_000, "time", keys=a.keys)
        if name == "time":
            (a,) = self._args(entity, node, (1,))
            if a.kind != "time":
                raise StaError("time needs a time", code="sta_type_mismatch")
            return Typed(a.expr % 86_400_000, "number", keys=a.keys)
        if name == "now":
            self._args(entity, node, (0,))
            return Typed(literal(int(utcnow().timestamp() * 1000)), "time")
        if name in ("mindatetime", "maxdatetime"):
            (a,) = self._args(entity, node, (1,))
            if a.kind != "time":
                raise StaError(f"{name} needs a time", code="sta_type_mismatch")
            source = a.source
            if a.entity is not None and a.entity.plural == "Datastreams":
                bound = source.first_ms if name == "mindatetime" else source.last_ms
                return Typed(bound, "time", keys=a.keys)
            if a.entity is not None and a.prop == "phenomenonTime" and name == "maxdatetime":
                end = func.coalesce(source.phenomenon_end_ms, source.phenomenon_ms)
                return Typed(end, "time", keys=a.keys)
            return Typed(a.expr, "time", keys=a.keys)
        if name in ("round", "floor", "ceiling"):
            (a,) = self._args(entity, node, (1,))
            if a.kind not in ("number", "result", "json"):
                raise StaError(f"{name} needs a number", code="sta_type_mismatch")
            value = self._numeric(a)
            if name == "round":
                return Typed(func.round(value), "number", keys=a.keys)
            if self.dialect == "postgresql":
                rounded: Any = func.floor(value) if name == "floor" else func.ceil(value)
                return Typed(rounded, "number", keys=a.keys)
            whole = cast(value, Integer)
            if name == "floor":
                clipped = case((value < whole, whole - 1), else_=whole)
            else:
                clipped = case((value > whole, whole + 1), else_=whole)
            return Typed(clipped, "number", keys=a.keys)
        if name == "geo.distance":
            stored, wkt, _ = self._geometry_pair(entity, node)
            x, y = _wkt_point(wkt)
            px, py = self._point_columns(stored)
            distance = self._sqrt((px - x) * (px - x) + (py - y) * (py - y))
            return Typed(distance, "number", keys=stored.keys)
        if name == "geo.length":
            (a,) = self._args(entity, node, (1,))
            # Stored geometries are points (others keep no coordinates): a point's length is 0.
            return Typed(case((self._is_point(a), 0.0)), "number", keys=a.keys)
        if name in ("st_within", "st_intersects", "geo.intersects", "st_contains"):
            stored, wkt, literal_first = self._geometry_pair(entity, node)
            point_literal = wkt.strip().upper().startswith("POINT")
            # A point contains nothing but itself, and lies within nothing smaller than itself.
            if name == "st_within" and literal_first and not point_literal:
                return self._condition(and_(self._is_point(stored), false()), stored.keys)
            if name == "st_contains" and not literal_first and not point_literal:
                return self._condition(and_(self._is_point(stored), false()), stored.keys)
            return self._condition(self._point_in(stored, wkt), stored.keys)
        if name in (
            "st_equals",
            "st_disjoint",
            "st_touches",
            "st_overlaps",
            "st_crosses",
            "st_relate",
        ):
            raise StaError(f"{name} is not supported on this server", code="sta_unsupported")
        raise StaError(f"unknown function {name!r}", code="sta_unknown_function")


def _literal_value(expr: Any) -> Any:
    return getattr(expr, "value", None)
