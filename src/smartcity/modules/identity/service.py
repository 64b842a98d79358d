"""Identity's domain logic: people, organisations, credentials and bindings.

Other modules may call the functions marked *public service*; everything
else is for identity's own edge.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from smartcity.core.auth import Principal, Role
from smartcity.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from smartcity.core.keys import KeyRing
from smartcity.core.time import local_today, utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.identity import repository as repo
from smartcity.modules.identity.credentials import (
    decode_access_token,
    hash_password,
    make_api_key,
    sha256_hex,
    split_api_key,
)
from smartcity.modules.identity.invitations import add_member as add_member
from smartcity.modules.identity.models import ApiKey, Binding, Organisation, PortalSession, User
from smartcity.modules.identity.scopes import FULL_ACCESS, checked_scopes
from smartcity.modules.identity.values import (
    BindingKind,
    BindingState,
    OrganisationKind,
    VerificationLevel,
    mask_national_id,
    normalise_binding_value,
    normalise_national_id,
)

# Which organisation kind each machine role belongs to.
ROLE_ORGANISATION = {
    Role.OFFICER: OrganisationKind.DEPARTMENT,
    Role.PROVIDER: OrganisationKind.PROVIDER,
    Role.DEVICE: OrganisationKind.DEVICE_OWNER,
    Role.VENDOR: OrganisationKind.VENDOR,
}
LAST_USED_RESOLUTION = timedelta(minutes=1)
"""API keys record use at most once a minute, so reads do not become writes."""


# -- organisations -------------------------------------------------------------


def create_organisation(
    uow: UnitOfWork, code: str, kind: OrganisationKind, name: str, name_en: str = ""
) -> Organisation:
    """Register a department, provider, device owner or vendor."""
    code = code.strip().upper()
    if not code or len(code) > 32 or not code.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput(
            "an organisation code is 1–32 letters, digits, - or _", code="invalid_organisation_code"
        )
    if repo.organisation_by_code(uow.session, code):
        raise Conflict(f"organisation {code} already exists", code="organisation_exists")
    organisation = Organisation(code=code, kind=kind.value, name=name, name_en=name_en)
    uow.session.add(organisation)
    uow.session.flush()
    uow.audit(
        "identity.organisation.created",
        "organisation",
        organisation.id,
        {"code": code, "kind": kind.value, "name": name},
    )
    return organisation


def ensure_organisation(
    uow: UnitOfWork, code: str, kind: OrganisationKind, name: str | None = None
) -> Organisation:
    """The organisation with `code`, created if missing; its kind must match."""
    found = repo.organisation_by_code(uow.session, code.strip().upper())
    if found is None:
        return create_organisation(uow, code, kind, name or code.upper())
    if found.kind != kind.value:
        raise Conflict(
            f"{found.code} is a {found.kind}, not a {kind.value}", code="organisation_kind_mismatch"
        )
    return found


def get_organisation(session: Session, code: str) -> Organisation:
    """*Public service.* The organisation with `code`, or NotFound."""
    found = repo.organisation_by_code(session, code.strip().upper())
    if found is None:
        raise NotFound(f"no organisation {code}", code="organisation_not_found")
    return found


# -- people ----------------------------------------------------------------------


def national_id_digest(keys: KeyRing, national_id: str) -> str:
    """The keyed digest under which a national ID is looked up."""
    return keys.pseudonym("national-id", national_id)


def register_citizen(
    uow: UnitOfWork,
    keys: KeyRing,
    *,
    national_id: str,
    name: str,
    phone: str | None = None,
    email: str | None = None,
    password: str | None = None,
    verification_level: VerificationLevel = VerificationLevel.BASIC,
) -> User:
    """Give a citizen a digital ID; the national ID is kept only as digest and mask."""
    number = normalise_national_id(national_id)
    digest = national_id_digest(keys, number)
    if repo.user_by_national_id_hash(uow.session, digest):
        raise Conflict("a citizen with this national ID already exists", code="citizen_exists")
    email = _check_email(uow.session, email)
    name = _check_name(name)
    user = User(
        role=Role.CITIZEN.value,
        name=name,
        national_id_hash=digest,
        national_id_masked=mask_national_id(number),
        email=email,
        phone=_check_phone(phone),
        verification_level=verification_level.value,
        password_hash=hash_password(password) if password else None,
        staff_roles=[],
    )
    uow.session.add(user)
    uow.session.flush()
    uow.audit(
        "identity.citizen.registered",
        "user",
        user.id,
        {"verification_level": verification_level.value},
    )
    return user


def create_staff(
    uow: UnitOfWork,
    *,
    role: Role,
    name: str,
    email: str,
    password: str | None = None,
    department_code: str | None = None,
    staff_roles: Sequence[str] = (),
) -> User:
    """Create an officer (of one department) or an administrator."""
    if role not in (Role.OFFICER, Role.ADMIN):
        raise InvalidInput("staff are officers or admins", code="invalid_role")
    department = None
    if role == Role.OFFICER:
        if not department_code:
            raise InvalidInput("an officer belongs to a department", code="department_required")
        department = get_organisation(uow.session, department_code)
        if department.kind != OrganisationKind.DEPARTMENT:
            raise InvalidInput(f"{department.code} is not a department", code="not_a_department")
    user = User(
        role=role.value,
        name=_check_name(name),
        email=_check_email(uow.session, email),
        department_id=department.id if department else None,
        staff_roles=list(staff_roles),
        password_hash=hash_password(password) if password else None,
        verification_level=VerificationLevel.VERIFIED.value,
    )
    uow.session.add(user)
    uow.session.flush()
    uow.audit(
        "identity.staff.created",
        "user",
        user.id,
        {"role": role.value, "department": department.code if department else None},
    )
    return user


def get_user(session: Session, user_id: uuid.UUID | str) -> User:
    """*Public service.* A person by id, or NotFound."""
    try:
        key = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    except ValueError:
        raise NotFound("no such person", code="user_not_found") from None
    user = session.get(User, key)
    if user is None:
        raise NotFound("no such person", code="user_not_found")
    return user


def find_citizen(session: Session, keys: KeyRing, national_id: str) -> User | None:
    """*Public service.* The citizen with this national ID, if registered."""
    return repo.user_by_national_id_hash(
        session, national_id_digest(keys, normalise_national_id(national_id))
    )


def find_login(session: Session, keys: KeyRing, login: str) -> User | None:
    """The person who signs in as `login`: a national ID number or an e-mail address."""
    login = login.strip()
    if "@" in login:
        return repo.user_by_email(session, login)
    try:
        return find_citizen(session, keys, login)
    except InvalidInput:
        return None


def login_name(login: str) -> str:
    """`login` as one account whatever its spelling: e-mail in lower case, an ID in upper."""
    login = login.strip()
    return login.lower() if "@" in login else login.upper()


def set_verification_level(uow: UnitOfWork, user: User, level: VerificationLevel) -> None:
    """Raise or lower a citizen's verification level (an officer checked their papers)."""
    if user.role != Role.CITIZEN:
        raise InvalidInput("only citizens have verification levels", code="not_a_citizen")
    before = user.verification_level
    user.verification_level = level.value
    uow.audit(
        "identity.citizen.verification_changed",
        "user",
        user.id,
        {"from": before, "to": level.value},
    )


def department_code_of(session: Session, user: User) -> str | None:
    """The code of an officer's department (a vendor's member: their organisation)."""
    if user.department_id is None:
        return None
    department = session.get(Organisation, user.department_id)
    return department.code if department else None


def principal_for_user(
    session: Session, user: User, *, scopes: frozenset[str], credential: str
) -> Principal:
    """The principal a person acts as: an officer for their department, a vendor's member for
    their organisation."""
    role = Role(user.role)
    belongs_to = department_code_of(session, user)
    return Principal(
        kind="user",
        id=str(user.id),
        role=role,
        name=user.name,
        department=None if role == Role.VENDOR else belongs_to,
        organisation=belongs_to if role == Role.VENDOR else None,
        scopes=scopes,
        credential=credential,
    )


def user_actor(user: User) -> Principal:
    """The audit actor for something a person does while signing in."""
    return Principal(
        kind="user", id=str(user.id), role=Role(user.role), name=user.name, credential="session"
    )


def _check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput("a name has 1 to 100 characters", code="invalid_name")
    return name


def _check_email(session: Session, email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or len(email) > 200 or " " in email:
        raise InvalidInput("that is not an e-mail address", code="invalid_email")
    if repo.user_by_email(session, email):
        raise Conflict("someone already uses this e-mail address", code="email_exists")
    return email


def _check_phone(phone: str | None) -> str | None:
    if phone is None or not phone.strip():
        return None
    digits = phone.strip().replace("-", "").replace(" ", "")
    if not (digits.lstrip("+").isdigit() and 8 <= len(digits) <= 16):
        raise InvalidInput("a phone number has 8 to 16 digits", code="invalid_phone")
    return digits


# -- machine credentials -----------------------------------------------------------


@dataclass(frozen=True)
class IssuedKey:
    """An API key row and the token, which is shown this once."""

    key: ApiKey
    token: str


def issue_api_key(
    uow: UnitOfWork,
    *,
    role: Role,
    label: str,
    scopes: Sequence[str] = (FULL_ACCESS,),
    vocabulary: Mapping[Role, frozenset[str]] | None = None,
    user: User | None = None,
    organisation: Organisation | None = None,
) -> IssuedKey:
    """Make an API key for a person or an organisation; only its digest is stored.

    A key limited to named scopes needs the `vocabulary` (`scopes.vocabulary(platform)`)
    they are checked against."""
    granted = checked_scopes(role, scopes, vocabulary)
    if (user is None) == (organisation is None):
        raise InvalidInput(
            "a key belongs to exactly one person or organisation", code="invalid_key_owner"
        )
    if organisation is not None:
        expected = ROLE_ORGANISATION.get(role)
        if expected is None or organisation.kind != expected:
            raise InvalidInput(
                f"a {role.value} key cannot belong to a {organisation.kind}",
                code="invalid_key_owner",
            )
    if user is not None and user.role != role.value:
        raise InvalidInput(
            f"this person is a {user.role}, not a {role.value}", code="invalid_key_owner"
        )
    made = make_api_key()
    key = ApiKey(
        prefix=made.prefix,
        secret_hash=made.secret_hash,
        label=label[:200],
        role=role.value,
        scopes=granted,
        user_id=user.id if user else None,
        organisation_id=organisation.id if organisation else None,
    )
    uow.session.add(key)
    uow.session.flush()
    uow.audit(
        "identity.api_key.issued",
        "api_key",
        key.id,
        {"role": role.value, "label": key.label, "scopes": key.scopes},
    )
    return IssuedKey(key, made.token)


def revoke_api_key(uow: UnitOfWork, key_id: uuid.UUID) -> ApiKey:
    """Stop an API key working, at once."""
    key = uow.session.get(ApiKey, key_id)
    if key is None:
        raise NotFound("no such API key", code="api_key_not_found")
    if key.revoked_at is not None:
        raise Conflict("this key is already revoked", code="api_key_revoked")
    key.revoked_at = utcnow()
    uow.audit("identity.api_key.revoked", "api_key", key.id, {})
    return key


def principal_for_token(
    session: Session, keys: KeyRing, issuer: str, token: str
) -> Principal | None:
    """The principal behind an API key or a JWT access token, or None."""
    parts = split_api_key(token)
    if parts is not None:
        return _principal_for_api_key(session, *parts)
    claims = decode_access_token(keys, issuer, token)
    if claims is None:
        return None
    user = session.get(User, uuid.UUID(claims["sub"])) if _is_uuid(claims["sub"]) else None
    if user is None or not user.active:
        return None
    return principal_for_user(
        session, user, scopes=frozenset(str(claims.get("scope", "")).split()), credential="jwt"
    )


def _principal_for_api_key(session: Session, prefix: str, secret: str) -> Principal | None:
    key = repo.api_key_by_prefix(session, prefix)
    if key is None or key.revoked_at is not None:
        return None
    if not secrets.compare_digest(key.secret_hash, sha256_hex(secret)):
        return None
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        # Bookkeeping, not a state change of the city: a plain update, not audited.
        with session.bind.connect() as connection:  # type: ignore[union-attr]
            connection.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
            connection.commit()
    scopes = frozenset(key.scopes)
    if key.user_id is not None:
        user = session.get(User, key.user_id)
        if user is None or not user.active:
            return None
        return principal_for_user(session, user, scopes=scopes, credential="api_key")
    organisation = session.get(Organisation, key.organisation_id)
    if organisation is None or not organisation.active:
        return None
    role = Role(key.role)
    return Principal(
        kind="organisation",
        id=str(organisation.id),
        role=role,
        name=organisation.name,
        # A department's machine key acts for that department like its officers.
        department=organisation.code if role == Role.OFFICER else None,
        organisation=organisation.code,
        scopes=scopes,
        credential="api_key",
    )


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


# -- bindings ----------------------------------------------------------------------


def add_binding(
    uow: UnitOfWork,
    user: User,
    *,
    kind: BindingKind,
    value: str,
    label: str = "",
    provider_code: str | None = None,
    effective_from: date | None = None,
) -> Binding:
    """A citizen asks to bind an identifier; it waits for confirmation."""
    if user.role != Role.CITIZEN:
        raise PermissionDenied("only citizens bind identifiers", code="not_a_citizen")
    normalised = normalise_binding_value(kind, value)
    provider = None
    if kind == BindingKind.PAYMENT_METHOD:
        if not provider_code:
            raise InvalidInput(
                "a payment method needs the provider that holds it", code="provider_required"
            )
        provider = get_organisation(uow.session, provider_code)
        if provider.kind != OrganisationKind.PROVIDER:
            raise InvalidInput(f"{provider.code} is not a payment provider", code="not_a_provider")
    elif provider_code:
        raise InvalidInput("only payment methods name a provider", code="unexpected_provider")
    if repo.open_bindings(uow.session, user.id, kind.value, normalised):
        raise Conflict("you have already bound this identifier", code="binding_exists")
    today = local_today()
    start = effective_from or today
    if start < today:
        raise InvalidInput("a binding cannot start in the past", code="invalid_effective_from")
    binding = Binding(
        user_id=user.id,
        kind=kind.value,
        value=normalised,
        label=label.strip()[:100],
        provider_id=provider.id if provider else None,
        state=BindingState.PENDING.value,
        effective_from=start,
    )
    uow.session.add(binding)
    uow.session.flush()
    uow.audit(
        "identity.binding.requested",
        "binding",
        binding.id,
        {"kind": kind.value, "value": normalised, "provider": provider.code if provider else None},
    )
    return binding


def decide_binding(
    uow: UnitOfWork, binding_id: uuid.UUID, *, verified: bool, reason: str = ""
) -> Binding:
    """An officer (or, for payment methods, the provider) confirms or refuses a binding."""
    binding = get_binding(uow.session, binding_id)
    actor = uow.actor
    if actor.kind == "system":
        allowed = True  # the platform itself (demo seeds, migrations of old records)
    elif binding.kind == BindingKind.PAYMENT_METHOD:
        provider = uow.session.get(Organisation, binding.provider_id)
        allowed = actor.role == Role.ADMIN or (
            actor.role == Role.PROVIDER
            and provider is not None
            and actor.organisation == provider.code
        )
    else:
        allowed = actor.role in (Role.ADMIN, Role.OFFICER)
    if not allowed:
        raise PermissionDenied("you may not decide this binding", code="not_binding_authority")
    if binding.state != BindingState.PENDING:
        raise Conflict(f"this binding is already {binding.state}", code="binding_decided")
    binding.state = (BindingState.VERIFIED if verified else BindingState.REJECTED).value
    binding.decided_at = utcnow()
    uow.audit(
        "identity.binding.decided",
        "binding",
        binding.id,
        {"state": binding.state, "reason": reason[:500]},
    )
    return binding


def revoke_binding(uow: UnitOfWork, user: User, binding_id: uuid.UUID) -> Binding:
    """The citizen ends one of their bindings from today."""
    binding = get_binding(uow.session, binding_id)
    if binding.user_id != user.id:
        raise NotFound("no such binding", code="binding_not_found")
    if binding.state in (BindingState.REVOKED, BindingState.REJECTED):
        raise Conflict(f"this binding is already {binding.state}", code="binding_ended")
    binding.state = BindingState.REVOKED.value
    binding.effective_to = local_today()
    binding.decided_at = utcnow()
    uow.audit("identity.binding.revoked", "binding", binding.id, {})
    return binding


def get_binding(session: Session, binding_id: uuid.UUID) -> Binding:
    """A binding by id, or NotFound."""
    binding = session.get(Binding, binding_id)
    if binding is None:
        raise NotFound("no such binding", code="binding_not_found")
    return binding


def bindings_of(session: Session, user_id: uuid.UUID) -> Sequence[Binding]:
    """*Public service.* Every binding of a citizen, newest first."""
    return repo.bindings_of(session, user_id)


def citizens_bound_to(
    session: Session, kind: BindingKind, value: str, on: date | None = None
) -> list[uuid.UUID]:
    """*Public service.* Citizens with a verified binding of this identifier in force on `on`."""
    normalised = normalise_binding_value(kind, value)
    return [
        b.user_id for b in repo.live_bindings(session, kind.value, normalised, on or local_today())
    ]


# -- portal sessions -----------------------------------------------------------------


def open_session(
    session: Session, user: User, *, kind: str, scope: str, hours: int
) -> tuple[str, PortalSession]:
    """Start a browser session; returns the cookie token (only its digest is kept)."""
    token = secrets.token_urlsafe(32)
    row = PortalSession(
        token_hash=sha256_hex(token),
        user_id=user.id,
        kind=kind,
        csrf_token=secrets.token_urlsafe(24),
        scope=scope,
        expires_at=utcnow() + timedelta(hours=hours),
    )
    session.add(row)
    return token, row


def portal_scope(user: User, granted: str) -> str:
    """The scopes a portal session holds: a citizen's, those the portal asked for; staff
    work in the console with every staff scope their role allows."""
    return granted if user.role == Role.CITIZEN else "*"


def find_session(session: Session, token: str, kind: str) -> PortalSession | None:
    """The live session for a cookie token."""
    row = repo.live_session(session, sha256_hex(token), kind)
    if row is None or row.expires_at <= utcnow():
        return None
    return row


def end_session(session: Session, token: str, kind: str) -> PortalSession | None:
    """Sign out: the session stops working at once."""
    row = find_session(session, token, kind)
    if row is not None:
        row.ended_at = utcnow()
    return row
