"""identity's review pages: officers decide the bindings citizens ask for, seeing the evidence.

Values that move money (bank accounts, payment tokens) are shown masked here as everywhere.
A refusal needs a reason, which the audit entry keeps.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartcity.core.auth import Role
from smartcity.core.errors import DomainError, InvalidInput, NotFound
from smartcity.core.http import PageContext, page_access
from smartcity.modules.identity import repository as repo
from smartcity.modules.identity import rules, service
from smartcity.modules.identity.models import Binding, Organisation, User
from smartcity.modules.identity.values import BindingKind

StaffPage = Annotated[PageContext, Depends(page_access(rules.STAFF))]
"""Officers and administrators (payment methods: administrators only)."""

router = APIRouter(include_in_schema=False)


def build_router() -> APIRouter:
    """The review pages' routes."""
    return router


@dataclass(frozen=True)
class Evidence:
    """What a reviewer weighs before confirming a binding."""

    binding: Binding
    owner: User
    provider: Organisation | None
    others: list[tuple[Binding, User]]
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
