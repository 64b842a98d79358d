"""Tables owned by chatbot (prefixed `chatbot_`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base
from smartcity.core.repository import new_id
from smartcity.core.time import UTCDateTime, utcnow


class KbState(Base):
    """One row: the knowledge base's version, bumped by every change (index freshness)."""

    __tablename__ = "chatbot_kb_state"
    __audit_exempt__ = True  # a counter; the change that bumps it is audited

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Item(Base):
    """One official question and its answer."""

    __tablename__ = "chatbot_items"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    source_id: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    question: Mapped[str] = mapped_column(String(500), nullable=False)
    answer: Mapped[str] = mapped_column(Text, nullable=False)
    department_code: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    department_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    owner_department: Mapped[str | None] = mapped_column(String(32), nullable=True)
    keywords: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    links: Mapped[list[dict[str, str]]] = mapped_column(JSON, nullable=False, default=list)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    posted_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    posted_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    """The source website's posting window (the FAQ data's start_date/end_date): kept for
    staff to review, never a reason to withhold an answer — only the validity dates are."""
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    kb_seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class ItemVersion(Base):
    """A snapshot of an item as it was after each change."""

    __tablename__ = "chatbot_item_versions"
    __table_args__ = (
        UniqueConstraint("item_id", "version", name="uq_chatbot_item_versions_item_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    item_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("chatbot_items.id"), nullable=False, index=True
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    changed_by: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Variant(Base):
    """A citizen's way of asking an item's question."""

    __tablename__ = "chatbot_variants"
    __table_args__ = (UniqueConstraint("item_id", "text", name="uq_chatbot_variants_item_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    item_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("chatbot_items.id"), nullable=False, index=True
    )
    text: Mapped[str] = mapped_column(String(500), nullable=False)
    source: Mapped[str] = mapped_column(String(16), nullable=False, default="staff")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class QuestionLog(Base):
    """A question asked and what was done with it; the asker only as a pseudonym."""

    __tablename__ = "chatbot_questions"
    __table_args__ = (Index("ix_chatbot_questions_triage", "triage_state", "department_code"),)
    # Usage logging, written on every question; the staff decisions on it are audited.
    __audit_exempt__ = True

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    user_ref: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    text: Mapped[str] = mapped_column(String(500), nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    confidence: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    item_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    department_code: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    feedback: Mapped[str | None] = mapped_column(String(16), nullable=True)
    triage_state: Mapped[str] = mapped_column(String(16), nullable=False, default="none")
    resolved_item_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)


class LineEvent(Base):
    """A LINE webhook event already taken in (webhookEventId), so redeliveries are ignored."""

    __tablename__ = "chatbot_line_events"
    __audit_exempt__ = True  # delivery bookkeeping

    webhook_event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    event_type: Mapped[str] = mapped_column(String(32), nullable=False, default="")


class LineFollower(Base):
    """A LINE user who follows the account (pseudonymous), for follower counts."""

    __tablename__ = "chatbot_line_followers"
    __audit_exempt__ = True  # delivery bookkeeping; holds only a pseudonym

    user_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    following: Mapped[bool] = mapped_column(nullable=False, default=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class LineLink(Base):
    """A LINE user bound to a citizen through LINE's account-link flow."""

    __tablename__ = "chatbot_line_links"

    user_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    """The LINE user id's keyed pseudonym (the raw id is not kept)."""
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    """The citizen's identity user id."""
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class LinkNonce(Base):
    """A nonce made for a signed-in citizen; LINE hands it back in the accountLink event."""

    __tablename__ = "chatbot_link_nonces"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 of the nonce: the nonce itself travels through LINE and is not stored."""
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HomeDistrict(Base):
    """The district a citizen asked the chatbot to take as their home (「我家附近」)."""

    __tablename__ = "chatbot_home_districts"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    district: Mapped[str] = mapped_column(String(40), nullable=False)
    """The city profile's district code."""
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
