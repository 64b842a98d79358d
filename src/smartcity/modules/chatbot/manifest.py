"""chatbot's manifest: citizen Q&A over LINE and the web that learns from what it missed."""

from __future__ import annotations

from pathlib import Path

from smartcity.core.auth import Principal
from smartcity.core.i18n import N_
from smartcity.core.registry import Dataset, Manifest, PortalCard, lazy
from smartcity.modules.chatbot import rules
from smartcity.modules.chatbot.settings import ChatbotSettings

HERE = Path(__file__).parent


def _citizen_cards(principal: Principal) -> list[PortalCard]:
    return [
        PortalCard(
            N_("Ask the city"), N_("Questions answered any time, in your words"), "/chat", "chat"
        )
    ]


def _staff_cards(principal: Principal) -> list[PortalCard]:
    return [
        PortalCard(
            N_("Q&A knowledge base"), N_("Edit the chatbot's answers"), "/staff/chatbot", "book"
        ),
        PortalCard(
            N_("Questions to triage"),
            N_("Questions the chatbot could not answer, in clusters"),
            "/staff/chatbot/triage",
            "compass",
        ),
        PortalCard(
            N_("Chatbot metrics"),
            N_("Answer and helpful rates by department"),
            "/staff/chatbot/metrics",
            "chart",
        ),
    ]


manifest = Manifest(
    name="chatbot",
    title=N_("Chatbot"),
    # Platform needs are answered from these modules' services (platform_answers.py).
    depends_on=(
        "identity",
        "search",
        "payments",
        "sensors",
        "airquality",
        "parking",
        "participation",
    ),
    api=lazy("smartcity.modules.chatbot.api:build_router"),
    pages=lazy("smartcity.modules.chatbot.pages:build_router"),
    cli=lazy("smartcity.modules.chatbot.cli:build_cli"),
    migrations=HERE / "migrations" / "versions",
    templates=HERE / "templates",
    rules=rules.ALL_RULES,
    seed=lazy("smartcity.modules.chatbot.seed:seed"),
    citizen_cards=_citizen_cards,
    staff_cards=_staff_cards,
    settings=ChatbotSettings,
    home_partial="chatbot/_widget.html",
    datasets=(
        Dataset(
            name="chatbot-faq",
            title="市政問答知識庫",
            title_en="City FAQ knowledge base",
            description="聊天機器人回答市民問題所用的常見問答,含主責機關與有效期間。",
            description_en="The questions and answers the chatbot gives citizens, with the "
            "department responsible and their validity.",
            department="DOIT",
            records="smartcity.modules.chatbot.service:open_faq",
            tags=("faq", "chatbot", "1999"),
            groups=("services",),
            frequency="daily",
            time_column="updated_at",
        ),
    ),
)
