"""i-Voting's way for an issue: proposal, seconds, review with reasons, discussion, options,
publicity, the vote, results and follow-up. Each move is a command with its rule and an audit
entry; the moves an officer may make from each stage are in `MOVES`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from smartcity.core.departments import own_department, require_department
from smartcity.core.time import as_utc, isoformat_z, utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.identity.service import get_user
from smartcity.modules.participation import repository, voting
from smartcity.modules.participation.errors import (
    AlreadySeconded,
    ReasonRequired,
    SecondingClosed,
    StageChangeRefused,
)
from smartcity.modules.participation.models import Second, Vote
from smartcity.modules.participation.values import Origin, Stage, TrusteePlan

MOVES: dict[Stage, tuple[Stage, ...]] = {
    Stage.PROPOSAL_CHECK: (Stage.PRELIMINARY_REVIEW, Stage.NOT_ADOPTED),
    Stage.PRELIMINARY_REVIEW: (Stage.DISCUSSION, Stage.NOT_ADOPTED),
    Stage.DISCUSSION: (Stage.OPTIONS, Stage.NOT_ADOPTED),
    Stage.OPTIONS: (Stage.PUBLICITY,),
    Stage.PUBLICITY: (),
    Stage.VOTING: (),
    Stage.TALLYING: (),
    Stage.RESULTS: (),
    Stage.NOT_ADOPTED: (),
}
"""Where an officer may move an issue by hand. Publicity → voting opens the election
(`voting.open_election`), voting → results is the tally, and a proposal reaches review by
itself once seconded enough; proposal_check → preliminary_review by hand only after that."""


def propose(
    uow: UnitOfWork, *, title: str, description: str, seconds_needed: int, seconding_days: int
) -> Vote:
    """A citizen's proposal; it gathers seconds for `seconding_days`."""
    proposer = get_user(uow.session, str(uow.actor.id))
    now = utcnow()
    issue = Vote(
        title=title,
        description=description,
        department_code=None,
        origin=Origin.CITIZEN.value,
        proposed_by=proposer.id,
        stage=Stage.PROPOSAL_CHECK.value,
        eligibility={},
        seconds_needed=seconds_needed,
        seconds=0,
        seconding_closes_at=now + timedelta(days=seconding_days),
        decisions=[],
        ballots_cast=0,
        created_at=now,
    )
    uow.session.add(issue)
    uow.session.flush()
    uow.audit(
        "participation.issue.proposed",
        "participation_vote",
        issue.id,
        {"title": title, "seconds_needed": seconds_needed},
    )
    return issue


def record_stage(uow: UnitOfWork, issue: Vote, stage: Stage, reason: str) -> None:
    """Move an issue to `stage`, with the reason on its public record and in the audit log."""
    previous = issue.stage
    issue.stage = stage.value
    issue.decisions = [
        *issue.decisions,
        {"from": previous, "to": stage.value, "reason": reason, "at": isoformat_z(utcnow())},
    ]
    uow.audit(
        "participation.issue.stage_changed",
        "participation_vote",
        issue.id,
        {"from": previous, "to": stage.value, "reason": reason},
    )


def second(uow: UnitOfWork, issue_id: uuid.UUID) -> Vote:
    """A citizen seconds a proposal: once, for good; enough seconds send it to review."""
    issue = repository.lock_vote(uow.session, issue_id)
    closes = issue.seconding_closes_at
    if issue.stage != Stage.PROPOSAL_CHECK.value or closes is None or utcnow() >= as_utc(closes):
        raise SecondingClosed("the proposal takes no seconds now")
    citizen = get_user(uow.session, str(uow.actor.id))
    if repository.has_seconded(uow.session, issue.id, citizen.id):
        raise AlreadySeconded("each citizen seconds a proposal once")
    uow.session.add(Second(vote_id=issue.id, user_id=citizen.id))
    issue.seconds += 1
    uow.audit("participation.issue.seconded", "participation_vote", issue.id, {})
    if issue.seconds >= issue.seconds_needed:
        record_stage(uow, issue, Stage.PRELIMINARY_REVIEW, "the proposal reached its seconds")
    return issue


def move(
    uow: UnitOfWork, issue_id: uuid.UUID, stage: Stage, reason: str, department_code: str | None
) -> Vote:
    """An officer moves an issue on (or turns it down), giving their reason."""
    issue = repository.lock_vote(uow.session, issue_id)
    department = issue.department_code or department_code or own_department(uow.actor)
    require_department(
        uow.actor,
        department,
        code="other_department",
        detail="officers move their own department's issues",
    )
    current = Stage(issue.stage)
    allowed = MOVES[current]
    if stage not in allowed:
        names = ", ".join(s.value for s in allowed) or "nowhere by hand"
        raise StageChangeRefused(f"from {current.value} an issue moves to {names}")
    if not reason.strip():
        raise ReasonRequired("give the reason for the decision")
    short = issue.seconds < issue.seconds_needed
    if current == Stage.PROPOSAL_CHECK and stage == Stage.PRELIMINARY_REVIEW and short:
        raise StageChangeRefused(
            f"the proposal has {issue.seconds} of its {issue.seconds_needed} seconds"
        )
    issue.department_code = department
    record_stage(uow, issue, stage, reason.strip())
    return issue


def follow_up(uow: UnitOfWork, issue_id: uuid.UUID, text: str) -> Vote:
    """執行: what the department did with a result."""
    issue = repository.lock_vote(uow.session, issue_id)
    require_department(
        uow.actor,
        issue.department_code,
        code="other_department",
        detail="officers report on their own department's issues",
    )
    if issue.stage != Stage.RESULTS.value:
        raise StageChangeRefused("follow-up is reported once the result is public")
    issue.follow_up = text
    uow.audit("participation.issue.followed_up", "participation_vote", issue.id, {"text": text})
    return issue


def put_to_vote(
    uow: UnitOfWork,
    issue_id: uuid.UUID,
    *,
    group_name: str,
    questions: Sequence[dict[str, Any]],
    closes_at: datetime,
    eligibility: dict[str, Any],
    trustees: TrusteePlan,
) -> tuple[Vote, dict[int, str]]:
    """Publicity → voting: the issue's Belenios election opens with the options settled (once
    outside trustees' keys are in, when there are any); the outside trustees' upload tokens."""
    issue = repository.lock_vote(uow.session, issue_id)
    require_department(
        uow.actor,
        issue.department_code,
        code="other_department",
        detail="officers put their own department's issues to the vote",
    )
    if issue.stage != Stage.PUBLICITY.value:
        raise StageChangeRefused("an issue goes to the vote from the publicity stage")
    if issue.election_uuid is not None:
        raise StageChangeRefused("the issue's election is set up already")
    issue.eligibility = voting.checked_eligibility(eligibility)
    tokens = voting.open_election(
        uow,
        issue,
        group_name=group_name,
        questions=questions,
        closes_at=closes_at,
        trustees=trustees,
    )
    if issue.stage == Stage.VOTING.value:
        # open_election moved the stage; the decision is recorded from where it was.
        issue.stage = Stage.PUBLICITY.value
        record_stage(uow, issue, Stage.VOTING, "the vote opens")
    return issue, tokens
