"""Events in over HTTP: stored once per (device, event id), refused ones kept as dead letters."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from smartcity.core.platform import Platform
from smartcity.core.time import utcnow
from smartcity.modules.alerts.models import Alert, DeadLetter
from tests.modules.alerts.conftest import event

URL = "/api/v1/alerts/events"


def _count(platform: Platform, model: Any) -> int:
    with platform.db.read_session() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def _letters(platform: Platform) -> list[DeadLetter]:
    with platform.db.read_session() as session:
        return list(session.execute(select(DeadLetter).order_by(DeadLetter.id)).scalars())


def test_an_event_is_stored_as_an_alert_with_the_raw_output(
    client: TestClient, platform: Platform, city: dict[str, Any]
) -> None:
    answer = client.post(URL, json=event(), headers=city["acme"])
    assert answer.status_code == 201, answer.text
    alert = answer.json()
    assert alert["alertSource"] == "ACOUSTIC-1" and alert["eventId"] == "evt-1"
    assert (alert["category"], alert["subCategory"], alert["severity"]) == (
        "traffic",
        "carAccident",
        "high",
    )
    assert alert["location"] == {"type": "Point", "coordinates": [121.54, 25.03]}
    assert alert["data"] == {"confidence": 0.87, "clip": "clip-1"}
    assert alert["status"] == "open"


def test_a_replayed_event_is_stored_once(
    client: TestClient, platform: Platform, city: dict[str, Any]
) -> None:
    body = event()
    first = client.post(URL, json=body, headers=city["acme"])
    again = client.post(URL, json=body, headers=city["acme"])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert _count(platform, Alert) == 1
    assert _letters(platform) == []


def test_the_same_event_id_with_other_content_is_a_conflict_and_kept(
    client: TestClient, platform: Platform, city: dict[str, Any]
) -> None:
    client.post(URL, json=event(), headers=city["acme"])
    other = client.post(URL, json=event(severity="low"), headers=city["acme"])
    assert other.status_code == 409
    assert other.headers["content-type"].startswith("application/problem+json")
    assert other.json()["code"] == "alert_event_conflict"
    assert _count(platform, Alert) == 1
    (letter,) = _letters(platform)
    assert letter.code == "alert_event_conflict" and '"low"' in letter.payload


def test_event_ids_are_per_device(
    client: TestClient, platform: Platform, city: dict[str, Any]
) -> None:
    client.post(URL, json=event(), headers=city["acme"])
    fence = event(alertSource="FENCE-1", category="security", subCategory="suspiciousAction")
    assert client.post(URL, json=fence, headers=city["acme"]).status_code == 201
    assert _count(platform, Alert) == 2


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"subCategory": "suspiciousAction"}, 422, "invalid_alert_event"),
        ({"category": "parking"}, 422, "invalid_alert_event"),
        ({"severity": "urgent"}, 422, "invalid_alert_event"),
        (
            {"location": {"type": "Point", "coordinates": [25.03, 191.0]}},
            422,
            "invalid_alert_event",
        ),
        ({"dateIssued": "2026-12-01T08:00:00"}, 422, "invalid_alert_event"),
        ({"unknown": 1}, 422, "invalid_alert_event"),
        ({"alertSource": None}, 422, "alert_source_missing"),
        ({"alertSource": "NOBODY-1"}, 422, "unknown_detector"),
        ({"alertSource": "OTHER-1"}, 422, "unknown_detector"),
        ({"data": {"samples": "x" * 9000}}, 413, "alert_event_too_large"),
    ],
)
def test_a_bad_event_is_refused_and_kept_as_a_dead_letter(
    client: TestClient,
    platform: Platform,
    city: dict[str, Any],
    change: dict[str, Any],
    status: int,
    code: str,
) -> None:
    answer = client.post(URL, json=event(**change), headers=city["acme"])
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == code and answer.json()["detail"]
    assert _count(platform, Alert) == 0
    (letter,) = _letters(platform)
    assert (letter.code, letter.source, letter.sender) == (code, "http", "ACME")
    assert "evt-1" in letter.payload


def test_a_date_far_in_the_future_is_refused(
    client: TestClient, platform: Platform, city: dict[str, Any]
) -> None:
    later = (utcnow() + timedelta(hours=2)).isoformat()
    answer = client.post(URL, json=event(dateIssued=later), headers=city["acme"])
    assert answer.status_code == 422 and answer.json()["code"] == "alert_date_in_future"
    assert _letters(platform)[0].code == "alert_date_in_future"


@pytest.mark.parametrize(
    ("body", "code"),
    [(b"not json", "alert_event_unreadable"), (b"[1, 2]", "alert_event_unreadable")],
)
def test_an_unreadable_body_is_kept_as_it_came(
    client: TestClient, platform: Platform, city: dict[str, Any], body: bytes, code: str
) -> None:
    headers = {**city["acme"], "content-type": "application/json"}
    answer = client.post(URL, content=body, headers=headers)
    assert answer.status_code == 400 and answer.json()["code"] == code
    (letter,) = _letters(platform)
    assert letter.payload == body.decode()


def test_a_dead_letter_keeps_only_the_start_of_a_long_body(
    client: TestClient, platform: Platform, city: dict[str, Any]
) -> None:
    body = event(description="長" * 6000)
    assert client.post(URL, json=body, headers=city["acme"]).status_code == 422
    (letter,) = _letters(platform)
    assert len(letter.payload) == 4000 and letter.payload.startswith("{")


def test_officers_and_other_roles_cannot_report(client: TestClient, city: dict[str, Any]) -> None:
    assert client.post(URL, json=event(), headers=city["tfd"]).status_code == 403
    assert client.post(URL, json=event()).status_code == 401


def test_an_mqtt_topic_names_its_device() -> None:
    from smartcity.modules.alerts.mqtt import device_of

    assert device_of("alerts/CAM-1/events") == "CAM-1"
    assert device_of("alerts/CAM-1") is None and device_of("other/CAM-1/x") is None


def test_the_event_body_is_documented_in_full(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    body = document["paths"][URL]["post"]["requestBody"]["content"]["application/json"]
    # No reference into the schema's own definitions, which OpenAPI could not resolve.
    assert "$ref" not in str(body["schema"])
    assert "critical" in body["schema"]["properties"]["severity"]["enum"]
    assert body["example"]["subCategory"] == "carAccident"
