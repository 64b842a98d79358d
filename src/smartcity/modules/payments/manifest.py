"""payments' manifest: the unified government payment platform."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from smartcity.core.auth import Principal
from smartcity.core.i18n import N_
from smartcity.core.registry import Dataset, Manifest, PortalCard, Schedule, lazy
from smartcity.modules.payments import rules
from smartcity.modules.payments.settings import PaymentsSettings

HERE = Path(__file__).parent


def _citizen_cards(principal: Principal) -> list[PortalCard]:
    return [
        PortalCard(
            N_("My bills"),
            N_("Bills, payments, receipts, refunds, payouts"),
            "/me/payments",
            "card",
        )
    ]


def _staff_cards(principal: Principal) -> list[PortalCard]:
    return [
        PortalCard(
            N_("Payments"),
            N_("Items, bills, payments, exceptions, reconciliation, money flow"),
            "/staff/payments",
            "coins",
        )
    ]


def _pages() -> APIRouter:
    """The citizens' pages and the department console, imported only when the app is built."""
    from smartcity.modules.payments import pages, staff_pages

    router = APIRouter(include_in_schema=False)
    router.include_router(pages.build_router())
    router.include_router(staff_pages.build_router())
    return router


manifest = Manifest(
    name="payments",
    title=N_("Payments"),
    depends_on=("identity",),
    api=lazy("smartcity.modules.payments.api:build_router"),
    pages=_pages,
    cli=lazy("smartcity.modules.payments.cli:build_cli"),
    migrations=HERE / "migrations" / "versions",
    templates=HERE / "templates",
    rules=rules.ALL_RULES,
    seed=lazy("smartcity.modules.payments.seed:seed"),
    citizen_cards=_citizen_cards,
    staff_cards=_staff_cards,
    settings=PaymentsSettings,
    tasks={
        "payments.deliver_webhooks": "smartcity.modules.payments.jobs:deliver_webhooks",
        "payments.expire_bills": "smartcity.modules.payments.jobs:expire_overdue_bills",
        "payments.import_bills": "smartcity.modules.payments.jobs:import_bills",
    },
    schedules=(
        # Every minute: a delivery's own backoff (30 s, 60 s, …) decides whether it is due.
        Schedule("payments.deliver_webhooks", "* * * * *", "payments.deliver_webhooks"),
        Schedule("payments.expire_bills", "5 0 * * *", "payments.expire_bills"),
    ),
    datasets=(
        Dataset(
            name="payment-items",
            title="規費與收費項目",
            title_en="Fee catalogue",
            description="市府各機關透過繳費平台收取的項目、金額規則與繳費管道。",
            description_en="What the city's departments collect through the payment platform: "
            "items, amount rules and channels.",
            department="DOF",
            records="smartcity.modules.payments.service:open_items",
            tags=("fees", "payments"),
            groups=("finance",),
            frequency="irregular",
        ),
        Dataset(
            name="payment-daily-totals",
            title="各收費項目每日收款統計",
            title_en="Daily collection totals per fee item",
            description="每個收費項目每日(本市時間)的繳費筆數與金額(新臺幣),不含繳費人資料。",
            description_en="Payments and their sum in NTD per fee item and day (city time); "
            "no payer data.",
            department="DOF",
            records="smartcity.modules.payments.service:open_daily_totals",
            tags=("fees", "payments", "statistics"),
            groups=("finance",),
            frequency="daily",
        ),
    ),
)
