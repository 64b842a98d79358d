"""Every query identity makes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from smartcity.core.repository import page
from smartcity.modules.identity.models import (
    ApiKey,
    Binding,
    ExternalAccount,
    Organisation,
    PortalSession,
    User,
)


def organisation_by_code(session: Session, code: str) -> Organisation | None:
    """The organisation with `code`."""
    return session.execute(
        select(Organisation).where(Organisation.code == code)
    ).scalar_one_or_none()


def organisations(session: Session, kind: str | None = None) -> Sequence[Organisation]:
    """Organisations, optionally of one kind, by code."""
    query = select(Organisation).order_by(Organisation.code)
    if kind:
        query = query.where(Organisation.kind == kind)
    return session.execute(query).scalars().all()


def user_by_national_id_hash(session: Session, digest: str) -> User | None:
    """The citizen with this keyed national-ID digest."""
    return session.execute(select(User).where(User.national_id_hash == digest)).scalar_one_or_none()


def user_by_email(session: Session, email: str) -> User | None:
    """The person with this e-mail address (case-insensitive)."""
    return session.execute(
        select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()


def users(
    session: Session,
    role: str | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Sequence[User]:
    """People, newest first, optionally filtered by role and a name or e-mail fragment."""
    query = select(User).order_by(User.created_at.desc(), User.id)
    if role:
        query = query.where(User.role == role)
    if search:
        pattern = f"%{search}%"
        query = query.where(or_(User.name.like(pattern), User.email.like(pattern)))
    return session.execute(page(query, limit=limit, offset=offset)).scalars().all()


def officers_of(session: Session, department: str) -> Sequence[User]:
    """The active officers of the department with this code, by name."""
    return (
        session.execute(
            select(User)
            .join(Organisation, Organisation.id == User.department_id)
            .where(Organisation.code == department, User.role == "officer", User.active)
            .order_by(User.name, User.id)
        )
        .scalars()
        .all()
    )


def api_key_by_prefix(session: Session, prefix: str) -> ApiKey | None:
    """The API key whose token starts with `prefix`."""
    return session.execute(select(ApiKey).where(ApiKey.prefix == prefix)).scalar_one_or_none()


def api_keys(session: Session) -> Sequence[ApiKey]:
    """All API keys, newest first."""
    return session.execute(select(ApiKey).order_by(ApiKey.created_at.desc())).scalars().all()


def bindings_of(session: Session, user_id: uuid.UUID) -> Sequence[Binding]:
    """A citizen's bindings, newest first."""
    return (
        session.execute(
            select(Binding).where(Binding.user_id == user_id).order_by(Binding.created_at.desc())
        )
        .scalars()
        .all()
    )


def live_bindings(session: Session, kind: str, value: str, on: date) -> Sequence[Binding]:
    """Verified bindings of `kind`/`value` in force on `on`."""
    return (
        session.execute(
            select(Binding).where(
                Binding.kind == kind,
                Binding.value == value,
                Binding.state == "verified",
                Binding.effective_from <= on,
                or_(Binding.effective_to.is_(None), Binding.effective_to >= on),
            )
        )
        .scalars()
        .all()
    )


def open_bindings(session: Session, user_id: uuid.UUID, kind: str, value: str) -> Sequence[Binding]:
    """A citizen's pending or verified bindings of one identifier."""
    return (
        session.execute(
            select(Binding).where(
                Binding.user_id == user_id,
                Binding.kind == kind,
                Binding.value == value,
                Binding.state.in_(("pending", "verified")),
            )
        )
        .scalars()
        .all()
    )


def pending_bindings(session: Session, limit: int = 100) -> Sequence[Binding]:
    """Bindings waiting for a decision, oldest first."""
    return (
        session.execute(
            select(Binding)
            .where(Binding.state == "pending")
            .order_by(Binding.created_at)
            .limit(limit)
        )
        .scalars()
        .all()
    )


def external_account(session: Session, provider: str, subject: str) -> ExternalAccount | None:
    """The link between an outside identity and a person."""
    return session.execute(
        select(ExternalAccount).where(
            ExternalAccount.provider == provider, ExternalAccount.subject == subject
        )
    ).scalar_one_or_none()


def live_session(session: Session, token_hash: str, kind: str) -> PortalSession | None:
    """An unexpired, unended session of `kind` with this token digest."""
    return session.execute(
        select(PortalSession).where(
            PortalSession.token_hash == token_hash,
            PortalSession.kind == kind,
            PortalSession.ended_at.is_(None),
        )
    ).scalar_one_or_none()


def bindings_of_value(
    session: Session, kind: str, value: str, limit: int = 50
) -> Sequence[Binding]:
    """Every citizen's bindings of one identifier, newest first (a reviewer's evidence)."""
    return (
        session.execute(
            select(Binding)
            .where(Binding.kind == kind, Binding.value == value)
            .order_by(Binding.created_at.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )
