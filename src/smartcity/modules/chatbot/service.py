"""chatbot's public face: what its edges (API, pages, LINE, CLI) and other modules call.

The logic lives in `knowledge`, `answering`, `triage` and `metrics`, whose functions take a
session or the caller's unit of work and never commit. `ask` and `answer_item` take the
platform instead: they are the one edge the four channels share, so they open their own
short transactions — the index is refreshed in a read session, outside any write lock, and
the question is logged in a write of its own.
"""

from __future__ import annotations

import uuid

import smartcity.modules.search.service as search
from smartcity.core.auth import system_actor
from smartcity.core.platform import Platform
from smartcity.core.repository import settings_of as module_settings
from smartcity.core.time import local_today
from smartcity.modules.chatbot import engine, platform_answers
from smartcity.modules.chatbot import text as textmod
from smartcity.modules.chatbot.answering import (
    Answer,
    Suggestion,
    answerable,
    decide,
    decide_needs,
    log_question,
    pseudonym,
    record_feedback,
)
from smartcity.modules.chatbot.errors import EmptyQuestion
from smartcity.modules.chatbot.index import IndexHolder, index_of
from smartcity.modules.chatbot.intents import is_item
from smartcity.modules.chatbot.knowledge import (
    ImportReport,
    ItemView,
    MaskReport,
    add_variant,
    citizen_text,
    create_item,
    export_jsonl,
    import_records,
    mask_stored_personal_data,
    update_item,
    view_of,
)
from smartcity.modules.chatbot.metrics import DepartmentMetrics, Metrics, metrics
from smartcity.modules.chatbot.repository import (
    count_items,
    get_item,
    item_versions,
    kb_version,
    list_items,
    variants_of,
)
from smartcity.modules.chatbot.repository import open_faq as open_faq
from smartcity.modules.chatbot.settings import ChatbotSettings
from smartcity.modules.chatbot.triage import (
    Cluster,
    ignore_question,
    resolve_question,
    teach,
    triage_queue,
)
from smartcity.modules.chatbot.values import Channel, Intent, Outcome

__all__ = [
    "Answer",
    "ChatbotSettings",
    "Cluster",
    "DepartmentMetrics",
    "ImportReport",
    "IndexHolder",
    "Intent",
    "ItemView",
    "MaskReport",
    "Metrics",
    "Outcome",
    "Suggestion",
    "add_variant",
    "answer_item",
    "ask",
    "count_items",
    "create_item",
    "decide",
    "export_jsonl",
    "find_items",
    "get_item",
    "ignore_question",
    "import_records",
    "index_of",
    "item_versions",
    "kb_version",
    "list_items",
    "mask_stored_personal_data",
    "metrics",
    "pseudonym",
    "record_feedback",
    "resolve_question",
    "settings_of",
    "teach",
    "texts_to_embed",
    "triage_queue",
    "update_item",
    "variants_of",
    "view_of",
]


def settings_of(platform: Platform) -> ChatbotSettings:
    """chatbot's settings on this platform."""
    return module_settings(platform, "chatbot", ChatbotSettings)


def ask(
    platform: Platform,
    question: str,
    *,
    channel: Channel,
    user_ref: str = "",
    log: bool = True,
    citizen: uuid.UUID | None = None,
) -> Answer:
    """Answer a question with the freshest knowledge base, and log it for the learning loop.

    `citizen` is the known citizen asking (the signed-in user, a linked LINE user): a platform
    need about their own records is answered only for them.
    """
    cleaned = citizen_text(question)
    if not cleaned:
        raise EmptyQuestion("the question is empty")
    holder = index_of(platform)
    with platform.db.read_session() as session:
        index = holder.refresh(session)
    vector = (
        search.embed_query(platform, textmod.clean_question(cleaned)) if len(index.dense) else None
    )
    answer = decide_needs(
        cleaned,
        settings_of(platform),
        index,
        platform_answers.names_in(platform, cleaned),
        query_vector=vector,
        vector_of=lambda text: search.embed_query(platform, textmod.clean_question(text)),
    )
    if answer.intent is not None:
        with platform.db.read_session() as session:
            answer.reply = platform_answers.answer(
                platform, session, answer.intent, cleaned, citizen=citizen, channel=channel
            )
        answer.message = answer.reply.text
    if log:
        with platform.unit_of_work(system_actor("chatbot")) as uow:
            row = log_question(uow, answer, channel=channel, user_ref=user_ref)
            answer.question_id = str(row.id)
            # Items stored before their texts were embedded: have search do it now.
            holder.request_missing(uow)
    return answer


def texts_to_embed(platform: Platform) -> int:
    """How many texts search has still to embed (0 when ranking is by words alone anyway):
    until the knowledge base's are embedded, answers rank by words."""
    with platform.db.read_session() as session:
        return search.waiting(session, platform)


def find_items(platform: Platform, text: str, limit: int = 8) -> list[engine.Doc]:
    """Knowledge-base items nearest to `text`, best first, by the chatbot's own retrieval (staff
    pick the one a question should have found)."""
    cleaned = citizen_text(text)
    if not cleaned:
        return []
    with platform.db.read_session() as session:
        index = index_of(platform).refresh(session)
    found = index.search(cleaned, limit=limit, today=local_today(), keep=is_item)
    return [c.doc for c in found.candidates]


def answer_item(platform: Platform, reference: str) -> engine.Doc:
    """An item as the index has it (for a chosen suggestion)."""
    with platform.db.read_session() as session:
        index = index_of(platform).refresh(session)
        item = get_item(session, reference)
    return answerable(index, item.id)
