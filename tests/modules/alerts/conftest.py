"""Helpers for alerts' tests: two device owners, three departments, routes and detectors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smartcity.core.auth import Role, system_actor
from smartcity.core.platform import Platform
from smartcity.core.time import utcnow
from tests.conftest import Actors, bearer

PILOT = "5f0c1d7e-0000-4000-8000-000000000001"
"""A pilot id the detectors name (the alerts module keeps it as a reference only)."""


def event(number: int = 1, **changes: Any) -> dict[str, Any]:
    """An acoustic detector's event, as a device sends it."""
    body: dict[str, Any] = {
        "alertSource": "ACOUSTIC-1",
        "eventId": f"evt-{number}",
        "category": "traffic",
        "subCategory": "carAccident",
        "severity": "high",
        "location": {"type": "Point", "coordinates": [121.54, 25.03]},
        "dateIssued": (utcnow() - timedelta(minutes=5)).isoformat(),
        "description": "possible collision",
        "data": {"confidence": 0.87, "clip": f"clip-{number}"},
    }
    body.update(changes)
    return body


@pytest.fixture
def city(platform: Platform, actors: Actors) -> dict[str, Any]:
    """Owners ACME and OTHER, departments DOT, TFD and TCPD, routes and three detectors:
    ACOUSTIC-1 (ACME, routed by the table), FENCE-1 (ACME, its own department DOE) and
    OTHER-1 (OTHER). Returns bearer headers by name."""
    from smartcity.modules.alerts import service
    from smartcity.modules.identity.service import ensure_organisation
    from smartcity.modules.identity.values import OrganisationKind

    with platform.unit_of_work(system_actor("test")) as uow:
        for code in ("DOT", "TFD", "TCPD", "DOE"):
            ensure_organisation(uow, code, OrganisationKind.DEPARTMENT)
        for code in ("ACME", "OTHER"):
            ensure_organisation(uow, code, OrganisationKind.DEVICE_OWNER)
        service.set_route(uow, "traffic", "", "DOT")
        service.set_route(uow, "traffic", "carAccident", "TFD")
        service.set_route(uow, "security", "", "TCPD")
        service.register_detector(uow, device_id="ACOUSTIC-1", owner="ACME", pilot_id=PILOT)
        service.register_detector(
            uow, device_id="FENCE-1", owner="ACME", pilot_id=PILOT, department="DOE"
        )
        service.register_detector(uow, device_id="OTHER-1", owner="OTHER")
    return {
        "acme": bearer(actors.token(Role.DEVICE, "ACME")),
        "other": bearer(actors.token(Role.DEVICE, "OTHER")),
        "tfd": bearer(actors.token(Role.OFFICER, "TFD")),
        "dot": bearer(actors.token(Role.OFFICER, "DOT")),
        "doe": bearer(actors.token(Role.OFFICER, "DOE")),
        "admin": bearer(actors.token(Role.ADMIN)),
    }


T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
