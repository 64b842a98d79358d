"""Tables owned by participation (prefixed `participation_`).

Who voted and what was voted are kept apart, as i-Voting keeps its vote lock apart from its
ballots: `participation_issuances` names the citizens who took a credential and says nothing of
which one; `participation_credentials` and `participation_ballots` are the public board and name
nobody. No column anywhere joins a person to a credential or a ballot
(tests/modules/participation/test_schema_privacy.py reads the schema).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base
from smartcity.core.repository import new_id
from smartcity.core.time import UTCDateTime, utcnow


class Vote(Base):
    """An issue put to the vote: its stage, its Belenios election and, once tallied, its result."""

    __tablename__ = "participation_votes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    department_code: Mapped[str | None] = mapped_column(String(32), index=True)
    stage: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    eligibility: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    origin: Mapped[str] = mapped_column(String(16), nullable=False)
    proposed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    """The citizen who proposed the issue (proposals are public, as in i-Voting)."""
    seconds_needed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    seconds: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    seconding_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decisions: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    """Every stage change with its reason, in order: what the public page shows."""
    follow_up: Mapped[str | None] = mapped_column(Text)
    """執行: what the department did with the result."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    election_uuid: Mapped[str | None] = mapped_column(String(32), unique=True)
    election: Mapped[str | None] = mapped_column(Text)
    """election.json exactly as fingerprinted, once the issue goes to the vote."""
    questions: Mapped[list[Any] | None] = mapped_column(JSON)
    """The settled questions while outside trustees' keys are awaited (election.json after)."""
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    threshold: Mapped[int | None] = mapped_column(Integer)
    """How many of the outside trustees must decrypt, when they share their part of the key as
    one threshold group (None: every trustee holds a `Single` share and all must decrypt)."""
    archive_timestamp: Mapped[int | None] = mapped_column(Integer)
    ballots_cast: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    """Ballots taken (revotes included): the position of the next one on the board."""
    encrypted_tally: Mapped[list[Any] | None] = mapped_column(JSON)
    result: Mapped[list[Any] | None] = mapped_column(JSON)
    archive_hash: Mapped[str | None] = mapped_column(String(64))
    tallied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Second(Base):
    """A citizen's second (附議) of a proposal: one per person, never withdrawn."""

    __tablename__ = "participation_seconds"
    __table_args__ = (UniqueConstraint("vote_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    vote_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participation_votes.id"), nullable=False, index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    seconded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Trustee(Base):
    """One share of an election's key: public key, who holds the private part, its decryption."""

    __tablename__ = "participation_trustees"
    __table_args__ = (UniqueConstraint("vote_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    vote_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participation_votes.id"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    """The trustee's number in trustees.json, from 1 (a partial decryption's `owner`)."""
    holder: Mapped[str] = mapped_column(String(16), nullable=False)
    custody: Mapped[str] = mapped_column(String(16), nullable=False, default="platform")
    public_key: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The public key with its proof; None until an outside trustee uploads it."""
    private_key: Mapped[str | None] = mapped_column(Text)
    """The private exponent where the platform holds this share (docs/adr/0026)."""
    token_hash: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 of an outside trustee's upload token (the token itself is shown once)."""
    decryption: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    certificate: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """A threshold member's certificate (ceremony step 1); its public keys only."""
    polynomial: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """A threshold member's step 3: shares encrypted to each member, signed commitments."""
    verification_output: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """A threshold member's step 5: verification key and decryption key encrypted to them."""


class Credential(Base):
    """A public credential on an election's list: g^s, naming nobody."""

    __tablename__ = "participation_credentials"
    __table_args__ = (UniqueConstraint("vote_id", "public_credential"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    vote_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participation_votes.id"), nullable=False, index=True
    )
    public_credential: Mapped[str] = mapped_column(String(700), nullable=False)


class Issuance(Base):
    """That a citizen took their one credential for a vote (not which one): the vote lock."""

    __tablename__ = "participation_issuances"
    __table_args__ = (UniqueConstraint("vote_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    vote_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participation_votes.id"), nullable=False, index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)


class Ballot(Base):
    """A ballot on the public board: the last cast with its credential, as its client sent it."""

    __tablename__ = "participation_ballots"
    __table_args__ = (UniqueConstraint("vote_id", "public_credential"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    vote_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participation_votes.id"), nullable=False, index=True
    )
    public_credential: Mapped[str] = mapped_column(String(700), nullable=False)
    tracker: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)


class PaperCount(Base):
    """A polling place's paper or on-site count for a vote: entered by one officer, confirmed by
    another; published beside the online tally once confirmed."""

    __tablename__ = "participation_paper_counts"
    __table_args__ = (UniqueConstraint("vote_id", "polling_place"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    vote_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participation_votes.id"), nullable=False, index=True
    )
    polling_place: Mapped[str] = mapped_column(String(200), nullable=False)
    counts: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    """For each question, the count of each answer (Belenios's result shape)."""
    entered_by: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    confirmed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BudgetCycle(Base):
    """A district's participatory budget for one cycle: its money, its ballot rule, its stage."""

    __tablename__ = "participation_budget_cycles"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    district_code: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    department_code: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    budget: Mapped[int] = mapped_column(Integer, nullable=False)
    """NTD the district may spend on the winning projects."""
    eligible_residents: Mapped[int] = mapped_column(Integer, nullable=False)
    """The district's eligible residents when the cycle opened: the 1 % threshold's base."""
    min_choices: Mapped[int] = mapped_column(Integer, nullable=False)
    max_choices: Mapped[int] = mapped_column(Integer, nullable=False)
    stage: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    decisions: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    vote_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("participation_votes.id"))
    """The Belenios election of the district vote, once the cycle goes to the vote."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class BudgetProject(Base):
    """A residents' proposal in a budget cycle: cost, place, review, votes and execution."""

    __tablename__ = "participation_budget_projects"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    cycle_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("participation_budget_cycles.id"), nullable=False, index=True
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    cost: Mapped[int] = mapped_column(Integer, nullable=False)
    """Estimated NTD."""
    location: Mapped[str] = mapped_column(String(200), nullable=False)
    proposed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    review: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The three findings (公共性, 適法性, 預算可行性) and the reviewer's reason."""
    ballot_position: Mapped[int | None] = mapped_column(Integer)
    """The project's answer number on the district ballot, from 0."""
    votes: Mapped[int | None] = mapped_column(Integer)
    progress: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    """Percent done, for a winner being carried out."""
    spent: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    """NTD spent so far."""
    updates: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    """Every progress report, in order (Decidim's accountability)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
