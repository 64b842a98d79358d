"""livinglab's vendor pages: a vendor's people draft, attach to and submit proposals, see the
challenges that fit them and follow the pilots they run, with the API's services underneath.

Attachments are checked by `attachments.attach` (size, count, type) and served only to those
who may see the proposal.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from smartcity.core.errors import DomainError, InvalidInput, NotFound
from smartcity.core.http import PageContext, page_access
from smartcity.modules.livinglab import attachments, ranking, rules, service, wording
from smartcity.modules.livinglab.access import caller_for
from smartcity.modules.livinglab.api import livinglab_settings
from smartcity.modules.livinglab.values import ChallengeStatus, Domain, ProposalStatus

VendorPage = Annotated[PageContext, Depends(page_access(rules.VENDOR))]
"""A vendor's people, for their own organisation."""
RunnerPage = Annotated[PageContext, Depends(page_access(rules.PARTICIPANTS))]
"""Those who may read a proposal's files: its vendor, and staff once it is submitted."""

router = APIRouter(include_in_schema=False)


def build_router() -> APIRouter:
    """The vendor pages' routes."""
    return router


def _home(
    ctx: PageContext, error: str = "", status: int = 200, sent: dict[str, str] | None = None
) -> Response:
    with ctx.read() as session:
        who = caller_for(session, ctx.principal, livinglab_settings(ctx))
        challenges = service.list_challenges(session, status=ChallengeStatus.OPEN.value)
        return ctx.render(
            "livinglab/vendor.html",
            status_code=status,
            vendor=who.vendor,
            proposals=service.list_proposals(session, who),
            pilots=service.pilots_for(session, who),
            challenges=challenges,
            names=wording.organisation_names(
                ctx, session, [who.vendor, *(c.department for c in challenges)]
            ),
            error=error,
            sent=sent or {},
            **wording.labels(ctx),
        )


@router.get("/vendor", response_class=HTMLResponse)
def home(ctx: VendorPage) -> Response:
    return _home(ctx)


def _proposal_values(
    title: str, summary: str, domain: str, challenge: str, technology: str, weeks: str
) -> dict[str, object]:
    if not title.strip() or not summary.strip():
        raise InvalidInput("a proposal needs a title and a summary", code="proposal_incomplete")
    try:
        chosen = Domain(domain)
    except ValueError:
        raise InvalidInput("choose a domain", code="invalid_domain") from None
    try:
        challenge_id = uuid.UUID(challenge) if challenge else None
        duration = int(weeks) if weeks.strip() else 20
    except ValueError:
        raise InvalidInput("a duration is whole weeks", code="invalid_duration") from None
    if not 1 <= duration <= 156:
        raise InvalidInput("a pilot runs 1 to 156 weeks", code="invalid_duration")
    return {
        "title": title.strip(),
        "summary": summary.strip(),
        "domain": chosen,
        "challenge_id": challenge_id,
        "technology": technology.strip(),
        "duration_weeks": duration,
    }


@router.post("/vendor/proposals", response_class=HTMLResponse)
def draft(
    ctx: VendorPage,
    title: Annotated[str, Form(max_length=200)] = "",
    summary: Annotated[str, Form(max_length=5000)] = "",
    domain: Annotated[str, Form(max_length=32)] = "",
    challenge: Annotated[str, Form(max_length=36)] = "",
    technology: Annotated[str, Form(max_length=2000)] = "",
    weeks: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    sent = {"title": title, "summary": summary, "domain": domain, "challenge": challenge}
    try:
        values = _proposal_values(title, summary, domain, challenge, technology, weeks)
        with ctx.write() as uow:
            who = caller_for(uow.session, ctx.principal, livinglab_settings(ctx))
            proposal_id = service.submit_proposal(uow, who, draft=True, **values).id
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _home(ctx, ctx._(exc.detail), exc.status, sent)
    return RedirectResponse(f"/vendor/proposals/{proposal_id}", status_code=303)


def _proposal_page(
    ctx: PageContext, proposal_id: uuid.UUID, error: str = "", status: int = 200
) -> Response:
    with ctx.read() as session:
        who = caller_for(session, ctx.principal, livinglab_settings(ctx))
        proposal = service.get_proposal(session, who, proposal_id)
        if proposal.vendor != who.vendor:
            raise NotFound("no such proposal", code="proposal_not_found")
        return ctx.render(
            "livinglab/vendor_proposal.html",
            status_code=status,
            proposal=proposal,
            files=attachments.attachments_of(session, who, proposal.id),
            matches=[
                m
                for m in ranking.suggestions(session, who, proposal.id, ctx.platform)
                if m["kind"] in ("challenge", "field")
            ],
            challenges=service.list_challenges(session, status=ChallengeStatus.OPEN.value),
            editable=proposal.status == ProposalStatus.DRAFT,
            attachable=proposal.status in (ProposalStatus.DRAFT, ProposalStatus.SUBMITTED),
            error=error,
            **wording.labels(ctx),
        )


@router.get("/vendor/proposals/{proposal_id}", response_class=HTMLResponse)
def proposal(proposal_id: uuid.UUID, ctx: VendorPage) -> Response:
    return _proposal_page(ctx, proposal_id)


@router.post("/vendor/proposals/{proposal_id}", response_class=HTMLResponse)
def edit(
    proposal_id: uuid.UUID,
    ctx: VendorPage,
    title: Annotated[str, Form(max_length=200)] = "",
    summary: Annotated[str, Form(max_length=5000)] = "",
    domain: Annotated[str, Form(max_length=32)] = "",
    challenge: Annotated[str, Form(max_length=36)] = "",
    technology: Annotated[str, Form(max_length=2000)] = "",
    weeks: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    try:
        values = _proposal_values(title, summary, domain, challenge, technology, weeks)
        with ctx.write() as uow:
            who = caller_for(uow.session, ctx.principal, livinglab_settings(ctx))
            service.edit_proposal(uow, who, proposal_id, values)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _proposal_page(ctx, proposal_id, ctx._(exc.detail), exc.status)
    return RedirectResponse(f"/vendor/proposals/{proposal_id}", status_code=303)


@router.post("/vendor/proposals/{proposal_id}/attachments", response_class=HTMLResponse)
async def attach(proposal_id: uuid.UUID, ctx: VendorPage, file: UploadFile) -> Response:
    settings = livinglab_settings(ctx)
    # One byte past the limit is enough for `attach` to refuse the file as too large.
    content = await file.read(settings.max_attachment_bytes + 1)
    try:
        with ctx.write() as uow:
            who = caller_for(uow.session, ctx.principal, settings)
            attachments.attach(
                uow,
                who,
                settings,
                ctx.platform.settings.data_dir,
                proposal_id,
                file.filename or "attachment",
                file.content_type or "application/octet-stream",
                content,
            )
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _proposal_page(ctx, proposal_id, ctx._(exc.detail), exc.status)
    return RedirectResponse(f"/vendor/proposals/{proposal_id}", status_code=303)


@router.post("/vendor/proposals/{proposal_id}/submit", response_class=HTMLResponse)
def submit(proposal_id: uuid.UUID, ctx: VendorPage) -> Response:
    try:
        with ctx.write() as uow:
            who = caller_for(uow.session, ctx.principal, livinglab_settings(ctx))
            service.send_proposal(uow, who, proposal_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _proposal_page(ctx, proposal_id, ctx._(exc.detail), exc.status)
    return RedirectResponse(f"/vendor/proposals/{proposal_id}", status_code=303)


@router.get("/livinglab/proposals/{proposal_id}/files/{attachment_id}", response_class=Response)
def download(proposal_id: uuid.UUID, attachment_id: uuid.UUID, ctx: RunnerPage) -> Response:
    with ctx.read() as session:
        who = caller_for(session, ctx.principal, livinglab_settings(ctx))
        row, content = attachments.read_attachment(
            session, who, ctx.platform.settings.data_dir, proposal_id, attachment_id
        )
    # Served as a download under its id, never rendered in the site's origin.
    return Response(
        content,
        media_type=row.content_type,
        headers={"Content-Disposition": f'attachment; filename="{row.id}"'},
    )
