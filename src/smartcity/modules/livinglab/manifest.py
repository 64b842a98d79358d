"""livinglab's manifest: the proof-of-concept pipeline, the city as a living lab."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from smartcity.core.auth import Principal, Role
from smartcity.core.i18n import N_
from smartcity.core.registry import Dataset, Manifest, PortalCard, Schedule, lazy
from smartcity.modules.livinglab import rules
from smartcity.modules.livinglab.settings import LivinglabSettings

HERE = Path(__file__).parent


def _citizen_cards(principal: Principal) -> list[PortalCard]:
    return [
        PortalCard(
            N_("Living lab"),
            N_("Try city pilots and give feedback"),
            "/livinglab",
            "flask",
        )
    ]


def _staff_cards(principal: Principal) -> list[PortalCard]:
    cards = [
        PortalCard(
            N_("Pilots"),
            N_("Challenges, matching, states and KPIs"),
            "/staff/livinglab",
            "flask",
        ),
        PortalCard(
            N_("Pilot dashboard"),
            N_("Public results and open data"),
            "/livinglab",
            "chart",
        ),
    ]
    if principal.role == Role.ADMIN:
        cards.append(
            PortalCard(
                N_("Barriers register"),
                N_("Legal barriers found in pilots"),
                "/livinglab/barriers",
                "scale",
            )
        )
    return cards


def _pages() -> APIRouter:
    """The public pages and the work pages of officers and vendors, imported when the app is
    built."""
    from smartcity.modules.livinglab import pages, staff_pages, vendor_pages

    router = APIRouter(include_in_schema=False)
    router.include_router(pages.build_router())
    router.include_router(staff_pages.build_router())
    router.include_router(vendor_pages.build_router())
    return router


manifest = Manifest(
    name="livinglab",
    title=N_("Living lab"),
    depends_on=("identity", "sensors", "alerts", "search", "opendata"),
    api=lazy("smartcity.modules.livinglab.api:build_router"),
    pages=_pages,
    cli=lazy("smartcity.modules.livinglab.cli:build_cli"),
    migrations=HERE / "migrations" / "versions",
    templates=HERE / "templates",
    rules=rules.ALL_RULES,
    seed=lazy("smartcity.modules.livinglab.seed:seed"),
    citizen_cards=_citizen_cards,
    staff_cards=_staff_cards,
    settings=LivinglabSettings,
    nav=((N_("Living lab"), "/livinglab"),),
    tasks={
        "livinglab.snapshot_kpis": "smartcity.modules.livinglab.jobs:snapshot_live_kpis",
        "livinglab.import_elsewhere": "smartcity.modules.livinglab.jobs:import_elsewhere",
        "livinglab.embed_missing": "smartcity.modules.livinglab.jobs:embed_missing",
    },
    schedules=(
        # Before the city's midnight: the day's value, in the history the dashboard charts.
        Schedule("livinglab.snapshot_kpis", "55 23 * * *", "livinglab.snapshot_kpis"),
        # Ten minutes after opendata's hourly harvest, which finds the cities to read.
        Schedule("livinglab.import_elsewhere", "27 * * * *", "livinglab.import_elsewhere"),
        # Rows stored before matching read the vectors it reads now get them within the hour.
        Schedule("livinglab.embed_missing", "43 * * * *", "livinglab.embed_missing"),
    ),
    datasets=(
        Dataset(
            name="livinglab-pilots",
            title="生活實驗室試驗計畫",
            title_en="Living-lab pilots",
            description="已公開的概念驗證試驗計畫:領域、階段、主責機關、廠商與成果摘要。",
            description_en="Published proofs of concept: domain, stage, department, vendor and "
            "outcome summary.",
            department="SCPMO",
            records="smartcity.modules.livinglab.service:open_pilots",
            tags=("living-lab", "pilots", "poc"),
            groups=("innovation",),
            frequency="irregular",
            time_column="state_changed_at",
        ),
        Dataset(
            name="livinglab-kpis",
            title="試驗計畫績效指標",
            title_en="Living-lab pilot KPIs",
            description="已公開試驗計畫的績效指標:基準值、目標值與方向。",
            description_en="The KPIs of published pilots: baseline, target and direction.",
            department="SCPMO",
            records="smartcity.modules.livinglab.service:open_kpis",
            tags=("living-lab", "kpi"),
            groups=("innovation",),
            frequency="irregular",
            time_column="created_at",
        ),
    ),
)
