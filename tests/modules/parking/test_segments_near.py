"""`segments_near`: the roads whose bays lie near a point, nearest first (the chatbot asks it)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from smartcity.core.platform import Platform
from smartcity.modules.parking import service
from tests.modules.parking.conftest import segment_body


def _segment_at(code: str, lat: float, lon: float) -> dict[str, Any]:
    body = segment_body(code)
    body["bays"] = [
        {"code": f"{code}-{n}", "lat": lat + n * 0.0001, "lon": lon} for n in range(1, 3)
    ]
    return body


def test_nearest_first_within_the_radius_with_their_distance(
    platform: Platform, client: TestClient, officer: dict[str, str], with_catalogue: None
) -> None:
    # Along a meridian, 0.009° of latitude is about a kilometre.
    for code, lat in (("FAR", 25.0630), ("NEAR", 25.0430), ("MID", 25.0500)):
        answer = client.post(
            "/api/v1/parking/segments", json=_segment_at(code, lat, 121.5600), headers=officer
        )
        assert answer.status_code == 201, answer.text
    with platform.db.read_session() as session:
        near = service.segments_near(session, 25.0400, 121.5600, 1.5)
    assert [s.code for s, _ in near] == ["NEAR", "MID"]
    assert [round(km, 2) for _, km in near] == pytest.approx([0.35, 1.13], abs=0.01)
