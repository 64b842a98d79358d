"""opendata's manifest: the CKAN-compatible catalogue of every module's datasets."""

from __future__ import annotations

from pathlib import Path

from smartcity.core.auth import Principal, Role
from smartcity.core.i18n import N_
from smartcity.core.registry import Dataset, Manifest, PortalCard, Schedule, lazy
from smartcity.modules.opendata import rules
from smartcity.modules.opendata.settings import OpendataSettings

HERE = Path(__file__).parent


def _staff_cards(principal: Principal) -> list[PortalCard]:
    office = OpendataSettings().office_department
    if principal.role != Role.ADMIN and principal.department != office:
        return []
    return [
        PortalCard(
            N_("Harvest console"),
            N_("Other cities' catalogues copied here, and each run's report"),
            "/staff/opendata/harvest",
            "chart",
        )
    ]


manifest = Manifest(
    name="opendata",
    title=N_("Open data"),
    depends_on=("identity",),
    root_api=lazy("smartcity.modules.opendata.api:build_router"),
    pages=lazy("smartcity.modules.opendata.pages:build_router"),
    cli=lazy("smartcity.modules.opendata.cli:build_cli"),
    migrations=HERE / "migrations" / "versions",
    templates=HERE / "templates",
    rules=rules.ALL_RULES,
    seed=lazy("smartcity.modules.opendata.seed:seed"),
    settings=OpendataSettings,
    staff_cards=_staff_cards,
    nav=((N_("Open data"), "/opendata"),),
    tasks={
        "opendata.refresh": "smartcity.modules.opendata.jobs:refresh",
        "opendata.harvest": "smartcity.modules.opendata.jobs:harvest",
    },
    schedules=(
        Schedule("opendata.refresh", "*/5 * * * *", "opendata.refresh"),
        Schedule("opendata.harvest", "17 * * * *", "opendata.harvest"),
    ),
    datasets=(
        Dataset(
            name="transparency-checkpoints",
            title="透明紀錄檢查點",
            title_en="Transparency log checkpoints",
            description="記錄每一筆市府系統變更的公開 Merkle 樹之樹頭:大小、根雜湊與更新時間。",
            description_en="The head of the public Merkle tree that records every change made "
            "on the platform: its size, root hash and when it moved.",
            department="DOIT",
            records="smartcity.modules.opendata.service:open_transparency_checkpoints",
            tags=("transparency", "audit", "merkle-tree"),
            groups=("governance",),
            frequency="continuous",
            time_column="updated_at",
        ),
    ),
)
