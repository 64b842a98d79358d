"""participation's manifest: i-Voting issues decided by Belenios elections anyone can verify."""

from __future__ import annotations

from pathlib import Path

from smartcity.core.i18n import N_
from smartcity.core.registry import Dataset, Manifest, lazy
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
    datasets=(
        Dataset(
            name="ivoting-issues",
            title="i-Voting 議題與投票結果",
            title_en="i-Voting issues and results",
            description="i-Voting 議題的階段、附議數、投票數與開票結果,不含提案人與選票。",
            description_en="i-Voting issues: stage, seconds, ballots cast and tallied results; "
            "no proposer and no ballot.",
            department="DCA",
            records="smartcity.modules.participation.service:open_votes",
            tags=("i-voting", "participation", "results"),
            groups=("participation",),
            frequency="irregular",
            time_column="created_at",
        ),
    ),
)
