"""The benches' store of sentence embeddings: a platform database kept in var/bench/.

Embedding the FAQ takes minutes on this machine, so the benches keep the vectors where the
platform keeps them (the `search_vectors` table of a SQLite database) and embed only what is
missing; a later run reads them back, as a platform starting cold does.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
STORE = ROOT / "var" / "bench"

from smartcity.app import build_platform  # noqa: E402
from smartcity.core.keys import KeyRing  # noqa: E402
from smartcity.core.migrate import upgrade  # noqa: E402
from smartcity.core.platform import Platform  # noqa: E402
from smartcity.core.settings import Settings  # noqa: E402


def bench_platform(name: str = "search") -> Platform:
    """A migrated platform on var/bench/<name>.db (made on first use)."""
    STORE.mkdir(parents=True, exist_ok=True)
    settings = Settings(  # type: ignore[call-arg]
        database_url=f"sqlite:///{STORE / name}.db",
        data_dir=STORE / "data",
        environment="test",
        log_requests=False,
    )
    platform = build_platform(settings, keys=KeyRing.ephemeral())
    upgrade(platform.db.engine, platform.modules)
    return platform
