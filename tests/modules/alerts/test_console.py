"""Routing and the officers' console: each department sees and judges only its own alerts."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.core.audit.models import AuditEntry
from smartcity.core.auth import Role, system_actor
from smartcity.core.http import SESSION_COOKIE
from smartcity.core.i18n import Catalogues
from smartcity.core.platform import Platform
from smartcity.core.registry import catalogue_dir
from smartcity.modules.alerts.values import SUB_CATEGORIES, Category, Severity
from tests.modules.alerts.conftest import event

URL = "/api/v1/alerts"


def _raise(client: TestClient, city: dict[str, Any], number: int = 1, **change: Any) -> str:
    answer = client.post(f"{URL}/events", json=event(number, **change), headers=city["acme"])
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _fence(number: int) -> dict[str, Any]:
    return {"alertSource": "FENCE-1", "category": "security", "subCategory": "suspiciousAction"}


def test_routing_by_detector_then_sub_category_then_category(
    client: TestClient, city: dict[str, Any]
) -> None:
    crash = _raise(client, city, 1)
    jam = _raise(client, city, 2, subCategory="trafficJam")
    fence = _raise(client, city, 3, **_fence(3))
    fire = _raise(client, city, 4, category="health", subCategory="fallenPatient")
    admin = city["admin"]
    department = {
        alert: client.get(f"{URL}/{alert}", headers=admin).json()["department"]
        for alert in (crash, jam, fence, fire)
    }
    # carAccident has a route of its own; trafficJam falls to traffic's; the fence camera's
    # detector names its department; nothing routes health here: administrators only.
    assert department == {crash: "TFD", jam: "DOT", fence: "DOE", fire: None}


def test_an_officer_lists_only_the_department_s_alerts(
    client: TestClient, city: dict[str, Any]
) -> None:
    crash = _raise(client, city, 1)
    jam = _raise(client, city, 2, subCategory="trafficJam")
    listed = {
        name: [a["id"] for a in client.get(f"{URL}/list", headers=city[name]).json()]
        for name in ("tfd", "dot", "doe", "admin")
    }
    assert listed["tfd"] == [crash] and listed["dot"] == [jam] and listed["doe"] == []
    assert set(listed["admin"]) == {crash, jam}


def test_another_department_cannot_see_or_act_404(client: TestClient, city: dict[str, Any]) -> None:
    crash = _raise(client, city, 1)
    dot = city["dot"]
    for answer in (
        client.get(f"{URL}/{crash}", headers=dot),
        client.post(f"{URL}/{crash}/acknowledge", headers=dot),
        client.post(f"{URL}/{crash}/resolve", json={"verdict": "confirmed"}, headers=dot),
    ):
        assert answer.status_code == 404 and answer.json()["code"] == "alert_not_found"
    # Exactly as for an alert that does not exist.
    missing = client.get(f"{URL}/{uuid.uuid4()}", headers=dot)
    assert missing.json()["code"] == "alert_not_found"
    assert client.get(f"{URL}/{crash}", headers=city["tfd"]).json()["status"] == "open"


def test_acknowledge_then_confirm_or_false_alarm_each_audited(
    client: TestClient, platform: Platform, city: dict[str, Any]
) -> None:
    crash = _raise(client, city, 1)
    other = _raise(client, city, 2)
    tfd = city["tfd"]
    early = client.post(f"{URL}/{crash}/resolve", json={"verdict": "confirmed"}, headers=tfd)
    assert early.status_code == 409 and early.json()["code"] == "alert_not_acknowledged"
    acknowledged = client.post(f"{URL}/{crash}/acknowledge", headers=tfd).json()
    assert acknowledged["status"] == "acknowledged" and acknowledged["acknowledgedAt"]
    twice = client.post(f"{URL}/{crash}/acknowledge", headers=tfd)
    assert twice.status_code == 409 and twice.json()["code"] == "alert_already_acknowledged"
    confirmed = client.post(
        f"{URL}/{crash}/resolve", json={"verdict": "confirmed", "note": "兩車擦撞"}, headers=tfd
    ).json()
    assert confirmed["status"] == "confirmed" and confirmed["note"] == "兩車擦撞"
    again = client.post(f"{URL}/{crash}/resolve", json={"verdict": "false_alarm"}, headers=tfd)
    assert again.status_code == 409 and again.json()["code"] == "alert_already_resolved"
    client.post(f"{URL}/{other}/acknowledge", headers=tfd)
    false = client.post(f"{URL}/{other}/resolve", json={"verdict": "false_alarm"}, headers=tfd)
    assert false.json()["status"] == "false_alarm"
    # Judged alerts leave the open list but stay on the full one.
    assert client.get(f"{URL}/list", headers=tfd).json() == []
    assert len(client.get(f"{URL}/list?all=true", headers=tfd).json()) == 2
    with platform.db.read_session() as session:
        entries = session.execute(
            select(AuditEntry.action, AuditEntry.change_json)
            .where(AuditEntry.object_id == crash)
            .order_by(AuditEntry.index)
        ).all()
    assert [action for action, _change in entries] == [
        "alerts.alert.raised",
        "alerts.alert.acknowledged",
        "alerts.alert.resolved",
    ]
    assert json.loads(entries[-1][1]) == {"verdict": "confirmed", "note": "兩車擦撞"}


def test_dead_letters_are_shown_to_the_detector_s_department_and_administrators(
    client: TestClient, city: dict[str, Any]
) -> None:
    fence = {**_fence(1), "severity": "extreme"}
    client.post(f"{URL}/events", json=event(1, **fence), headers=city["acme"])
    client.post(f"{URL}/events", json=event(2, alertSource="NOBODY"), headers=city["acme"])
    seen = {
        name: [
            letter["deviceId"]
            for letter in client.get(f"{URL}/dead-letters", headers=city[name]).json()
        ]
        for name in ("doe", "tfd", "admin")
    }
    assert seen == {"doe": ["FENCE-1"], "tfd": [], "admin": ["NOBODY", "FENCE-1"]}


def test_the_console_page_acknowledges_and_judges(
    client: TestClient, platform: Platform, city: dict[str, Any]
) -> None:
    from smartcity.modules.identity import service

    crash = _raise(client, city, 1)
    _raise(client, city, 2, subCategory="trafficJam")
    with platform.unit_of_work(system_actor("test")) as uow:
        officer = service.create_staff(
            uow, role=Role.OFFICER, name="o", email="o@test.invalid", department_code="TFD"
        )
        token, row = service.open_session(uow.session, officer, kind="portal", scope="*", hours=1)
        csrf = row.csrf_token
    client.cookies.set(SESSION_COOKIE, token)
    page = client.get("/staff/alerts")
    assert page.status_code == 200 and "evt" not in page.text
    assert crash in page.text and "ACOUSTIC-1" in page.text and "確認收到" in page.text
    assert "交通 / 車禍" in page.text and "carAccident" not in page.text
    assert page.text.count("/acknowledge") == 1  # DOT's traffic jam is not listed
    done = client.post(
        f"/staff/alerts/{crash}/acknowledge", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    judged = client.post(
        f"/staff/alerts/{crash}/resolve",
        data={"csrf_token": csrf, "verdict": "false_alarm", "note": "施工噪音"},
        follow_redirects=False,
    )
    assert judged.status_code == 303
    assert client.get(f"{URL}/{crash}", headers=city["tfd"]).json()["status"] == "false_alarm"


def test_every_category_severity_and_sub_category_reads_in_both_languages(
    platform: Platform,
) -> None:
    """The console shows the Alert model's codes as words; a code added to values.py without
    its words would show as a code."""
    codes = [
        *(c.value for c in Category),
        *(s.value for s in Severity),
        *(sub for subs in SUB_CATEGORIES.values() for sub in subs),
    ]
    (alerts,) = [m for m in platform.modules if m.name == "alerts"]
    folder = catalogue_dir(alerts)
    assert folder is not None
    catalogues = Catalogues({"alerts": folder})
    chinese, english = (catalogues.gettext(locale, "alerts") for locale in ("zh_Hant", "en"))
    assert [code for code in codes if chinese.gettext(code) == code] == []
    # English keeps a one-word code as it is; a camel-cased one is written as words.
    assert [code for code in codes if not english.gettext(code).islower()] == []
