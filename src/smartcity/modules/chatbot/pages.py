"""chatbot's pages: the citizens' chat widget; the staff's editor, triage queue and metrics."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartcity.core.auth import Role
from smartcity.core.departments import own_department
from smartcity.core.errors import DomainError, PermissionDenied
from smartcity.core.http import PageContext
from smartcity.core.ratelimit import throttle
from smartcity.core.time import local_today
from smartcity.modules.chatbot import accounts, rules, service
from smartcity.modules.chatbot.auth import ChatPage, CitizenPage, PublicPage, StaffPage
from smartcity.modules.chatbot.errors import LinkTokenMissing
from smartcity.modules.chatbot.values import Channel, Feedback, Outcome

TRIAGE_SUGGESTIONS = 3
"""Items offered at once under each cluster of the triage queue."""
TRIAGE_CLUSTERS_SUGGESTED = 30
"""Clusters that get offers without a search (the queue's first page)."""
TRIAGE_SEARCH_RESULTS = 8
"""Items a triage search lists."""


def _is_htmx(ctx: PageContext) -> bool:
    return ctx.request.headers.get("hx-request") == "true"


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _citizen(ctx: PageContext) -> uuid.UUID | None:
    """The signed-in citizen asking (None: anyone else, who gets no personal answer)."""
    principal = ctx.principal
    return uuid.UUID(str(principal.id)) if principal.role == Role.CITIZEN and principal.id else None


def _known(ctx: PageContext) -> uuid.UUID:
    citizen = _citizen(ctx)
    if citizen is None:  # the citizens' rule already let only citizens in
        raise PermissionDenied("only citizens link accounts")
    return citizen


def build_router() -> APIRouter:
    """chatbot's page routes."""
    router = APIRouter(include_in_schema=False)

    @router.get("/chat", response_class=HTMLResponse)
    def chat(ctx: PublicPage) -> Response:
        return ctx.render("chatbot/chat.html")

    @router.post("/chat/ask", response_class=HTMLResponse)
    def chat_ask(ctx: ChatPage, question: Annotated[str, Form(max_length=2000)] = "") -> Response:
        throttle(ctx, "chatbot-ask", rules.QUESTIONS)
        error = ""
        answer = None
        try:
            answer = service.ask(
                ctx.platform,
                question,
                channel=Channel.WEB,
                user_ref=service.pseudonym(ctx.platform, "web", str(ctx.principal.id or "")),
                citizen=_citizen(ctx),
            )
        except DomainError as exc:
            error = ctx._(exc.detail) if exc.code != "empty_question" else ctx._("Type a question.")
        template = "chatbot/_reply.html" if _is_htmx(ctx) else "chatbot/chat.html"
        return ctx.render(template, answer=answer, error=error, asked=question[:500])

    @router.post("/chat/feedback", response_class=HTMLResponse)
    def chat_feedback(
        ctx: ChatPage,
        question_id: Annotated[str, Form(max_length=64)] = "",
        verdict: Annotated[Literal["helpful", "unhelpful"], Form()] = "helpful",
    ) -> Response:
        try:
            with ctx.write() as uow:
                service.record_feedback(uow, question_id, Feedback(verdict))
        except DomainError:
            return HTMLResponse(ctx._("Thank you."), status_code=200)
        return HTMLResponse(ctx._("Thank you for your feedback."))

    @router.get("/chat/items/{item_id}", response_class=HTMLResponse)
    def chat_item(item_id: uuid.UUID, ctx: PublicPage) -> Response:
        doc = service.answer_item(ctx.platform, str(item_id))
        answer = service.Answer(doc.question, Outcome.ANSWERED, 1.0, item=doc)
        template = "chatbot/_reply.html" if _is_htmx(ctx) else "chatbot/chat.html"
        return ctx.render(template, answer=answer, error="", asked=doc.question)

    # -- a citizen's own settings: the LINE account link, the home district ---------------

    @router.get("/chat/line/link", response_class=HTMLResponse)
    def line_link(
        ctx: CitizenPage,
        linkToken: Annotated[str, Query(max_length=200)] = "",  # LINE's parameter name
        account: Annotated[str, Query(max_length=1000)] = "",
    ) -> Response:
        with ctx.read() as session:
            linked = accounts.is_linked(session, _known(ctx))
        line_name = accounts.link_account(ctx.platform.keys, linkToken, account)
        return ctx.render(
            "chatbot/line_link.html",
            link_token=linkToken if line_name is not None else "",
            account=account,
            line_name=line_name,
            linked=linked,
        )

    @router.post("/chat/line/link")
    def line_link_confirm(
        ctx: CitizenPage,
        link_token: Annotated[str, Form(max_length=200)] = "",
        account: Annotated[str, Form(max_length=1000)] = "",
    ) -> Response:
        # LINE's account-link flow, step 3: a nonce for this citizen, then LINE's dialog.
        if accounts.link_account(ctx.platform.keys, link_token, account) is None:
            raise LinkTokenMissing("open this page from the chatbot's link button")
        with ctx.write() as uow:
            nonce = accounts.make_nonce(uow, _known(ctx))
        return RedirectResponse(accounts.dialog_url(link_token, nonce), status_code=303)

    @router.post("/chat/line/unlink", response_class=HTMLResponse)
    def line_unlink(ctx: CitizenPage) -> Response:
        with ctx.write() as uow:
            accounts.unlink_citizen(uow, _known(ctx))
        return ctx.render("chatbot/line_link.html", link_token="", linked=False, unlinked=True)

    @router.post("/chat/home", response_class=HTMLResponse)
    def home(ctx: CitizenPage, district: Annotated[str, Form(max_length=40)] = "") -> Response:
        with ctx.write() as uow:
            accounts.set_home_district(uow, _known(ctx), district)
        return HTMLResponse(ctx._("Your home district is noted."))

    # -- staff -----------------------------------------------------------------------------

    @router.get("/staff/chatbot", response_class=HTMLResponse)
    def items(ctx: StaffPage, q: str = "") -> Response:
        department = own_department(ctx.principal)
        with ctx.read() as session:
            found = service.list_items(session, search=q[:100] or None, department=department)
            return ctx.render(
                "chatbot/staff_items.html",
                items=found,
                q=q[:100],
                total=service.count_items(session),
            )

    @router.get("/staff/chatbot/items/{item_id}", response_class=HTMLResponse)
    def edit(item_id: uuid.UUID, ctx: StaffPage) -> Response:
        return _edit_page(ctx, item_id)

    def _edit_page(
        ctx: PageContext, item_id: uuid.UUID, error: str = "", status: int = 200
    ) -> Response:
        with ctx.read() as session:
            item = service.get_item(session, str(item_id))
            return ctx.render(
                "chatbot/staff_item.html",
                status_code=status,
                item=item,
                variants=service.variants_of(session, item.id),
                versions=service.item_versions(session, item.id),
                today=local_today(),
                error=error,
            )

    @router.post("/staff/chatbot/items", response_class=HTMLResponse)
    def create(
        ctx: StaffPage,
        question: Annotated[str, Form(max_length=500)] = "",
        answer: Annotated[str, Form(max_length=20000)] = "",
        keywords: Annotated[str, Form(max_length=1000)] = "",
    ) -> Response:
        department = own_department(ctx.principal)
        try:
            with ctx.write() as uow:
                item = service.create_item(
                    uow,
                    question=question,
                    answer=answer,
                    department_code=department,
                    keywords=[k for k in keywords.replace("，", ",").split(",") if k.strip()],
                )
                item_id = item.id
        except DomainError as exc:
            with ctx.read() as session:
                return ctx.render(
                    "chatbot/staff_items.html",
                    status_code=exc.status,
                    items=service.list_items(session, department=department),
                    q="",
                    total=service.count_items(session),
                    error=ctx._(exc.detail),
                )
        return RedirectResponse(f"/staff/chatbot/items/{item_id}", status_code=303)

    @router.post("/staff/chatbot/items/{item_id}", response_class=HTMLResponse)
    def update(
        item_id: uuid.UUID,
        ctx: StaffPage,
        question: Annotated[str, Form(max_length=500)] = "",
        answer: Annotated[str, Form(max_length=20000)] = "",
        keywords: Annotated[str, Form(max_length=1000)] = "",
        valid_from: Annotated[str, Form(max_length=10)] = "",
        valid_until: Annotated[str, Form(max_length=10)] = "",
        status: Annotated[Literal["active", "retired"], Form()] = "active",
    ) -> Response:
        try:
            with ctx.write() as uow:
                item = service.get_item(uow.session, str(item_id))
                service.update_item(
                    uow,
                    item,
                    {
                        "question": question or None,
                        "answer": answer or None,
                        "keywords": [
                            k.strip() for k in keywords.replace("，", ",").split(",") if k.strip()
                        ],
                        "valid_from": _date(valid_from),
                        "valid_until": _date(valid_until),
                        "status": status,
                    },
                )
        except DomainError as exc:
            if exc.status == 404:
                raise
            return _edit_page(ctx, item_id, ctx._(exc.detail), exc.status)
        return RedirectResponse(f"/staff/chatbot/items/{item_id}", status_code=303)

    @router.post("/staff/chatbot/items/{item_id}/variants", response_class=HTMLResponse)
    def add_variant(
        item_id: uuid.UUID, ctx: StaffPage, text: Annotated[str, Form(max_length=500)] = ""
    ) -> Response:
        try:
            with ctx.write() as uow:
                service.add_variant(uow, service.get_item(uow.session, str(item_id)), text)
        except DomainError as exc:
            if exc.status == 404:
                raise
            return _edit_page(ctx, item_id, ctx._(exc.detail), exc.status)
        return RedirectResponse(f"/staff/chatbot/items/{item_id}", status_code=303)

    @router.get("/staff/chatbot/triage", response_class=HTMLResponse)
    def triage(ctx: StaffPage) -> Response:
        return _triage_page(ctx)

    def _triage_page(ctx: PageContext, error: str = "", status: int = 200) -> Response:
        with ctx.read() as session:
            clusters = service.triage_queue(session, ctx.principal)
        # Each cluster's label is its questions' common wording: the items nearest to it are
        # offered for every question of the cluster, and a search box finds any other.
        suggestions = {
            cluster.label: service.find_items(ctx.platform, cluster.label, TRIAGE_SUGGESTIONS)
            for cluster in clusters[:TRIAGE_CLUSTERS_SUGGESTED]
        }
        return ctx.render(
            "chatbot/staff_triage.html",
            status_code=status,
            clusters=clusters,
            suggestions=suggestions,
            error=error,
        )

    @router.get("/staff/chatbot/triage/{question_id}/search", response_class=HTMLResponse)
    def triage_search(
        question_id: uuid.UUID, ctx: StaffPage, q: Annotated[str, Query(max_length=200)] = ""
    ) -> Response:
        found = service.find_items(ctx.platform, q, TRIAGE_SEARCH_RESULTS)
        template = (
            "chatbot/_triage_results.html" if _is_htmx(ctx) else "chatbot/staff_triage_search.html"
        )
        return ctx.render(template, question_id=question_id, found=found, q=q)

    @router.post("/staff/chatbot/triage/{question_id}/resolve", response_class=HTMLResponse)
    def resolve(
        question_id: uuid.UUID, ctx: StaffPage, item: Annotated[str, Form(max_length=64)] = ""
    ) -> Response:
        try:
            with ctx.write() as uow:
                service.resolve_question(uow, str(question_id), item)
        except DomainError as exc:
            return _triage_page(ctx, ctx._(exc.detail), exc.status)
        return RedirectResponse("/staff/chatbot/triage", status_code=303)

    @router.post("/staff/chatbot/triage/{question_id}/ignore", response_class=HTMLResponse)
    def ignore(question_id: uuid.UUID, ctx: StaffPage) -> Response:
        try:
            with ctx.write() as uow:
                service.ignore_question(uow, str(question_id))
        except DomainError as exc:
            return _triage_page(ctx, ctx._(exc.detail), exc.status)
        return RedirectResponse("/staff/chatbot/triage", status_code=303)

    @router.get("/staff/chatbot/metrics", response_class=HTMLResponse)
    def metrics(ctx: StaffPage, days: int = 30) -> Response:
        with ctx.read() as session:
            found = service.metrics(session, ctx.principal, days=max(1, min(days, 366)))
            return ctx.render("chatbot/staff_metrics.html", metrics=found)

    return router
