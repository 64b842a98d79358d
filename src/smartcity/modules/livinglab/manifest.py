"""livinglab's manifest: the proof-of-concept pipeline, the city as a living lab."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from smartcity.core.auth import Principal, Role
from smartcity.core.i18n import N_
from smartcity.core.registry import Manifest, PortalCard
from smartcity.modules.livinglab import rules
from smartcity.modules.livinglab.settings import LivinglabSettings

HERE = Path(__file__).parent


def _api() -> APIRouter:
    from smartcity.modules.livinglab.api import build_router

    return build_router()


def _pages() -> APIRouter:
    from smartcity.modules.livinglab.pages import build_router

    return build_router()


def _cli():  # type: ignore[no-untyped-def]  # typer is imported only when the CLI runs
    from smartcity.modules.livinglab.cli import build_cli

    return build_cli()


def _seed(uow, platform):  # type: ignore[no-untyped-def]
    from smartcity.modules.livinglab.seed import seed

    seed(uow, platform)


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
    depends_on=("identity", "sensors"),
    api=_api,
    pages=_pages,
    cli=_cli,
    migrations=HERE / "migrations" / "versions",
    templates=HERE / "templates",
    rules=rules.ALL_RULES,
    seed=_seed,
    citizen_cards=_citizen_cards,
    staff_cards=_staff_cards,
    settings=LivinglabSettings,
    nav=((N_("Living lab"), "/livinglab"),),
)
