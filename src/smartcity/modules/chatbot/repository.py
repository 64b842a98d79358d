"""Every query of the chatbot: items, variants, versions, the question log and its counts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from smartcity.core.auth import Principal
from smartcity.core.departments import own_department, scoped
from smartcity.core.repository import as_id, get_or_404, page
from smartcity.modules.chatbot.errors import ItemNotFound
from smartcity.modules.chatbot.models import (
    Item,
    ItemVersion,
    KbState,
    LineLink,
    QuestionLog,
    Variant,
)
from smartcity.modules.chatbot.values import TriageState

# -- the knowledge base's version ------------------------------------------------------------


def kb_version(session: Session) -> int:
    """The knowledge base's version number (moves on every change)."""
    value = session.scalar(select(KbState.version).where(KbState.id == 1))
    return int(value or 0)


def bump_kb_version(session: Session) -> int:
    """Move the knowledge base's version on by one (the first change makes its row)."""
    updated = session.execute(
        update(KbState).where(KbState.id == 1).values(version=KbState.version + 1)
    )
    if getattr(updated, "rowcount", 1) == 0:
        session.add(KbState(id=1, version=1))
        session.flush()
    return kb_version(session)


# -- items -----------------------------------------------------------------------------------


def get_item(session: Session, reference: str) -> Item:
    """An item by its id or its source id (`data_id` for imported items)."""
    reference = reference.strip()
    key = as_id(reference)
    item = session.get(Item, key) if key is not None else None
    if item is None and reference:
        item = session.scalar(select(Item).where(Item.source_id == reference[:64]))
    if item is None:
        raise ItemNotFound(f"no knowledge-base item {reference[:80]}")
    return item


def item_by_id(session: Session, item_id: uuid.UUID) -> Item | None:
    """An item by its id, if it still exists."""
    return session.get(Item, item_id)


def has_source(session: Session, source_id: str) -> bool:
    """Whether an item with this source id exists."""
    return session.scalar(select(Item.id).where(Item.source_id == source_id)) is not None


def items_by_source(session: Session) -> dict[str, Item]:
    """Every item that has a source id, by that id."""
    return {
        item.source_id: item
        for item in session.scalars(select(Item).where(Item.source_id.is_not(None)))
        if item.source_id
    }


def list_items(
    session: Session, *, search: str | None = None, department: str | None = None, limit: int = 50
) -> list[Item]:
    """Items for the editor, newest change first."""
    query = select(Item).order_by(Item.updated_at.desc())
    if department:
        query = query.where(Item.department_code == department)
    if search:
        like = f"%{search}%"
        query = query.where(Item.question.like(like) | (Item.source_id == search))
    return list(session.scalars(page(query, limit=limit)))


def count_items(session: Session) -> int:
    """How many items the knowledge base holds."""
    return int(session.scalar(select(func.count()).select_from(Item)) or 0)


def items_in_export_order(session: Session) -> Iterator[Item]:
    """Every item, oldest first (the export's order)."""
    return iter(session.scalars(select(Item).order_by(Item.created_at, Item.id)))


def items_changed_since(session: Session, kb_seq: int) -> list[Item]:
    """Items changed after knowledge-base version `kb_seq` (what the index must re-read)."""
    return list(session.scalars(select(Item).where(Item.kb_seq > kb_seq)))


# -- variants and versions -------------------------------------------------------------------


def variants_of(session: Session, item_id: uuid.UUID) -> list[Variant]:
    """The variants of one item, oldest first."""
    return list(
        session.scalars(
            select(Variant).where(Variant.item_id == item_id).order_by(Variant.created_at)
        )
    )


def has_variant(session: Session, item_id: uuid.UUID, text: str) -> bool:
    """Whether the item already has this phrasing."""
    found = session.scalar(
        select(Variant.id).where(Variant.item_id == item_id, Variant.text == text)
    )
    return found is not None


def variant_texts(
    session: Session, item_ids: Sequence[uuid.UUID] | None = None
) -> dict[uuid.UUID, list[str]]:
    """Variant texts by item, oldest first: of `item_ids`, or of every item."""
    texts: dict[uuid.UUID, list[str]] = {}
    if item_ids is None:
        for variant in session.scalars(select(Variant).order_by(Variant.created_at)):
            texts.setdefault(variant.item_id, []).append(variant.text)
        return texts
    # Bounded IN lists: SQLite caps a statement's parameters.
    for chunk in range(0, len(item_ids), 500):
        for variant in session.scalars(
            select(Variant).where(Variant.item_id.in_(item_ids[chunk : chunk + 500]))
        ):
            texts.setdefault(variant.item_id, []).append(variant.text)
    return texts


def all_variants(session: Session) -> list[Variant]:
    """Every variant in the order it was added."""
    return list(session.scalars(select(Variant).order_by(Variant.created_at, Variant.id)))


def item_versions(session: Session, item_id: uuid.UUID) -> list[ItemVersion]:
    """An item's history, newest first."""
    return list(
        session.scalars(
            select(ItemVersion)
            .where(ItemVersion.item_id == item_id)
            .order_by(ItemVersion.version.desc())
        )
    )


def all_versions(session: Session) -> Iterator[ItemVersion]:
    """Every kept version, streamed."""
    return iter(session.scalars(select(ItemVersion).execution_options(yield_per=1000)))


# -- the question log ------------------------------------------------------------------------


def get_question(session: Session, question_id: str) -> QuestionLog:
    """A logged question by id."""
    return get_or_404(
        session, QuestionLog, str(question_id), code="question_not_found", detail="no such question"
    )


def all_questions(session: Session) -> Iterator[QuestionLog]:
    """Every logged question, streamed."""
    return iter(session.scalars(select(QuestionLog).execution_options(yield_per=1000)))


def open_questions_with_text(session: Session, text: str) -> list[QuestionLog]:
    """Questions still in triage that read exactly `text`."""
    return list(
        session.scalars(
            select(QuestionLog).where(
                QuestionLog.text == text, QuestionLog.triage_state == TriageState.OPEN.value
            )
        )
    )


def open_questions(
    session: Session, principal: Principal, *, department: str | None, limit: int
) -> list[QuestionLog]:
    """Questions in triage, newest first: an officer's department's and unassigned ones."""
    query = (
        select(QuestionLog)
        .where(QuestionLog.triage_state == TriageState.OPEN.value)
        .order_by(QuestionLog.asked_at.desc())
        .limit(limit)
    )
    query = scoped(query, QuestionLog.department_code, principal, unassigned=True)
    if department is not None and own_department(principal) is None:
        query = query.where(QuestionLog.department_code == department)
    return list(session.scalars(query))


def outcome_counts(session: Session, since: datetime) -> list[Any]:
    """(department, outcome, feedback, count) of the questions asked since `since`."""
    return list(
        session.execute(
            select(
                QuestionLog.department_code,
                QuestionLog.outcome,
                QuestionLog.feedback,
                func.count(),
            )
            .where(QuestionLog.asked_at >= since)
            .group_by(QuestionLog.department_code, QuestionLog.outcome, QuestionLog.feedback)
        ).all()
    )


def line_links_of(session: Session, user_id: uuid.UUID) -> list[LineLink]:
    """The LINE users bound to a citizen."""
    return list(session.scalars(select(LineLink).where(LineLink.user_id == user_id)))


def open_faq() -> Select[*tuple[Any, ...]]:
    """The knowledge base's active items as open data: questions, answers, departments."""
    return select(
        Item.id.label("id"),
        Item.question.label("question"),
        Item.answer.label("answer"),
        Item.department_code.label("department"),
        Item.department_name.label("department_name"),
        Item.keywords.label("keywords"),
        Item.valid_from.label("valid_from"),
        Item.valid_until.label("valid_until"),
        Item.updated_at.label("updated_at"),
    ).where(Item.status == "active")
