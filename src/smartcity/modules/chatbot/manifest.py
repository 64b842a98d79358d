"""chatbot's manifest: citizen Q&A over LINE and the web that learns from what it missed."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from smartcity.core.auth import Principal
from smartcity.core.i18n import N_
from smartcity.core.registry import Manifest, PortalCard
from smartcity.modules.chatbot import rules
from smartcity.modules.chatbot.settings import ChatbotSettings

HERE = Path(__file__).parent


def _api() -> APIRouter:
    from smartcity.modules.chatbot.api import build_router

    return build_router()


def _pages() -> APIRouter:
    from smartcity.modules.chatbot.pages import build_router

    return build_router()


def _cli():  # type: ignore[no-untyped-def]  # typer is imported only when the CLI runs
    from smartcity.modules.chatbot.cli import build_cli

    return build_cli()


def _seed(uow, platform):  # type: ignore[no-untyped-def]
    from smartcity.modules.chatbot.seed import seed

    seed(uow, platform)


def _citizen_cards(principal: Principal) -> list[PortalCard]:
    return [
        PortalCard(
            N_("Ask the city"), N_("Questions answered any time, in your words"), "/chat", "💬"
        )
    ]


def _staff_cards(principal: Principal) -> list[PortalCard]:
    return [
        PortalCard(
            N_("Q&A knowledge base"), N_("Edit the chatbot's answers"), "/staff/chatbot", "📚"
        ),
        PortalCard(
            N_("Questions to triage"),
            N_("Questions the chatbot could not answer, in clusters"),
            "/staff/chatbot/triage",
            "🧭",
        ),
        PortalCard(
            N_("Chatbot metrics"),
            N_("Answer and helpful rates by department"),
            "/staff/chatbot/metrics",
            "📈",
        ),
    ]


manifest = Manifest(
    name="chatbot",
    title="市政問答 Chatbot",
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
    settings=ChatbotSettings,
    home_partial="chatbot/_widget.html",
)
