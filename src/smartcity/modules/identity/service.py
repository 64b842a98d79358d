"""Identity's domain logic: people, organisations, credentials and bindings.

Other modules may call the functions marked *public service*; everything else is for
identity's own edge. The public services hand out frozen views (`values.UserView`,
`OrganisationView`, `BindingView`), never ORM rows; identity's own functions take either.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.orm import Session

from smartcity.core.auth import Principal, Role
from smartcity.core.city import current_city
from smartcity.core.errors import InvalidInput
from smartcity.core.keys import KeyRing
from smartcity.core.repository import get_or_404
from smartcity.core.time import local_today, utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.identity import errors
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
    BindingView,
    OrganisationKind,
    OrganisationView,
    UserView,
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

View = TypeVar("View", OrganisationView, UserView, BindingView)
Person = User | UserView
"""A person as identity's functions take them: a row of identity's own, or a public view."""
AnyOrganisation = Organisation | OrganisationView
"""An organisation as identity's functions take it."""


def _view(view_type: type[View], row: object, **converted: object) -> View:
    """A frozen copy of `row`'s columns that `view_type` names (`converted` where a column's
    value is not what the view holds)."""
    values: dict[str, Any] = {f.name: getattr(row, f.name) for f in fields(view_type)}
    return view_type(**(values | converted))


def _organisation_view(row: Organisation) -> OrganisationView:
    return _view(OrganisationView, row)


def _user_view(row: User) -> UserView:
    return _view(UserView, row, staff_roles=tuple(row.staff_roles or ()))


def _binding_view(row: Binding) -> BindingView:
    return _view(BindingView, row)


# -- organisations -------------------------------------------------------------


def create_organisation(
    uow: UnitOfWork, code: str, kind: OrganisationKind, name: str, name_en: str = ""
) -> Organisation:
    """Register a department, provider, device owner or vendor."""
    code = code.strip().upper()
    if not code or len(code) > 32 or not code.replace("-", "").replace("_", "").isalnum():
        raise errors.InvalidOrganisationCode("an organisation code is 1–32 letters, digits, - or _")
    if repo.organisation_by_code(uow.session, code):
        raise errors.OrganisationExists(f"organisation {code} already exists")
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
) -> OrganisationView:
    """*Public service.* The organisation with `code`, created if missing; its kind must match."""
    found = repo.organisation_by_code(uow.session, code.strip().upper())
    if found is None:
        return _organisation_view(create_organisation(uow, code, kind, name or code.upper()))
    if found.kind != kind.value:
        raise errors.OrganisationKindMismatch(f"{found.code} is a {found.kind}, not a {kind.value}")
    return _organisation_view(found)


def organisations(session: Session, kind: OrganisationKind | None = None) -> Sequence[Organisation]:
    """Every organisation (of one kind), by code."""
    return repo.organisations(session, kind.value if kind else None)


def get_organisation(session: Session, code: str) -> OrganisationView:
    """*Public service.* The organisation with `code`, or NotFound."""
    found = repo.organisation_by_code(session, code.strip().upper())
    if found is None:
        raise errors.OrganisationNotFound(f"no organisation {code}")
    return _organisation_view(found)


def organisation_names(
    session: Session, codes: Iterable[str | None], locale: str
) -> dict[str, str]:
    """*Public service.* Organisations' names in a page's language, by code, for pages that
    would otherwise show a code (`DOF`, `LINEPAY`); an unknown code stands for itself."""
    wanted: set[str] = {code for code in codes if code}
    names = {code: code for code in wanted}
    for code in wanted:
        found = repo.organisation_by_code(session, code.strip().upper())
        if found is not None:
            names[code] = found.name_en if locale == "en" and found.name_en else found.name
    return names


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
        raise errors.CitizenExists("a citizen with this national ID already exists")
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
) -> UserView:
    """*Public service.* Create an officer (of one department) or an administrator."""
    if role not in (Role.OFFICER, Role.ADMIN):
        raise errors.InvalidRole("staff are officers or admins")
    department = None
    if role == Role.OFFICER:
        if not department_code:
            raise errors.DepartmentRequired("an officer belongs to a department")
        department = get_organisation(uow.session, department_code)
        if department.kind != OrganisationKind.DEPARTMENT:
            raise errors.NotADepartment(f"{department.code} is not a department")
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
    return _user_view(user)


def get_user(session: Session, user_id: uuid.UUID | str) -> UserView:
    """*Public service.* A person by id, or NotFound."""
    return _user_view(
        get_or_404(session, User, user_id, code="user_not_found", detail="no such person")
    )


def _citizen_row(session: Session, keys: KeyRing, national_id: str) -> User | None:
    return repo.user_by_national_id_hash(
        session, national_id_digest(keys, normalise_national_id(national_id))
    )


def find_citizen(session: Session, keys: KeyRing, national_id: str) -> UserView | None:
    """*Public service.* The citizen with this national ID, if registered."""
    found = _citizen_row(session, keys, national_id)
    return _user_view(found) if found is not None else None


def citizens(
    session: Session, *, search: str | None, limit: int, offset: int = 0
) -> Sequence[User]:
    """One page of citizens, those whose name matches `search` when given."""
    return repo.users(session, role=Role.CITIZEN, search=search, limit=limit, offset=offset)


def officers_of(session: Session, department: str) -> list[UserView]:
    """*Public service.* The active officers of a department (by code), by name: whom work of
    the department may be assigned to."""
    return [_user_view(user) for user in repo.officers_of(session, department)]


def get_citizen(session: Session, user_id: uuid.UUID | str) -> User:
    """A citizen's own record by id, or NotFound (an officer's or admin's id too)."""
    user = get_or_404(session, User, user_id, code="citizen_not_found", detail="no such citizen")
    if user.role != Role.CITIZEN:
        raise errors.CitizenNotFound("no such citizen")
    return user


def find_login(session: Session, keys: KeyRing, login: str) -> User | None:
    """The person who signs in as `login`: a national ID number or an e-mail address."""
    login = login.strip()
    if "@" in login:
        return repo.user_by_email(session, login)
    try:
        return _citizen_row(session, keys, login)
    except InvalidInput:
        return None


def login_name(login: str) -> str:
    """`login` as one account whatever its spelling: e-mail in lower case, an ID in upper."""
    login = login.strip()
    return login.lower() if "@" in login else login.upper()


def _citizen(session: Session, person: Person) -> User:
    user = (
        person
        if isinstance(person, User)
        else get_or_404(session, User, person.id, code="user_not_found", detail="no such person")
    )
    if user.role != Role.CITIZEN:
        raise errors.NotACitizen("only citizens have verification levels and papers")
    return user


def set_verification_level(uow: UnitOfWork, person: Person, level: VerificationLevel) -> User:
    """Raise or lower a citizen's verification level (an officer checked their papers)."""
    user = _citizen(uow.session, person)
    before = user.verification_level
    user.verification_level = level.value
    uow.audit(
        "identity.citizen.verification_changed",
        "user",
        user.id,
        {"from": before, "to": level.value},
    )
    return user


def record_citizen_facts(
    uow: UnitOfWork,
    person: Person,
    *,
    birth_date: date | None,
    lives_in: str | None,
    studies_in: str | None = None,
    works_in: str | None = None,
) -> User:
    """Record what an officer read off a citizen's papers: the birth date and the districts of
    this city where they live (household registration), study and work. None clears a fact."""
    user = _citizen(uow.session, person)
    if birth_date is not None and not date(1900, 1, 1) <= birth_date <= local_today():
        raise errors.InvalidCitizenFacts("a birth date is a day between 1900 and today")
    districts = {"lives_in": lives_in, "studies_in": studies_in, "works_in": works_in}
    city = current_city()
    for field, code in districts.items():
        if code is not None and city.district(code) is None:
            raise errors.InvalidCitizenFacts(f"{field}: {code[:40]!r} is no district of this city")
    facts = {"birth_date": birth_date, **districts}
    changed = sorted(name for name, value in facts.items() if getattr(user, name) != value)
    for name, value in facts.items():
        setattr(user, name, value)
    # The audit names what changed, not the values: they are personal data.
    uow.audit("identity.citizen.facts_recorded", "user", user.id, {"changed": changed})
    return user


def department_code_of(session: Session, user: Person) -> str | None:
    """The code of an officer's department (a vendor's member: their organisation)."""
    if user.department_id is None:
        return None
    department = session.get(Organisation, user.department_id)
    return department.code if department else None


def principal_for_user(
    session: Session, user: Person, *, scopes: frozenset[str], credential: str
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


def user_actor(user: Person) -> Principal:
    """The audit actor for something a person does while signing in."""
    return Principal(
        kind="user", id=str(user.id), role=Role(user.role), name=user.name, credential="session"
    )


def _check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise errors.InvalidName("a name has 1 to 100 characters")
    return name


def _check_email(session: Session, email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or len(email) > 200 or " " in email:
        raise errors.InvalidEmail("that is not an e-mail address")
    if repo.user_by_email(session, email):
        raise errors.EmailExists("someone already uses this e-mail address")
    return email


def _check_phone(phone: str | None) -> str | None:
    if phone is None or not phone.strip():
        return None
    digits = phone.strip().replace("-", "").replace(" ", "")
    if not (digits.lstrip("+").isdigit() and 8 <= len(digits) <= 16):
        raise errors.InvalidPhone("a phone number has 8 to 16 digits")
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
    user: Person | None = None,
    organisation: AnyOrganisation | None = None,
) -> IssuedKey:
    """Make an API key for a person or an organisation; only its digest is stored.

    A key limited to named scopes needs the `vocabulary` (`scopes.vocabulary(platform)`)
    they are checked against."""
    granted = checked_scopes(role, scopes, vocabulary)
    if (user is None) == (organisation is None):
        raise errors.InvalidKeyOwner("a key belongs to exactly one person or organisation")
    if organisation is not None:
        expected = ROLE_ORGANISATION.get(role)
        if expected is None or organisation.kind != expected:
            raise errors.InvalidKeyOwner(
                f"a {role.value} key cannot belong to a {organisation.kind}"
            )
    if user is not None and user.role != role.value:
        raise errors.InvalidKeyOwner(f"this person is a {user.role}, not a {role.value}")
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


def api_keys(session: Session) -> Sequence[ApiKey]:
    """Every API key, revoked ones too, newest first."""
    return repo.api_keys(session)


def revoke_api_key(uow: UnitOfWork, key_id: uuid.UUID) -> ApiKey:
    """Stop an API key working, at once."""
    key = get_or_404(
        uow.session, ApiKey, key_id, code="api_key_not_found", detail="no such API key"
    )
    if key.revoked_at is not None:
        raise errors.ApiKeyRevoked("this key is already revoked")
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
    user: Person,
    *,
    kind: BindingKind,
    value: str,
    label: str = "",
    provider_code: str | None = None,
    effective_from: date | None = None,
) -> Binding:
    """A citizen asks to bind an identifier; it waits for confirmation."""
    if user.role != Role.CITIZEN:
        raise errors.OnlyCitizensBind("only citizens bind identifiers")
    normalised = normalise_binding_value(kind, value)
    provider = None
    if kind == BindingKind.PAYMENT_METHOD:
        if not provider_code:
            raise errors.ProviderRequired("a payment method needs the provider that holds it")
        provider = get_organisation(uow.session, provider_code)
        if provider.kind != OrganisationKind.PROVIDER:
            raise errors.NotAProvider(f"{provider.code} is not a payment provider")
    elif provider_code:
        raise errors.UnexpectedProvider("only payment methods name a provider")
    if repo.open_bindings(uow.session, user.id, kind.value, normalised):
        raise errors.BindingExists("you have already bound this identifier")
    today = local_today()
    start = effective_from or today
    if start < today:
        raise errors.InvalidEffectiveFrom("a binding cannot start in the past")
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
        raise errors.NotBindingAuthority("you may not decide this binding")
    if binding.state != BindingState.PENDING:
        raise errors.BindingDecided(f"this binding is already {binding.state}")
    binding.state = (BindingState.VERIFIED if verified else BindingState.REJECTED).value
    binding.decided_at = utcnow()
    uow.audit(
        "identity.binding.decided",
        "binding",
        binding.id,
        {"state": binding.state, "reason": reason[:500]},
    )
    return binding


def revoke_binding(uow: UnitOfWork, user: Person, binding_id: uuid.UUID) -> Binding:
    """The citizen ends one of their bindings from today."""
    binding = get_binding(uow.session, binding_id)
    if binding.user_id != user.id:
        raise errors.BindingNotFound("no such binding")
    if binding.state in (BindingState.REVOKED, BindingState.REJECTED):
        raise errors.BindingEnded(f"this binding is already {binding.state}")
    binding.state = BindingState.REVOKED.value
    binding.effective_to = local_today()
    binding.decided_at = utcnow()
    uow.audit("identity.binding.revoked", "binding", binding.id, {})
    return binding


def get_binding(session: Session, binding_id: uuid.UUID) -> Binding:
    """A binding by id, or NotFound."""
    return get_or_404(
        session, Binding, binding_id, code="binding_not_found", detail="no such binding"
    )


def pending_bindings_for(session: Session, principal: Principal) -> list[Binding]:
    """The oldest pending bindings `principal` decides: a provider its own payment methods,
    an officer every other kind, an administrator all (100 at most)."""
    rows = repo.pending_bindings(session, limit=500)
    if principal.role == Role.PROVIDER:
        provider = get_organisation(session, str(principal.organisation))
        rows = [r for r in rows if r.provider_id == provider.id]
    elif principal.role == Role.OFFICER:
        rows = [r for r in rows if r.kind != BindingKind.PAYMENT_METHOD]
    return list(rows[:100])


def bindings_of(session: Session, user_id: uuid.UUID) -> list[BindingView]:
    """*Public service.* Every binding of a citizen, newest first."""
    return [_binding_view(row) for row in repo.bindings_of(session, user_id)]


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
    session: Session, user: Person, *, kind: str, scope: str, hours: int
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


def portal_scope(user: Person, granted: str) -> str:
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
