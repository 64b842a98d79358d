"""search's manifest: the semantic search service other modules declare and call."""

from __future__ import annotations

from pathlib import Path

from smartcity.core.i18n import N_
from smartcity.core.registry import Manifest, lazy
from smartcity.modules.search.settings import SearchSettings

HERE = Path(__file__).parent

manifest = Manifest(
    name="search",
    title=N_("Semantic search"),
    locales=HERE / "locales",
    migrations=HERE / "migrations" / "versions",
    cli=lazy("smartcity.modules.search.cli:build_cli"),
    settings=SearchSettings,
    on_startup=lazy("smartcity.modules.search.service:report_health"),
    tasks={"search.embed": "smartcity.modules.search.jobs:embed"},
)
