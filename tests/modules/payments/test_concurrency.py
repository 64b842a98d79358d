"""Concurrency on a real server: one Idempotency-Key → one payment; one bill paid 64 times.

The PostgreSQL runs use 64 threads; the SQLite run the same tests with 8 (SQLite has one
writer at a time, so it mostly proves that queued writers answer correctly).
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select

from smartcity.core.auth import Role
from smartcity.core.platform import Platform
from smartcity.modules.payments import ledger
from smartcity.modules.payments.models import Payment
from tests.conftest import bearer
from tests.modules.payments.conftest import LiveServer, Pay


def _one_key(pay: Pay, server: LiveServer, platform: Platform, clients: int) -> None:
    bill = pay.issue("TWD-FEE01", 777)
    headers = {**pay.provider("BOT"), "Idempotency-Key": uuid.uuid4().hex}
    body = {
        "reference": bill["reference"],
        "amount": 777,
        "channel": "bank",
        "provider_txn_id": "SAME-1",
        "paid_at": datetime.now(UTC).isoformat(),
    }

    def send(_: int) -> tuple[int, str]:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            response = http.post("/api/v1/payments/payments", json=body, headers=headers)
            return response.status_code, response.json().get("id", response.text)

    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(send, range(clients)))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 1 and statuses.count(200) == clients - 1, results
    assert len({payment_id for _, payment_id in results}) == 1
    session = platform.db.read_session()
    try:
        assert session.execute(select(func.count()).select_from(Payment)).scalar_one() == 1
        assert ledger.check(session).ok
    finally:
        session.close()


def _many_providers(pay: Pay, server: LiveServer, platform: Platform, clients: int) -> None:
    bill = pay.issue("TWD-FEE01", 500)
    tokens = [pay.token(Role.PROVIDER, f"PRV{i}") for i in range(clients)]

    def send(i: int) -> int:
        body = {
            "reference": bill["reference"],
            "amount": 500,
            "channel": "bank",
            "provider_txn_id": f"P{i}",
            "paid_at": datetime.now(UTC).isoformat(),
        }
        headers = {**bearer(tokens[i]), "Idempotency-Key": uuid.uuid4().hex}
        with httpx.Client(base_url=server.url, timeout=60) as http:
            return http.post("/api/v1/payments/payments", json=body, headers=headers).status_code

    with ThreadPoolExecutor(clients) as pool:
        statuses = list(pool.map(send, range(clients)))
    assert statuses == [201] * clients
    session = platform.db.read_session()
    try:
        flags = sorted(session.execute(select(Payment.flag)).scalars())
        assert flags == ["duplicate"] * (clients - 1) + ["none"]
        due = session.execute(select(func.sum(Payment.refund_due))).scalar_one()
        assert due == 500 * (clients - 1)
        assert ledger.check(session).ok
        balances = ledger.balances(session)
        assert balances["department_revenue:TWD-FEE01"] == -500
        assert balances["refunds_payable:TWD"] == -500 * (clients - 1)
    finally:
        session.close()


@pytest.mark.postgres
def test_64_requests_with_one_key_make_one_payment(
    pay: Pay, live_server: LiveServer, platform: Platform
) -> None:
    _one_key(pay, live_server, platform, 64)


@pytest.mark.postgres
def test_64_providers_paying_one_bill(
    pay: Pay, live_server: LiveServer, platform: Platform
) -> None:
    _many_providers(pay, live_server, platform, 64)


def test_concurrent_replays_on_the_embedded_database(
    pay: Pay, live_server: LiveServer, platform: Platform
) -> None:
    _one_key(pay, live_server, platform, 8)


def test_concurrent_providers_on_the_embedded_database(
    pay: Pay, live_server: LiveServer, platform: Platform
) -> None:
    _many_providers(pay, live_server, platform, 8)
