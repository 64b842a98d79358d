"""identity's manifest: the digital citizen ID."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from smartcity.core.auth import Principal, Role
from smartcity.core.platform import Platform
from smartcity.core.registry import Manifest, PortalCard
from smartcity.modules.identity import rules

HERE = Path(__file__).parent


def _api() -> APIRouter:
    from smartcity.modules.identity.api import build_router

    return build_router()


def _pages() -> APIRouter:
    from smartcity.modules.identity.oauth.routes import build_router as oauth_routes
    from smartcity.modules.identity.pages import build_router as page_routes

    router = APIRouter()
    router.include_router(oauth_routes())
    router.include_router(page_routes())
    return router


def _cli():  # type: ignore[no-untyped-def]  # typer is imported only when the CLI runs
    from smartcity.modules.identity.cli import build_cli

    return build_cli()


def _seed(uow, platform):  # type: ignore[no-untyped-def]
    from smartcity.modules.identity.seed import seed

    seed(uow, platform)


def _startup(platform: Platform) -> None:
    from smartcity.modules.identity.authn import IdentityAuthenticator

    platform.authenticator = IdentityAuthenticator(
        platform.keys, platform.settings.base_url.rstrip("/")
    )


def _citizen_cards(principal: Principal) -> list[PortalCard]:
    return [
        PortalCard(
            "我的資料 My profile",
            "數位身分、驗證等級 Digital ID and verification level",
            "/me/profile",
            "🪪",
        ),
        PortalCard(
            "綁定管理 Bindings",
            "車牌、水號、學號、付款工具、收款帳戶 Plates, accounts, "
            "student numbers, payment methods",
            "/me/bindings",
            "🔗",
        ),
    ]


def _staff_cards(principal: Principal) -> list[PortalCard]:
    cards = [
        PortalCard(
            "市民查詢 Citizens", "查詢市民數位身分 Look up digital IDs", "/staff/citizens", "👥"
        ),
        PortalCard(
            "綁定審核 Bindings to review",
            "確認或退回綁定 Confirm or refuse bindings",
            "/staff/bindings",
            "✅",
        ),
    ]
    if principal.role == Role.ADMIN:
        cards.append(
            PortalCard(
                "API 金鑰 API keys",
                "業者、裝置與廠商的金鑰 Keys of providers, devices and vendors",
                "/staff/api-keys",
                "🔑",
            )
        )
    return cards


manifest = Manifest(
    name="identity",
    title="數位身分 Identity",
    api=_api,
    pages=_pages,
    cli=_cli,
    cli_name="admin",
    migrations=HERE / "migrations" / "versions",
    templates=HERE / "templates",
    rules=rules.ALL_RULES,
    seed=_seed,
    citizen_cards=_citizen_cards,
    staff_cards=_staff_cards,
    on_startup=_startup,
)
