"""Outside trustees: the key shares the platform never sees (ADR 26, ADR 28, ADR 31).

An outside trustee makes their key with `belenios-tool setup generate-trustee-key`, uploads the
public half with the token the officer passed on, and after the close runs
`belenios-tool election decrypt` on the archive and uploads the partial decryption. The token
only keeps strangers from filling the slot; what binds a key and a decryption to the trustee is
the proof each carries, and the trustee checks their key in the archive's trustees.json.

Outside trustees sharing a threshold key instead run belenios-tool's
`generate-trustee-key-threshold` ceremony through the platform, which relays and checks each
step (certificates, polynomials, verification outputs) and never sees a share in clear; after
the close any `threshold` of them run `belenios-tool election decrypt-threshold`.
"""

from __future__ import annotations

import hmac
import json
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from smartcity.core.uow import UnitOfWork
from smartcity.modules.participation import belenios, issues, repository, voting
from smartcity.modules.participation.errors import (
    CeremonyStepRefused,
    InvalidCeremonyStep,
    InvalidPartialDecryption,
    InvalidTrusteeKey,
    NotAwaitingDecryption,
    TrusteeAlreadyDecrypted,
    TrusteeKeyRegistered,
    TrusteeNotFound,
    TrusteeTokenInvalid,
)
from smartcity.modules.participation.models import Trustee, Vote
from smartcity.modules.participation.values import Custody, Stage


def _outside_trustee(uow: UnitOfWork, vote: Vote, position: int, token: str) -> Trustee:
    found = next(
        (t for t in repository.trustees_of(uow.session, vote.id) if t.position == position),
        None,
    )
    if found is None or found.custody != Custody.OUTSIDE.value or found.token_hash is None:
        raise TrusteeNotFound(f"the vote has no outside trustee number {position}")
    given = belenios.sha256_hex(token.encode())
    if not hmac.compare_digest(given, found.token_hash):
        raise TrusteeTokenInvalid("the token is not this trustee's")
    return found


def register_key(
    uow: UnitOfWork,
    vote_id: uuid.UUID,
    position: int,
    token: str,
    public_key: dict[str, Any],
    group_name: str,
) -> Vote:
    """Record an outside trustee's public key; the last one in opens the election."""
    vote = repository.lock_vote(uow.session, vote_id)
    trustee = _outside_trustee(uow, vote, position, token)
    if vote.threshold is not None:
        raise CeremonyStepRefused(
            "this trustee shares a threshold key: their key comes from the ceremony's steps"
        )
    if trustee.public_key is not None:
        raise TrusteeKeyRegistered("this trustee's public key is registered already")
    g = belenios.group(group_name)
    if set(public_key) != {"pok", "public_key"} or not belenios.trustee_key_holds(g, public_key):
        raise InvalidTrusteeKey(
            f"not a {g.name} public key with a valid proof of knowledge "
            "(the .pubkey file of belenios-tool setup generate-trustee-key)"
        )
    trustee.public_key = {"pok": public_key["pok"], "public_key": public_key["public_key"]}
    uow.session.flush()
    uow.audit(
        "participation.trustee.key_registered",
        "participation_vote",
        vote.id,
        {"position": position, "holder": trustee.holder, "public_key": public_key["public_key"]},
    )
    _open_when_keys_are_in(uow, vote, group_name)
    return vote


def _open_when_keys_are_in(uow: UnitOfWork, vote: Vote, group_name: str) -> None:
    pending = [t for t in repository.trustees_of(uow.session, vote.id) if t.public_key is None]
    if not pending and vote.stage == Stage.PUBLICITY.value and vote.election is None:
        voting.start_election(uow, vote, group_name)
        # start_election moved the stage; the decision is recorded from where it was.
        vote.stage = Stage.PUBLICITY.value
        issues.record_stage(uow, vote, Stage.VOTING, "every trustee's key is in; the vote opens")


# -- the threshold key ceremony ----------------------------------------------------------------


class CeremonyStep(StrEnum):
    """What a threshold group's key ceremony waits for."""

    CERTIFICATES = "certificates"
    """Step 1: each member's certificate (`--step 1`)."""
    POLYNOMIALS = "polynomials"
    """Step 3: each member's polynomial, made over every certificate (`--step 3`)."""
    VERIFICATION = "verification"
    """Step 5: each member's verification output, made from their input (`--step 5`)."""
    DONE = "done"
    """The group's key is in the election's (or the vote has no threshold group)."""


@dataclass(frozen=True)
class Ceremony:
    """Where a vote's threshold ceremony stands, and what members download for the next step."""

    threshold: int | None
    step: CeremonyStep
    members: list[int]
    """The members' positions, in the group's order."""
    done: list[int]
    """The members whose upload for the current step is in."""
    certificates: list[dict[str, Any]]
    """Every certificate, in the group's order, once all are in (belenios-tool's --certs)."""
    verification_inputs: dict[int, dict[str, Any]]
    """Each member's input to step 5, once every polynomial is in."""
    decryption_keys: dict[int, str]
    """Each member's decryption key, encrypted to them, once the ceremony is done
    (belenios-tool election decrypt-threshold's --decryption-key)."""


_FIELD = {
    CeremonyStep.CERTIFICATES: "certificate",
    CeremonyStep.POLYNOMIALS: "polynomial",
    CeremonyStep.VERIFICATION: "verification_output",
}


def _step_of(members: list[Trustee]) -> CeremonyStep:
    for step, field in _FIELD.items():
        if any(getattr(m, field) is None for m in members):
            return step
    return CeremonyStep.DONE


def ceremony(session: Session, vote: Vote) -> Ceremony:
    """The ceremony's state as the public sees it: certificates, encrypted shares and signed
    commitments are what belenios-tool's administrator relays, none a secret."""
    members = voting.threshold_members(vote, repository.trustees_of(session, vote.id))
    step = _step_of(members) if members else CeremonyStep.DONE
    field = _FIELD.get(step)
    polynomials = [m.polynomial for m in members if m.polynomial is not None]
    return Ceremony(
        threshold=vote.threshold,
        step=step,
        members=[m.position for m in members],
        done=[m.position for m in members if field and getattr(m, field) is not None],
        certificates=[m.certificate for m in members if m.certificate is not None]
        if step is not CeremonyStep.CERTIFICATES
        else [],
        verification_inputs={
            m.position: belenios.verification_input(polynomials, index)
            for index, m in enumerate(members, start=1)
        }
        if step in (CeremonyStep.VERIFICATION, CeremonyStep.DONE)
        else {},
        decryption_keys={
            m.position: m.verification_output["private_key"]
            for m in members
            if m.verification_output is not None
        }
        if step is CeremonyStep.DONE
        else {},
    )


def ceremony_upload(
    uow: UnitOfWork,
    vote_id: uuid.UUID,
    position: int,
    token: str,
    step: CeremonyStep,
    upload: Any,
    group_name: str,
) -> Ceremony:
    """Take a threshold member's upload for `step`, checked as belenios-tool's administrator
    steps check it; the last verification output writes the election and opens the vote."""
    vote = repository.lock_vote(uow.session, vote_id)
    trustee = _outside_trustee(uow, vote, position, token)
    trustees = repository.trustees_of(uow.session, vote.id)
    members = voting.threshold_members(vote, trustees)
    if vote.threshold is None or trustee not in members:
        raise CeremonyStepRefused("this trustee holds a key of their own, not a threshold share")
    now = _step_of(members)
    if step is not now:
        raise CeremonyStepRefused(f"the ceremony waits for the members' {now.value}")
    if getattr(trustee, _FIELD[step]) is not None:
        raise CeremonyStepRefused(f"this member's {step.value} step is in already")
    g = belenios.group(group_name)
    index = members.index(trustee) + 1
    try:
        if step is CeremonyStep.CERTIFICATES:
            belenios.certificate_key(g, upload)
            if any(m.certificate == upload for m in members):
                raise belenios.InvalidCeremonyStep("another member uploaded this certificate")
        elif step is CeremonyStep.POLYNOMIALS:
            belenios.check_polynomial(
                g, upload, trustee.certificate or {}, vote.threshold, len(members)
            )
        else:
            polynomials = [m.polynomial for m in members if m.polynomial is not None]
            belenios.check_verification_output(g, upload, polynomials, index)
    except belenios.InvalidCeremonyStep as error:
        raise InvalidCeremonyStep(str(error)) from error
    setattr(trustee, _FIELD[step], json.loads(belenios.dumps(upload)))
    if step is CeremonyStep.VERIFICATION:
        trustee.public_key = upload["public_key"]
    uow.session.flush()
    uow.audit(
        f"participation.trustee.{step.value}_step",
        "participation_vote",
        vote.id,
        {"position": position, "holder": trustee.holder, "index": index},
    )
    if step is CeremonyStep.VERIFICATION:
        _open_when_keys_are_in(uow, vote, group_name)
    return ceremony(uow.session, vote)


def submit_decryption(
    uow: UnitOfWork, vote_id: uuid.UUID, position: int, token: str, decryption: dict[str, Any]
) -> voting.Tallying:
    """Check an outside trustee's partial decryption of the encrypted tally and keep it; the
    last one in publishes the result."""
    vote = repository.lock_vote(uow.session, vote_id)
    trustee = _outside_trustee(uow, vote, position, token)
    if vote.stage != Stage.TALLYING.value:
        raise NotAwaitingDecryption(
            "partial decryptions are taken after the close, until the result"
        )
    if trustee.decryption is not None:
        raise TrusteeAlreadyDecrypted("this trustee's partial decryption is in already")
    election = voting.election_of(vote)
    if (
        trustee.public_key is None
        or set(decryption) != {"decryption_factors", "decryption_proofs"}
        or not belenios.partial_decryption_holds(
            election, trustee.public_key, voting.encrypted_tally_of(vote), decryption
        )
    ):
        raise InvalidPartialDecryption(
            "the partial decryption does not prove itself against this trustee's key and the "
            "encrypted tally"
        )
    trustee.decryption = json.loads(belenios.dumps(decryption))
    uow.session.flush()
    uow.audit(
        "participation.trustee.decrypted",
        "participation_vote",
        vote.id,
        {"position": position, "holder": trustee.holder},
    )
    return voting.publish_if_decrypted(uow, vote)
