"""Tables owned by identity (prefixed `identity_`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base
from smartcity.core.repository import new_id
from smartcity.core.time import UTCDateTime, utcnow
from smartcity.modules.identity.values import shown_binding_value


class Organisation(Base):
    """A department, payment provider, device owner or vendor."""

    __tablename__ = "identity_organisations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class User(Base):
    """A person: a citizen, a department officer, an administrator or a vendor's member."""

    __tablename__ = "identity_users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    role: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    national_id_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    """Keyed digest of the national ID number; the number itself is never stored."""
    national_id_masked: Mapped[str | None] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(200), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    verification_level: Mapped[str] = mapped_column(String(16), nullable=False, default="basic")
    birth_date: Mapped[date | None] = mapped_column(Date)
    """As an officer read it off the citizen's papers; votes with an age rule need it."""
    lives_in: Mapped[str | None] = mapped_column(String(40))
    """District code of the citizen's household registration, as an officer recorded it."""
    studies_in: Mapped[str | None] = mapped_column(String(40))
    works_in: Mapped[str | None] = mapped_column(String(40))
    department_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("identity_organisations.id"), index=True
    )
    """The organisation the person acts for: an officer's department, a vendor member's vendor."""
    staff_roles: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class ExternalAccount(Base):
    """A person's account at a federated identity provider (e.g. the city's digital-ID app)."""

    __tablename__ = "identity_external_accounts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    provider: Mapped[str] = mapped_column(String(64), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_users.id"), nullable=False)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (
        Index("uq_identity_external_accounts_provider_subject", "provider", "subject", unique=True),
    )


class ApiKey(Base):
    """A machine (or personal) credential: stored hashed, shown once, scoped, revocable."""

    __tablename__ = "identity_api_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    prefix: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    label: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    scopes: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("identity_users.id"), index=True)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("identity_organisations.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Binding(Base):
    """An identifier a citizen binds to their ID: a plate, an account, a payment method…"""

    __tablename__ = "identity_bindings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_users.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    value: Mapped[str] = mapped_column(String(100), nullable=False)
    """Normalised identifier (upper case, no spaces)."""
    provider_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("identity_organisations.id"))
    """For payment methods: the provider that holds it."""
    label: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    effective_to: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_identity_bindings_kind_value", "kind", "value"),)

    @property
    def shown_value(self) -> str:
        """The value as people see it: bank accounts and payment tokens masked."""
        return shown_binding_value(self.kind, self.value)


class OAuthClient(Base):
    """An application that signs people in through the platform (OAuth 2.0 client)."""

    __tablename__ = "identity_oauth_clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    scopes: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    """None for public clients, which must use PKCE."""
    first_party: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class AuthorizationCode(Base):
    """A one-time code from the authorisation endpoint (RFC 6749 §4.1)."""

    __tablename__ = "identity_oauth_codes"
    __audit_exempt__ = True  # sign-in bookkeeping; the sign-in itself is audited

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("identity_oauth_clients.client_id"), nullable=False
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_users.id"), nullable=False)
    redirect_uri: Mapped[str] = mapped_column(String(500), nullable=False)
    scope: Mapped[str] = mapped_column(String(500), nullable=False)
    code_challenge: Mapped[str] = mapped_column(String(128), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PortalSession(Base):
    """A signed-in browser: the cookie holds a random token, the table its digest.

    `kind` is `login` for the authorisation server's own sign-in and `portal`
    for the portal's session, opened only after the OAuth code exchange.
    """

    __tablename__ = "identity_sessions"
    __audit_exempt__ = True  # sign-in bookkeeping; the sign-in itself is audited

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_users.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="portal")
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    scope: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInCounter(Base):
    """Failed sign-ins counted per account (and client) in one window, for lockout.

    The `limits` library's fixed-window counter, kept in the database so that every
    worker and host sees the same count (identity/throttle.py). `key` holds only keyed
    digests of the login and the client address.
    """

    __tablename__ = "identity_sign_in_counters"
    __audit_exempt__ = True  # counters; a lockout that starts is audited

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)


class Invitation(Base):
    """An administrator's invitation for a person to join an organisation (a vendor's staff).

    Only the digest of its one-time code is kept; the code is shown once, to the administrator
    who sends it on, and works once before it expires.
    """

    __tablename__ = "identity_invitations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_organisations.id"), nullable=False, index=True
    )
    email: Mapped[str] = mapped_column(String(200), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    invited_by: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("identity_users.id"))
