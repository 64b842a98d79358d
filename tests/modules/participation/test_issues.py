"""i-Voting's stages: proposals and their seconds, review with reasons, and on to the vote."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from smartcity.core.auth import Role
from smartcity.core.platform import Platform
from smartcity.core.time import utcnow
from smartcity.modules.participation.settings import ParticipationSettings
from tests.conftest import Actors, bearer
from tests.modules.participation.conftest import QUESTIONS, take_credential

API = "/api/v1/participation"


def _propose(client: TestClient, token: str) -> dict[str, Any]:
    answer = client.post(
        f"{API}/issues",
        json={"title": "延長動物園開放時間", "description": "夏季週五晚上開放"},
        headers=bearer(token),
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _move(client: TestClient, issue_id: str, token: str, stage: str, reason: str = "ok") -> Any:
    return client.post(
        f"{API}/issues/{issue_id}/stage",
        json={"stage": stage, "reason": reason, "department_code": "DOT"},
        headers=bearer(token),
    )


def test_a_proposal_reaches_review_with_its_seconds_one_per_citizen(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    platform.module_settings["participation"] = ParticipationSettings(seconds_needed=2)
    issue = _propose(client, actors.citizen()[1])
    assert (issue["stage"], issue["origin"], issue["seconds_needed"]) == (
        "proposal_check",
        "citizen",
        2,
    )
    first = actors.citizen()[1]
    seconded = client.post(f"{API}/issues/{issue['id']}/seconds", headers=bearer(first))
    assert seconded.json()["seconds"] == 1
    again = client.post(f"{API}/issues/{issue['id']}/seconds", headers=bearer(first))
    assert again.status_code == 409
    assert again.json()["code"] == "already_seconded"

    officer = actors.token(Role.OFFICER, "DOT")
    early = _move(client, issue["id"], officer, "preliminary_review")
    assert early.status_code == 409
    assert "1 of its 2 seconds" in early.json()["detail"]

    done = client.post(f"{API}/issues/{issue['id']}/seconds", headers=bearer(actors.citizen()[1]))
    assert done.json()["stage"] == "preliminary_review"
    assert done.json()["decisions"][-1]["to"] == "preliminary_review"
    late = client.post(f"{API}/issues/{issue['id']}/seconds", headers=bearer(actors.citizen()[1]))
    assert late.json()["code"] == "seconding_closed"


def test_an_issue_goes_through_every_stage_to_results_and_follow_up(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    platform.module_settings["participation"] = ParticipationSettings(seconds_needed=1)
    issue = _propose(client, actors.citizen()[1])
    client.post(f"{API}/issues/{issue['id']}/seconds", headers=bearer(actors.citizen()[1]))
    officer = actors.token(Role.OFFICER, "DOT")

    skipped = _move(client, issue["id"], officer, "publicity")
    assert skipped.status_code == 409
    assert skipped.json()["code"] == "stage_change_refused"
    for stage in ("discussion", "options", "publicity"):
        moved = _move(client, issue["id"], officer, stage, reason=f"{stage}: 公共性、適法性皆符合")
        assert moved.status_code == 200, moved.text
    shown = moved.json()
    assert [d["to"] for d in shown["decisions"]] == [
        "preliminary_review",
        "discussion",
        "options",
        "publicity",
    ]
    assert shown["decisions"][-1]["reason"].startswith("publicity")

    stranger = actors.token(Role.OFFICER, "DOH")
    body = {"questions": QUESTIONS, "closes_at": (utcnow() + timedelta(days=3)).isoformat()}
    refused = client.post(f"{API}/issues/{issue['id']}/vote", json=body, headers=bearer(stranger))
    assert refused.status_code == 403
    opened = client.post(f"{API}/issues/{issue['id']}/vote", json=body, headers=bearer(officer))
    assert opened.status_code == 200, opened.text
    assert opened.json()["stage"] == "voting"
    assert opened.json()["election_uuid"]

    take_credential(client, issue["id"], actors.citizen()[1])
    tallied = client.post(f"{API}/votes/{issue['id']}/tally", headers=bearer(officer))
    assert tallied.json()["result"] == [[0, 0], [0, 0, 0]]
    report = client.post(
        f"{API}/issues/{issue['id']}/follow-up",
        json={"text": "動物園已於七月起試辦夜間開放"},
        headers=bearer(officer),
    )
    assert report.status_code == 200
    assert report.json()["follow_up"].startswith("動物園")


def test_a_turned_down_proposal_needs_a_reason_and_goes_no_further(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    platform.module_settings["participation"] = ParticipationSettings(seconds_needed=1)
    issue = _propose(client, actors.citizen()[1])
    officer = actors.token(Role.OFFICER, "DOT")
    blank = _move(client, issue["id"], officer, "not_adopted", reason="   ")
    assert blank.json()["code"] == "reason_required"
    turned_down = _move(client, issue["id"], officer, "not_adopted", reason="不符適法性")
    assert turned_down.json()["stage"] == "not_adopted"
    again = _move(client, issue["id"], officer, "discussion")
    assert again.json()["code"] == "stage_change_refused"
    archive = client.get(f"{API}/votes/{issue['id']}/archive")
    assert archive.status_code == 409
    assert archive.json()["code"] == "no_election"
