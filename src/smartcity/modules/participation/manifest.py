"""participation's manifest: i-Voting issues decided by Belenios elections anyone can verify."""

from __future__ import annotations

from pathlib import Path

from smartcity.core.i18n import N_
from smartcity.core.registry import Manifest, lazy
from smartcity.modules.participation import rules
from smartcity.modules.participation.settings import ParticipationSettings

HERE = Path(__file__).parent

manifest = Manifest(
    name="participation",
    title=N_("Participation"),
    locales=HERE / "locales",
    depends_on=("identity",),
    api=lazy("smartcity.modules.participation.api:build_router"),
    migrations=HERE / "migrations" / "versions",
    rules=rules.ALL_RULES,
    seed=lazy("smartcity.modules.participation.seed:seed"),
    settings=ParticipationSettings,
)
