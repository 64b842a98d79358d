"""Dates at the edge of the calendar are refused as input, never overflow into a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from smartcity.core.auth import Role
from tests.conftest import Actors, bearer


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_daily_report_refuses_dates_outside_the_civil_range(
    client: TestClient, actors: Actors, day: str
) -> None:
    officer = bearer(actors.token(Role.OFFICER, "DOT"))
    response = client.get("/api/v1/payments/reports/daily", params={"day": day}, headers=officer)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
