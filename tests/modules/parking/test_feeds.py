"""The whole-city feeds: TDX's and TCMSV's shapes, served from bytes kept until the bays change,
and migration parking_0003 marking the fee items segments bill under as parking fees."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from smartcity.app import build_platform
from smartcity.core.db import create_db_engine
from smartcity.core.migrate import upgrade
from smartcity.core.platform import Platform
from smartcity.core.registry import load_manifests
from smartcity.modules.parking.models import Segment
from smartcity.modules.payments.catalogue import ROADSIDE_FEE, catalogue
from smartcity.modules.payments.models import Item
from tests.modules.parking.conftest import BOSCH, NWAVE, chirpstack, deliver
from tests.support.databases import TemplateDatabase

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def test_the_feed_is_not_sent_again_until_a_bay_changes(
    client: TestClient, platform: Platform, segment: Any
) -> None:
    first = client.get("/api/v1/parking/availability")
    tag = first.headers["etag"]
    assert first.headers["last-modified"].endswith("GMT")
    again = client.get("/api/v1/parking/availability", headers={"If-None-Match": tag})
    assert (again.status_code, again.content) == (304, b"")
    deliver(platform, chirpstack(NWAVE, T0, False))
    changed = client.get("/api/v1/parking/availability", headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != tag
    (row,) = changed.json()["CurbParkingSegmentAvailabilities"]
    assert row["AvailableSpaces"] == 1


def test_a_change_made_by_another_process_reaches_the_served_feed(
    client: TestClient, platform: Platform, segment: Any
) -> None:
    client.get("/api/v1/parking/availability")  # now kept by this app's process
    # Another process (the job worker, a second server) shares only the database.
    other = build_platform(platform.settings, keys=platform.keys)
    try:
        deliver(other, chirpstack(NWAVE, T0, False), chirpstack(BOSCH, T0, False))
    finally:
        other.db.dispose()
    (row,) = client.get("/api/v1/parking/availability").json()["CurbParkingSegmentAvailabilities"]
    assert (row["AvailableSpaces"], row["FullStatus"]) == (2, 0)


def test_the_tcmsv_feed_counts_car_and_scooter_bays(
    client: TestClient, platform: Platform, segment: Any
) -> None:
    empty = client.get("/api/v1/parking/tcmsv/availability").json()["data"]
    assert empty["park"] == [
        {"id": "SEG-1", "availablecar": -9, "availablemotor": -9, "availablebus": -9}
    ]
    deliver(
        platform, chirpstack(NWAVE, T0, True), chirpstack(BOSCH, T0 + timedelta(seconds=5), False)
    )
    body = client.get("/api/v1/parking/tcmsv/availability").json()["data"]
    assert body["park"] == [
        {"id": "SEG-1", "availablecar": 1, "availablemotor": -9, "availablebus": -9}
    ]
    # The newest uplink applied, in the city's local time as TCMSV writes it (Taipei: UTC+8).
    assert body["UPDATETIME"] == "2026-12-07 09:00:05"
    tag = client.get("/api/v1/parking/tcmsv/availability").headers["etag"]
    unchanged = client.get("/api/v1/parking/tcmsv/availability", headers={"If-None-Match": tag})
    assert unchanged.status_code == 304


def test_the_feeds_are_public_and_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/parking/availability", "/api/v1/parking/tcmsv/availability"):
        assert "304" in paths[path]["get"]["responses"]
        assert client.get(path).status_code == 200


def test_upgrading_marks_the_fee_items_segments_bill_under(
    template_db: TemplateDatabase, tmp_path: Path
) -> None:
    modules = load_manifests(())
    with template_db.empty(tmp_path) as url:
        engine = create_db_engine(url)
        try:
            upgrade(engine, modules, "parking_0002")
            upgrade(engine, modules, "payments_0006")
            rows = catalogue()
            for row in rows:  # as loaded before the catalogue marked the roadside fee
                if row["code"] in (ROADSIDE_FEE, "PMO-FEE02"):
                    row.update(autopay=False, max_amount=None, channels=["store", "bank"])
                if row["code"] == "PMO-FEE03":  # an operator's own choice: capped, no autopay
                    row.update(autopay=False, max_amount=500)
            with engine.begin() as connection:
                connection.execute(insert(Item), rows)
                for code, item in (("A", ROADSIDE_FEE), ("B", ROADSIDE_FEE), ("C", "PMO-FEE03")):
                    connection.execute(
                        insert(Segment).values(
                            id=uuid.uuid4(), code=code, name=code, name_en="",
                            department="PMO", fee_item=item, tariff={"per_hour": 40},
                            created_at=T0,
                        )
                    )  # fmt: skip
            upgrade(engine, modules)
            with engine.connect() as connection:
                found = {
                    row.code: (row.autopay, row.max_amount, "autopay" in row.channels)
                    for row in connection.execute(
                        select(Item.code, Item.autopay, Item.max_amount, Item.channels).where(
                            Item.code.in_([ROADSIDE_FEE, "PMO-FEE02", "PMO-FEE03"])
                        )
                    )
                }
        finally:
            engine.dispose()
    assert found == {
        ROADSIDE_FEE: (True, 3000, True),  # billed under by segments: a parking fee now
        "PMO-FEE02": (False, None, False),  # no segment bills under it
        "PMO-FEE03": (False, 500, False),  # the operator's choice stands
    }
