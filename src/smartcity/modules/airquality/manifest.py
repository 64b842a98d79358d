"""airquality's manifest: data quality, calibration, maps and plumes over sensors' readings."""

from __future__ import annotations

from pathlib import Path

from smartcity.core.auth import Principal
from smartcity.core.i18n import N_
from smartcity.core.registry import Dataset, Manifest, PortalCard, Schedule, lazy
from smartcity.modules.airquality import rules
from smartcity.modules.airquality.settings import AirqualitySettings

HERE = Path(__file__).parent


def _citizen_cards(principal: Principal) -> list[PortalCard]:
    return [
        PortalCard(
            N_("Air quality map"),
            N_("PM2.5 near you, from the Airbox devices at schools"),
            "/airquality",
            "air",
        )
    ]


def _staff_cards(principal: Principal) -> list[PortalCard]:
    return [
        PortalCard(
            N_("Air quality operations"),
            N_("Device malfunction ranking, calibration, plumes and district alerts"),
            "/staff/airquality",
            "air",
        )
    ]


manifest = Manifest(
    name="airquality",
    title=N_("Air quality"),
    depends_on=("identity", "sensors"),
    api=lazy("smartcity.modules.airquality.api:build_router"),
    pages=lazy("smartcity.modules.airquality.pages:build_router"),
    cli=lazy("smartcity.modules.airquality.cli:build_cli"),
    migrations=HERE / "migrations" / "versions",
    templates=HERE / "templates",
    rules=rules.ALL_RULES,
    seed=lazy("smartcity.modules.airquality.seed:seed"),
    citizen_cards=_citizen_cards,
    staff_cards=_staff_cards,
    settings=AirqualitySettings,
    nav=((N_("Air quality"), "/airquality"),),
    tasks={
        "airquality.calibrate": "smartcity.modules.airquality.jobs:calibrate",
        "airquality.quality": "smartcity.modules.airquality.jobs:quality_pass",
        "airquality.plumes": "smartcity.modules.airquality.jobs:track_plumes",
        "airquality.plumes_today": "smartcity.modules.airquality.jobs:track_plumes_today",
        "airquality.mark_late_days": "smartcity.modules.airquality.jobs:mark_late_days",
        "airquality.redo_late_days": "smartcity.modules.airquality.jobs:redo_late_days",
    },
    # After the city's midnight, in order: the flags and the calibration feed the maps
    # the plume pass draws.
    schedules=(
        Schedule("airquality.calibrate", "20 0 * * *", "airquality.calibrate"),
        Schedule("airquality.quality", "30 0 * * *", "airquality.quality"),
        Schedule("airquality.plumes", "50 0 * * *", "airquality.plumes"),
        # A demo city's day so far, hourly (its devices keep sending: sensors' demo feed).
        Schedule("airquality.plumes_today", "5 * * * *", "airquality.plumes_today"),
        # Late readings (a device's backlog after an outage) redo their days' passes.
        Schedule("airquality.redo_late_days", "*/15 * * * *", "airquality.redo_late_days"),
    ),
    subscribes=(
        (
            "smartcity.modules.sensors.events:ObservationsArrivedLate",
            "airquality.mark_late_days",
        ),
    ),
    datasets=(
        Dataset(
            name="airbox-readings",
            title="空氣盒子感測資料",
            title_en="Airbox sensor readings",
            description="民間與校園空氣盒子回報的 PM2.5、PM10、PM1、溫度與濕度原始讀值。",
            description_en="Raw PM2.5, PM10, PM1, temperature and humidity readings reported "
            "by community and school Airboxes.",
            department="DEP",
            records="smartcity.modules.airquality.service:open_readings",
            tags=("air-quality", "pm25", "airbox", "sensors"),
            groups=("environment",),
            frequency="continuous",
        ),
        Dataset(
            name="airquality-calibrations",
            title="空氣盒子校正模型",
            title_en="Airbox calibration models",
            description="每日依參考測站選出的校正模型與誤差,用於發布校正後的 PM2.5。",
            description_en="The calibration model chosen each day per reference station, with "
            "its error, from which the calibrated PM2.5 feed is computed.",
            department="DEP",
            records="smartcity.modules.airquality.service:open_calibrations",
            tags=("air-quality", "calibration", "pm25"),
            groups=("environment",),
            frequency="daily",
            time_column="computed_at",
            spatial=True,
        ),
        Dataset(
            name="airquality-quality-flags",
            title="空氣盒子資料品質標記",
            title_en="Airbox data quality flags",
            description="每台裝置每個時段的品質檢查結果(離群、室內、故障等)。",
            description_en="Each device's quality checks per time slice (outliers, indoor, "
            "malfunction).",
            department="DEP",
            records="smartcity.modules.airquality.service:open_quality_flags",
            tags=("air-quality", "data-quality"),
            groups=("environment",),
            frequency="hourly",
            time_column="slice_start",
        ),
    ),
)
