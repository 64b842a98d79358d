"""identity's pages: a citizen's profile and bindings; the staff's citizens, bindings and keys."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartcity.core.auth import Role
from smartcity.core.errors import DomainError, InvalidInput
from smartcity.core.http import PageContext, page_access
from smartcity.core.ratelimit import throttle
from smartcity.modules.identity import repository as repo
from smartcity.modules.identity import rules, service
from smartcity.modules.identity.authn import forget_revoked_key
from smartcity.modules.identity.values import BindingKind, OrganisationKind

Profile = Annotated[PageContext, Depends(page_access(rules.CITIZEN_PROFILE))]
Citizen = Annotated[PageContext, Depends(page_access(rules.CITIZEN_BINDINGS))]
Staff = Annotated[PageContext, Depends(page_access(rules.STAFF))]
Admin = Annotated[PageContext, Depends(page_access(rules.ADMIN))]
MACHINE_KEY_ROLES = (Role.PROVIDER, Role.DEVICE, Role.VENDOR, Role.OFFICER)


def _is_htmx(ctx: PageContext) -> bool:
    return ctx.request.headers.get("hx-request") == "true"


router = APIRouter(include_in_schema=False)


def build_router() -> APIRouter:
    """identity's page routes (the manifest's factory)."""
    return router


@router.get("/me/profile", response_class=HTMLResponse)
def profile(ctx: Profile) -> Response:
    with ctx.read() as session:
        user = service.get_user(session, str(ctx.principal.id))
        return ctx.render("identity/profile.html", user=user)


def _bindings_page(
    ctx: PageContext,
    error: str = "",
    status_code: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    with ctx.read() as session:
        rows = service.bindings_of(session, uuid.UUID(str(ctx.principal.id)))
        providers = repo.organisations(session, OrganisationKind.PROVIDER.value)
        template = "identity/_bindings.html" if _is_htmx(ctx) else "identity/bindings.html"
        return ctx.render(
            template,
            status_code=status_code,
            bindings=rows,
            kinds=list(BindingKind),
            providers=providers,
            error=error,
            form=form or {},
        )


@router.get("/me/bindings", response_class=HTMLResponse)
def bindings(ctx: Citizen) -> Response:
    return _bindings_page(ctx)


@router.post("/me/bindings", response_class=HTMLResponse)
def add_binding(
    ctx: Citizen,
    kind: Annotated[str, Form(max_length=32)],
    value: Annotated[str, Form(max_length=100)],
    label: Annotated[str, Form(max_length=100)] = "",
    provider: Annotated[str, Form(max_length=32)] = "",
    effective_from: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    form = {
        "kind": kind,
        "value": value,
        "label": label,
        "provider": provider,
        "effective_from": effective_from,
    }
    try:
        binding_kind = BindingKind(kind)
        start = date.fromisoformat(effective_from) if effective_from else None
    except ValueError:
        return _bindings_page(ctx, ctx._("Choose what to bind and a valid date."), 422, form)
    try:
        with ctx.write() as uow:
            user = service.get_user(uow.session, str(ctx.principal.id))
            service.add_binding(
                uow,
                user,
                kind=binding_kind,
                value=value,
                label=label,
                provider_code=provider or None,
                effective_from=start,
            )
    except DomainError as exc:
        return _bindings_page(ctx, ctx._(exc.detail), exc.status, form)
    if _is_htmx(ctx):
        return _bindings_page(ctx)
    return RedirectResponse("/me/bindings", status_code=303)


@router.post("/me/bindings/{binding_id}/revoke", response_class=HTMLResponse)
def revoke_binding(binding_id: uuid.UUID, ctx: Citizen) -> Response:
    with ctx.write() as uow:
        user = service.get_user(uow.session, str(ctx.principal.id))
        service.revoke_binding(uow, user, binding_id)
    if _is_htmx(ctx):
        return _bindings_page(ctx)
    return RedirectResponse("/me/bindings", status_code=303)


# -- staff -----------------------------------------------------------------------------


@router.get("/staff/citizens", response_class=HTMLResponse)
def citizens(ctx: Staff, q: str = "") -> Response:
    if q:
        throttle(ctx, "citizen-lookup", rules.CITIZEN_LOOKUPS)
    with ctx.read() as session:
        rows = repo.users(session, role=Role.CITIZEN, search=q[:100] or None, limit=100)
        return ctx.render("identity/staff_citizens.html", citizens=rows, q=q)


def _api_keys_page(ctx: PageContext, issued: str | None) -> Response:
    with ctx.read() as session:
        return ctx.render(
            "identity/staff_api_keys.html",
            keys=repo.api_keys(session),
            organisations=repo.organisations(session),
            issued=issued,
            roles=list(MACHINE_KEY_ROLES),
        )


@router.get("/staff/api-keys", response_class=HTMLResponse)
def api_keys(ctx: Admin) -> Response:
    return _api_keys_page(ctx, issued=None)


@router.post("/staff/api-keys", response_class=HTMLResponse)
def issue_api_key(
    ctx: Admin,
    organisation: Annotated[str, Form(max_length=32)],
    role: Annotated[Role, Form()],
    label: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    if role not in MACHINE_KEY_ROLES:
        raise InvalidInput(
            "organisation keys are for providers, devices, vendors and department systems",
            code="invalid_key_role",
        )
    with ctx.write() as uow:
        owner = service.get_organisation(uow.session, organisation)
        token = service.issue_api_key(uow, role=role, label=label, organisation=owner).token
    # The token is shown on this page once and never again.
    return _api_keys_page(ctx, issued=token)


@router.post("/staff/api-keys/{key_id}/revoke", response_class=HTMLResponse)
def revoke_api_key(key_id: uuid.UUID, ctx: Admin) -> Response:
    with ctx.write() as uow:
        prefix = service.revoke_api_key(uow, key_id).prefix
    forget_revoked_key(ctx.platform, prefix)
    return RedirectResponse("/staff/api-keys", status_code=303)
