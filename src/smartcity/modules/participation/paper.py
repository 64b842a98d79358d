"""Paper and on-site counts: entered per polling place after the close, confirmed by a second
officer, and published beside the online tally (as i-Voting publishes them)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from smartcity.core.departments import require_department
from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.participation import repository, voting
from smartcity.modules.participation.errors import (
    CountNeedsAPerson,
    InvalidPaperCount,
    PaperCountConfirmed,
    PaperCountNotFound,
    PaperCountNotOpen,
    ResultNotPublished,
    SameOfficer,
)
from smartcity.modules.participation.models import PaperCount, Vote
from smartcity.modules.participation.values import Stage

CLOSED = (Stage.TALLYING.value, Stage.RESULTS.value)


def _own_closed_vote(uow: UnitOfWork, vote_id: uuid.UUID) -> Vote:
    if uow.actor.kind != "user" or uow.actor.id is None:
        raise CountNeedsAPerson("paper counts are entered and confirmed by officers in person")
    vote = repository.lock_vote(uow.session, vote_id)
    require_department(
        uow.actor,
        vote.department_code,
        code="other_department",
        detail="officers count their own department's votes",
    )
    if vote.stage not in CLOSED:
        raise PaperCountNotOpen("paper and on-site counts are entered once the vote has closed")
    return vote


def enter_count(
    uow: UnitOfWork, vote_id: uuid.UUID, polling_place: str, counts: Sequence[Sequence[int]]
) -> PaperCount:
    """Enter (or, until confirmed, correct) a polling place's count."""
    vote = _own_closed_vote(uow, vote_id)
    questions = voting.election_of(vote).questions
    shape = [len(q["answers"]) for q in questions]
    if [len(row) for row in counts] != shape:
        raise InvalidPaperCount(f"give one count per answer of each question: {shape}")
    entry = repository.paper_count_at(uow.session, vote.id, polling_place)
    if entry is not None and entry.confirmed_by is not None:
        raise PaperCountConfirmed("this polling place's count is confirmed and final")
    if entry is None:
        entry = PaperCount(vote_id=vote.id, polling_place=polling_place)
        uow.session.add(entry)
    entry.counts = [list(row) for row in counts]
    entry.entered_by = uuid.UUID(str(uow.actor.id))
    entry.entered_at = utcnow()
    uow.session.flush()
    uow.audit(
        "participation.paper_count.entered",
        "participation_vote",
        vote.id,
        {"paper_count": str(entry.id), "polling_place": polling_place, "counts": entry.counts},
    )
    return entry


def confirm_count(uow: UnitOfWork, vote_id: uuid.UUID, count_id: uuid.UUID) -> PaperCount:
    """A second officer confirms a count as entered; it is final from then on."""
    vote = _own_closed_vote(uow, vote_id)
    entry = repository.paper_count(uow.session, vote.id, count_id)
    if entry is None:
        raise PaperCountNotFound("the vote has no paper count with that id")
    if entry.confirmed_by is not None:
        raise PaperCountConfirmed("this count is confirmed already")
    if str(entry.entered_by) == str(uow.actor.id):
        raise SameOfficer("another officer than the one who entered the count confirms it")
    entry.confirmed_by = uuid.UUID(str(uow.actor.id))
    entry.confirmed_at = utcnow()
    uow.audit(
        "participation.paper_count.confirmed",
        "participation_vote",
        vote.id,
        {
            "paper_count": str(entry.id),
            "polling_place": entry.polling_place,
            "counts": entry.counts,
        },
    )
    return entry


def published_counts(session: Session, vote: Vote) -> list[PaperCount]:
    """Every polling place's count, once the result is out (none is readable before)."""
    if vote.stage != Stage.RESULTS.value:
        raise ResultNotPublished("paper counts are published with the result")
    return repository.paper_counts_of(session, vote.id)


def paper_total(counts: Sequence[PaperCount]) -> list[list[int]] | None:
    """The confirmed counts added up, in the result's shape; None when none is confirmed."""
    confirmed = [c.counts for c in counts if c.confirmed_by is not None]
    if not confirmed:
        return None
    return [
        [sum(column) for column in zip(*rows, strict=True)] for rows in zip(*confirmed, strict=True)
    ]
