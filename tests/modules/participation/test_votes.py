"""Votes through the API: credentials once per citizen, eligibility, the tally and its audit."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.core.audit.models import AuditEntry
from smartcity.core.auth import Role
from smartcity.core.city import current_city
from smartcity.core.platform import Platform
from smartcity.core.time import local_today, utcnow
from smartcity.modules.participation import belenios, service
from smartcity.modules.participation.models import Issuance
from tests.conftest import Actors, bearer
from tests.modules.participation.conftest import new_vote, take_credential


def test_a_credential_is_issued_once_per_citizen_and_vote(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    vote, _officer = new_vote(client, actors)
    _user, token = actors.citizen()
    credential = take_credential(client, vote["id"], token)
    assert belenios.CREDENTIAL_PATTERN.match(credential)
    again = client.post(
        f"/api/v1/participation/votes/{vote['id']}/credential", headers=bearer(token)
    )
    assert again.status_code == 409
    assert again.json()["code"] == "credential_already_issued"
    # The private credential is stored nowhere: only its public half is on the list.
    archive = client.get(f"/api/v1/participation/votes/{vote['id']}/archive").content
    public = belenios.public_credential(
        belenios.group("BELENIOS-2048"), credential, vote["election_uuid"]
    )
    assert public.encode() in archive
    assert credential.encode() not in archive


def test_an_ineligible_citizen_gets_403_with_the_reason(client: TestClient, actors: Actors) -> None:
    vote, _officer = new_vote(client, actors, eligibility={"verification_level": "verified"})
    _user, token = actors.citizen()
    refused = client.post(
        f"/api/v1/participation/votes/{vote['id']}/credential", headers=bearer(token)
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_eligible"
    assert "verified" in refused.json()["detail"]


def test_bad_questions_and_past_closing_times_are_refused(
    client: TestClient, actors: Actors
) -> None:
    officer = bearer(actors.token(Role.OFFICER, "DOT"))
    base = {
        "title": "t",
        "eligibility": {},
        "closes_at": (utcnow() + timedelta(days=1)).isoformat(),
    }
    too_many = {"question": "q", "answers": ["a", "b"], "min": 0, "max": 3}
    answer = client.post(
        "/api/v1/participation/votes", json={**base, "questions": [too_many]}, headers=officer
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_questions"
    past = {**base, "closes_at": (utcnow() - timedelta(hours=1)).isoformat()}
    fine = {"question": "q", "answers": ["a", "b"], "min": 0, "max": 1}
    answer = client.post(
        "/api/v1/participation/votes", json={**past, "questions": [fine]}, headers=officer
    )
    assert answer.json()["code"] == "closes_in_the_past"
    unknown = {**base, "questions": [fine], "eligibility": {"age": 16}}
    assert (
        client.post("/api/v1/participation/votes", json=unknown, headers=officer).status_code == 422
    )


def test_the_tally_is_once_by_the_votes_department_audited_and_forgets_the_vote_lock(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    vote, officer = new_vote(client, actors)
    _user, token = actors.citizen()
    credential = take_credential(client, vote["id"], token)
    with platform.db.read_session() as session:
        election = service.election_of(service.get_vote(session, vote["id"]))
    content = belenios.make_ballot(election, credential, [[0, 1], [1, 0, 1]])
    cast = client.post(
        f"/api/v1/participation/votes/{vote['id']}/ballots", content=content, headers=bearer(token)
    )
    assert cast.status_code == 201

    stranger = bearer(actors.token(Role.OFFICER, "DOH"))
    refused = client.post(f"/api/v1/participation/votes/{vote['id']}/tally", headers=stranger)
    assert refused.status_code == 403
    assert refused.json()["code"] == "other_department"

    tallied = client.post(
        f"/api/v1/participation/votes/{vote['id']}/tally", headers=bearer(officer)
    )
    assert tallied.status_code == 200
    assert tallied.json()["result"] == [[0, 1], [1, 0, 1]]
    again = client.post(f"/api/v1/participation/votes/{vote['id']}/tally", headers=bearer(officer))
    assert again.status_code == 409
    assert again.json()["code"] == "already_tallied"

    archive = client.get(f"/api/v1/participation/votes/{vote['id']}/archive").content
    assert belenios.sha256_hex(archive) == tallied.json()["archive_hash"]
    with platform.db.read_session() as session:
        assert session.scalars(select(Issuance)).all() == []
        actions = set(session.scalars(select(AuditEntry.action)).all())
        anchored = session.scalars(
            select(AuditEntry.change_json).where(AuditEntry.action == "participation.vote.tallied")
        ).one()
    assert {"participation.vote.created", "participation.credential.issued"} <= actions
    assert tallied.json()["archive_hash"] in anchored
    late = client.post(
        f"/api/v1/participation/votes/{vote['id']}/credential", headers=bearer(token)
    )
    assert late.json()["code"] == "vote_not_open"


def test_an_unknown_vote_is_404(client: TestClient) -> None:
    for path in ("archive", "result", "board"):
        answer = client.get(f"/api/v1/participation/votes/not-a-uuid/{path}")
        assert answer.status_code in (404, 422)
    answer = client.get("/api/v1/participation/votes/00000000-0000-4000-8000-000000000000/result")
    assert answer.status_code == 404
    assert answer.json()["code"] == "vote_not_found"


def test_age_and_district_rules_read_what_an_officer_recorded(
    client: TestClient, actors: Actors
) -> None:
    home, elsewhere = (district.code for district in current_city().districts[:2])
    vote, _officer = new_vote(client, actors, eligibility={"min_age": 16, "districts": [home]})
    lives_only, _ = new_vote(client, actors, eligibility={"ties": ["lives"], "districts": [home]})
    user_id, token = actors.citizen()
    officer = bearer(actors.token(Role.OFFICER, "DOT"))

    def refusal(vote_id: str) -> str | None:
        answer = client.post(
            f"/api/v1/participation/votes/{vote_id}/credential", headers=bearer(token)
        )
        if answer.status_code == 201:
            return None
        assert answer.status_code == 403 and answer.json()["code"] == "not_eligible"
        return str(answer.json()["detail"])

    def papers(**facts: str) -> None:
        url = f"/api/v1/identity/citizens/{user_id}/facts"
        assert client.put(url, json=facts, headers=officer).status_code == 200

    assert "birth date" in (refusal(vote["id"]) or "")
    today = local_today()
    fifteen = date(today.year - 15, today.month, min(today.day, 28)).isoformat()
    papers(birth_date=fifteen, lives_in=home)
    assert "older" in (refusal(vote["id"]) or "")
    papers(birth_date="1990-01-01", lives_in=elsewhere)
    assert "live, study or work" in (refusal(vote["id"]) or "")
    papers(birth_date="1990-01-01", lives_in=elsewhere, works_in=home)
    assert refusal(lives_only["id"]) is not None  # working there is not living there
    assert refusal(vote["id"]) is None


def test_an_eligibility_rule_naming_no_district_of_the_city_is_refused(
    client: TestClient, actors: Actors
) -> None:
    officer = bearer(actors.token(Role.OFFICER, "DOT"))
    body = {
        "title": "t",
        "questions": [{"question": "q", "answers": ["a", "b"], "min": 0, "max": 1}],
        "eligibility": {"districts": ["atlantis"]},
        "closes_at": (utcnow() + timedelta(days=1)).isoformat(),
    }
    refused = client.post("/api/v1/participation/votes", json=body, headers=officer)
    assert refused.status_code == 422
    assert refused.json()["code"] == "unknown_eligibility_rule"
