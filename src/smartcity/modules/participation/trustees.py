"""Outside trustees: the key shares the platform never sees (ADR 26, ADR 28).

An outside trustee makes their key with `belenios-tool setup generate-trustee-key`, uploads the
public half with the token the officer passed on, and after the close runs
`belenios-tool election decrypt` on the archive and uploads the partial decryption. The token
only keeps strangers from filling the slot; what binds a key and a decryption to the trustee is
the proof each carries, and the trustee checks their key in the archive's trustees.json.
"""

from __future__ import annotations

import hmac
import json
import uuid
from typing import Any

from smartcity.core.uow import UnitOfWork
from smartcity.modules.participation import belenios, issues, repository, voting
from smartcity.modules.participation.errors import (
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
    pending = [t for t in repository.trustees_of(uow.session, vote.id) if t.public_key is None]
    if not pending and vote.stage == Stage.PUBLICITY.value and vote.election is None:
        voting.start_election(uow, vote, group_name)
        # start_election moved the stage; the decision is recorded from where it was.
        vote.stage = Stage.PUBLICITY.value
        issues.record_stage(uow, vote, Stage.VOTING, "every trustee's key is in; the vote opens")
    return vote


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
