"""parking's manifest: roadside bays sensed over LoRaWAN, free-bay feeds, fees from sensors."""

from __future__ import annotations

from pathlib import Path

from smartcity.core.auth import Principal
from smartcity.core.i18n import N_
from smartcity.core.registry import Dataset, Manifest, PortalCard, Schedule, lazy
from smartcity.modules.parking import rules
from smartcity.modules.parking.settings import ParkingSettings

HERE = Path(__file__).parent


def _citizen_cards(principal: Principal) -> list[PortalCard]:
    return [
        PortalCard(N_("Roadside parking"), N_("Free bays now, on the map"), "/parking", "parking")
    ]


def _staff_cards(principal: Principal) -> list[PortalCard]:
    return [
        PortalCard(
            N_("Roadside parking"),
            N_("Segments, sensor health and the enforcement list"),
            "/staff/parking",
            "parking",
        )
    ]


manifest = Manifest(
    name="parking",
    title=N_("Roadside parking"),
    depends_on=("identity", "sensors", "payments"),
    api=lazy("smartcity.modules.parking.api:build_router"),
    pages=lazy("smartcity.modules.parking.pages:build_router"),
    cli=lazy("smartcity.modules.parking.cli:build_cli"),
    migrations=HERE / "migrations" / "versions",
    templates=HERE / "templates",
    rules=rules.ALL_RULES,
    seed=lazy("smartcity.modules.parking.seed:seed"),
    citizen_cards=_citizen_cards,
    staff_cards=_staff_cards,
    nav=((N_("Parking"), "/parking"),),
    settings=ParkingSettings,
    tasks={
        "parking.apply_uplinks": "smartcity.modules.parking.jobs:apply_uplinks",
        "parking.mark_silent": "smartcity.modules.parking.jobs:mark_silent",
        "parking.charge_autopay": "smartcity.modules.parking.jobs:charge_autopay",
    },
    schedules=(Schedule("parking.mark_silent", "*/5 * * * *", "parking.mark_silent"),),
    subscribes=(("smartcity.modules.sensors.events:UplinksStored", "parking.apply_uplinks"),),
    datasets=(
        Dataset(
            name="parking-availability",
            title="路邊停車即時剩餘車位",
            title_en="Roadside parking availability",
            description="各路段的停車格數與感測器回報的即時空位,不含車牌與停車紀錄。",
            description_en="Bays and free bays per road segment as the bay sensors report them "
            "now; no plates and no parking sessions.",
            department="DOT",
            records="smartcity.modules.parking.service:open_availability",
            tags=("parking", "availability", "lorawan"),
            groups=("transport",),
            frequency="continuous",
            time_column="observed_at",
            spatial=True,
        ),
    ),
)
