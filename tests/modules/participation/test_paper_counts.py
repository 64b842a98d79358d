"""Paper and on-site counts: entered after the close by one officer, confirmed by another,
published with the result beside the online tally, and audited."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.core.audit.models import AuditEntry
from smartcity.core.auth import Role, system_actor
from smartcity.core.platform import Platform
from tests.conftest import Actors, bearer
from tests.modules.participation.conftest import new_vote


def _officer_in_person(platform: Platform, name: str, department: str = "DOT") -> str:
    from smartcity.modules.identity import service
    from smartcity.modules.identity.values import OrganisationKind

    with platform.unit_of_work(system_actor("test")) as uow:
        service.ensure_organisation(uow, department, OrganisationKind.DEPARTMENT)
        user = service.create_staff(
            uow,
            role=Role.OFFICER,
            name=name,
            email=f"{name}@test.invalid",
            department_code=department,
        )
        return service.issue_api_key(uow, role=Role.OFFICER, label="test", user=user).token


def test_two_officers_stand_behind_each_published_count(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    vote, machine = new_vote(client, actors)
    url = f"/api/v1/participation/votes/{vote['id']}/paper-counts"
    first = _officer_in_person(platform, "clerk1")
    second = _officer_in_person(platform, "clerk2")
    elsewhere = _officer_in_person(platform, "clerk3", department="DOH")
    count = {"polling_place": "大安區公所 Da'an District Office", "counts": [[40, 12], [5, 7, 9]]}

    early = client.post(url, json=count, headers=bearer(first))
    assert (early.status_code, early.json()["code"]) == (409, "paper_count_not_open")
    closed = client.post(f"/api/v1/participation/votes/{vote['id']}/tally", headers=bearer(machine))
    assert closed.status_code == 200

    by_machine = client.post(url, json=count, headers=bearer(machine))
    assert (by_machine.status_code, by_machine.json()["code"]) == (403, "count_needs_a_person")
    other_department = client.post(url, json=count, headers=bearer(elsewhere))
    assert other_department.status_code == 403
    misshapen = client.post(
        url, json={**count, "counts": [[40, 12], [5, 7]]}, headers=bearer(first)
    )
    assert misshapen.json()["code"] == "invalid_paper_count"
    negative = client.post(
        url, json={**count, "counts": [[-1, 12], [5, 7, 9]]}, headers=bearer(first)
    )
    assert negative.status_code == 422

    # Entered, corrected before confirmation, then confirmed by someone else.
    client.post(url, json={**count, "counts": [[41, 12], [5, 7, 9]]}, headers=bearer(first))
    entered = client.post(url, json=count, headers=bearer(first))
    assert entered.status_code == 201, entered.text
    count_id = entered.json()["id"]
    result = client.get(f"/api/v1/participation/votes/{vote['id']}/result").json()
    assert (result["paper"], result["paper_polling_places"]) == (None, 0)
    listed = client.get(url).json()
    assert [(c["counts"], c["confirmed"]) for c in listed] == [(count["counts"], False)]

    same = client.post(f"{url}/{count_id}/confirm", headers=bearer(first))
    assert (same.status_code, same.json()["code"]) == (409, "same_officer")
    confirmed = client.post(f"{url}/{count_id}/confirm", headers=bearer(second))
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["confirmed"] is True
    final = client.post(url, json={**count, "counts": [[0, 0], [0, 0, 0]]}, headers=bearer(first))
    assert (final.status_code, final.json()["code"]) == (409, "paper_count_confirmed")

    other = {"polling_place": "信義區公所", "counts": [[3, 4], [1, 0, 2]]}
    second_place = client.post(url, json=other, headers=bearer(second)).json()
    client.post(f"{url}/{second_place['id']}/confirm", headers=bearer(first))
    result = client.get(f"/api/v1/participation/votes/{vote['id']}/result").json()
    assert result["result"] == [[0, 0], [0, 0, 0]]
    assert result["paper"] == [[43, 16], [6, 7, 11]]
    assert result["paper_polling_places"] == 2

    with platform.db.read_session() as session:
        actions = list(
            session.scalars(
                select(AuditEntry.action).where(AuditEntry.action.like("participation.paper%"))
            )
        )
    assert actions.count("participation.paper_count.entered") == 3
    assert actions.count("participation.paper_count.confirmed") == 2


def test_paper_counts_stay_hidden_until_the_result(client: TestClient, actors: Actors) -> None:
    vote, _officer = new_vote(client, actors)
    hidden = client.get(f"/api/v1/participation/votes/{vote['id']}/paper-counts")
    assert (hidden.status_code, hidden.json()["code"]) == (409, "result_not_published")
