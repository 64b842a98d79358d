"""Test databases: a migrated template per worker, a fresh copy per test.

SQLite copies the template file; PostgreSQL clones a template database
(CREATE DATABASE … TEMPLATE), so every test starts from the migrated schema
with real commits and no shared state.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from smartcity.core.db import create_db_engine, normalise_url
from smartcity.core.migrate import upgrade
from smartcity.core.registry import load_manifests
from smartcity.core.settings import DEFAULT_MODULES


def _admin_url(url: str) -> str:
    return (
        make_url(normalise_url(url)).set(database="postgres").render_as_string(hide_password=False)
    )


class TemplateDatabase:
    """A migrated database that tests clone."""

    def __init__(self, base_url: str | None, folder: Path, worker: str) -> None:
        self.base_url = base_url
        self.folder = folder
        self.worker = worker
        modules = load_manifests(DEFAULT_MODULES)
        if base_url:
            self.template_name = f"smartcity_tpl_{worker}"
            self._recreate(self.template_name)
            engine = create_db_engine(self._url_for(self.template_name))
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

    def _recreate(self, name: str, template: str | None = None) -> None:
        engine = self._admin()
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            suffix = f' TEMPLATE "{template}"' if template else ""
            connection.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
        engine.dispose()

    def _drop(self, name: str) -> None:
        engine = self._admin()
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    @contextmanager
    def fresh(self, folder: Path) -> Iterator[str]:
        """A URL of a new database cloned from the template, removed afterwards."""
        if self.base_url:
            name = f"smartcity_t_{self.worker}_{uuid.uuid4().hex[:8]}"
            self._recreate(name, template=self.template_name)
            try:
                yield self._url_for(name)
            finally:
                self._drop(name)
        else:
            target = folder / "smartcity.db"
            shutil.copyfile(self.template_file, target)
            yield f"sqlite:///{target}"

    def close(self) -> None:
        """Remove the template."""
        if self.base_url:
            self._drop(self.template_name)
