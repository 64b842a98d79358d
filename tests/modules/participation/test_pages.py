"""participation's pages: proposing and seconding, the voting page's routes, "check my ballot",
results with their chart, and the staff console moving an issue and a budget on."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from fastapi.testclient import TestClient

from smartcity.core.auth import system_actor
from smartcity.core.http import SESSION_COOKIE
from smartcity.core.platform import Platform
from smartcity.core.time import utcnow
from smartcity.modules.identity import service as identity
from smartcity.modules.identity.oauth.routes import PORTAL_SCOPE
from smartcity.modules.participation import belenios
from smartcity.modules.participation.settings import ParticipationSettings
from tests.conftest import Actors, bearer
from tests.modules.participation.conftest import new_vote
from tests.support.portal import sign_in_staff


def sign_in_citizen(platform: Platform, client: TestClient, actors: Actors) -> str:
    """A new citizen signed in to the portal; the CSRF token."""
    user_id, _token = actors.citizen()
    with platform.unit_of_work(system_actor("test")) as uow:
        person = identity.get_user(uow.session, user_id)
        token, row = identity.open_session(
            uow.session,
            person,
            kind="portal",
            scope=identity.portal_scope(person, PORTAL_SCOPE),
            hours=1,
        )
        csrf = row.csrf_token
    client.cookies.set(SESSION_COOKIE, token)
    return csrf


def test_a_citizen_proposes_and_another_seconds_on_the_pages(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    platform.module_settings["participation"] = ParticipationSettings(seconds_needed=2)
    csrf = sign_in_citizen(platform, client, actors)
    form = client.get("/participation/propose")
    assert form.status_code == 200
    made = client.post(
        "/participation/propose",
        data={"title": "河濱增設飲水機", "description": "夏天跑步缺水", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert made.status_code == 303
    issue_url = made.headers["location"]
    csrf = sign_in_citizen(platform, client, actors)
    seconded = client.post(f"{issue_url}/second", data={"csrf_token": csrf})
    assert seconded.status_code == 200
    assert "謝謝：您的附議已計入" in seconded.text
    assert '<span class="seconds-count">1</span>' in seconded.text
    again = client.post(f"{issue_url}/second", data={"csrf_token": csrf})
    assert "each citizen seconds a proposal once" in again.text
    listing = client.get("/participation")
    assert "河濱增設飲水機" in listing.text
    assert "提案檢核" in listing.text


def test_the_voting_page_casts_a_ballot_and_check_my_ballot_finds_it(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    vote, officer = new_vote(client, actors)
    csrf = sign_in_citizen(platform, client, actors)
    page = client.get(f"/participation/votes/{vote['id']}/vote")
    assert page.status_code == 200
    assert '<script src="/static/belenios.js"' in page.text
    # The page carries election.json byte for byte: the script fingerprints it.
    text = html.unescape(re.search(r'data-election="([^"]*)"', page.text).group(1))  # type: ignore[union-attr]
    election = belenios.Election.parse(text.encode())
    assert election.fingerprint == vote["election_fingerprint"]

    headers = {"x-csrf-token": csrf}
    credential = client.post(
        f"/participation/votes/{vote['id']}/credential", headers=headers
    ).json()["credential"]
    twice = client.post(f"/participation/votes/{vote['id']}/credential", headers=headers)
    assert twice.json()["code"] == "credential_already_issued"
    forged = client.post(f"/participation/votes/{vote['id']}/ballot", headers=headers)
    assert forged.status_code == 400
    content = belenios.make_ballot(election, credential, [[1, 0], [0, 1, 0]])
    cast = client.post(
        f"/participation/votes/{vote['id']}/ballot",
        content=content,
        headers={**headers, "content-type": "application/json"},
    )
    assert cast.status_code == 201, cast.text
    tracker = cast.json()["tracker"]
    no_csrf = client.post(f"/participation/votes/{vote['id']}/ballot", content=content)
    assert no_csrf.json()["code"] == "csrf_failed"

    client.cookies.clear()
    found = client.get(f"/participation/votes/{vote['id']}/check", params={"tracker": tracker})
    assert "您的選票在公告板上" in found.text
    missing = client.get(f"/participation/votes/{vote['id']}/check", params={"tracker": "x"})
    assert "公告板上沒有這個追蹤碼" in missing.text

    client.post(f"/api/v1/participation/votes/{vote['id']}/tally", headers=bearer(officer))
    results = client.get(f"/participation/issues/{vote['id']}")
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in results.text
    assert "<strong>1</strong>" in results.text


def test_the_staff_console_moves_an_issue_and_runs_a_budget(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    platform.module_settings["participation"] = ParticipationSettings(seconds_needed=1)
    issue = client.post(
        "/api/v1/participation/issues",
        json={"title": "公園增設遮陽", "description": "夏天太熱"},
        headers=bearer(actors.citizen()[1]),
    ).json()
    client.post(
        f"/api/v1/participation/issues/{issue['id']}/seconds", headers=bearer(actors.citizen()[1])
    )
    csrf = sign_in_staff(platform, client, "DOT")
    console = client.get("/staff/participation")
    assert console.status_code == 200
    moved = client.post(
        f"/staff/participation/issues/{issue['id']}/stage",
        data={"stage": "discussion", "reason": "公共性符合", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    refused = client.post(
        f"/staff/participation/issues/{issue['id']}/stage",
        data={"stage": "results", "reason": "跳過", "csrf_token": csrf},
    )
    assert refused.status_code == 409
    assert "from discussion an issue moves to" in refused.text

    opened = client.post(
        "/staff/participation/budgets",
        data={
            "district_code": "daan",
            "title": "大安區參與式預算",
            "budget": "1000000",
            "eligible_residents": "100",
            "min_choices": "1",
            "max_choices": "1",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert opened.status_code == 303
    budget = client.get("/api/v1/participation/budgets").json()[0]
    client.post(
        f"/api/v1/participation/budgets/{budget['id']}/projects",
        json={"title": "社區圖書角", "description": "x", "cost": 300_000, "location": "里民中心"},
        headers=bearer(actors.citizen()[1]),
    )
    project_id = client.get(f"/api/v1/participation/budgets/{budget['id']}").json()["projects"][0][
        "id"
    ]
    findings = {"public_interest": "true", "legality": "true", "budget_feasibility": "true"}
    for path, data in (
        (f"budgets/{budget['id']}/review", {"reason": "收件截止"}),
        (f"projects/{project_id}/review", {**findings, "reason": "符合"}),
        (
            f"budgets/{budget['id']}/vote",
            {"closes_at": (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")},
        ),
        (f"budgets/{budget['id']}/tally", {}),
    ):
        done = client.post(
            f"/staff/participation/{path}",
            data={**data, "csrf_token": csrf},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
    after = client.get(f"/api/v1/participation/budgets/{budget['id']}").json()
    assert after["stage"] == "results"
    # No ballot: under the 1 % threshold (1 vote of 100 residents), nothing is selected.
    assert after["projects"][0]["status"] == "not_selected"
    page = client.get(f"/participation/budgets/{budget['id']}")
    assert "1% 門檻" in page.text
    assert "未入選" in page.text


def test_pages_answer_in_english_on_request(client: TestClient, actors: Actors) -> None:
    new_vote(client, actors)
    page = client.get("/participation", headers={"accept-language": "en"})
    assert "i-Voting and participatory budgets" in page.text
    assert "Voting" in page.text


def test_the_console_puts_an_issue_at_publicity_to_the_vote_and_reports_its_follow_up(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    platform.module_settings["participation"] = ParticipationSettings(seconds_needed=1)
    issue = client.post(
        "/api/v1/participation/issues",
        json={"title": "週末徒步區", "description": "試辦"},
        headers=bearer(actors.citizen()[1]),
    ).json()
    client.post(
        f"/api/v1/participation/issues/{issue['id']}/seconds", headers=bearer(actors.citizen()[1])
    )
    csrf = sign_in_staff(platform, client, "DOT")
    for stage in ("discussion", "options", "publicity"):
        client.post(
            f"/staff/participation/issues/{issue['id']}/stage",
            data={"stage": stage, "reason": "符合", "csrf_token": csrf},
        )
    opened = client.post(
        f"/staff/participation/issues/{issue['id']}/vote",
        data={
            "question": "是否試辦？",
            "answers": "試辦三個月\n不試辦\n",
            "min_choices": "1",
            "max_choices": "1",
            "closes_at": (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert opened.status_code == 303, opened.text
    vote = client.get(f"/api/v1/participation/votes/{issue['id']}").json()
    assert vote["stage"] == "voting"
    assert vote["questions"][0]["answers"] == ["試辦三個月", "不試辦"]
    early = client.post(
        f"/staff/participation/issues/{issue['id']}/follow-up",
        data={"text": "尚未", "csrf_token": csrf},
    )
    assert early.status_code == 409
    client.post(f"/staff/participation/votes/{issue['id']}/tally", data={"csrf_token": csrf})
    client.post(
        f"/staff/participation/issues/{issue['id']}/follow-up",
        data={"text": "已於商圈試辦", "csrf_token": csrf},
    )
    assert "已於商圈試辦" in client.get(f"/participation/issues/{issue['id']}").text
