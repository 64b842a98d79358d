"""Invitations: an administrator invites a person to act for an organisation (a vendor's staff).

The invitation carries a one-time code, shown once to the administrator, who sends the link on;
the person chooses a password with it and signs in by e-mail from then on. Only the code's digest
is stored, so a copy of the database cannot be used to join.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core.auth import Role
from smartcity.core.errors import Conflict, InvalidInput, NotFound
from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.identity import repository as repo
from smartcity.modules.identity.credentials import hash_password, sha256_hex
from smartcity.modules.identity.models import Invitation, Organisation, User
from smartcity.modules.identity.values import OrganisationKind, VerificationLevel

INVITATION_DAYS = 7
"""How long an invitation's code works."""
MIN_PASSWORD = 10
"""The shortest password a member may choose."""
MEMBER_KINDS = {OrganisationKind.VENDOR: Role.VENDOR}
"""The organisations people are invited into, and the role they act in."""


@dataclass(frozen=True)
class Issued:
    """An invitation and its one-time code (never stored)."""

    invitation: Invitation
    code: str


def invite_member(uow: UnitOfWork, organisation_code: str, *, email: str, name: str) -> Issued:
    """An administrator invites `email` to act for the organisation."""
    organisation = repo.organisation_by_code(uow.session, organisation_code.strip().upper())
    if organisation is None:
        raise NotFound(f"no organisation {organisation_code}", code="organisation_not_found")
    if OrganisationKind(organisation.kind) not in MEMBER_KINDS:
        raise InvalidInput(
            "only vendors' people are invited this way", code="not_a_member_organisation"
        )
    address = email.strip().lower()
    local, at, domain = address.partition("@")
    if not at or not local or "." not in domain or len(address) > 200 or " " in address:
        raise InvalidInput("that is not an e-mail address", code="invalid_email")
    if repo.user_by_email(uow.session, address):
        raise Conflict("someone already uses this e-mail address", code="email_exists")
    person = name.strip()
    if not 1 <= len(person) <= 100:
        raise InvalidInput("a name has 1 to 100 characters", code="invalid_name")
    code = secrets.token_urlsafe(24)
    invitation = Invitation(
        organisation_id=organisation.id,
        email=address,
        name=person,
        code_hash=sha256_hex(code),
        invited_by=str(uow.actor.id or uow.actor.name),
        expires_at=utcnow() + timedelta(days=INVITATION_DAYS),
    )
    uow.session.add(invitation)
    uow.session.flush()
    # The audit log is public: it names the organisation, not the person's address.
    uow.audit(
        "identity.invitation.sent", "invitation", invitation.id, {"organisation": organisation.code}
    )
    return Issued(invitation, code)


def open_invitation(session: Session, code: str) -> tuple[Invitation, Organisation]:
    """The unused, unexpired invitation with this code, and its organisation; else NotFound."""
    invitation = session.execute(
        select(Invitation).where(Invitation.code_hash == sha256_hex(code.strip()))
    ).scalar_one_or_none()
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.expires_at <= utcnow()
    ):
        raise NotFound("this invitation is unknown, used or expired", code="invitation_not_found")
    organisation = session.get(Organisation, invitation.organisation_id)
    if organisation is None or not organisation.active:
        raise NotFound("this invitation is unknown, used or expired", code="invitation_not_found")
    return invitation, organisation


def accept_invitation(uow: UnitOfWork, code: str, password: str) -> User:
    """The invited person chooses a password and becomes a member of the organisation."""
    invitation, organisation = open_invitation(uow.session, code)
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"a password has at least {MIN_PASSWORD} characters", code="password_too_short"
        )
    member = _new_member(uow.session, organisation, invitation.name, invitation.email, password)
    invitation.accepted_at = utcnow()
    invitation.user_id = member.id
    uow.audit(
        "identity.invitation.accepted",
        "invitation",
        invitation.id,
        {"organisation": organisation.code, "user": str(member.id)},
    )
    return member


def _new_member(
    session: Session, organisation: Organisation, name: str, email: str, password: str
) -> User:
    if repo.user_by_email(session, email):
        raise Conflict("someone already uses this e-mail address", code="email_exists")
    member = User(
        role=MEMBER_KINDS[OrganisationKind(organisation.kind)].value,
        name=name,
        email=email,
        department_id=organisation.id,
        password_hash=hash_password(password),
        verification_level=VerificationLevel.VERIFIED.value,
    )
    session.add(member)
    session.flush()
    return member


def add_member(
    uow: UnitOfWork, organisation_code: str, *, name: str, email: str, password: str
) -> User:
    """*Public service.* A member of a vendor made directly (the demo city's seed)."""
    organisation = repo.organisation_by_code(uow.session, organisation_code)
    if organisation is None or OrganisationKind(organisation.kind) not in MEMBER_KINDS:
        raise NotFound(f"no vendor {organisation_code}", code="organisation_not_found")
    member = _new_member(uow.session, organisation, name, email.lower(), password)
    uow.audit("identity.member.added", "user", member.id, {"organisation": organisation.code})
    return member


def invitations_of(session: Session, limit: int = 100) -> Sequence[tuple[Invitation, Organisation]]:
    """The latest invitations, newest first, with their organisations."""
    rows = session.execute(
        select(Invitation, Organisation)
        .join(Organisation, Organisation.id == Invitation.organisation_id)
        .order_by(Invitation.created_at.desc())
        .limit(limit)
    ).all()
    return [(i, o) for i, o in rows]


def member_organisations(session: Session) -> Sequence[Organisation]:
    """Organisations people may be invited into."""
    kinds = [kind.value for kind in MEMBER_KINDS]
    return (
        session.execute(
            select(Organisation)
            .where(Organisation.kind.in_(kinds), Organisation.active.is_(True))
            .order_by(Organisation.code)
        )
        .scalars()
        .all()
    )
