"""Migrations: the kernel's and every enabled module's Alembic revisions, in one history."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from smartcity.core.registry import Manifest

CORE_MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine, modules: Sequence[Manifest]) -> Config:
    """An Alembic configuration over the kernel's and the modules' version folders."""
    config = _scripts_config(_version_locations(modules))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def _version_locations(modules: Sequence[Manifest]) -> str:
    locations = [CORE_MIGRATIONS / "versions"] + [m.migrations for m in modules if m.migrations]
    return " ".join(str(p) for p in locations)


def _scripts_config(version_locations: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(CORE_MIGRATIONS))
    config.set_main_option("version_locations", version_locations)
    config.set_main_option("path_separator", "space")
    return config


def upgrade(engine: Engine, modules: Sequence[Manifest], revision: str = "heads") -> None:
    """Bring the schema up to `revision` (every branch's head by default)."""
    with engine.begin() as connection:
        config = alembic_config(engine, modules)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def pending(engine: Engine, modules: Sequence[Manifest]) -> set[str]:
    """Head revisions not yet applied (empty when the schema is current)."""
    heads = _heads(_version_locations(modules))
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return set(heads) - current


@cache
def _heads(version_locations: str) -> frozenset[str]:
    # Reading the revision files takes ~0.1 s and they change only with the code; the error
    # handler asks on every failing request while a database waits for its migration.
    return frozenset(ScriptDirectory.from_config(_scripts_config(version_locations)).get_heads())
