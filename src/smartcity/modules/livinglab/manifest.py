"""livinglab's manifest: the proof-of-concept pipeline, the city as a living lab."""

from __future__ import annotations

from pathlib import Path

from smartcity.core.auth import Principal, Role
from smartcity.core.i18n import N_
from smartcity.core.registry import Manifest, PortalCard, Schedule, lazy
from smartcity.modules.livinglab import rules
from smartcity.modules.livinglab.settings import LivinglabSettings

HERE = Path(__file__).parent


def _citizen_cards(principal: Principal) -> list[PortalCard]:
    return [
        PortalCard(
            "城市實驗室 Living lab",
            "試用市府實證計畫並給回饋 Try city pilots and give feedback",
            "/livinglab",
            "🧪",
        )
    ]


def _staff_cards(principal: Principal) -> list[PortalCard]:
    cards = [
        PortalCard(
            "實證計畫管理 Pilots",
            "徵案、提案媒合、狀態與成效 Challenges, matching, states and KPIs",
            "/staff/livinglab",
            "🧪",
        ),
        PortalCard(
            "實證儀表板 Pilot dashboard",
            "公開的實證成果與開放資料 Public results and open data",
            "/livinglab",
            "📊",
        ),
    ]
    if principal.role == Role.ADMIN:
        cards.append(
            PortalCard(
                "法規調適清單 Barriers register",
                "實證中發現的法規障礙 Legal barriers found in pilots",
                "/livinglab/barriers",
                "⚖️",
            )
        )
    return cards


manifest = Manifest(
    name="livinglab",
    title="城市實驗室 Living lab",
    depends_on=("identity", "sensors", "alerts", "search"),
    api=lazy("smartcity.modules.livinglab.api:build_router"),
    pages=lazy("smartcity.modules.livinglab.pages:build_router"),
    cli=lazy("smartcity.modules.livinglab.cli:build_cli"),
    migrations=HERE / "migrations" / "versions",
    templates=HERE / "templates",
    rules=rules.ALL_RULES,
    seed=lazy("smartcity.modules.livinglab.seed:seed"),
    citizen_cards=_citizen_cards,
    staff_cards=_staff_cards,
    settings=LivinglabSettings,
    nav=((N_("Living lab"), "/livinglab"),),
    tasks={"livinglab.snapshot_kpis": "smartcity.modules.livinglab.jobs:snapshot_live_kpis"},
    # Before the city's midnight: the day's value, in the history the dashboard charts.
    schedules=(Schedule("livinglab.snapshot_kpis", "55 23 * * *", "livinglab.snapshot_kpis"),),
)
