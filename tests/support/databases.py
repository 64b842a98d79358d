"""Test databases: a migrated database per worker, reset to its just-migrated state per test.

SQLite copies a migrated template file. PostgreSQL keeps one migrated database per
worker and, before each test, truncates every table and puts back the rows the
migrations wrote (cheaper than CREATE DATABASE … TEMPLATE, which costs ~0.3 s).
Either way every test starts from the migrated schema, commits for real and
shares nothing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, MetaData, create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from smartcity.core.db import create_db_engine, normalise_url
from smartcity.core.migrate import upgrade
from smartcity.core.registry import load_manifests


def _admin_url(url: str) -> str:
    return (
        make_url(normalise_url(url)).set(database="postgres").render_as_string(hide_password=False)
    )


class TemplateDatabase:
    """A migrated database that every test starts from."""

    def __init__(self, base_url: str | None, folder: Path, worker: str) -> None:
        self.base_url = base_url
        self.folder = folder
        self.worker = worker
        modules = load_manifests(())
        self.modules = modules
        self.second_engine: Engine | None = None
        if base_url:
            # The pid keeps concurrent test runs on one server out of each other's way.
            self.database_name = f"smartcity_test_{worker}_{os.getpid()}"
            self._recreate(self.database_name)
            self.engine = create_db_engine(self._url_for(self.database_name), pool_size=1)
            upgrade(self.engine, modules)
            self.tables = MetaData()
            self.tables.reflect(self.engine)
            with self.engine.connect() as connection:
                self.baseline = {
                    table.name: [dict(row) for row in connection.execute(table.select()).mappings()]
                    for table in self.tables.sorted_tables
                }
        else:
            self.template_file = folder / "template.db"
            engine = create_db_engine(f"sqlite:///{self.template_file}")
            upgrade(engine, modules)
            engine.dispose()

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return "postgresql" if self.base_url else "sqlite"

    def _url_for(self, name: str) -> str:
        assert self.base_url
        return (
            make_url(normalise_url(self.base_url))
            .set(database=name)
            .render_as_string(hide_password=False)
        )

    def _admin(self):  # type: ignore[no-untyped-def]
        assert self.base_url
        return create_engine(_admin_url(self.base_url), isolation_level="AUTOCOMMIT")

    def _recreate(self, name: str) -> None:
        engine = self._admin()
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()

    def _drop(self, name: str) -> None:
        engine = self._admin()
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    def _reset(self, engine: Engine | None = None) -> None:
        engine = engine or self.engine
        try:
            self._empty_and_reload(engine)
        except OperationalError as error:
            with engine.connect() as connection:
                others = connection.execute(
                    text(
                        "SELECT pid, state, xact_start, left(query, 300) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).all()
            raise RuntimeError(f"a previous test left sessions open: {others}") from error

    def _empty_and_reload(self, engine: Engine) -> None:
        with engine.begin() as connection:
            # A test that leaked an open transaction should fail here, not hang the suite.
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            # Tables a test made (observation partitions of its own months) go: the next test
            # must see the schema the migrations made.
            made = connection.scalars(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            )
            for name in sorted(set(made) - set(self.tables.tables)):
                connection.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
            # DELETE, not TRUNCATE: a test leaves a few rows, and truncating a hundred tables
            # makes and syncs a hundred new files (seconds per test, against milliseconds).
            for table in reversed(self.tables.sorted_tables):
                connection.execute(table.delete())
            connection.execute(
                text(
                    "SELECT setval(s.seqrelid, s.seqstart, false) FROM pg_sequence s"
                    " JOIN pg_class c ON c.oid = s.seqrelid"
                    " WHERE c.relnamespace = current_schema()::regnamespace"
                )
            )
            for table in self.tables.sorted_tables:
                if self.baseline[table.name]:
                    connection.execute(insert(table), self.baseline[table.name])

    @contextmanager
    def fresh(self, folder: Path) -> Iterator[str]:
        """The URL of a database in its just-migrated state."""
        if self.base_url:
            self._reset()
            yield self._url_for(self.database_name)
        else:
            target = folder / "smartcity.db"
            shutil.copyfile(self.template_file, target)
            yield f"sqlite:///{target}"

    @contextmanager
    def second(self, folder: Path) -> Iterator[str]:
        """The URL of another database in its just-migrated state, for a second instance.

        On PostgreSQL it is the worker's second database, migrated once and reset per use.
        """
        if self.base_url:
            name = f"{self.database_name}_second"
            if self.second_engine is None:
                self._recreate(name)
                self.second_engine = create_db_engine(self._url_for(name), pool_size=1)
                upgrade(self.second_engine, self.modules)
            else:
                self._reset(self.second_engine)
            yield self._url_for(name)
        else:
            target = folder / "second.db"
            shutil.copyfile(self.template_file, target)
            yield f"sqlite:///{target}"

    @contextmanager
    def empty(self, folder: Path) -> Iterator[str]:
        """The URL of a database without any table (never migrated, or one that came back empty)."""
        if self.base_url:
            name = f"{self.database_name}_empty"
            self._recreate(name)
            try:
                yield self._url_for(name)
            finally:
                self._drop(name)
        else:
            yield f"sqlite:///{folder / 'empty.db'}"

    def close(self) -> None:
        """Remove the worker's database."""
        if self.base_url:
            self.engine.dispose()
            self._drop(self.database_name)
            if self.second_engine is not None:
                self.second_engine.dispose()
                self._drop(f"{self.database_name}_second")
