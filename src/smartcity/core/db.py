"""The database: one engine per app, chosen by URL scheme.

SQLite (the embedded default) gets WAL, foreign keys, a busy timeout and
`BEGIN IMMEDIATE` for write transactions, so two writers queue instead of
failing half-way. PostgreSQL is reached through psycopg 3.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Engine, Executable, MetaData, create_engine, event
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
        raise ValueError(f"execute_together needs values for {missing}")
    return compiled


def _bound(
    dialect: Dialect, statement: ClauseElement, row: Mapping[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The statement's SQL and its parameters as the driver takes them."""
    compiled = _compiled_for(dialect, statement, row)
    bound: dict[str, Any] = dict(compiled.construct_params(dict(row)) or {})
    # The types' own conversions (e.g. UTC-aware datetimes), as SQLAlchemy's execute applies.
    for name, process in compiled._bind_processors.items():
        if name in bound and callable(process):
            bound[name] = process(bound[name])
    return compiled.string, bound


def execute_together(connection: Connection, steps: Sequence[Step]) -> list[list[Any]]:
    """Run Core statements in order in `connection`'s transaction; each one's rows ([] if none).

    On PostgreSQL they travel as one message — psycopg's client-side binding allows several
    statements in one query — so a transaction's writes cost one round trip, not one each
    (each blocking round trip is a thread switch; docs/payments.md, "How a payment is
    posted"). Elsewhere they run one by one. Rows have the columns as attributes.
    """
    rows_of = [[params] if isinstance(params, Mapping) else list(params) for _, params in steps]
    results: list[list[Any]] = [[] for _ in steps]
    if connection.dialect.name != "postgresql":
        for index, ((statement, params), rows) in enumerate(zip(steps, rows_of, strict=True)):
            for row in rows:
                _compiled_for(connection.dialect, statement, row)
            result = connection.execute(cast(Executable, statement), params)
            if result.returns_rows:
                results[index] = list(result)
        return results
    # Imported here: an embedded (SQLite) platform never loads the PostgreSQL driver.
    import psycopg
    from psycopg.rows import namedtuple_row

    raw = cast(psycopg.Connection[Any], connection.connection.driver_connection)
    cursor = psycopg.ClientCursor(raw, row_factory=namedtuple_row)
    parts: list[str] = []
    owners: list[int] = []  # the step each part of the query comes from
    query = ""
    try:
        for index, (statement, _params) in enumerate(steps):
            for row in rows_of[index]:
                # Bound one statement at a time: psycopg caches how it splits a statement's
                # SQL only for short ones, and the joined query is never short.
                parts.append(cursor.mogrify(*_bound(connection.dialect, statement, row)))
                owners.append(index)
        query = ";\n".join(parts)
        cursor.execute(query)
        for owner in owners:
            if cursor.description:
                results[owner].extend(cursor.fetchall())
            cursor.nextset()
    except psycopg.Error as error:
        # As SQLAlchemy would raise it, so callers catch IntegrityError and the like.
        raise DBAPIError.instance(
            query, None, error, psycopg.Error, dialect=connection.dialect
        ) from error
    finally:
        cursor.close()
    return results
