"""airquality's manifest: data quality, calibration, maps and plumes over sensors' readings."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from smartcity.core.auth import Principal
from smartcity.core.i18n import N_
from smartcity.core.registry import Manifest, PortalCard
from smartcity.modules.airquality import rules
from smartcity.modules.airquality.settings import AirqualitySettings

HERE = Path(__file__).parent


def _api() -> APIRouter:
    from smartcity.modules.airquality.api import build_router

    return build_router()


def _pages() -> APIRouter:
    from smartcity.modules.airquality.pages import build_router

    return build_router()


def _cli():  # type: ignore[no-untyped-def]  # typer is imported only when the CLI runs
    from smartcity.modules.airquality.cli import build_cli

    return build_cli()


def _seed(uow, platform):  # type: ignore[no-untyped-def]
    from smartcity.modules.airquality.seed import seed

    seed(uow, platform)


def _citizen_cards(principal: Principal) -> list[PortalCard]:
    return [
        PortalCard(
            N_("Air quality map"),
            N_("PM2.5 near you, from the Airbox devices at schools"),
            "/airquality",
            "🌫️",
        )
    ]


def _staff_cards(principal: Principal) -> list[PortalCard]:
    return [
        PortalCard(
            N_("Air quality operations"),
            N_("Device malfunction ranking, calibration, plumes and district alerts"),
            "/staff/airquality",
            "🌫️",
        )
    ]


manifest = Manifest(
    name="airquality",
    title="空氣品質 Air quality",
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
    settings=AirqualitySettings,
    nav=((N_("Air quality"), "/airquality"),),
)
