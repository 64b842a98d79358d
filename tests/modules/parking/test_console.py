"""The officers' console: occupancy over the day, turnover, revenue, sensors to visit and the
enforcement list, of their own department's segments only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.core.auth import Principal, Role
from smartcity.core.platform import Platform
from smartcity.core.time import utcnow
from smartcity.modules.parking import console, service
from smartcity.modules.parking.models import Segment
from tests.modules.parking.conftest import BOSCH, NWAVE, chirpstack, deliver
from tests.support.portal import sign_in_staff


def test_occupancy_over_the_day_counts_sensed_stays(platform: Platform, segment: Any) -> None:
    now = utcnow().replace(second=0, microsecond=0)
    start = now - timedelta(hours=3)
    deliver(platform, chirpstack(NWAVE, start, False, 1), chirpstack(BOSCH, start, False, 1))
    deliver(platform, chirpstack(NWAVE, start + timedelta(minutes=1), True, 2))
    deliver(platform, chirpstack(NWAVE, start + timedelta(hours=2), False, 3))
    with platform.db.read_session() as session:
        ids = list(session.scalars(select(Segment.id)))
        shares = dict(console.occupancy_over_day(session, ids, sensed=2, now=now))
    assert len(shares) == 97  # every quarter hour of the day, both ends
    assert shares[now - timedelta(hours=4)] == 0
    assert shares[now - timedelta(hours=2)] == 50.0  # one of the two sensed bays
    assert shares[now] == 0


def test_the_console_draws_the_day_and_keeps_to_the_officers_department(
    client: TestClient, platform: Platform, segment: Any
) -> None:
    now = utcnow()
    deliver(platform, chirpstack(NWAVE, now - timedelta(hours=2), False, 1))
    deliver(platform, chirpstack(NWAVE, now - timedelta(hours=1), True, 2))
    sign_in_staff(platform, client, "PMO")
    page = client.get("/staff/parking")
    assert page.status_code == 200, page.text
    assert "<svg" in page.text and "SEG-1" in page.text
    # The second sensor has sent nothing: the officer reads why in Chinese, not a code.
    assert "從未回報" in page.text and "never heard" not in page.text
    with platform.db.read_session() as session:
        other = console.console_of(
            session,
            Principal(kind="user", role=Role.OFFICER, department="DOT"),
            service.settings_of(platform),
        )
    assert other.segments == [] and other.occupancy == []
    client.cookies.clear()
    sign_in_staff(platform, client, "DOT")
    assert "SEG-1" not in client.get("/staff/parking").text


def test_a_fee_over_the_items_cap_is_left_to_the_wardens_not_refused_by_payments(
    client: TestClient, platform: Platform, segment: Any, officer: dict[str, str]
) -> None:
    # A day ahead of the clock: the bay's last uplink is never older than "silent".
    start = (utcnow() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    deliver(platform, chirpstack(NWAVE, start - timedelta(hours=1), False, 1))
    deliver(platform, chirpstack(NWAVE, start, True, 2))
    deliver(platform, chirpstack(NWAVE, start + timedelta(hours=80), False, 3))  # NT$3,200
    seen = client.post(
        "/api/v1/parking/sightings",
        json={"bay": "SEG-1-01", "plate": "LNG-0080", "seen_at": start.isoformat()},
        headers=officer,
    )
    assert seen.status_code == 201, seen.text
    assert seen.json()["bill_reference"] is None
    with platform.db.read_session() as session:
        view = console.console_of(
            session,
            Principal(kind="user", role=Role.OFFICER, department="PMO"),
            service.settings_of(platform),
        )
    (entry,) = view.enforcement
    assert (entry.plate, entry.reason) == ("LNG-0080", "fee over the bill's cap")
