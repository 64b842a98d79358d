"""Votes as Belenios elections: setup, credentials, ballots, the tally and the public record.

The platform is the election's administrator and bulletin board. Functions take a session or
the caller's unit of work and never commit; checking a ballot's proofs needs no transaction and
runs before the write that records it.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import gmpy2
from sqlalchemy.orm import Session

from smartcity.core.auth import Principal
from smartcity.core.city import current_city
from smartcity.core.departments import own_department, require_department
from smartcity.core.time import as_utc, local_today, utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.identity.service import get_user
from smartcity.modules.identity.values import CityTie, VerificationLevel
from smartcity.modules.participation import belenios, repository
from smartcity.modules.participation.errors import (
    AlreadyTallied,
    BallotRejected,
    ClosesInThePast,
    CredentialAlreadyIssued,
    InvalidQuestions,
    NoElectionYet,
    NotEligible,
    ResultNotPublished,
    UnknownEligibilityRule,
    VoteNotOpen,
)
from smartcity.modules.participation.models import Ballot, Credential, Issuance, Trustee, Vote
from smartcity.modules.participation.values import Custody, Origin, Stage, TrusteePlan

LEVEL_ORDER = (VerificationLevel.BASIC, VerificationLevel.VERIFIED)


# -- setup -----------------------------------------------------------------------------------


def _check_questions(questions: Sequence[dict[str, Any]]) -> None:
    for number, question in enumerate(questions, start=1):
        answers = question["answers"]
        if not 0 <= question["min"] <= question["max"] <= len(answers):
            raise InvalidQuestions(
                f"question {number}: need 0 <= min <= max <= {len(answers)} (its answers)"
            )
        if len(set(answers)) != len(answers):
            raise InvalidQuestions(f"question {number} lists an answer twice")


def open_election(
    uow: UnitOfWork,
    vote: Vote,
    *,
    group_name: str,
    questions: Sequence[dict[str, Any]],
    closes_at: datetime,
    trustees: TrusteePlan,
) -> dict[int, str]:
    """Set up an issue's Belenios election with its trustees (ADR 26, ADR 28, ADR 31).

    The platform generates its own shares now. An outside trustee gets an upload token instead
    (returned here, once; only its hash is kept) and the vote waits at the publicity stage
    until every outside public key is in (`trustees.register_key`), or, with a threshold, until
    the outside trustees' key ceremony is done (`trustees.ceremony_step`): the election key
    covers all of them, so election.json cannot be written before.
    """
    _check_questions(questions)
    closes_at = as_utc(closes_at)
    if closes_at <= utcnow():
        raise ClosesInThePast("closes_at must lie in the future")
    g = belenios.group(group_name)
    vote.closes_at = closes_at
    vote.questions = [dict(q) for q in questions]
    vote.election_uuid = belenios.new_token()
    vote.stage = Stage.PUBLICITY.value
    vote.threshold = trustees.threshold
    uow.session.flush()
    holders = list(trustees.trustees.items())
    if trustees.threshold is not None:
        # trustees.json lists the `Single` shares first and the threshold group last.
        holders.sort(key=lambda item: item[1] is Custody.OUTSIDE)
    tokens: dict[int, str] = {}
    for position, (holder, custody) in enumerate(holders, start=1):
        trustee = Trustee(vote_id=vote.id, position=position, holder=holder.value)
        trustee.custody = custody.value
        if custody is Custody.PLATFORM:
            key = belenios.new_trustee_key(g)
            trustee.public_key, trustee.private_key = key.public, str(key.private)
        else:
            tokens[position] = secrets.token_urlsafe(32)
            trustee.token_hash = belenios.sha256_hex(tokens[position].encode())
        uow.session.add(trustee)
    uow.session.flush()
    uow.audit(
        "participation.vote.trustees_named",
        "participation_vote",
        vote.id,
        {
            "election_uuid": vote.election_uuid,
            "threshold": trustees.threshold,
            "trustees": [
                {"position": position, "holder": holder.value, "custody": custody.value}
                for position, (holder, custody) in enumerate(holders, start=1)
            ],
        },
    )
    if not tokens:
        start_election(uow, vote, group_name)
    return tokens


def threshold_members(vote: Vote, trustees: Sequence[Trustee]) -> list[Trustee]:
    """The outside trustees sharing one threshold key, in their group's order (none without
    a threshold)."""
    if vote.threshold is None:
        return []
    return sorted(
        (t for t in trustees if t.custody == Custody.OUTSIDE.value), key=lambda t: t.position
    )


def threshold_parameters(vote: Vote, trustees: Sequence[Trustee]) -> dict[str, Any] | None:
    """The `Pedersen` entry of trustees.json once the ceremony is done (None before, or
    without a threshold)."""
    members = threshold_members(vote, trustees)
    if vote.threshold is None or any(m.verification_output is None for m in members):
        return None
    return belenios.threshold_parameters(
        vote.threshold,
        [m.certificate for m in members if m.certificate is not None],
        [m.polynomial for m in members if m.polynomial is not None],
        [m.verification_output for m in members if m.verification_output is not None],
    )


def trustees_document(vote: Vote, trustees: Sequence[Trustee]) -> list[Any]:
    """trustees.json: the `Single` shares, then the threshold group, if any."""
    members = {m.position for m in threshold_members(vote, trustees)}
    singles = [t.public_key for t in trustees if t.position not in members and t.public_key]
    return belenios.trustees_document(singles, threshold_parameters(vote, trustees))


def start_election(uow: UnitOfWork, vote: Vote, group_name: str) -> None:
    """Write election.json over every trustee's public key and open the vote."""
    g = belenios.group(group_name)
    trustees = repository.trustees_of(uow.session, vote.id)
    if any(t.public_key is None for t in trustees) or vote.questions is None:
        raise RuntimeError("an election starts once every trustee's public key is in")
    document = trustees_document(vote, trustees)
    singles = [entry[1] for entry in document if entry[0] == "Single"]
    pedersen = next((entry[1] for entry in document if entry[0] == "Pedersen"), None)
    city = current_city()
    election = belenios.election_document(
        g=g,
        election_uuid=str(vote.election_uuid),
        name=vote.title,
        description=vote.description,
        questions=vote.questions,
        public_key=belenios.election_public_key(g, singles, pedersen),
        administrator=city.government_zh,
        credential_authority=city.government_zh,
    )
    vote.stage = Stage.VOTING.value
    vote.election = election.decode()
    vote.questions = None  # election.json holds them from now on
    vote.fingerprint = belenios.sha256_b64(election)
    vote.archive_timestamp = int(utcnow().timestamp())
    uow.audit(
        "participation.vote.opened",
        "participation_vote",
        vote.id,
        {
            "stage": vote.stage,
            "election_uuid": vote.election_uuid,
            "fingerprint": vote.fingerprint,
            "closes_at": as_utc(vote.closes_at).isoformat() if vote.closes_at else None,
        },
    )


def create_vote(
    uow: UnitOfWork,
    *,
    group_name: str,
    title: str,
    description: str,
    questions: Sequence[dict[str, Any]],
    eligibility: dict[str, Any],
    closes_at: datetime,
    department_code: str | None,
    trustees: TrusteePlan,
) -> tuple[Vote, dict[int, str]]:
    """A government-initiated issue that starts at the voting stage (at publicity while
    outside trustees' keys are awaited), with the outside trustees' upload tokens."""
    department = department_code or own_department(uow.actor)
    require_department(
        uow.actor,
        department,
        code="other_department",
        detail="officers create votes for their own department",
    )
    vote = Vote(
        title=title,
        description=description,
        department_code=department,
        origin=Origin.GOVERNMENT.value,
        stage=Stage.PUBLICITY.value,
        eligibility=checked_eligibility(eligibility),
        decisions=[],
        seconds_needed=0,
        seconds=0,
        ballots_cast=0,
    )
    uow.session.add(vote)
    uow.session.flush()
    uow.audit(
        "participation.vote.created",
        "participation_vote",
        vote.id,
        {"title": title, "origin": vote.origin, "department": department},
    )
    tokens = open_election(
        uow,
        vote,
        group_name=group_name,
        questions=questions,
        closes_at=closes_at,
        trustees=trustees,
    )
    return vote, tokens


def election_of(vote: Vote) -> belenios.Election:
    """The vote's election.json, read; 409 before the issue goes to the vote."""
    if vote.election is None:
        raise NoElectionYet("the issue has not been put to the vote yet")
    return belenios.Election.parse(vote.election.encode())


def is_open(vote: Vote) -> bool:
    """Whether the vote takes credentials and ballots now."""
    return (
        vote.stage == Stage.VOTING.value
        and vote.closes_at is not None
        and utcnow() < as_utc(vote.closes_at)
    )


@dataclass(frozen=True)
class OpenVote:
    """A vote taking ballots now, as other modules see it."""

    vote_id: uuid.UUID
    title: str
    closes_at: datetime
    refusal: str | None
    """Why this citizen may not vote in it (None: they may, or no citizen was named)."""


def open_votes_for(session: Session, user_id: uuid.UUID | None) -> list[OpenVote]:
    """*Public service.* Votes open now, closing soonest first, with whether the citizen may
    vote in each; with no citizen (an anonymous asker), the votes alone."""
    return [
        OpenVote(
            vote.id,
            vote.title,
            as_utc(vote.closes_at),
            None if user_id is None else _refusal_for(session, vote, str(user_id)),
        )
        for vote in repository.votes_in_stage(session, Stage.VOTING.value)
        if is_open(vote) and vote.closes_at is not None
    ]


# -- credentials -----------------------------------------------------------------------------


def eligibility_refusal(session: Session, vote: Vote, principal: Principal) -> str | None:
    """Why the citizen may not vote, or None when they may."""
    return _refusal_for(session, vote, str(principal.id))


def _refusal_for(session: Session, vote: Vote, user_id: str) -> str | None:
    user = get_user(session, user_id)
    if not user.active:
        return "the account is not active"
    rules = vote.eligibility
    wanted = rules.get("verification_level")
    if wanted is not None:
        have = VerificationLevel(user.verification_level)
        if LEVEL_ORDER.index(have) < LEVEL_ORDER.index(VerificationLevel(wanted)):
            return f"this vote needs a {wanted} identity; the account's is {have.value}"
    if rules.get("min_age") is not None:
        age = user.age_on(local_today())
        if age is None:
            return "this vote has an age rule and the account has no birth date recorded"
        if age < rules["min_age"]:
            return "this vote is for older citizens than the account's recorded age"
    if rules.get("ties") or rules.get("districts"):
        ties = {CityTie(tie) for tie in rules.get("ties") or CityTie}
        wanted_districts = set(rules.get("districts") or ())
        held = {
            district
            for tie, district in user.districts_by_tie().items()
            if tie in ties and (not wanted_districts or district in wanted_districts)
        }
        if not held:
            return "this vote is for people who live, study or work where it is held"
    return None


def checked_eligibility(rules: Mapping[str, Any]) -> dict[str, Any]:
    """A vote's eligibility rules, once each district they name is one of the city's."""
    city = current_city()
    unknown = [code for code in rules.get("districts") or () if city.district(code) is None]
    if unknown:
        raise UnknownEligibilityRule(f"no district of this city has the code {unknown[0]!r}")
    return dict(rules)


def issue_credential(uow: UnitOfWork, vote: Vote) -> str:
    """The citizen's one private credential; only its public half is kept, on the list.

    The vote lock records that the citizen took a credential, never which: nothing stored
    joins them to it (docs/adr/0026-belenios-elections.md says who could link what).
    """
    vote = repository.lock_vote(uow.session, vote.id)
    if not is_open(vote):
        raise VoteNotOpen("the vote is not open")
    refusal = eligibility_refusal(uow.session, vote, uow.actor)
    if refusal is not None:
        raise NotEligible(refusal)
    user_id = get_user(uow.session, str(uow.actor.id)).id
    if repository.has_issuance(uow.session, vote.id, user_id):
        raise CredentialAlreadyIssued("a credential was issued to this citizen for this vote")
    election = election_of(vote)
    credential = belenios.new_credential()
    public = belenios.public_credential(election.group, credential, election.uuid)
    uow.session.add(Credential(vote_id=vote.id, public_credential=public))
    uow.session.add(Issuance(vote_id=vote.id, user_id=user_id))
    uow.audit("participation.credential.issued", "participation_vote", vote.id, {})
    return credential


# -- ballots ---------------------------------------------------------------------------------


def check_ballot(session: Session, vote: Vote, content: bytes) -> belenios.CheckedBallot:
    """Every check of the Belenios protocol; 400 with the reason when one fails."""
    if not is_open(vote):
        raise VoteNotOpen("the vote takes no ballots now")
    try:
        return belenios.check_ballot(
            election_of(vote),
            content,
            lambda credential: repository.is_listed(session, vote.id, credential),
        )
    except belenios.InvalidBallot as error:
        raise BallotRejected(str(error)) from error


def record_ballot(
    uow: UnitOfWork, vote: Vote, checked: belenios.CheckedBallot, content: bytes
) -> str:
    """Put a checked ballot on the board; a revote replaces the credential's earlier ballot."""
    vote = repository.lock_vote(uow.session, vote.id)
    if not is_open(vote):
        raise VoteNotOpen("the vote closed before the ballot arrived")
    vote.ballots_cast += 1
    ballot = repository.ballot_of(uow.session, vote.id, checked.credential)
    replaced = ballot is not None
    if ballot is None:
        ballot = Ballot(vote_id=vote.id, public_credential=checked.credential)
        uow.session.add(ballot)
    ballot.content = content.decode()
    ballot.tracker = checked.tracker
    ballot.position = vote.ballots_cast
    uow.audit(
        "participation.ballot.cast",
        "participation_vote",
        vote.id,
        {"tracker": checked.tracker, "replaced": replaced},
    )
    return checked.tracker


# -- the tally -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """A tallied vote's result and the hash of its final archive."""

    result: list[list[int]]
    archive_hash: str
    ballots: int


@dataclass(frozen=True)
class Tallying:
    """Where the tally stands: the result once out, else the trustees it waits for."""

    stage: str
    ballots: int
    awaiting: list[int]
    outcome: Outcome | None


def tally(uow: UnitOfWork, vote: Vote) -> Tallying:
    """Close the vote and tally it homomorphically; the platform's trustees decrypt at once, and
    the result is out when every outside trustee has too (`trustees.submit_decryption`)."""
    vote = repository.lock_vote(uow.session, vote.id)
    require_department(
        uow.actor,
        vote.department_code,
        code="other_department",
        detail="officers tally their own department's votes",
    )
    if vote.stage == Stage.RESULTS.value:
        raise AlreadyTallied("the vote has been tallied already")
    if vote.stage == Stage.VOTING.value:
        _close(uow, vote)
    elif vote.stage != Stage.TALLYING.value:
        raise VoteNotOpen("the issue has not been put to the vote")
    return publish_if_decrypted(uow, vote)


def _close(uow: UnitOfWork, vote: Vote) -> None:
    """Take no more ballots, publish the encrypted tally and forget the vote lock."""
    election = election_of(vote)
    contents = repository.board_contents(uow.session, vote.id)
    encrypted = belenios.encrypted_tally(election, (c.encode() for c in contents))
    vote.encrypted_tally = belenios.tally_document(encrypted)
    vote.stage = Stage.TALLYING.value
    vote.tallied_at = utcnow()
    if vote.closes_at is None or utcnow() < as_utc(vote.closes_at):
        vote.closes_at = vote.tallied_at
    forgotten = repository.forget_issuances(uow.session, vote.id)
    for trustee in repository.trustees_of(uow.session, vote.id):
        if trustee.private_key is None or trustee.public_key is None:
            continue
        key = belenios.TrusteeKey(gmpy2.mpz(trustee.private_key), trustee.public_key)
        decryption = belenios.partial_decryption(election, key, encrypted)
        if not belenios.partial_decryption_holds(
            election, trustee.public_key, encrypted, decryption
        ):
            raise RuntimeError("a trustee's partial decryption does not prove itself")
        trustee.decryption = decryption
    uow.session.flush()
    uow.audit(
        "participation.vote.closed",
        "participation_vote",
        vote.id,
        {
            "stage": vote.stage,
            "ballots": repository.count_ballots(uow.session, vote.id),
            "encrypted_tally_sha256": belenios.sha256_hex(belenios.dumps(vote.encrypted_tally)),
            "archive_sha256": archive_sha256(uow.session, vote),
            "vote_lock_rows_deleted": forgotten,
        },
    )


def encrypted_tally_of(vote: Vote) -> list[list[tuple[Any, Any]]]:
    """The closed vote's encrypted tally, as numbers."""
    if vote.encrypted_tally is None:
        raise RuntimeError("the vote has no encrypted tally yet")
    return [
        [(gmpy2.mpz(c["alpha"]), gmpy2.mpz(c["beta"])) for c in row] for row in vote.encrypted_tally
    ]


def awaited_trustees(vote: Vote, trustees: Sequence[Trustee]) -> list[int]:
    """The positions of the trustees the result waits for: every `Single` share not yet in
    and, while fewer than the threshold have decrypted, the group's members not yet in."""
    members = threshold_members(vote, trustees)
    in_group = {m.position for m in members}
    awaiting = [t.position for t in trustees if t.position not in in_group and not t.decryption]
    decrypted = sum(m.decryption is not None for m in members)
    if vote.threshold is not None and decrypted < vote.threshold:
        awaiting += [m.position for m in members if m.decryption is None]
    return sorted(awaiting)


def publish_if_decrypted(uow: UnitOfWork, vote: Vote) -> Tallying:
    """Combine the partial decryptions into the result once enough trustees' are in: every
    `Single` share's and, with a threshold group, that many of its members'."""
    trustees = repository.trustees_of(uow.session, vote.id)
    ballots = repository.count_ballots(uow.session, vote.id)
    awaiting = awaited_trustees(vote, trustees)
    if awaiting:
        return Tallying(stage=vote.stage, ballots=ballots, awaiting=awaiting, outcome=None)
    election = election_of(vote)
    members = threshold_members(vote, trustees)
    in_group = {m.position for m in members}
    singles = [t.decryption for t in trustees if t.position not in in_group and t.decryption]
    group = [(i, m.decryption) for i, m in enumerate(members, start=1) if m.decryption]
    vote.result = belenios.combine(election, encrypted_tally_of(vote), singles, ballots, group)
    vote.stage = Stage.RESULTS.value
    uow.session.flush()
    vote.archive_hash = archive_sha256(uow.session, vote)
    uow.audit(
        "participation.vote.tallied",
        "participation_vote",
        vote.id,
        {
            "stage": vote.stage,
            "ballots": ballots,
            "result": vote.result,
            "archive_sha256": vote.archive_hash,
        },
    )
    done = Outcome(result=vote.result, archive_hash=vote.archive_hash, ballots=ballots)
    return Tallying(stage=vote.stage, ballots=ballots, awaiting=[], outcome=done)


def outcome(session: Session, vote: Vote) -> Outcome:
    """The published result; unreadable before the tally, by officers too."""
    if vote.stage != Stage.RESULTS.value or vote.result is None or vote.archive_hash is None:
        raise ResultNotPublished("the result is published once the vote is closed and tallied")
    return Outcome(
        result=vote.result,
        archive_hash=vote.archive_hash,
        ballots=repository.count_ballots(session, vote.id),
    )


# -- the public record -----------------------------------------------------------------------


def _record(session: Session, vote: Vote) -> belenios.Record:
    trustees = repository.trustees_of(session, vote.id)
    # Partial decryptions are public once the vote is closed: none alone reveals anything.
    decryptions = [(t.position, t.decryption) for t in trustees if t.decryption is not None]
    return belenios.Record(
        election=election_of(vote).raw,
        trustees=trustees_document(vote, trustees),
        credentials=lambda: repository.credentials_of(session, vote.id),
        ballots=lambda: (c.encode() for c in repository.board_contents(session, vote.id)),
        tally=vote.encrypted_tally,
        decryptions=decryptions,
        result=vote.result,
    )


def archive(session: Session, vote: Vote) -> Iterator[bytes]:
    """The vote's `.bel` archive as far as it has gone (belenios-tool verifies it), in chunks
    streamed from what is stored: each ballot as its client sent it and the credentials, read
    a batch at a time. The session must stay open until the last chunk, in one snapshot (the
    credentials are read twice: for their record's name and size, then for its bytes)."""
    return belenios.stream_archive(_record(session, vote), vote.archive_timestamp or 0)


def archive_sha256(session: Session, vote: Vote) -> str:
    """The hash of the vote's archive as it stands, read as a stream."""
    return belenios.archive_sha256(_record(session, vote), vote.archive_timestamp or 0)
