"""A roadside fee to a plate with autopay is charged once, after its bill commits; a decline
or no autopay leaves the usual notice."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from smartcity.core.audit.models import AuditEntry
from smartcity.core.auth import system_actor
from smartcity.core.jobs.worker import Worker
from smartcity.core.platform import Platform
from smartcity.core.time import city_zone, local_today
from smartcity.modules.identity import service as identity
from smartcity.modules.identity.values import BindingKind, OrganisationKind
from smartcity.modules.parking import jobs, service
from smartcity.modules.parking.models import Fee
from smartcity.modules.payments.models import Payment
from smartcity.modules.payments.values import ChargeOutcome
from tests.conftest import Actors, bearer
from tests.modules.parking.test_billing import PLATE, park, sight


def _bind(platform: Platform, user_id: str, kind: BindingKind, value: str, **extra: Any) -> Any:
    with platform.unit_of_work(system_actor("test")) as uow:
        if extra.get("provider_code"):
            identity.ensure_organisation(uow, extra["provider_code"], OrganisationKind.PROVIDER)
        user = identity.get_user(uow.session, user_id)
        binding = identity.add_binding(uow, user, kind=kind, value=value, **extra)
        identity.decide_binding(uow, binding.id, verified=True, reason="test")
        return binding.id


def autopay_citizen(
    platform: Platform, client: TestClient, actors: Actors, card: str = "tok_ok_1"
) -> tuple[str, dict[str, str], str]:
    """A citizen whose plate autopays from today with a sandbox card: (id, headers, autopay)."""
    user_id, token = actors.citizen()
    _bind(platform, user_id, BindingKind.PLATE, PLATE)
    method = _bind(platform, user_id, BindingKind.PAYMENT_METHOD, card, provider_code="SANDBOX")
    bound = client.post(
        "/api/v1/payments/me/autopay",
        json={
            "plate": PLATE,
            "payment_method_binding_id": str(method),
            "effective_from": local_today().isoformat(),
        },
        headers=bearer(token),
    )
    assert bound.status_code == 201, bound.text
    return user_id, bearer(token), bound.json()["id"]


def fee(platform: Platform) -> Fee:
    with platform.db.read_session() as session:
        return session.scalars(select(Fee)).one()


def payments_count(platform: Platform) -> int:
    with platform.db.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(Payment)) or 0)


def coming_monday_nine() -> datetime:
    """09:00 in the city on the coming Monday (today, if a Monday): an autopay bound today
    covers stays from today on, and a weekday morning's tariff is the one asserted."""
    today = local_today()
    monday = today + timedelta(days=-today.weekday() % 7)
    return datetime.combine(monday, time(9), tzinfo=city_zone()).astimezone(UTC)


def billed_stay(
    client: TestClient, platform: Platform, officer: dict[str, str], start: datetime | None = None
) -> str:
    """A 95-minute stay named by a sighting after the car left; the bill's reference."""
    start = start or coming_monday_nine()
    park(platform, minutes=95, start=start)
    reference: str = sight(client, officer, start + timedelta(minutes=20))["bill_reference"]
    assert reference
    return reference


def test_a_bound_plates_autopay_pays_the_fee_after_the_bill_commits(
    client: TestClient, platform: Platform, segment: Any, officer: dict[str, str], actors: Actors
) -> None:
    _, citizen, _ = autopay_citizen(platform, client, actors)
    reference = billed_stay(client, platform, officer)
    assert fee(platform).autopay == "pending"  # the provider is not asked inside the bill's tx
    Worker(platform).run_ready()
    assert (fee(platform).autopay, payments_count(platform)) == ("charged", 1)
    bill = client.get(f"/api/v1/payments/bills/{reference}", headers=officer).json()
    assert (bill["status"], bill["amount"]) == ("written_off", 80)  # the item writes off on payment
    mine = {
        b["reference"]: b for b in client.get("/api/v1/payments/me/bills", headers=citizen).json()
    }
    assert mine[reference]["status"] == "written_off"


def test_a_declined_charge_leaves_the_usual_notice(
    client: TestClient, platform: Platform, segment: Any, officer: dict[str, str], actors: Actors
) -> None:
    autopay_citizen(platform, client, actors, card="fail_card_1")
    reference = billed_stay(client, platform, officer)
    Worker(platform).run_ready()
    stored = fee(platform)
    assert (stored.autopay, stored.autopay_detail) == ("declined", "declined by the provider")
    bill = client.get(f"/api/v1/payments/bills/{reference}", headers=officer).json()
    assert bill["status"] == "open"
    assert payments_count(platform) == 0
    with platform.db.read_session() as session:
        actions = set(
            session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("%autopay%")))
        )
    assert {"payments.autopay.declined", "parking.fee.autopay_settled"} <= actions


def test_without_autopay_the_fee_is_a_notice_and_nothing_is_charged(
    client: TestClient, platform: Platform, segment: Any, officer: dict[str, str], actors: Actors
) -> None:
    user_id, _ = actors.citizen()
    _bind(platform, user_id, BindingKind.PLATE, PLATE)  # bound, but no autopay chosen
    billed_stay(client, platform, officer)
    Worker(platform).run_ready()
    stored = fee(platform)
    assert (stored.autopay, stored.autopay_detail) == (
        "notice",
        "no autopay in force for this plate",
    )
    assert payments_count(platform) == 0


def test_autopay_ended_before_the_charge_leaves_a_notice(
    client: TestClient, platform: Platform, segment: Any, officer: dict[str, str], actors: Actors
) -> None:
    _, citizen, autopay = autopay_citizen(platform, client, actors)
    billed_stay(client, platform, officer)
    ended = client.delete(f"/api/v1/payments/me/autopay/{autopay}", headers=citizen)
    assert ended.status_code in (200, 204), ended.text
    Worker(platform).run_ready()
    assert fee(platform).autopay == "notice"
    assert payments_count(platform) == 0


def test_one_fee_one_charge_whatever_is_replayed(
    client: TestClient, platform: Platform, segment: Any, officer: dict[str, str], actors: Actors
) -> None:
    autopay_citizen(platform, client, actors)
    start = coming_monday_nine()
    billed_stay(client, platform, officer, start)
    session_id = fee(platform).session_id
    with platform.db.read_session() as session:
        _, charge, _ = service.autopay_charge_due(session, session_id)
    assert charge is not None
    Worker(platform).run_ready()
    # The job delivered again, the sighting and the uplinks replayed, then a late second
    # answer to the same charge (a run whose lease ended): none of them charges again.
    jobs.charge_autopay(platform, {"session": str(session_id)})
    sight(client, officer, start + timedelta(minutes=30))
    park(platform, minutes=95, start=start)
    Worker(platform).run_ready()
    with platform.unit_of_work(system_actor("test")) as uow:
        late = ChargeOutcome(True, f"ap_{uuid.uuid4().hex[:20]}")
        assert service.settle_autopay(uow, session_id, charge, late) is None
    assert (fee(platform).autopay, payments_count(platform)) == ("charged", 1)
