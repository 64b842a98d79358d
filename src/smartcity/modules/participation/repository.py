"""Every query of participation: votes, trustees, credentials, the vote lock and the board."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Row, Select, delete, func, select
from sqlalchemy.orm import Session

from smartcity.core.repository import get_or_404
from smartcity.modules.participation.errors import BudgetNotFound, VoteNotFound
from smartcity.modules.participation.models import (
    Ballot,
    BudgetCycle,
    BudgetProject,
    Credential,
    Issuance,
    PaperCount,
    Second,
    Trustee,
    Vote,
)


def get_vote(session: Session, vote_id: uuid.UUID | str) -> Vote:
    """A vote by id (an id that is not a UUID is the same 404)."""
    return get_or_404(session, Vote, str(vote_id), code="vote_not_found", detail="no such vote")


def lock_vote(session: Session, vote_id: uuid.UUID) -> Vote:
    """A vote, its row locked for the rest of the transaction (PostgreSQL; SQLite's writes
    are serialised already), so that ballots and the tally take turns."""
    vote = session.scalar(select(Vote).where(Vote.id == vote_id).with_for_update())
    if vote is None:
        raise VoteNotFound("no such vote")
    return vote


def list_votes(session: Session, limit: int) -> list[Vote]:
    """Votes, newest first."""
    return list(session.scalars(select(Vote).order_by(Vote.created_at.desc()).limit(limit)))


def votes_in_stage(session: Session, stage: str) -> list[Vote]:
    """Votes at one stage, closing soonest first."""
    query = select(Vote).where(Vote.stage == stage).order_by(Vote.closes_at, Vote.id)
    return list(session.scalars(query))


def trustees_of(session: Session, vote_id: uuid.UUID) -> list[Trustee]:
    """A vote's trustees in trustees.json's order."""
    return list(
        session.scalars(
            select(Trustee).where(Trustee.vote_id == vote_id).order_by(Trustee.position)
        )
    )


def has_issuance(session: Session, vote_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Whether the citizen took a credential for this vote already."""
    found = session.scalar(
        select(Issuance.id).where(Issuance.vote_id == vote_id, Issuance.user_id == user_id)
    )
    return found is not None


def forget_issuances(session: Session, vote_id: uuid.UUID) -> int:
    """Delete the vote lock of a closed vote; how many rows went."""
    gone = session.execute(delete(Issuance).where(Issuance.vote_id == vote_id))
    return int(getattr(gone, "rowcount", 0) or 0)


def is_listed(session: Session, vote_id: uuid.UUID, public_credential: str) -> bool:
    """Whether a public credential is on the vote's list."""
    found = session.scalar(
        select(Credential.id).where(
            Credential.vote_id == vote_id, Credential.public_credential == public_credential
        )
    )
    return found is not None


STREAM_BATCH = 500
"""Rows fetched at a time when a query is read as a stream (the archive)."""


def _byte_order(session: Session, column: Any) -> Any:
    """`column` compared byte by byte, as Python compares str (PostgreSQL's "C" collation;
    SQLite's default already is)."""
    return column.collate("C") if session.get_bind().dialect.name == "postgresql" else column


def read_one_snapshot(session: Session) -> None:
    """Make every later query of this fresh session read the same snapshot (PostgreSQL's
    repeatable read; a SQLite read transaction already does), so that a long read such as the
    archive sees no ballot or credential that arrives meanwhile."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def credentials_of(session: Session, vote_id: uuid.UUID) -> Iterator[str]:
    """The vote's public credentials in byte order, read as a stream."""
    return session.scalars(
        select(Credential.public_credential)
        .where(Credential.vote_id == vote_id)
        .order_by(_byte_order(session, Credential.public_credential))
        .execution_options(yield_per=STREAM_BATCH)
    )


def ballot_of(session: Session, vote_id: uuid.UUID, public_credential: str) -> Ballot | None:
    """The ballot on the board cast with this credential, if any."""
    return session.scalar(
        select(Ballot).where(
            Ballot.vote_id == vote_id, Ballot.public_credential == public_credential
        )
    )


def board(session: Session, vote_id: uuid.UUID) -> list[Row[tuple[int, str]]]:
    """The board's positions and trackers, in the order cast (not the ballots themselves:
    0.7 GB at 100,000 voters; the archive streams those)."""
    return list(
        session.execute(
            select(Ballot.position, Ballot.tracker)
            .where(Ballot.vote_id == vote_id)
            .order_by(Ballot.position)
        )
    )


def board_contents(session: Session, vote_id: uuid.UUID) -> Iterator[str]:
    """Each ballot on the board as its client sent it, in the order they were cast, read as a
    stream."""
    return session.scalars(
        select(Ballot.content)
        .where(Ballot.vote_id == vote_id)
        .order_by(Ballot.position)
        .execution_options(yield_per=STREAM_BATCH)
    )


def ballot_by_tracker(session: Session, vote_id: uuid.UUID, tracker: str) -> Ballot | None:
    """The ballot with this tracker, if it is on the board."""
    return session.scalar(
        select(Ballot).where(Ballot.vote_id == vote_id, Ballot.tracker == tracker)
    )


def count_ballots(session: Session, vote_id: uuid.UUID) -> int:
    """How many ballots count (one per credential)."""
    return int(
        session.scalar(select(func.count()).select_from(Ballot).where(Ballot.vote_id == vote_id))
        or 0
    )


def has_seconded(session: Session, vote_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Whether the citizen seconded this proposal already."""
    found = session.scalar(
        select(Second.id).where(Second.vote_id == vote_id, Second.user_id == user_id)
    )
    return found is not None


def paper_count_at(session: Session, vote_id: uuid.UUID, polling_place: str) -> PaperCount | None:
    """A vote's count at a polling place, if entered."""
    return session.scalar(
        select(PaperCount).where(
            PaperCount.vote_id == vote_id, PaperCount.polling_place == polling_place
        )
    )


def paper_count(session: Session, vote_id: uuid.UUID, count_id: uuid.UUID) -> PaperCount | None:
    """One of a vote's paper counts by id."""
    return session.scalar(
        select(PaperCount).where(PaperCount.vote_id == vote_id, PaperCount.id == count_id)
    )


def paper_counts_of(session: Session, vote_id: uuid.UUID) -> list[PaperCount]:
    """A vote's paper counts by polling place."""
    return list(
        session.scalars(
            select(PaperCount)
            .where(PaperCount.vote_id == vote_id)
            .order_by(PaperCount.polling_place)
        )
    )


def get_budget(session: Session, cycle_id: uuid.UUID | str) -> BudgetCycle:
    """A participatory budget cycle by id."""
    return get_or_404(
        session, BudgetCycle, str(cycle_id), code="budget_not_found", detail="no such budget"
    )


def lock_budget(session: Session, cycle_id: uuid.UUID) -> BudgetCycle:
    """A budget cycle, its row locked for the rest of the transaction."""
    cycle = session.scalar(select(BudgetCycle).where(BudgetCycle.id == cycle_id).with_for_update())
    if cycle is None:
        raise BudgetNotFound("no such budget")
    return cycle


def list_budgets(session: Session, limit: int) -> list[BudgetCycle]:
    """Budget cycles, newest first."""
    return list(
        session.scalars(select(BudgetCycle).order_by(BudgetCycle.created_at.desc()).limit(limit))
    )


def projects_of(session: Session, cycle_id: uuid.UUID) -> list[BudgetProject]:
    """A cycle's projects in the order proposed."""
    return list(
        session.scalars(
            select(BudgetProject)
            .where(BudgetProject.cycle_id == cycle_id)
            .order_by(BudgetProject.created_at, BudgetProject.id)
        )
    )


def open_votes() -> Select[*tuple[Any, ...]]:
    """i-Voting's issues and, once tallied, their results, as open data (no proposer)."""
    return select(
        Vote.id.label("id"),
        Vote.title.label("title"),
        Vote.description.label("description"),
        Vote.department_code.label("department"),
        Vote.stage.label("stage"),
        Vote.origin.label("origin"),
        Vote.seconds.label("seconds"),
        Vote.seconds_needed.label("seconds_needed"),
        Vote.created_at.label("created_at"),
        Vote.closes_at.label("closes_at"),
        Vote.ballots_cast.label("ballots_cast"),
        Vote.result.label("result"),
        Vote.tallied_at.label("tallied_at"),
    )


def get_project(session: Session, project_id: uuid.UUID | str) -> BudgetProject:
    """A budget project by id."""
    return get_or_404(
        session, BudgetProject, str(project_id), code="project_not_found", detail="no such project"
    )


def budget_of_vote(session: Session, vote_id: uuid.UUID) -> BudgetCycle | None:
    """The budget cycle whose district vote this is, if any."""
    return session.scalar(select(BudgetCycle).where(BudgetCycle.vote_id == vote_id))
