"""Seconding and credential issuance are rate-limited; every stage change, the close and the
tally land in the transparency log, which still verifies; an issue put to the vote waits for
its outside trustee's key."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.core.audit.log import catch_up
from smartcity.core.audit.models import AuditEntry
from smartcity.core.auth import Role
from smartcity.core.platform import Platform
from smartcity.core.time import utcnow
from smartcity.modules.participation import belenios, service, voting
from smartcity.modules.participation.settings import ParticipationSettings
from tests.conftest import Actors, bearer
from tests.modules.participation.conftest import QUESTIONS, new_vote

API = "/api/v1/participation"


def test_credential_requests_are_rate_limited(client: TestClient, actors: Actors) -> None:
    vote, _officer = new_vote(client, actors)
    citizen = actors.citizen()[1]
    codes = [
        client.post(f"{API}/votes/{vote['id']}/credential", headers=bearer(citizen)).status_code
        for _ in range(6)
    ]
    # rules.CREDENTIALS: 5 a minute; the repeats are refused as duplicates until then.
    assert codes == [201, 409, 409, 409, 409, 429]


def test_seconds_are_rate_limited(client: TestClient, actors: Actors) -> None:
    citizen = actors.citizen()[1]
    proposed = client.post(
        f"{API}/issues", json={"title": "t", "description": "d"}, headers=bearer(citizen)
    )
    assert proposed.status_code == 201
    issue_id = proposed.json()["id"]
    codes = [
        client.post(f"{API}/issues/{issue_id}/seconds", headers=bearer(citizen)).status_code
        for _ in range(10)
    ]
    # rules.SECONDS: 10 a minute, the proposal included.
    assert codes == [200, *[409] * 8, 429]
    limited = client.post(f"{API}/issues/{issue_id}/seconds", headers=bearer(citizen))
    assert limited.json()["code"] == "rate_limited"


def test_every_stage_change_and_the_tally_are_in_the_transparency_log(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    platform.module_settings["participation"] = ParticipationSettings(
        seconds_needed=1,
        trustees={"city": "platform", "observer": "outside"},  # type: ignore[dict-item]
    )
    issue = client.post(
        f"{API}/issues",
        json={"title": "t", "description": "d"},
        headers=bearer(actors.citizen()[1]),
    ).json()
    client.post(f"{API}/issues/{issue['id']}/seconds", headers=bearer(actors.citizen()[1]))
    officer = actors.token(Role.OFFICER, "DOT")
    for stage in ("discussion", "options", "publicity"):
        moved = client.post(
            f"{API}/issues/{issue['id']}/stage",
            json={"stage": stage, "reason": "ok", "department_code": "DOT"},
            headers=bearer(officer),
        )
        assert moved.status_code == 200, moved.text
    body = {"questions": QUESTIONS, "closes_at": (utcnow() + timedelta(days=3)).isoformat()}
    put = client.post(f"{API}/issues/{issue['id']}/vote", json=body, headers=bearer(officer))
    assert put.status_code == 200, put.text
    # The observer's key is awaited: still at publicity, no election to vote in.
    assert put.json()["stage"] == "publicity"
    token = put.json()["trustees"][1]["upload_token"]
    observer = belenios.new_trustee_key(belenios.group("BELENIOS-2048"))
    registered = client.post(
        f"{API}/votes/{issue['id']}/trustees/2/public-key",
        json={"token": token, "public_key": observer.public},
    )
    assert registered.json()["stage"] == "voting"
    assert registered.json()["decisions"][-1]["to"] == "voting"

    closed = client.post(f"{API}/votes/{issue['id']}/tally", headers=bearer(officer))
    assert closed.status_code == 202
    # The observer decrypts with the key share only they hold.
    with platform.db.read_session() as session:
        vote = service.get_vote(session, issue["id"])
        election = service.election_of(vote)
        partial = belenios.partial_decryption(election, observer, voting.encrypted_tally_of(vote))
    decrypted = client.post(
        f"{API}/votes/{issue['id']}/trustees/2/partial-decryption",
        json={"token": token, "partial_decryption": partial},
    )
    assert decrypted.json()["result"] == [[0, 0], [0, 0, 0]]

    catch_up(platform)
    with platform.db.read_session() as session:
        # A row of core_audit_entries is a leaf of the log (its index is the leaf's).
        actions = list(
            session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == issue["id"]))
        )
        problems = platform.log.verify(session)
    assert actions.count("participation.issue.stage_changed") == 5
    for action in (
        "participation.issue.proposed",
        "participation.trustee.key_registered",
        "participation.vote.opened",
        "participation.vote.closed",
        "participation.trustee.decrypted",
        "participation.vote.tallied",
    ):
        assert action in actions
    assert problems == []
