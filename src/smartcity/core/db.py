"""The database: one engine per app, chosen by URL scheme.

SQLite (the embedded default) gets WAL, foreign keys, a busy timeout and
`BEGIN IMMEDIATE` for write transactions, so two writers queue instead of
failing half-way. PostgreSQL is reached through psycopg 3.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Delete,
    Engine,
    Executable,
    MetaData,
    Update,
    create_engine,
    event,
)
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

# Stable constraint names, so migrations can drop and alter them on every engine.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PING_AFTER_IDLE_SECONDS = 5.0
"""A pooled server connection idle this long is pinged before use; a busy one is not."""

WRITE_OPTION = "smartcity_write"
"""Execution option that marks a connection as a writer (SQLite: BEGIN IMMEDIATE)."""


class Base(DeclarativeBase):
    """Declarative base shared by every module's tables (each prefixed by its module)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and route them through psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def create_db_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for `url`, configured for its backend."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size * 2)
    # An INSERT of many rows is sent as multi-row VALUES statements, not through psycopg's
    # executemany: that runs in pipeline mode, whose wait for results loops with the GIL held
    # (a third of the payment posting's Python time with 8 threads; docs/benchmarks.md).
    engine.dialect.use_insertmanyvalues_wo_returning = True
    _ping_idle_connections(engine)
    return engine


def _ping_idle_connections(engine: Engine) -> None:
    """Ping a pooled connection on checkout only if it sat idle (a restarted or
    firewalled server drops those), instead of SQLAlchemy's ping on every checkout: under
    load that is one extra round trip per transaction. A connection that dies while busy
    fails its statement, and SQLAlchemy then discards the pool's older connections."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if not dialect.is_disconnect(error, dbapi_connection, None):
                raise
            alive = False
        if not alive:
            # The pool discards this connection and checks out (or opens) another.
            raise DisconnectionError("pooled connection was closed by the server")


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        # The driver's own transaction handling is switched off so that we can
        # choose BEGIN or BEGIN IMMEDIATE ourselves (SQLAlchemy's documented recipe).
        connect_args={"check_same_thread": False, "timeout": 30, "isolation_level": None},
        poolclass=NullPool if not database or database == ":memory:" else None,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A writer takes the write lock up front: a deferred transaction that
        # reads first and writes later can fail with SQLITE_BUSY mid-way.
        if connection.get_execution_options().get(WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")

    return engine


class Database:
    """The engine and the two kinds of session a request or command can open."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = create_db_engine(self.url)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(
            self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    def read_session(self) -> Session:
        """A session for reading; it is never committed."""
        return self._reader()

    def write_session(self) -> Session:
        """A session for one write transaction (use through a UnitOfWork)."""
        return self._writer()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


Step = tuple[ClauseElement, Mapping[str, Any] | Sequence[Mapping[str, Any]]]
"""A Core statement and its parameters (a list of them: the statement once per row)."""

_PLACEHOLDER = re.compile(r"%%|%\(([^)]+)\)s")
"""SQLAlchemy's psycopg placeholders (`%(name)s`, and `%%` for a literal percent)."""


@lru_cache(maxsize=256)
def _rendered(dialect: Dialect, statement: ClauseElement, keys: tuple[str, ...]) -> SQLCompiler:
    # Keyed by the statement object: hot paths pass statements built once at import.
    return cast(SQLCompiler, statement.compile(dialect=dialect, column_keys=list(keys)))


def _compiled_for(
    dialect: Dialect, statement: ClauseElement, row: Mapping[str, Any]
) -> SQLCompiler:
    compiled = _rendered(dialect, statement, tuple(sorted(row)))
    if compiled.insert_prefetch:
        # Python-side column defaults run only in SQLAlchemy's own execute (not on the
        # PostgreSQL path below): the caller supplies them, whatever the database.
        missing = ", ".join(column.key for column in compiled.insert_prefetch)
        raise ValueError(f"statements sent by core.db need values for {missing}")
    return compiled


AS_ONE_PARAMETERS = 1000
"""Above this many values, `execute_as_one` runs its steps one by one: a statement of
thousands of clauses costs more to plan than it saves, and PostgreSQL takes at most 65,535
parameters in one statement."""

_Shape = tuple[tuple[ClauseElement, tuple[str, ...]], ...]
"""Statements with the parameter keys of each one's row, in order: what one statement or
message is made of."""


# Large enough for the audit sequencer's batch shapes (entries × nodes).
@lru_cache(maxsize=2048)
def _numbered(dialect: Dialect, shape: _Shape) -> tuple[str, tuple[_Plan, ...]]:
    """The statements of `shape` as one PostgreSQL statement with numbered parameters ($1…),
    and for each one where its parameters come from, in number order.

    One statement stays itself; several become data-modifying WITH clauses before the last
    (PostgreSQL runs each exactly once, whether or not it is read). Numbered parameters go
    to the server as they are: psycopg neither parses the text nor rewrites it.
    """
    parts: list[_Plan] = []
    texts: list[str] = []
    first = 1
    for statement, keys in shape:
        compiled = _rendered(dialect, statement, keys)
        if compiled.insert_prefetch:
            # Python-side column defaults run only in SQLAlchemy's own execute: the caller
            # supplies them, whatever the database.
            missing = ", ".join(column.key for column in compiled.insert_prefetch)
            raise ValueError(f"statements sent by core.db need values for {missing}")
        names: list[str] = []

        def number(match: re.Match[str], names: list[str] = names, first: int = first) -> str:
            name = match.group(1)
            if name is None:
                return "%"
            if name not in names:
                names.append(name)
            return f"${first + names.index(name)}"

        texts.append(_PLACEHOLDER.sub(number, compiled.string))
        parts.append(_plan(compiled, names))
        first += len(names)
    if len(texts) == 1:
        return texts[0], tuple(parts)
    clauses = ", ".join(f"step{index} AS ({text})" for index, text in enumerate(texts[:-1]))
    return f"WITH {clauses}\n{texts[-1]}", tuple(parts)


_Plan = tuple[tuple[str, Any, Any], ...] | tuple[SQLCompiler, tuple[str, ...]]
"""Per parameter (the row's key, else a constant; the type's conversion), or, for a statement
with computed or expanding parameters, its compiled form and parameter names."""

_REQUIRED = object()


def _plan(compiled: SQLCompiler, names: list[str]) -> _Plan:
    found = [compiled.binds.get(name) for name in names]
    binds = [bind for bind in found if bind is not None and not (bind.callable or bind.expanding)]
    if compiled.escaped_bind_names or len(binds) != len(names):
        return compiled, tuple(names)
    processors = compiled._bind_processors
    return tuple(
        (
            bind.key,
            _REQUIRED if bind.required else bind.value,
            processors.get(name) if callable(processors.get(name)) else None,
        )
        for name, bind in zip(names, binds, strict=True)
    )


def _values(plan: _Plan, params: Mapping[str, Any]) -> list[Any]:
    """Parameters in number order, converted by their types as SQLAlchemy would.

    Read straight from the row by plan: SQLAlchemy's `construct_params` costs more Python
    than the rest of a statement's execution on this path."""
    if plan and isinstance(plan[0], SQLCompiler):
        compiled, names = plan
        bound = compiled.construct_params(dict(params)) or {}
        processors = compiled._bind_processors
        return [
            process(bound[name]) if callable(process := processors.get(name)) else bound[name]
            for name in names
        ]
    values = []
    for key, constant, process in plan:
        value = params.get(key, constant)
        if value is _REQUIRED:
            raise ValueError(f"a value is required for the parameter {key!r}")
        values.append(process(value) if process is not None else value)
    return values


def _rows(steps: Sequence[Step]) -> list[list[Mapping[str, Any]]]:
    return [[params] if isinstance(params, Mapping) else list(params) for _, params in steps]


def _one_by_one(connection: Connection, steps: Sequence[Step]) -> list[list[Any]]:
    """The steps through SQLAlchemy, in order (SQLite: no round trips to save)."""
    results: list[list[Any]] = [[] for _ in steps]
    for index, ((statement, params), rows) in enumerate(zip(steps, _rows(steps), strict=True)):
        for row in rows:
            _compiled_for(connection.dialect, statement, row)
        result = connection.execute(cast(Executable, statement), params)
        if result.returns_rows:
            results[index] = list(result)
    return results


def execute_together(connection: Connection, steps: Sequence[Step]) -> list[list[Any]]:
    """Run Core statements in order in `connection`'s transaction; each one's rows ([] if none).

    On PostgreSQL each goes as it is to psycopg, which prepares it once a connection has run
    it five times (its `prepare_threshold`): the server then plans it no more (ADR 10). Rows
    have the columns as attributes.
    """
    if connection.dialect.name != "postgresql":
        return _one_by_one(connection, steps)
    import psycopg  # here: an embedded (SQLite) platform never loads the PostgreSQL driver
    from psycopg.rows import namedtuple_row

    raw = cast(psycopg.Connection[Any], connection.connection.driver_connection)
    results: list[list[Any]] = [[] for _ in steps]
    text = ""
    try:
        with psycopg.RawCursor(raw, row_factory=namedtuple_row) as cursor:
            for index, ((statement, _params), rows) in enumerate(
                zip(steps, _rows(steps), strict=True)
            ):
                for row in rows:
                    text, (plan,) = _numbered(
                        connection.dialect, ((statement, tuple(sorted(row))),)
                    )
                    cursor.execute(text, _values(plan, row))
                    if cursor.description:
                        results[index] += cursor.fetchall()
    except psycopg.Error as error:
        raise _as_sqlalchemy(connection, text, error) from error
    return results


def execute_as_one(connection: Connection, steps: Sequence[Step]) -> None:
    """Run Core statements (writes whose results nobody reads) in `connection`'s transaction.

    On PostgreSQL they are one statement — each a data-modifying WITH clause of the last,
    prepared as `execute_together`'s — so a transaction's writes cost one round trip and one
    execution (ADR 10). They
    see the database as it was before the statement, so an update or delete after a step
    that writes its table is refused (ValueError, on every database); foreign keys are
    checked when the statement ends, so a parent's row may come in an earlier step than its
    children's. Elsewhere, and for more than `AS_ONE_PARAMETERS` values (a bulk load), they
    run one by one through SQLAlchemy, which sends a many-row insert in batches.
    """
    written: set[Any] = set()
    for statement, _params in steps:
        table = getattr(statement, "table", None)
        if isinstance(statement, (Update, Delete)) and table in written:
            # On PostgreSQL it would not see the rows the earlier step writes.
            raise ValueError(f"a step changes {table} after another step wrote to it")
        written.add(table)
    rows = _rows(steps)
    if (
        connection.dialect.name != "postgresql"
        or sum(len(row) for statement_rows in rows for row in statement_rows) > AS_ONE_PARAMETERS
    ):
        _one_by_one(connection, steps)
        return
    import psycopg

    raw = cast(psycopg.Connection[Any], connection.connection.driver_connection)
    shape: list[tuple[ClauseElement, tuple[str, ...]]] = []
    params: list[Mapping[str, Any]] = []
    for (statement, _params), statement_rows in zip(steps, rows, strict=True):
        # Each row its own clause: a multi-row form would cost more Python per value.
        shape += ((statement, tuple(sorted(row))) for row in statement_rows)
        params += statement_rows
    if not shape:
        return
    text, parts = _numbered(connection.dialect, tuple(shape))
    values: list[Any] = []
    for plan, part_params in zip(parts, params, strict=True):
        values += _values(plan, part_params)
    try:
        with psycopg.RawCursor(raw) as cursor:
            cursor.execute(text, values)
    except psycopg.Error as error:
        raise _as_sqlalchemy(connection, text, error) from error


def _as_sqlalchemy(connection: Connection, text: str, error: Exception) -> Exception:
    """A driver error as SQLAlchemy raises it, so callers catch IntegrityError and the like."""
    import psycopg

    return cast(
        Exception,
        DBAPIError.instance(text, None, error, psycopg.Error, dialect=connection.dialect),
    )
