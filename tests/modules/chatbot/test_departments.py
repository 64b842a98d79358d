"""The department rule on chatbot's routes: officers see and act for their own department."""

from __future__ import annotations

from fastapi.testclient import TestClient

from smartcity.core.auth import Role, system_actor
from smartcity.core.platform import Platform
from smartcity.modules.chatbot.models import QuestionLog
from tests.conftest import Actors, bearer


def _questions(platform: Platform) -> dict[str, str]:
    """One open question per department code ("" for one nobody routed yet)."""
    ids: dict[str, str] = {}
    with platform.unit_of_work(system_actor("test")) as uow:
        for code in ("DOT", "TWD", ""):
            row = QuestionLog(
                channel="api",
                text=f"問題 {code or '未分派'}",
                outcome="declined",
                department_code=code,
                triage_state="open",
            )
            uow.session.add(row)
            uow.session.flush()
            ids[code] = str(row.id)
        uow.audit("test.questions", "test", "rows", {})
    return ids


def _queue(client: TestClient, headers: dict[str, str], query: str = "") -> set[str]:
    answer = client.get(f"/api/v1/chatbot/triage{query}", headers=headers)
    assert answer.status_code == 200, answer.text
    return {q["question_id"] for c in answer.json() for q in c["questions"]}


def test_an_officer_sees_their_department_and_unassigned_questions_only(
    loaded: Platform, client: TestClient, actors: Actors
) -> None:
    ids = _questions(loaded)
    officer = bearer(actors.token(Role.OFFICER, "DOT"))
    assert _queue(client, officer) == {ids["DOT"], ids[""]}
    # Naming another department does not widen an officer's queue.
    assert _queue(client, officer, "?department=TWD") == {ids["DOT"], ids[""]}
    admin = bearer(actors.token(Role.ADMIN))
    assert _queue(client, admin) == set(ids.values())
    assert _queue(client, admin, "?department=TWD") == {ids["TWD"]}


def test_an_officer_cannot_ignore_another_departments_question(
    loaded: Platform, client: TestClient, actors: Actors
) -> None:
    ids = _questions(loaded)
    officer = bearer(actors.token(Role.OFFICER, "DOT"))
    refused = client.post(f"/api/v1/chatbot/triage/{ids['TWD']}/ignore", headers=officer)
    assert refused.status_code == 403 and refused.json()["code"] == "other_department"
    for code in ("DOT", ""):
        done = client.post(f"/api/v1/chatbot/triage/{ids[code]}/ignore", headers=officer)
        assert done.status_code == 204, done.text
    assert _queue(client, bearer(actors.token(Role.ADMIN))) == {ids["TWD"]}


def test_an_officer_cannot_change_another_departments_item(
    loaded: Platform, client: TestClient, actors: Actors
) -> None:
    actors.token(Role.OFFICER, "TWD")  # the department exists
    admin = bearer(actors.token(Role.ADMIN))
    created = client.post(
        "/api/v1/chatbot/items",
        json={"question": "水費怎麼繳？", "answer": "超商。", "department_code": "TWD"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    item = created.json()["item_id"]
    officer = bearer(actors.token(Role.OFFICER, "DOT"))
    patched = client.patch(f"/api/v1/chatbot/items/{item}", json={"answer": "x"}, headers=officer)
    assert patched.status_code == 403 and patched.json()["code"] == "other_department"
    variant = client.post(
        f"/api/v1/chatbot/items/{item}/variants", json={"text": "水費"}, headers=officer
    )
    assert variant.status_code == 403 and variant.json()["code"] == "other_department"
    unknown = client.get(
        f"/api/v1/chatbot/items/{'0' * 8}-0000-0000-0000-{'0' * 12}", headers=officer
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "item_not_found"
