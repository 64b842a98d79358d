"""The portal shell: home, language switch, "my services", the staff console, transparency,
the API docs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

import smartcity.modules.identity.service as identity
from smartcity.core.audit.api import MAX_INDEX
from smartcity.core.audit.models import AuditEntry
from smartcity.core.auth import PUBLIC, Principal, Role
from smartcity.core.http import LOCALE_COOKIE, PageContext, page_access
from smartcity.core.i18n import LOCALES
from smartcity.web import rules
from smartcity.web import transparency as transparency_view

Public = Annotated[PageContext, Depends(page_access(PUBLIC))]
LanguageSwitch = Annotated[PageContext, Depends(page_access(PUBLIC, csrf=False))]
CITIZEN_VIEW = Principal(kind="user", id="", role=Role.CITIZEN, name="")
"""Whom the home page lists services for: the cards any citizen gets."""
SignedIn = Annotated[PageContext, Depends(page_access(rules.SIGNED_IN))]
Staff = Annotated[PageContext, Depends(page_access(rules.STAFF_CONSOLE))]
AuditReader = Annotated[PageContext, Depends(page_access(rules.AUDIT))]


def build_router() -> APIRouter:
    """The shell's pages."""
    router = APIRouter(include_in_schema=False)

    @router.get("/", response_class=HTMLResponse)
    def home(ctx: Public) -> Response:
        # Staff see their console's tiles; anyone else a citizen's services (someone not signed
        # in follows one to the sign-in page).
        staff = ctx.principal.role in (Role.OFFICER, Role.ADMIN)
        services = [
            (module.name, card)
            for module in ctx.platform.modules
            for cards in [module.staff_cards if staff else module.citizen_cards]
            if cards
            for card in cards(ctx.principal if staff else CITIZEN_VIEW)
        ]
        if ctx.principal.role == Role.VENDOR:
            # A vendor's people sign in for their organisation, not as citizens: a citizen's
            # own pages (/me/…) are not theirs, the public services are.
            services = [(name, card) for name, card in services if not card.href.startswith("/me/")]
        return ctx.render("web/home.html", services=services)

    @router.post("/lang", response_class=HTMLResponse)
    def switch_language(
        ctx: LanguageSwitch,
        locale: Annotated[str, Form(max_length=10)],
        back: Annotated[str, Form(max_length=500)] = "/",
    ) -> Response:
        # Choosing a language changes nothing but a cookie, so it needs no CSRF token.
        target = back if back.startswith("/") and not back.startswith("//") else "/"
        response = RedirectResponse(target, status_code=303)
        if locale in LOCALES:
            response.set_cookie(
                LOCALE_COOKIE,
                locale,
                max_age=365 * 24 * 3600,
                samesite="lax",
                httponly=True,
                secure=ctx.platform.settings.secure_cookies,
            )
        return response

    @router.get("/me", response_class=HTMLResponse)
    def my_services(ctx: SignedIn) -> Response:
        if ctx.principal.role in (Role.OFFICER, Role.ADMIN):
            return RedirectResponse("/staff", status_code=303)
        if ctx.principal.role == Role.VENDOR:
            return RedirectResponse("/vendor", status_code=303)
        cards = [
            (module.name, card)
            for module in ctx.platform.modules
            if module.citizen_cards
            for card in module.citizen_cards(ctx.principal)
        ]
        return ctx.render("web/me.html", cards=cards)

    @router.get("/staff", response_class=HTMLResponse)
    def staff_console(ctx: Staff) -> Response:
        cards = [
            (module.name, card)
            for module in ctx.platform.modules
            if module.staff_cards
            for card in module.staff_cards(ctx.principal)
        ]
        department = None
        if ctx.principal.department:
            with ctx.read() as session:
                code = ctx.principal.department
                department = identity.organisation_names(session, [code], ctx.locale)[code]
        return ctx.render("web/staff.html", cards=cards, department=department)

    @router.get("/staff/audit", response_class=HTMLResponse)
    def audit_log(ctx: AuditReader, before: int | None = None) -> Response:
        with ctx.read() as session:
            query = select(AuditEntry).order_by(AuditEntry.index.desc()).limit(50)
            if before is not None:
                query = query.where(AuditEntry.index < before)
            rows = list(session.execute(query).scalars())
            head = ctx.platform.log.head(session)
            names = ctx.platform.services["pages"].catalogues.translator(ctx.locale)
            return ctx.render(
                "web/staff_audit.html",
                entries=rows,
                head=head,
                action_name=lambda action: transparency_view.name_of(action, names),
            )

    @router.get("/docs", response_class=HTMLResponse)
    def api_docs(ctx: Public) -> Response:
        # Swagger UI from /static (a pinned package), started from /static/swagger-init.js
        # rather than FastAPI's inline script, so the page keeps every page's strict policy.
        root = str(ctx.request.scope.get("root_path", "")).rstrip("/")
        return ctx.render("web/api_docs.html", openapi_url=f"{root}/openapi.json")

    @router.get("/transparency", response_class=HTMLResponse)
    def transparency(
        ctx: Public,
        before: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None,
        module: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_]*$")] = None,
    ) -> Response:
        names = ctx.platform.services["pages"].catalogues.translator(ctx.locale)
        with ctx.read() as session:
            signed = ctx.platform.log.checkpoint(session)
            shown = transparency_view.public_page(
                session, names, before=before, module=module or None
            )
        return ctx.render(
            "web/transparency.html",
            checkpoint=signed,
            page=shown,
            module=module or "",
            module_names=[(m.name, m.title) for m in ctx.platform.modules],
            before=before,
        )

    @router.get("/me/record", response_class=HTMLResponse)
    def my_record(
        ctx: SignedIn, before: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None
    ) -> Response:
        names = ctx.platform.services["pages"].catalogues.translator(ctx.locale)
        with ctx.read() as session:
            shown = transparency_view.entries_by(
                session, str(ctx.principal.id), names, before=before
            )
        return ctx.render("web/my_record.html", page=shown, before=before)

    return router
