"""participation's manifest: i-Voting issues decided by Belenios elections anyone can verify."""

from __future__ import annotations

from pathlib import Path

from smartcity.core.auth import Principal
from smartcity.core.i18n import N_
from smartcity.core.registry import Dataset, Manifest, PortalCard, lazy
from smartcity.modules.participation import rules
from smartcity.modules.participation.settings import ParticipationSettings

HERE = Path(__file__).parent


def _citizen_cards(principal: Principal) -> list[PortalCard]:
    return [
        PortalCard(
            N_("i-Voting and budgets"),
            N_("Propose, second, vote and check your ballot"),
            "/participation",
            "ballot",
        )
    ]


def _staff_cards(principal: Principal) -> list[PortalCard]:
    return [
        PortalCard(
            N_("i-Voting and budgets"),
            N_("Review proposals and move issues and budgets on"),
            "/staff/participation",
            "ballot",
        )
    ]


manifest = Manifest(
    name="participation",
    title=N_("Participation"),
    locales=HERE / "locales",
    depends_on=("identity",),
    api=lazy("smartcity.modules.participation.api:build_router"),
    pages=lazy("smartcity.modules.participation.pages:build_router"),
    templates=HERE / "templates",
    migrations=HERE / "migrations" / "versions",
    rules=rules.ALL_RULES,
    seed=lazy("smartcity.modules.participation.seed:seed"),
    settings=ParticipationSettings,
    on_startup=lazy("smartcity.modules.participation.service:refuse_unsafe_trustees"),
    citizen_cards=_citizen_cards,
    staff_cards=_staff_cards,
    nav=((N_("Participation"), "/participation"),),
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
