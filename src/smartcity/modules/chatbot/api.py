"""chatbot's JSON routes at /api/v1/chatbot: ask, feedback, the knowledge base, triage, LINE.

Each endpoint parses, calls the service (opening the unit of work around it) and shapes the
answer; queries live in `repository`, rules in `knowledge`, `answering` and `triage`.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from smartcity.core.auth import Role
from smartcity.core.ratelimit import throttle
from smartcity.core.time import isoformat_z
from smartcity.modules.chatbot import line, rules, schemas, service
from smartcity.modules.chatbot.auth import Anyone, Open, SignedByLine, Staff
from smartcity.modules.chatbot.values import Channel, Feedback

router = APIRouter(tags=["chatbot"])


def build_router() -> APIRouter:
    """chatbot's API routes (the manifest's factory)."""
    return router


# -- shaping answers -------------------------------------------------------------------------


def item_out(view: service.ItemView) -> schemas.ItemOut:
    """An item as the API shows it."""
    return schemas.ItemOut(**asdict(view))


def ask_out(answer: service.Answer) -> schemas.AskOut:
    """An answer as the API shows it."""
    item = answer.item if answer.answered else None
    reply = answer.reply
    return schemas.AskOut(
        **answer.contract(),
        outcome=answer.outcome.value,
        message=answer.message,
        question_id=answer.question_id,
        links=list(reply.links if reply else item.links if item else []),
        department_name=answer.department_name,
        intent=answer.intent.value if answer.intent else None,
        needs_citizen=bool(reply and reply.needs_citizen),
    )


def _cluster_out(cluster: service.Cluster) -> schemas.ClusterOut:
    return schemas.ClusterOut(
        department_code=cluster.department_code,
        label=cluster.label,
        size=cluster.size,
        questions=[
            {"question_id": str(q.id), "text": q.text, "outcome": q.outcome}
            for q in cluster.questions[:50]
        ],
    )


def _department_out(d: service.DepartmentMetrics) -> schemas.DepartmentMetricsOut:
    return schemas.DepartmentMetricsOut(
        department_code=d.department_code,
        questions=d.questions,
        answered=d.answered,
        suggested=d.suggested,
        declined=d.declined,
        answer_rate=round(d.answer_rate, 4),
        helpful_rate=None if d.helpful_rate is None else round(d.helpful_rate, 4),
    )


# -- citizens --------------------------------------------------------------------------------


@router.post("/ask", response_model=schemas.AskOut)
def ask(body: schemas.AskIn, ctx: Anyone) -> Any:
    """Ask a question in Traditional Chinese (Simplified and English are handled too)."""
    throttle(ctx, "chatbot-ask", rules.QUESTIONS)
    user = str(ctx.principal.id or "")
    citizen = user if ctx.principal.role == Role.CITIZEN and user else None
    answer = service.ask(
        ctx.platform,
        body.question,
        channel=Channel.API,
        user_ref=service.pseudonym(ctx.platform, "api", user),
        citizen=uuid.UUID(citizen) if citizen else None,
    )
    return ask_out(answer)


@router.post("/feedback", status_code=204)
def feedback(body: schemas.FeedbackIn, ctx: Anyone) -> None:
    """Rate an answer; thumbs-down sends the question to triage."""
    with ctx.write() as uow:
        service.record_feedback(uow, body.question_id, Feedback(body.verdict))


# -- the knowledge base ----------------------------------------------------------------------


@router.get("/items", response_model=list[schemas.ItemOut])
def items(
    ctx: Staff,
    q: Annotated[str | None, Query(max_length=100)] = None,
    department: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Any:
    """Knowledge-base items, newest change first."""
    with ctx.read() as session:
        found = service.list_items(session, search=q, department=department, limit=limit)
        return [item_out(service.view_of(session, item)) for item in found]


@router.post("/items", response_model=schemas.ItemOut, status_code=201)
def create(body: schemas.ItemIn, ctx: Staff) -> Any:
    """Write a new item; it answers at once."""
    with ctx.write() as uow:
        item = service.create_item(
            uow,
            question=body.question,
            answer=body.answer,
            department_code=body.department_code,
            keywords=body.keywords,
            links=[link.model_dump() for link in body.links],
            variants=body.variants,
            source_id=body.source_id,
            valid_from=body.valid_from,
            valid_until=body.valid_until,
        )
        return item_out(service.view_of(uow.session, item))


@router.get("/items/{item_id}", response_model=schemas.ItemOut)
def read(item_id: uuid.UUID, ctx: Staff) -> Any:
    """One item."""
    with ctx.read() as session:
        return item_out(service.view_of(session, service.get_item(session, str(item_id))))


@router.patch("/items/{item_id}", response_model=schemas.ItemOut)
def patch(item_id: uuid.UUID, body: schemas.ItemPatch, ctx: Staff) -> Any:
    """Change an item; the previous version is kept."""
    changes = body.model_dump(exclude_unset=True)
    if body.links is not None:
        changes["links"] = [link.model_dump() for link in body.links]
    with ctx.write() as uow:
        item = service.update_item(uow, service.get_item(uow.session, str(item_id)), changes)
        return item_out(service.view_of(uow.session, item))


@router.post("/items/{item_id}/variants", response_model=schemas.ItemOut, status_code=201)
def add_variant(item_id: uuid.UUID, body: schemas.VariantIn, ctx: Staff) -> Any:
    """Add a citizen's phrasing of the item's question."""
    with ctx.write() as uow:
        item = service.get_item(uow.session, str(item_id))
        service.add_variant(uow, item, body.text)
        return item_out(service.view_of(uow.session, item))


@router.get("/items/{item_id}/versions", response_model=list[schemas.VersionOut])
def versions(item_id: uuid.UUID, ctx: Staff) -> Any:
    """An item's history, newest first."""
    with ctx.read() as session:
        item = service.get_item(session, str(item_id))
        return [
            schemas.VersionOut(
                version=v.version,
                changed_by=v.changed_by,
                changed_at=isoformat_z(v.changed_at),
                snapshot=v.snapshot,
            )
            for v in service.item_versions(session, item.id)
        ]


# -- triage and metrics ----------------------------------------------------------------------


@router.get("/triage", response_model=list[schemas.ClusterOut])
def triage(ctx: Staff, department: Annotated[str | None, Query(max_length=32)] = None) -> Any:
    """Open questions clustered by similarity, per department."""
    with ctx.read() as session:
        clusters = service.triage_queue(session, ctx.principal, department=department)
        return [_cluster_out(c) for c in clusters]


@router.post("/triage/{question_id}/resolve", response_model=schemas.ItemOut)
def resolve(question_id: uuid.UUID, body: schemas.ResolveIn, ctx: Staff) -> Any:
    """Attach the question to an item: it becomes a variant and answers at once."""
    with ctx.write() as uow:
        item = service.resolve_question(uow, str(question_id), body.item)
        return item_out(service.view_of(uow.session, item))


@router.post("/triage/{question_id}/ignore", status_code=204)
def ignore(question_id: uuid.UUID, ctx: Staff) -> None:
    """Take the question off the queue."""
    with ctx.write() as uow:
        service.ignore_question(uow, str(question_id))


@router.get("/metrics", response_model=schemas.MetricsOut)
def metrics(ctx: Staff, days: Annotated[int, Query(ge=1, le=366)] = 30) -> Any:
    """Answer rate, helpful rate and top unanswered clusters, by department."""
    with ctx.read() as session:
        found = service.metrics(session, ctx.principal, days=days)
        return schemas.MetricsOut(
            days=found.days,
            overall=_department_out(found.overall),
            departments=[_department_out(d) for d in found.departments],
            top_unanswered=[_cluster_out(c) for c in found.top_unanswered],
            items=found.items,
            kb_version=found.kb_version,
        )


# -- LINE ------------------------------------------------------------------------------------


@router.post("/line/webhook", response_model=schemas.WebhookOut)
async def line_webhook(body: SignedByLine, ctx: Open) -> Any:
    """LINE Messaging API webhook: signature checked on the raw body before parsing."""
    processed = await run_in_threadpool(line.handle_webhook, ctx.platform, body)
    return schemas.WebhookOut(processed=processed)
