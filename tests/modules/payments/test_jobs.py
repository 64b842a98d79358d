"""payments' schedules: the job worker delivers webhooks and expires overdue bills."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.core.jobs.models import Job
from smartcity.core.jobs.worker import Worker
from smartcity.core.platform import Platform
from smartcity.core.time import utcnow
from tests.modules.payments.conftest import Pay
from tests.modules.payments.test_webhooks import Receiver


def test_the_worker_delivers_a_payment_s_webhook_on_its_schedule(
    pay: Pay, client: TestClient, platform: Platform
) -> None:
    receiver = Receiver(failures=0)
    try:
        subscribed = client.put(
            "/api/v1/payments/subscription", json={"url": receiver.url}, headers=pay.officer("TWD")
        ).json()
        receiver.secret = subscribed["secret"]
        worker = Worker(platform)
        start = utcnow()
        worker.run_ready(start)  # the schedules are seen, none is due yet
        bill = pay.issue("TWD-FEE01", 500)
        pay.pay(bill["reference"], 500)
        assert receiver.received == []
        worker.run_ready(start + timedelta(minutes=1, seconds=1))
        assert [body["event"] for body in receiver.received] == ["payment.recorded"]
        assert receiver.received[0]["data"]["reference"] == bill["reference"]
        assert all(receiver.verified)
    finally:
        receiver.close()
    with platform.db.read_session() as session:
        ran = session.execute(
            select(Job.state).where(Job.schedule == "payments.deliver_webhooks")
        ).scalars()
        assert list(ran) == ["done"]
