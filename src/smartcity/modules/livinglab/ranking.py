"""Matching over the database: what the reviewing officer sees."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from smartcity.core.errors import PermissionDenied
from smartcity.core.platform import Platform
from smartcity.core.time import local_today
from smartcity.modules.livinglab import matching, semantic, service
from smartcity.modules.livinglab.access import Caller
from smartcity.modules.livinglab.models import Challenge, Field, Proposal
from smartcity.modules.livinglab.values import ChallengeStatus


def need_of(challenge: Challenge, fields: dict[str, Field]) -> matching.Need:
    """A challenge as matching sees it."""
    kinds = frozenset(fields[f].kind for f in challenge.field_ids if f in fields)
    return matching.Need(
        id=str(challenge.id),
        title=challenge.title,
        text=f"{challenge.description} {challenge.expected_outcome}",
        domain=challenge.domain,
        field_ids=frozenset(challenge.field_ids),
        field_kinds=kinds,
        closes_on=challenge.closes_on,
    )


def offer_of(proposal: Proposal) -> matching.Offer:
    """A proposal as matching sees it."""
    return matching.Offer(
        id=str(proposal.id),
        title=proposal.title,
        text=f"{proposal.summary} {proposal.technology} {proposal.data_produced}",
        domain=proposal.domain,
        challenge_id=str(proposal.challenge_id) if proposal.challenge_id else None,
        field_ids=frozenset(proposal.field_ids),
        field_kinds=frozenset(proposal.field_kinds),
        earliest_start=proposal.earliest_start,
    )


def _fields(session: Session) -> dict[str, Field]:
    return {str(f.id): f for f in service.list_fields(session)}


def matches(
    session: Session,
    caller: Caller,
    challenge_id: uuid.UUID,
    platform: Platform | None = None,
) -> list[dict[str, Any]]:
    """Every open proposal ranked for a challenge, best first, with reasons (by meaning too,
    given the platform)."""
    challenge = service.get_challenge(session, challenge_id)
    if not (caller.office or caller.acts_for(challenge.department)):
        raise PermissionDenied(
            "matches are shown to the challenge's department and the office",
            code="not_your_department",
        )
    fields = _fields(session)
    proposals = service.open_proposals(session)
    meanings = (
        semantic.meanings(
            session,
            platform,
            semantic.challenge_texts(challenge),
            {str(p.id): semantic.of_proposal(p) for p in proposals},
        )
        if platform is not None
        else None
    )
    ranked = matching.rank_offers(
        need_of(challenge, fields), [offer_of(p) for p in proposals], meanings=meanings
    )
    return [
        {"proposal_id": uuid.UUID(r.id), "score": r.score, "reasons": r.reasons} for r in ranked
    ]


def suggestions(
    session: Session,
    caller: Caller,
    proposal_id: uuid.UUID,
    platform: Platform | None = None,
) -> list[dict[str, Any]]:
    """For a proposal: open challenges, departments and fields, ranked (challenges by meaning
    too, given the platform, with the sentences that met)."""
    proposal = service.get_proposal(session, caller, proposal_id)
    fields = _fields(session)
    offer = offer_of(proposal)
    challenges = service.list_challenges(session, status=ChallengeStatus.OPEN.value)
    by_id = {str(c.id): c for c in challenges}
    meanings = (
        semantic.meanings(
            session,
            platform,
            semantic.of_proposal(proposal),
            {str(c.id): semantic.challenge_texts(c) for c in challenges},
        )
        if platform is not None
        else None
    )
    ranked_challenges = matching.rank_needs(
        offer, [need_of(c, fields) for c in challenges], meanings=meanings
    )
    after = max(proposal.earliest_start or date.min, local_today())
    sites = [
        matching.Site(
            id=str(f.id),
            name=f.name,
            kind=f.kind,
            department=f.department,
            domains=frozenset(f.domains),
            free_from=service.first_free_day(session, f, proposal.duration_weeks, after),
        )
        for f in fields.values()
    ]
    ranked_sites = matching.rank_sites(offer, sites)
    owners = {cid: c.department for cid, c in by_id.items()}
    owners.update({sid: fields[sid].department for sid in fields})
    departments = matching.rank_departments(ranked_challenges + ranked_sites, owners)
    out: list[dict[str, Any]] = []
    for item in ranked_challenges[:5]:
        out.append(
            {
                "kind": "challenge",
                "id": item.id,
                "title": by_id[item.id].title,
                "score": item.score,
                "reasons": item.reasons,
            }
        )
    for item in departments[:5]:
        out.append(
            {
                "kind": "department",
                "id": item.id,
                "title": item.id,
                "score": item.score,
                "reasons": item.reasons,
            }
        )
    for item in ranked_sites[:5]:
        out.append(
            {
                "kind": "field",
                "id": item.id,
                "title": fields[item.id].name,
                "score": item.score,
                "reasons": item.reasons,
            }
        )
    return out


def similar_proposals(
    session: Session,
    platform: Platform,
    caller: Caller,
    *,
    title: str,
    summary: str,
    domain: str | None = None,
    limit: int = 5,
) -> list[dict[str, Any]]:
    """Proposals the caller may see that resemble one being written, closest first.

    A vendor is shown their own earlier proposals, staff every proposal past draft (the
    proposals' visibility rule): enough to avoid proposing the same pilot twice.
    """
    visible = [p for p in service.list_proposals(session, caller) if p.title or p.summary]
    if not visible:
        return []
    draft = matching.Need(id="", title=title, text=summary, domain=domain or "")
    meanings = semantic.meanings(
        session,
        platform,
        semantic.proposal_texts(title, summary),
        {str(p.id): semantic.of_proposal(p) for p in visible},
    )
    ranked = matching.rank_offers(draft, [offer_of(p) for p in visible], meanings=meanings)
    titles = {str(p.id): p.title for p in visible}
    return [
        {
            "proposal_id": uuid.UUID(r.id),
            "title": titles[r.id],
            "score": r.score,
            "reasons": [
                reason
                for reason in r.reasons
                if reason.startswith(("文字相近", "語意相近", "同領域"))
            ],
        }
        for r in ranked[:limit]
    ]
