"""identity's manifest: the digital citizen ID."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from smartcity.core.auth import Principal, Role
from smartcity.core.i18n import N_
from smartcity.core.platform import Platform
from smartcity.core.registry import Manifest, PortalCard, lazy
from smartcity.modules.identity import rules
from smartcity.modules.identity.settings import IdentitySettings

HERE = Path(__file__).parent


def _pages() -> APIRouter:
    from smartcity.modules.identity.oauth.routes import build_router as oauth_routes
    from smartcity.modules.identity.pages import build_router as page_routes
    from smartcity.modules.identity.staff_pages import build_router as staff_routes

    router = APIRouter()
    router.include_router(oauth_routes())
    router.include_router(page_routes())
    router.include_router(staff_routes())
    return router


def _startup(platform: Platform) -> None:
    from smartcity.modules.identity.authn import IdentityAuthenticator

    settings: IdentitySettings = platform.module_settings["identity"]
    platform.authenticator = IdentityAuthenticator(
        platform.keys,
        platform.settings.base_url.rstrip("/"),
        remember_keys_for=settings.api_key_memory_seconds,
    )


def _citizen_cards(principal: Principal) -> list[PortalCard]:
    return [
        PortalCard(
            N_("My profile"),
            N_("Your digital ID and its verification level"),
            "/me/profile",
            "id-card",
        ),
        PortalCard(
            N_("My bindings"),
            N_("Plates, utility accounts, student numbers, payment methods, bank accounts"),
            "/me/bindings",
            "link",
        ),
    ]


def _staff_cards(principal: Principal) -> list[PortalCard]:
    cards = [
        PortalCard(N_("Citizens"), N_("Look up digital IDs"), "/staff/citizens", "people"),
        PortalCard(
            N_("Bindings to review"), N_("Confirm or refuse bindings"), "/staff/bindings", "check"
        ),
    ]
    if principal.role == Role.ADMIN:
        cards.append(
            PortalCard(
                N_("API keys"),
                N_("Keys of payment providers, devices and vendors"),
                "/staff/api-keys",
                "key",
            )
        )
        cards.append(
            PortalCard(
                N_("Vendor members"),
                N_("Invite vendors' people to sign in"),
                "/staff/invitations",
                "mail",
            )
        )
    return cards


manifest = Manifest(
    name="identity",
    title=N_("Identity"),
    api=lazy("smartcity.modules.identity.api:build_router"),
    pages=_pages,
    cli=lazy("smartcity.modules.identity.cli:build_cli"),
    cli_name="admin",
    migrations=HERE / "migrations" / "versions",
    templates=HERE / "templates",
    rules=rules.ALL_RULES,
    seed=lazy("smartcity.modules.identity.seed:seed"),
    citizen_cards=_citizen_cards,
    staff_cards=_staff_cards,
    on_startup=_startup,
    settings=IdentitySettings,
)
