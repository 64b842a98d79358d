"""alerts' manifest: events from pilot devices, routed to the department that answers them."""

from __future__ import annotations

from pathlib import Path

from smartcity.core.auth import Principal
from smartcity.core.i18n import N_
from smartcity.core.registry import Manifest, PortalCard, lazy
from smartcity.modules.alerts import rules
from smartcity.modules.alerts.settings import AlertsSettings

HERE = Path(__file__).parent


def _staff_cards(principal: Principal) -> list[PortalCard]:
    return [
        PortalCard(
            N_("Alerts"),
            N_("Events from pilot devices: acknowledge, confirm or mark false"),
            "/staff/alerts",
            "alarm",
        )
    ]


manifest = Manifest(
    name="alerts",
    title=N_("Alerts"),
    depends_on=("identity",),
    api=lazy("smartcity.modules.alerts.api:build_router"),
    pages=lazy("smartcity.modules.alerts.pages:build_router"),
    cli=lazy("smartcity.modules.alerts.cli:build_cli"),
    migrations=HERE / "migrations" / "versions",
    templates=HERE / "templates",
    rules=rules.ALL_RULES,
    seed=lazy("smartcity.modules.alerts.seed:seed"),
    staff_cards=_staff_cards,
    settings=AlertsSettings,
)
