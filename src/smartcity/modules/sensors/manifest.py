"""sensors' manifest: the city's sensor hub (OGC SensorThings API v1.1 and LASS ingestion)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from smartcity.core.auth import Principal
from smartcity.core.i18n import N_
from smartcity.core.registry import Manifest, PortalCard, Schedule, lazy
from smartcity.modules.sensors import rules
from smartcity.modules.sensors.settings import SensorsSettings

HERE = Path(__file__).parent


def _pages() -> APIRouter:
    # The SensorThings API is mounted here, at /sta/v1.1, next to the staff pages:
    # its paths are fixed by the OGC standard, not under /api/v1/sensors.
    from smartcity.modules.sensors.pages import build_router as page_routes
    from smartcity.modules.sensors.sta.routes import build_router as sta_routes

    router = APIRouter()
    router.include_router(sta_routes(), prefix="/sta/v1.1")
    router.include_router(page_routes())
    return router


def _staff_cards(principal: Principal) -> list[PortalCard]:
    return [
        PortalCard(
            N_("Sensor hub"),
            N_("Devices, latest readings and refused messages"),
            "/staff/sensors",
            "antenna",
        )
    ]


manifest = Manifest(
    name="sensors",
    title=N_("Sensors"),
    depends_on=("identity",),
    api=lazy("smartcity.modules.sensors.api:build_router"),
    pages=_pages,
    cli=lazy("smartcity.modules.sensors.cli:build_cli"),
    migrations=HERE / "migrations" / "versions",
    templates=HERE / "templates",
    rules=rules.ALL_RULES,
    seed=lazy("smartcity.modules.sensors.seed:seed"),
    staff_cards=_staff_cards,
    on_startup=lazy("smartcity.modules.sensors.runtime:install"),
    settings=SensorsSettings,
    tasks={"sensors.keep_demo_alive": "smartcity.modules.sensors.jobs:keep_demo_alive"},
    # Only a demo city's devices (marked by the demo loader) are fed; elsewhere this does nothing.
    schedules=(Schedule("sensors.keep_demo_alive", "*/10 * * * *", "sensors.keep_demo_alive"),),
)
