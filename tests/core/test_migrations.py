"""The Alembic history builds exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib
from collections import defaultdict
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from smartcity.core.db import Base
from smartcity.core.migrate import alembic_config, pending
from smartcity.core.platform import Platform


def test_migrated_schema_matches_the_models(platform: Platform) -> None:
    for kernel in ("smartcity.core.meta", "smartcity.core.audit.models"):
        importlib.import_module(kernel)
    for module in platform.modules:
        importlib.import_module(f"smartcity.modules.{module.name}.models")
    with platform.db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_each_module_history_is_one_line_and_fully_applied(platform: Platform) -> None:
    script = ScriptDirectory.from_config(alembic_config(platform.db.engine, platform.modules))
    revisions: dict[Path, set[str]] = defaultdict(set)
    parents: dict[Path, set[str]] = defaultdict(set)
    for revision in script.walk_revisions():
        folder = Path(revision.path).parent
        revisions[folder].add(revision.revision)
        parents[folder].update(revision._normalized_down_revisions)
    # Two revisions of one module that both follow the same parent would leave two heads.
    for folder, names in revisions.items():
        heads = names - parents[folder]
        assert len(heads) == 1, f"{folder} has heads {sorted(heads)}"
    assert pending(platform.db.engine, platform.modules) == set()
