"""identity's JSON API, mounted at /api/v1/identity: parse → service → schema."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from smartcity.core.auth import Role
from smartcity.core.errors import InvalidInput
from smartcity.core.ratelimit import throttle
from smartcity.modules.identity import rules, scopes, service
from smartcity.modules.identity.auth import Admin, BindingDecider, Citizen, SignedIn, Staff
from smartcity.modules.identity.authn import forget_revoked_key
from smartcity.modules.identity.schemas import (
    ApiKeyIn,
    ApiKeyOut,
    BindingDecisionIn,
    BindingIn,
    BindingOut,
    CitizenFactsIn,
    CitizenIn,
    CitizenOut,
    IssuedApiKey,
    Me,
    OrganisationIn,
    OrganisationOut,
    StaffIn,
    StaffOut,
    VerificationIn,
)
from smartcity.modules.identity.values import (
    OrganisationKind,
    OrganisationView,
    UserView,
    VerificationLevel,
)

router = APIRouter(tags=["identity"])


def build_router() -> APIRouter:
    """identity's API routes (the manifest's factory)."""
    return router


@router.get("/me", response_model=Me, summary="Who am I")
def me(ctx: SignedIn) -> Me:
    principal = ctx.principal
    # `openid` says who the caller is; a person's name and papers need `profile` too.
    profile = principal.kind != "user" or principal.has_scope("profile")
    result = Me(
        id=principal.id,
        kind=principal.kind,
        role=principal.role,
        name=principal.name if profile else "",
        department=principal.department,
        organisation=principal.organisation,
        scopes=sorted(principal.scopes),
        credential=principal.credential,
    )
    if profile and principal.kind == "user" and principal.role == Role.CITIZEN:
        with ctx.read() as session:
            user = service.get_user(session, str(principal.id))
            result.verification_level = VerificationLevel(user.verification_level)
            result.national_id_masked = user.national_id_masked
    return result


# -- a citizen's own bindings --------------------------------------------------


@router.get("/me/bindings", response_model=list[BindingOut], summary="My bindings")
def my_bindings(
    ctx: Citizen,
) -> list[BindingOut]:
    with ctx.read() as session:
        rows = service.bindings_of(session, uuid.UUID(str(ctx.principal.id)))
        return [BindingOut.model_validate(row) for row in rows]


@router.post(
    "/me/bindings",
    response_model=BindingOut,
    status_code=201,
    summary="Bind an identifier to my ID",
)
def add_binding(
    body: BindingIn,
    ctx: Citizen,
) -> BindingOut:
    with ctx.write() as uow:
        user = service.get_user(uow.session, str(ctx.principal.id))
        binding = service.add_binding(
            uow,
            user,
            kind=body.kind,
            value=body.value,
            label=body.label,
            provider_code=body.provider,
            effective_from=body.effective_from,
        )
        return BindingOut.model_validate(binding)


@router.delete(
    "/me/bindings/{binding_id}", response_model=BindingOut, summary="End one of my bindings"
)
def revoke_binding(
    binding_id: uuid.UUID,
    ctx: Citizen,
) -> BindingOut:
    with ctx.write() as uow:
        user = service.get_user(uow.session, str(ctx.principal.id))
        return BindingOut.model_validate(service.revoke_binding(uow, user, binding_id))


# -- deciding bindings ------------------------------------------------------------


@router.get(
    "/bindings/pending",
    response_model=list[BindingOut],
    summary="Bindings waiting for my decision",
)
def pending_bindings(
    ctx: BindingDecider,
) -> list[BindingOut]:
    with ctx.read() as session:
        rows = service.pending_bindings_for(session, ctx.principal)
        return [BindingOut.model_validate(row) for row in rows]


@router.post(
    "/bindings/{binding_id}/decision",
    response_model=BindingOut,
    summary="Confirm or refuse a binding",
)
def decide_binding(
    binding_id: uuid.UUID,
    body: BindingDecisionIn,
    ctx: BindingDecider,
) -> BindingOut:
    with ctx.write() as uow:
        binding = service.decide_binding(
            uow, binding_id, verified=body.verified, reason=body.reason
        )
        return BindingOut.model_validate(binding)


# -- citizens ------------------------------------------------------------------------


@router.post("/citizens", response_model=CitizenOut, status_code=201, summary="Register a citizen")
def register_citizen(
    body: CitizenIn,
    ctx: Admin,
) -> CitizenOut:
    with ctx.write() as uow:
        user = service.register_citizen(
            uow,
            ctx.platform.keys,
            national_id=body.national_id,
            name=body.name,
            phone=body.phone,
            email=body.email,
            verification_level=body.verification_level,
        )
        facts = body.model_dump(include={"birth_date", "lives_in", "studies_in", "works_in"})
        if any(facts.values()):
            service.record_citizen_facts(uow, user, **facts)
        return CitizenOut.model_validate(user)


@router.get("/citizens", response_model=list[CitizenOut], summary="Find citizens")
def list_citizens(
    ctx: Staff,
    search: Annotated[str | None, Query(max_length=100)] = None,
    national_id: Annotated[str | None, Query(max_length=10)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[CitizenOut]:
    if national_id or search:
        throttle(ctx, "citizen-lookup", rules.CITIZEN_LOOKUPS)
    with ctx.read() as session:
        if national_id:
            found = service.find_citizen(session, ctx.platform.keys, national_id)
            return [CitizenOut.model_validate(found)] if found else []
        rows = service.citizens(session, search=search, limit=limit, offset=offset)
        return [CitizenOut.model_validate(row) for row in rows]


@router.get("/citizens/{user_id}", response_model=CitizenOut, summary="One citizen")
def get_citizen(
    user_id: uuid.UUID,
    ctx: Staff,
) -> CitizenOut:
    with ctx.read() as session:
        return CitizenOut.model_validate(service.get_citizen(session, user_id))


@router.post(
    "/citizens/{user_id}/verification",
    response_model=CitizenOut,
    summary="Set a citizen's verification level",
)
def set_verification(
    user_id: uuid.UUID,
    body: VerificationIn,
    ctx: Staff,
) -> CitizenOut:
    with ctx.write() as uow:
        user = service.get_citizen(uow.session, user_id)
        service.set_verification_level(uow, user, body.level)
        return CitizenOut.model_validate(user)


@router.put(
    "/citizens/{user_id}/facts",
    response_model=CitizenOut,
    summary="Record a citizen's birth date and districts (as read off their papers)",
)
def record_facts(
    user_id: uuid.UUID,
    body: CitizenFactsIn,
    ctx: Staff,
) -> CitizenOut:
    with ctx.write() as uow:
        user = service.get_citizen(uow.session, user_id)
        service.record_citizen_facts(uow, user, **body.model_dump())
        return CitizenOut.model_validate(user)


# -- organisations and staff ------------------------------------------------------------


@router.get(
    "/organisations",
    response_model=list[OrganisationOut],
    summary="Departments, providers, device owners and vendors",
)
def list_organisations(
    ctx: SignedIn,
    kind: OrganisationKind | None = None,
) -> list[OrganisationOut]:
    with ctx.read() as session:
        rows = service.organisations(session, kind)
        return [OrganisationOut.model_validate(row) for row in rows]


@router.post(
    "/organisations",
    response_model=OrganisationOut,
    status_code=201,
    summary="Register an organisation",
)
def create_organisation(
    body: OrganisationIn,
    ctx: Admin,
) -> OrganisationOut:
    with ctx.write() as uow:
        organisation = service.create_organisation(
            uow, body.code, body.kind, body.name, body.name_en
        )
        return OrganisationOut.model_validate(organisation)


@router.post(
    "/staff",
    response_model=StaffOut,
    status_code=201,
    summary="Create an officer or administrator",
)
def create_staff(
    body: StaffIn,
    ctx: Admin,
) -> StaffOut:
    with ctx.write() as uow:
        user = service.create_staff(
            uow,
            role=body.role,
            name=body.name,
            email=body.email,
            password=body.password,
            department_code=body.department,
            staff_roles=body.staff_roles,
        )
        return StaffOut(
            id=user.id,
            role=Role(user.role),
            name=user.name,
            email=user.email,
            department=service.department_code_of(uow.session, user),
            staff_roles=list(user.staff_roles),
        )


# -- API keys ------------------------------------------------------------------------------


@router.get("/api-keys", response_model=list[ApiKeyOut], summary="All API keys")
def list_api_keys(
    ctx: Admin,
) -> list[ApiKeyOut]:
    with ctx.read() as session:
        return [ApiKeyOut.model_validate(row) for row in service.api_keys(session)]


@router.post(
    "/api-keys",
    response_model=IssuedApiKey,
    status_code=201,
    summary="Issue an API key (the token is shown once)",
)
def issue_api_key(
    body: ApiKeyIn,
    ctx: Admin,
) -> IssuedApiKey:
    if (body.organisation is None) == (body.user_id is None):
        raise InvalidInput("name either an organisation or a user_id", code="invalid_key_owner")
    with ctx.write() as uow:
        organisation: OrganisationView | None = None
        user: UserView | None = None
        if body.organisation:
            organisation = service.get_organisation(uow.session, body.organisation)
        else:
            user = service.get_user(uow.session, str(body.user_id))
        issued = service.issue_api_key(
            uow,
            role=body.role,
            label=body.label,
            scopes=body.scopes,
            vocabulary=scopes.vocabulary(ctx.platform),
            user=user,
            organisation=organisation,
        )
        return IssuedApiKey(**ApiKeyOut.model_validate(issued.key).model_dump(), token=issued.token)


@router.delete("/api-keys/{key_id}", response_model=ApiKeyOut, summary="Revoke an API key")
def revoke_api_key(
    key_id: uuid.UUID,
    ctx: Admin,
) -> ApiKeyOut:
    with ctx.write() as uow:
        revoked = ApiKeyOut.model_validate(service.revoke_api_key(uow, key_id))
    forget_revoked_key(ctx.platform, revoked.prefix)
    return revoked
