"""Participatory budgets: proposals, the three-finding review, the district vote as a Belenios
election, the 1 % threshold and the budget choosing the winners, and execution tracking."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from smartcity.core.auth import Role
from smartcity.core.platform import Platform
from smartcity.core.time import utcnow
from smartcity.modules.participation import belenios
from smartcity.modules.participation.budgets import choose_winners
from smartcity.modules.participation.settings import ParticipationSettings
from tests.conftest import Actors, bearer
from tests.modules.participation.conftest import resident, take_credential

API = "/api/v1/participation"

PROJECTS = [
    ("公園共融遊具", 800_000, "大安森林公園"),
    ("巷弄照明改善", 500_000, "和平東路二段巷弄"),
    ("社區圖書角", 300_000, "里民活動中心"),
    ("全區免費停車", 900_000, "全區"),
]


def _open(client: TestClient, officer: str, **changes: Any) -> Any:
    body: dict[str, Any] = {
        "district_code": "daan",
        "title": "大安區參與式預算",
        "budget": 1_100_000,
        "eligible_residents": 250,
        "min_choices": 1,
        "max_choices": 2,
        "department_code": "DOT",
    }
    body.update(changes)
    return client.post(f"{API}/budgets", json=body, headers=bearer(officer))


def _cycle_in_review(client: TestClient, actors: Actors) -> tuple[dict[str, Any], str]:
    officer = actors.token(Role.OFFICER, "DOT")
    opened = _open(client, officer)
    assert opened.status_code == 201, opened.text
    cycle = opened.json()
    assert (cycle["stage"], cycle["threshold"], cycle["district"]) == (
        "proposals",
        3,
        "大安區 Da'an",
    )
    for title, cost, place in PROJECTS:
        proposed = client.post(
            f"{API}/budgets/{cycle['id']}/projects",
            json={"title": title, "description": "說明", "cost": cost, "location": place},
            headers=bearer(actors.citizen()[1]),
        )
        assert proposed.status_code == 201, proposed.text
    moved = client.post(
        f"{API}/budgets/{cycle['id']}/review", json={"reason": "收件截止"}, headers=bearer(officer)
    )
    assert moved.json()["stage"] == "review"
    return moved.json(), officer


def _review(client: TestClient, officer: str, cycle: dict[str, Any], index: int, ok: bool) -> Any:
    project = cycle["projects"][index]
    return client.post(
        f"{API}/budgets/{cycle['id']}/projects/{project['id']}/review",
        json={
            "public_interest": True,
            "legality": True,
            "budget_feasibility": ok,
            "reason": "符合" if ok else "超出區預算可行範圍",
        },
        headers=bearer(officer),
    )


def test_a_district_budget_goes_from_proposals_to_winners_and_their_execution(
    client: TestClient, actors: Actors
) -> None:
    cycle, officer = _cycle_in_review(client, actors)
    early = client.post(
        f"{API}/budgets/{cycle['id']}/vote",
        json={"closes_at": (utcnow() + timedelta(days=7)).isoformat()},
        headers=bearer(officer),
    )
    assert early.status_code == 409
    assert early.json()["code"] == "budget_stage_refused"
    for index in range(4):
        assert _review(client, officer, cycle, index, ok=index != 3).status_code == 200
    voting = client.post(
        f"{API}/budgets/{cycle['id']}/vote",
        json={"closes_at": (utcnow() + timedelta(days=7)).isoformat()},
        headers=bearer(officer),
    ).json()
    assert voting["stage"] == "voting"
    statuses = [p["status"] for p in voting["projects"]]
    assert statuses == ["feasible", "feasible", "feasible", "infeasible"]

    vote = client.get(f"{API}/votes/{voting['vote_id']}").json()
    (question,) = vote["questions"]
    assert (question["min"], question["max"], len(question["answers"])) == (1, 2, 3)

    # Playground 4 votes, lighting 3, reading corner 3: the playground and lighting would
    # cost 1.3 M of the 1.1 M, so the playground (most votes) and the reading corner (the
    # cheaper of the tied, and it fits) win.
    marks = [[1, 1, 0], [1, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]]
    # The district vote is for adults who live, study or work in the district.
    for outsider in (actors.citizen()[1], resident(client, actors, "xinyi")):
        refused = client.post(
            f"{API}/votes/{voting['vote_id']}/credential", headers=bearer(outsider)
        )
        assert (refused.status_code, refused.json()["code"]) == (403, "not_eligible")
    for choice in marks:
        token = resident(client, actors, "daan")
        credential = take_credential(client, voting["vote_id"], token)
        cast = client.post(
            f"{API}/votes/{voting['vote_id']}/ballots",
            content=_ballot(client, voting["vote_id"], credential, choice),
            headers=bearer(token),
        )
        assert cast.status_code == 201, cast.text
    hidden = client.get(f"{API}/budgets/{cycle['id']}").json()
    assert all(p["votes"] is None for p in hidden["projects"])

    done = client.post(f"{API}/budgets/{cycle['id']}/tally", headers=bearer(officer)).json()
    assert done["stage"] == "results"
    outcome = {p["title"]: (p["votes"], p["status"]) for p in done["projects"]}
    assert outcome == {
        "公園共融遊具": (4, "selected"),
        "巷弄照明改善": (3, "not_selected"),
        "社區圖書角": (3, "selected"),
        "全區免費停車": (None, "infeasible"),
    }
    result = client.get(f"{API}/votes/{voting['vote_id']}/result").json()
    assert result["result"] == [[4, 3, 3]]

    playground = done["projects"][0]["id"]
    progress = f"{API}/budgets/{cycle['id']}/projects/{playground}/progress"
    reported = client.post(
        progress,
        json={"progress": 40, "spent": 300_000, "note": "發包完成"},
        headers=bearer(officer),
    )
    assert reported.json()["projects"][0]["progress"] == 40
    back = client.post(
        progress, json={"progress": 30, "spent": 300_000, "note": ""}, headers=bearer(officer)
    )
    assert back.status_code == 409
    assert back.json()["code"] == "progress_refused"
    lighting = done["projects"][1]["id"]
    loser = client.post(
        f"{API}/budgets/{cycle['id']}/projects/{lighting}/progress",
        json={"progress": 10, "spent": 0, "note": ""},
        headers=bearer(officer),
    )
    assert loser.json()["code"] == "progress_refused"


def _ballot(client: TestClient, vote_id: str, credential: str, choice: list[int]) -> bytes:
    vote = client.get(f"{API}/votes/{vote_id}").json()
    election = _election_of(client, vote_id)
    assert election.uuid == vote["election_uuid"]
    return belenios.make_ballot(election, credential, [choice])


def _election_of(client: TestClient, vote_id: str) -> belenios.Election:
    import io
    import tarfile

    archive = client.get(f"{API}/votes/{vote_id}/archive").content
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            extracted = tar.extractfile(member)
            assert extracted is not None
            raw = extracted.read()
            if b'"questions"' in raw and b'"public_key"' in raw:
                return belenios.Election.parse(raw)
    raise AssertionError("no election.json in the archive")


def test_budget_refusals_carry_their_codes(client: TestClient, actors: Actors) -> None:
    officer = actors.token(Role.OFFICER, "DOT")
    unknown = _open(client, officer, district_code="atlantis")
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_district")
    rule = _open(client, officer, min_choices=3, max_choices=2)
    assert rule.json()["code"] == "invalid_ballot_rule"
    nameless = _open(client, actors.token(Role.ADMIN), department_code=None)
    assert nameless.json()["code"] == "department_required"
    other = _open(client, actors.token(Role.OFFICER, "DOH"))
    assert (other.status_code, other.json()["code"]) == (403, "other_department")
    cycle = _open(client, officer).json()
    costly = client.post(
        f"{API}/budgets/{cycle['id']}/projects",
        json={"title": "捷運延伸", "description": "x", "cost": 2_000_000, "location": "全區"},
        headers=bearer(actors.citizen()[1]),
    )
    assert costly.json()["code"] == "cost_over_budget"
    empty = client.post(
        f"{API}/budgets/{cycle['id']}/review", json={"reason": "截止"}, headers=bearer(officer)
    )
    assert empty.json()["code"] == "budget_stage_refused"
    missing = client.get(f"{API}/budgets/{uuid.uuid4()}")
    assert (missing.status_code, missing.json()["code"]) == (404, "budget_not_found")
    cycle_in_review, _ = _cycle_in_review(client, actors)
    late = client.post(
        f"{API}/budgets/{cycle_in_review['id']}/projects",
        json={"title": "遲到", "description": "x", "cost": 1, "location": "x"},
        headers=bearer(actors.citizen()[1]),
    )
    assert late.json()["code"] == "budget_stage_refused"
    foreign = client.post(
        f"{API}/budgets/{cycle['id']}/projects/{cycle_in_review['projects'][0]['id']}/review",
        json={"public_interest": True, "legality": True, "budget_feasibility": True, "reason": "x"},
        headers=bearer(officer),
    )
    assert foreign.json()["code"] == "project_not_found"


def test_winners_go_by_votes_over_the_threshold_while_the_budget_lasts() -> None:
    a, b, c, d = (uuid.uuid4() for _ in range(4))
    candidates = [(a, 10, 600), (b, 9, 500), (c, 8, 400), (d, 2, 1)]
    # b no longer fits after a; c does; d is under the threshold however cheap.
    assert choose_winners(1000, 3, candidates) == {a, c}
    # Equal votes: the cheaper first.
    assert choose_winners(500, 1, [(a, 5, 500), (b, 5, 300), (c, 5, 200)]) == {b, c}


def test_a_district_vote_with_an_outside_trustee_hands_out_the_token_once(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    platform.module_settings["participation"] = ParticipationSettings(
        trustees={"city": "platform", "committee": "outside"}  # type: ignore[dict-item]
    )
    cycle, officer = _cycle_in_review(client, actors)
    for index in range(4):
        assert _review(client, officer, cycle, index, ok=index != 3).status_code == 200
    voting = client.post(
        f"{API}/budgets/{cycle['id']}/vote",
        json={"closes_at": (utcnow() + timedelta(days=7)).isoformat()},
        headers=bearer(officer),
    ).json()
    city, committee = voting["trustees"]
    assert (city["custody"], city["upload_token"]) == ("platform", None)
    token = committee["upload_token"]
    assert committee["custody"] == "outside"
    assert token
    again = client.get(f"{API}/budgets/{cycle['id']}").json()
    assert again["trustees"][1]["upload_token"] is None
    vote_id = voting["vote_id"]
    assert client.get(f"{API}/votes/{vote_id}").json()["stage"] == "publicity"

    # The committee keys off the platform (here with the platform's code standing in for it).
    group = belenios.group("BELENIOS-2048")
    key = belenios.new_trustee_key(group)
    keyed = client.post(
        f"{API}/votes/{vote_id}/trustees/2/public-key",
        json={"token": token, "public_key": key.public},
    )
    assert keyed.json()["stage"] == "voting"
    for choice in ([1, 1, 0], [1, 0, 1], [1, 1, 0]):
        citizen = resident(client, actors, "xinyi", works_in="daan")
        credential = take_credential(client, vote_id, citizen)
        cast = client.post(
            f"{API}/votes/{vote_id}/ballots",
            content=_ballot(client, vote_id, credential, choice),
            headers=bearer(citizen),
        )
        assert cast.status_code == 201, cast.text

    # The first tally closes the vote; the cycle waits for the committee's decryption.
    closed = client.post(f"{API}/budgets/{cycle['id']}/tally", headers=bearer(officer)).json()
    assert closed["stage"] == "voting"
    assert all(p["votes"] is None for p in closed["projects"])
    assert client.get(f"{API}/votes/{vote_id}").json()["stage"] == "tallying"
    election = _election_of(client, vote_id)
    tally = [
        [(int(c["alpha"]), int(c["beta"])) for c in row]
        for row in _encrypted_tally(client, vote_id)
    ]
    decryption = belenios.partial_decryption(election, key, tally)
    decrypted = client.post(
        f"{API}/votes/{vote_id}/trustees/2/partial-decryption",
        json={"token": token, "partial_decryption": decryption},
    )
    assert decrypted.json()["result"] == [[3, 2, 1]]
    done = client.post(f"{API}/budgets/{cycle['id']}/tally", headers=bearer(officer)).json()
    assert done["stage"] == "results"
    assert [p["votes"] for p in done["projects"]] == [3, 2, 1, None]


def _encrypted_tally(client: TestClient, vote_id: str) -> Any:
    import io
    import json
    import tarfile

    archive = client.get(f"{API}/votes/{vote_id}/archive").content
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        records = {}
        for member in tar.getmembers():
            extracted = tar.extractfile(member)
            assert extracted is not None
            records[member.name] = json.loads(extracted.read())
    summary = next(r for r in records.values() if isinstance(r, dict) and "num_tallied" in r)
    return records[f"{summary['encrypted_tally']}.data.json"]
