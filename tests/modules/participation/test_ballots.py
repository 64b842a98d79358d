"""What the board refuses, with its reason, and what it never stores: bad ballots and revotes."""

from __future__ import annotations

import json
import threading
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.core.audit.models import AuditEntry
from smartcity.core.platform import Platform
from smartcity.modules.participation import belenios, service
from tests.conftest import Actors, bearer
from tests.modules.participation.conftest import new_vote, take_credential

YES = [[1, 0], [0, 0, 0]]


def _election(platform: Platform, vote_id: str) -> belenios.Election:
    with platform.db.read_session() as session:
        return service.election_of(service.get_vote(session, vote_id))


def _cast(client: TestClient, vote_id: str, content: bytes, token: str) -> Any:
    return client.post(
        f"/api/v1/participation/votes/{vote_id}/ballots", content=content, headers=bearer(token)
    )


def _board(client: TestClient, vote_id: str) -> list[dict[str, Any]]:
    return list(client.get(f"/api/v1/participation/votes/{vote_id}/board").json())


def _tamper(content: bytes, change: Any) -> bytes:
    ballot = json.loads(content)
    change(ballot)
    return belenios.dumps(ballot)


def test_a_ballot_made_on_the_server_is_counted_and_its_tracker_is_on_the_board(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    vote, _officer = new_vote(client, actors)
    _user, token = actors.citizen()
    credential = take_credential(client, vote["id"], token)
    content = belenios.make_ballot(_election(platform, vote["id"]), credential, YES)
    cast = _cast(client, vote["id"], content, token)
    assert cast.status_code == 201, cast.text
    assert cast.json()["tracker"] == belenios.sha256_b64(content)
    assert [b["tracker"] for b in _board(client, vote["id"])] == [cast.json()["tracker"]]


def test_forged_replayed_and_malformed_ballots_are_refused_with_reasons_and_not_stored(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    vote, _officer = new_vote(client, actors)
    other, _ = new_vote(client, actors)
    _user, token = actors.citizen()
    credential = take_credential(client, vote["id"], token)
    take_credential(client, other["id"], token)
    good = belenios.make_ballot(_election(platform, vote["id"]), credential, YES)

    def forge_signature(b: dict[str, Any]) -> None:
        b["signature"]["proof"]["response"] = str(int(b["signature"]["proof"]["response"]) + 1)

    def break_a_proof(b: dict[str, Any]) -> None:
        proof = b["answers"][0]["individual_proofs"][0][0]
        proof["challenge"] = str(int(proof["challenge"]) + 1)

    def sign_something_else(b: dict[str, Any]) -> None:
        b["signature"]["hash"] = belenios.sha256_b64(b"another ballot")

    def unknown_credential(b: dict[str, Any]) -> None:
        b["credential"] = belenios.public_credential(
            _election(platform, vote["id"]).group, belenios.new_credential(), b["election_uuid"]
        )

    cases = {
        "another election": (other["id"], good),
        "signature does not hold": (vote["id"], _tamper(good, forge_signature)),
        "is 0 or 1 does not hold": (vote["id"], _tamper(good, break_a_proof)),
        "signature does not cover": (vote["id"], _tamper(good, sign_something_else)),
        "not on this election's list": (vote["id"], _tamper(good, unknown_credential)),
        "not JSON": (vote["id"], b"{not json"),
        "exactly the fields": (vote["id"], b'{"election_uuid": 1}'),
    }
    for reason, (target, content) in cases.items():
        refused = _cast(client, target, content, token)
        assert refused.status_code == 400, (reason, refused.text)
        assert refused.json()["code"] == "invalid_ballot"
        assert reason in refused.json()["detail"], (reason, refused.json()["detail"])
    assert _board(client, vote["id"]) == []
    assert _board(client, other["id"]) == []

    # The good ballot still counts once, in its own election.
    assert _cast(client, vote["id"], good, token).status_code == 201
    assert len(_board(client, vote["id"])) == 1


def test_concurrent_ballots_of_one_credential_leave_exactly_one_counted(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    vote, _officer = new_vote(client, actors)
    _user, token = actors.citizen()
    credential = take_credential(client, vote["id"], token)
    election = _election(platform, vote["id"])
    ballots = [belenios.make_ballot(election, credential, YES) for _ in range(4)]
    answers: list[int] = []

    def cast(content: bytes) -> None:
        answers.append(_cast(client, vote["id"], content, token).status_code)

    threads = [threading.Thread(target=cast, args=(content,)) for content in ballots]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [201] * 4
    board = _board(client, vote["id"])
    assert len(board) == 1
    assert board[0]["tracker"] in {belenios.sha256_b64(c) for c in ballots}
    with platform.db.read_session() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.action == "participation.ballot.cast")
        ).all()
    assert len(actions) == 4
