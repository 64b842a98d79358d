"""identity's JSON API, mounted at /api/v1/identity: parse → service → schema."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from smartcity.core.auth import Role
from smartcity.core.errors import InvalidInput, NotFound
from smartcity.core.http import RequestContext, authorize
from smartcity.core.ratelimit import throttle
from smartcity.modules.identity import repository as repo
from smartcity.modules.identity import rules, scopes, service
from smartcity.modules.identity.authn import forget_revoked_key
from smartcity.modules.identity.models import Organisation, User
from smartcity.modules.identity.schemas import (
    ApiKeyIn,
    ApiKeyOut,
    BindingDecisionIn,
    BindingIn,
    BindingOut,
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
from smartcity.modules.identity.values import BindingKind, OrganisationKind, VerificationLevel


def build_router() -> APIRouter:
    """identity's API routes."""
    router = APIRouter(tags=["identity"])

    @router.get("/me", response_model=Me, summary="Who am I")
    def me(ctx: Annotated[RequestContext, Depends(authorize(rules.SIGNED_IN))]) -> Me:
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
        ctx: Annotated[RequestContext, Depends(authorize(rules.CITIZEN_BINDINGS))],
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
        ctx: Annotated[RequestContext, Depends(authorize(rules.CITIZEN_BINDINGS))],
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
        ctx: Annotated[RequestContext, Depends(authorize(rules.CITIZEN_BINDINGS))],
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
        ctx: Annotated[RequestContext, Depends(authorize(rules.BINDING_DECIDERS))],
    ) -> list[BindingOut]:
        with ctx.read() as session:
            rows = repo.pending_bindings(session, limit=500)
            if ctx.principal.role == Role.PROVIDER:
                provider = service.get_organisation(session, str(ctx.principal.organisation))
                rows = [r for r in rows if r.provider_id == provider.id]
            elif ctx.principal.role == Role.OFFICER:
                rows = [r for r in rows if r.kind != BindingKind.PAYMENT_METHOD]
            return [BindingOut.model_validate(row) for row in rows[:100]]

    @router.post(
        "/bindings/{binding_id}/decision",
        response_model=BindingOut,
        summary="Confirm or refuse a binding",
    )
    def decide_binding(
        binding_id: uuid.UUID,
        body: BindingDecisionIn,
        ctx: Annotated[RequestContext, Depends(authorize(rules.BINDING_DECIDERS))],
    ) -> BindingOut:
        with ctx.write() as uow:
            binding = service.decide_binding(
                uow, binding_id, verified=body.verified, reason=body.reason
            )
            return BindingOut.model_validate(binding)

    # -- citizens ------------------------------------------------------------------------

    @router.post(
        "/citizens", response_model=CitizenOut, status_code=201, summary="Register a citizen"
    )
    def register_citizen(
        body: CitizenIn,
        ctx: Annotated[RequestContext, Depends(authorize(rules.ADMIN))],
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
            return CitizenOut.model_validate(user)

    @router.get("/citizens", response_model=list[CitizenOut], summary="Find citizens")
    def list_citizens(
        ctx: Annotated[RequestContext, Depends(authorize(rules.STAFF))],
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
            rows = repo.users(session, role=Role.CITIZEN, search=search, limit=limit, offset=offset)
            return [CitizenOut.model_validate(row) for row in rows]

    @router.get("/citizens/{user_id}", response_model=CitizenOut, summary="One citizen")
    def get_citizen(
        user_id: uuid.UUID,
        ctx: Annotated[RequestContext, Depends(authorize(rules.STAFF))],
    ) -> CitizenOut:
        with ctx.read() as session:
            return CitizenOut.model_validate(_citizen(session, user_id))

    @router.post(
        "/citizens/{user_id}/verification",
        response_model=CitizenOut,
        summary="Set a citizen's verification level",
    )
    def set_verification(
        user_id: uuid.UUID,
        body: VerificationIn,
        ctx: Annotated[RequestContext, Depends(authorize(rules.STAFF))],
    ) -> CitizenOut:
        with ctx.write() as uow:
            user = _citizen(uow.session, user_id)
            service.set_verification_level(uow, user, body.level)
            return CitizenOut.model_validate(user)

    # -- organisations and staff ------------------------------------------------------------

    @router.get(
        "/organisations",
        response_model=list[OrganisationOut],
        summary="Departments, providers, device owners and vendors",
    )
    def list_organisations(
        ctx: Annotated[RequestContext, Depends(authorize(rules.SIGNED_IN))],
        kind: OrganisationKind | None = None,
    ) -> list[OrganisationOut]:
        with ctx.read() as session:
            rows = repo.organisations(session, kind.value if kind else None)
            return [OrganisationOut.model_validate(row) for row in rows]

    @router.post(
        "/organisations",
        response_model=OrganisationOut,
        status_code=201,
        summary="Register an organisation",
    )
    def create_organisation(
        body: OrganisationIn,
        ctx: Annotated[RequestContext, Depends(authorize(rules.ADMIN))],
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
        ctx: Annotated[RequestContext, Depends(authorize(rules.ADMIN))],
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
        ctx: Annotated[RequestContext, Depends(authorize(rules.ADMIN))],
    ) -> list[ApiKeyOut]:
        with ctx.read() as session:
            return [ApiKeyOut.model_validate(row) for row in repo.api_keys(session)]

    @router.post(
        "/api-keys",
        response_model=IssuedApiKey,
        status_code=201,
        summary="Issue an API key (the token is shown once)",
    )
    def issue_api_key(
        body: ApiKeyIn,
        ctx: Annotated[RequestContext, Depends(authorize(rules.ADMIN))],
    ) -> IssuedApiKey:
        if (body.organisation is None) == (body.user_id is None):
            raise InvalidInput("name either an organisation or a user_id", code="invalid_key_owner")
        with ctx.write() as uow:
            organisation: Organisation | None = None
            user: User | None = None
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
            return IssuedApiKey(
                **ApiKeyOut.model_validate(issued.key).model_dump(), token=issued.token
            )

    @router.delete("/api-keys/{key_id}", response_model=ApiKeyOut, summary="Revoke an API key")
    def revoke_api_key(
        key_id: uuid.UUID,
        ctx: Annotated[RequestContext, Depends(authorize(rules.ADMIN))],
    ) -> ApiKeyOut:
        with ctx.write() as uow:
            revoked = ApiKeyOut.model_validate(service.revoke_api_key(uow, key_id))
        forget_revoked_key(ctx.platform, revoked.prefix)
        return revoked

    return router


def _citizen(session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None or user.role != Role.CITIZEN:
        raise NotFound("no such citizen", code="citizen_not_found")
    return user
