"""What an officer reads off a citizen's papers: a birth date and the districts of their ties."""

from __future__ import annotations

import json
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.core.audit.models import AuditEntry
from smartcity.core.auth import Role
from smartcity.core.city import current_city
from smartcity.core.platform import Platform
from smartcity.core.time import local_today
from smartcity.modules.identity import service
from smartcity.modules.identity.values import CityTie
from tests.conftest import Actors, bearer


def _facts_url(user_id: object) -> str:
    return f"/api/v1/identity/citizens/{user_id}/facts"


def test_an_officer_records_facts_the_audit_names_what_changed_not_the_values(
    client: TestClient, actors: Actors, platform: Platform
) -> None:
    user_id, token = actors.citizen()
    officer = bearer(actors.token(Role.OFFICER, "DOT"))
    home, work = (district.code for district in current_city().districts[:2])
    body = {"birth_date": "1990-02-28", "lives_in": home, "works_in": work}
    recorded = client.put(_facts_url(user_id), json=body, headers=officer)
    assert recorded.status_code == 200, recorded.text
    shown = recorded.json()
    assert (shown["birth_date"], shown["lives_in"], shown["studies_in"], shown["works_in"]) == (
        "1990-02-28",
        home,
        None,
        work,
    )
    with platform.db.read_session() as session:
        view = service.get_user(session, user_id)
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "identity.citizen.facts_recorded")
        ).one()
    assert view.districts_by_tie() == {CityTie.LIVES: home, CityTie.WORKS: work}
    assert json.loads(entry.change_json) == {"changed": ["birth_date", "lives_in", "works_in"]}
    # A citizen cannot record their own papers; a fact left out is cleared.
    assert client.put(_facts_url(user_id), json=body, headers=bearer(token)).status_code == 403
    cleared = client.put(_facts_url(user_id), json={"lives_in": home}, headers=officer).json()
    assert (cleared["birth_date"], cleared["works_in"]) == (None, None)


def test_a_birth_date_in_the_future_or_a_district_of_no_city_is_refused(
    client: TestClient, actors: Actors
) -> None:
    user_id, _token = actors.citizen()
    officer = bearer(actors.token(Role.OFFICER, "DOT"))
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    for body in (
        {"birth_date": tomorrow},
        {"birth_date": "1899-12-31"},
        {"lives_in": "atlantis"},
        {"works_in": "atlantis"},
    ):
        refused = client.put(_facts_url(user_id), json=body, headers=officer)
        assert refused.status_code == 422, body
        assert refused.json()["code"] == "invalid_citizen_facts", body
    malformed = client.put(_facts_url(user_id), json={"lives_in": "Not A Code"}, headers=officer)
    assert malformed.status_code == 422


def test_age_is_counted_in_full_years_on_the_day(
    actors: Actors, platform: Platform, client: TestClient
) -> None:
    user_id, _token = actors.citizen()
    officer = bearer(actors.token(Role.OFFICER, "DOT"))
    client.put(_facts_url(user_id), json={"birth_date": "2008-03-01"}, headers=officer)
    with platform.db.read_session() as session:
        view = service.get_user(session, user_id)
    assert view.age_on(date(2024, 2, 29)) == 15
    assert view.age_on(date(2024, 3, 1)) == 16
