"""identity's review pages: officers decide the bindings citizens ask for, seeing the evidence.

Values that move money (bank accounts, payment tokens) are shown masked here as everywhere.
A refusal needs a reason, which the audit entry keeps.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Path
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartcity.core.auth import PUBLIC, Role
from smartcity.core.errors import DomainError, InvalidInput, NotFound
from smartcity.core.http import PageContext, page_access
from smartcity.modules.identity import invitations, rules, service
from smartcity.modules.identity import repository as repo
from smartcity.modules.identity.models import Binding, Organisation
from smartcity.modules.identity.values import BindingKind, UserView

StaffPage = Annotated[PageContext, Depends(page_access(rules.STAFF))]
"""Officers and administrators (payment methods: administrators only)."""
AdminPage = Annotated[PageContext, Depends(page_access(rules.ADMIN))]
"""Administrators, who invite vendors' people."""
# The one-time code is the credential: nobody is signed in yet, so there is no session to
# protect with a CSRF token.
InvitedPage = Annotated[PageContext, Depends(page_access(PUBLIC, csrf=False))]
"""Whoever holds an invitation's code."""

router = APIRouter(include_in_schema=False)


def build_router() -> APIRouter:
    """The review pages' routes."""
    return router


@dataclass(frozen=True)
class Evidence:
    """What a reviewer weighs before confirming a binding."""

    binding: Binding
    owner: UserView
    provider: Organisation | None
    others: list[tuple[Binding, UserView]]
    """Other citizens' bindings of the same identifier: a verified one is a red flag."""
    earlier: list[Binding]
    """This citizen's earlier requests for the same identifier (a refusal, a revocation)."""


def _may_review(ctx: PageContext, binding: Binding) -> bool:
    return binding.kind != BindingKind.PAYMENT_METHOD or ctx.principal.role == Role.ADMIN


def _evidence(ctx: PageContext, binding_id: uuid.UUID) -> Evidence:
    with ctx.read() as session:
        binding = service.get_binding(session, binding_id)
        if not _may_review(ctx, binding):
            raise NotFound("no such binding", code="binding_not_found")
        same = repo.bindings_of_value(session, binding.kind, binding.value)
        return Evidence(
            binding=binding,
            owner=service.get_user(session, binding.user_id),
            provider=session.get(Organisation, binding.provider_id)
            if binding.provider_id
            else None,
            others=[
                (b, service.get_user(session, b.user_id))
                for b in same
                if b.user_id != binding.user_id
            ],
            earlier=[b for b in same if b.user_id == binding.user_id and b.id != binding.id],
        )


@router.get("/staff/bindings", response_class=HTMLResponse)
def pending(ctx: StaffPage) -> Response:
    with ctx.read() as session:
        rows = [b for b in repo.pending_bindings(session, limit=200) if _may_review(ctx, b)]
        owners = {b.user_id: service.get_user(session, b.user_id) for b in rows}
        return ctx.render("identity/staff_bindings.html", bindings=rows, owners=owners)


def _review_page(
    ctx: PageContext, binding_id: uuid.UUID, error: str = "", status: int = 200
) -> Response:
    return ctx.render(
        "identity/staff_binding.html",
        status_code=status,
        evidence=_evidence(ctx, binding_id),
        error=error,
    )


@router.get("/staff/bindings/{binding_id}", response_class=HTMLResponse)
def review(binding_id: uuid.UUID, ctx: StaffPage) -> Response:
    return _review_page(ctx, binding_id)


@router.post("/staff/bindings/{binding_id}/decision", response_class=HTMLResponse)
def decide(
    binding_id: uuid.UUID,
    ctx: StaffPage,
    decision: Annotated[Literal["verify", "reject"], Form()],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        if decision == "reject" and not reason.strip():
            raise InvalidInput("say why the binding is refused", code="reason_required")
        with ctx.write() as uow:
            service.decide_binding(
                uow, binding_id, verified=decision == "verify", reason=reason.strip()
            )
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _review_page(ctx, binding_id, ctx._(exc.detail), exc.status)
    return RedirectResponse("/staff/bindings", status_code=303)


# -- invitations ------------------------------------------------------------------------------


def _invitations_page(
    ctx: PageContext,
    *,
    issued: invitations.Issued | None = None,
    error: str = "",
    status: int = 200,
    sent: dict[str, str] | None = None,
) -> Response:
    with ctx.read() as session:
        return ctx.render(
            "identity/staff_invitations.html",
            status_code=status,
            organisations=invitations.member_organisations(session),
            invitations=invitations.invitations_of(session),
            issued=issued,
            link=f"{str(ctx.request.base_url).rstrip('/')}/join/{issued.code}" if issued else "",
            error=error,
            sent=sent or {},
        )


@router.get("/staff/invitations", response_class=HTMLResponse)
def invitations_page(ctx: AdminPage) -> Response:
    return _invitations_page(ctx)


@router.post("/staff/invitations", response_class=HTMLResponse)
def invite(
    ctx: AdminPage,
    organisation: Annotated[str, Form(max_length=32)] = "",
    email: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    sent = {"organisation": organisation, "email": email, "name": name}
    try:
        with ctx.write() as uow:
            issued = invitations.invite_member(uow, organisation, email=email, name=name)
    except DomainError as exc:
        return _invitations_page(ctx, error=ctx._(exc.detail), status=exc.status, sent=sent)
    # The code is shown this once; only its digest is kept.
    return _invitations_page(ctx, issued=issued, status=201)


@router.get("/join/{code}", response_class=HTMLResponse)
def join_page(code: Annotated[str, Path(max_length=64)], ctx: InvitedPage) -> Response:
    with ctx.read() as session:
        invitation, organisation = invitations.open_invitation(session, code)
        return ctx.render(
            "identity/join.html", invitation=invitation, organisation=organisation, code=code
        )


@router.post("/join/{code}", response_class=HTMLResponse)
def join(
    code: Annotated[str, Path(max_length=64)],
    ctx: InvitedPage,
    password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        with ctx.write() as uow:
            invitations.accept_invitation(uow, code, password)
    except DomainError as exc:
        if exc.status == 404:
            raise
        with ctx.read() as session:
            invitation, organisation = invitations.open_invitation(session, code)
            return ctx.render(
                "identity/join.html",
                status_code=exc.status,
                invitation=invitation,
                organisation=organisation,
                code=code,
                error=ctx._(exc.detail),
            )
    return RedirectResponse("/login?joined=1", status_code=303)
