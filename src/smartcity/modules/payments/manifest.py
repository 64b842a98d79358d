"""payments' manifest: the unified government payment platform."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from smartcity.core.auth import Principal
from smartcity.core.registry import Manifest, PortalCard
from smartcity.modules.payments import rules
from smartcity.modules.payments.settings import PaymentsSettings

HERE = Path(__file__).parent


def _api() -> APIRouter:
    from smartcity.modules.payments.api import build_router

    return build_router()


def _pages() -> APIRouter:
    from smartcity.modules.payments.pages import build_router

    return build_router()


def _cli():  # type: ignore[no-untyped-def]  # typer is imported only when the CLI runs
    from smartcity.modules.payments.cli import build_cli

    return build_cli()


def _seed(uow, platform):  # type: ignore[no-untyped-def]
    from smartcity.modules.payments.seed import seed

    seed(uow, platform)


def _citizen_cards(principal: Principal) -> list[PortalCard]:
    return [
        PortalCard(
            "我的帳單 My bills",
            "各機關帳單、繳費、收據、退款與補助 Bills, payments, receipts, refunds, payouts",
            "/me/payments",
            "💳",
        )
    ]


def _staff_cards(principal: Principal) -> list[PortalCard]:
    return [
        PortalCard(
            "支付平臺 Payments",
            "費目、帳單、繳款、異常、對帳、金流 Items, bills, payments, exceptions, "
            "reconciliation, money flow",
            "/staff/payments",
            "💰",
        )
    ]


manifest = Manifest(
    name="payments",
    title="支付平臺 Payments",
    depends_on=("identity",),
    api=_api,
    pages=_pages,
    cli=_cli,
    migrations=HERE / "migrations" / "versions",
    templates=HERE / "templates",
    rules=rules.ALL_RULES,
    seed=_seed,
    citizen_cards=_citizen_cards,
    staff_cards=_staff_cards,
    settings=PaymentsSettings,
)
