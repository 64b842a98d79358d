"""Fixtures for livinglab's tests: tokens for every part a caller can play."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smartcity.core.auth import Role, system_actor
from smartcity.core.platform import Platform
from tests.conftest import Actors, bearer

API = "/api/v1/livinglab"


@dataclass
class Lab:
    """Tokens and shortcuts for one test."""

    client: TestClient
    platform: Platform
    actors: Actors
    office: str
    dot: str
    doe: str
    vendor: str
    other_vendor: str
    admin: str

    def post(self, path: str, token: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(f"{API}{path}", json=body or {}, headers=bearer(token))

    def get(self, path: str, token: str | None = None) -> Any:
        return self.client.get(f"{API}{path}", headers=bearer(token) if token else {})

    def patch(self, path: str, token: str, body: dict[str, Any]) -> Any:
        return self.client.patch(f"{API}{path}", json=body, headers=bearer(token))

    def ok(self, response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json()

    def challenge(self, token: str | None = None, **extra: Any) -> str:
        body = {
            "title": "路邊停車格即時空位偵測",
            "description": "松智路與民生東路路邊停車格需要即時空位資訊，減少繞行找車位。",
            "domain": "transport",
            **extra,
        }
        return str(self.ok(self.post("/challenges", token or self.dot, body), 201)["id"])

    def proposal(self, token: str | None = None, **extra: Any) -> str:
        body = {
            "title": "地磁感測停車位偵測",
            "summary": "以地磁感測器經 LoRa 回報車位佔用，提供即時空位。",
            "domain": "transport",
            **extra,
        }
        return str(self.ok(self.post("/proposals", token or self.vendor, body), 201)["id"])

    def pilot(self, state: str = "proposed", **extra: Any) -> str:
        """A pilot hosted by DOT, walked forward to `state` along the happy path."""
        challenge = self.challenge()
        proposal = self.proposal(challenge_id=challenge, **extra)
        pilot = str(self.ok(self.post("/pilots", self.dot, {"proposal_id": proposal}), 201)["id"])
        path = ["screening", "matched", "agreed", "preparing", "running", "evaluating"]
        for step in path[: path.index(state) + 1] if state in path else []:
            self.advance(pilot, step)
        return pilot

    def advance(self, pilot: str, to: str) -> None:
        token = self.office if to == "screening" else self.dot
        body: dict[str, Any] = {"to": to}
        if to == "agreed":
            body["agreement_ref"] = "北市交字第 1150001 號"
        if to == "evaluating":
            kpi = self.ok(
                self.post(
                    f"/pilots/{pilot}/kpis",
                    self.dot,
                    {"name": "空位偵測準確率", "unit": "%", "baseline": 80, "target": 95},
                ),
                201,
            )["id"]
            self.ok(self.post(f"/kpis/{kpi}/measurements", self.dot, {"value": 96.5}), 201)
        self.ok(self.post(f"/pilots/{pilot}/transitions", token, body))


@pytest.fixture
def lab(client: TestClient, platform: Platform, actors: Actors) -> Lab:
    return Lab(
        client=client,
        platform=platform,
        actors=actors,
        office=actors.token(Role.OFFICER, "SCPMO"),
        dot=actors.token(Role.OFFICER, "DOT"),
        doe=actors.token(Role.OFFICER, "DOE"),
        vendor=actors.token(Role.VENDOR, "V-SENSE"),
        other_vendor=actors.token(Role.VENDOR, "V-OTHER"),
        admin=actors.token(Role.ADMIN),
    )


def verified_citizen(platform: Platform, actors: Actors) -> str:
    """A bearer token of a verified citizen."""
    from smartcity.modules.identity import service
    from smartcity.modules.identity.values import VerificationLevel

    user_id, token = actors.citizen()
    with platform.unit_of_work(system_actor("test")) as uow:
        user = service.get_user(uow.session, user_id)
        service.set_verification_level(uow, user, VerificationLevel.VERIFIED)
    return token
