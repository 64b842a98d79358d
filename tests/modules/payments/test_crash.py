"""`kill -9` of the server in the middle of a payment load: nothing acknowledged is lost,
nothing is recorded twice, and no posting is half-written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, insert, select

from smartcity.app import build_platform
from smartcity.core.auth import Role, system_actor
from smartcity.core.migrate import upgrade
from smartcity.core.settings import Settings
from smartcity.core.time import local_today
from smartcity.modules.identity import service as identity
from smartcity.modules.identity.values import OrganisationKind
from smartcity.modules.payments import ledger, service
from smartcity.modules.payments.catalogue import catalogue
from smartcity.modules.payments.models import Item, LedgerEntry, LedgerTransaction, Payment
from tests.support.ports import free_port

MODULES = "identity,payments"
BILLS = 240


def _start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "smartcity", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code < 500:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the server did not start")


def test_kill_9_mid_load(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'crash.db'}"
    settings = Settings(
        database_url=database,
        data_dir=tmp_path,
        environment="test",
        modules=tuple(MODULES.split(",")),
        log_requests=False,
    )  # type: ignore[call-arg]
    platform = build_platform(settings)
    upgrade(platform.db.engine, platform.modules)
    config = service.settings_of(platform)
    with platform.unit_of_work(system_actor("test")) as uow:
        uow.session.execute(insert(Item), catalogue())
        provider = identity.ensure_organisation(uow, "BOT", OrganisationKind.PROVIDER)
        token = identity.issue_api_key(
            uow, role=Role.PROVIDER, label="t", organisation=provider
        ).token
        references = [
            service.issue_bill(
                uow,
                config,
                item_code="TWD-FEE01",
                amount=100 + i,
                due_date=local_today() + timedelta(days=30),
                payer={"plate": "ABC-1234"},
            ).write_off_number
            for i in range(BILLS)
        ]
    platform.db.dispose()

    env = {
        **os.environ,
        "SMARTCITY_DATABASE_URL": database,
        "SMARTCITY_DATA_DIR": str(tmp_path),
        "SMARTCITY_MODULES": MODULES,
        "SMARTCITY_LOG_REQUESTS": "false",
    }
    port = free_port()
    server = _start(env, port)
    acknowledged: dict[int, str] = {}
    keys = {i: uuid.uuid4().hex for i in range(BILLS)}
    paid_at = datetime.now(UTC).isoformat()
    lock = threading.Lock()
    stop = threading.Event()

    def body(i: int) -> dict[str, object]:
        return {
            "reference": references[i],
            "amount": 100 + i,
            "channel": "bank",
            "provider_txn_id": f"K{i}",
            "paid_at": paid_at,
        }

    def worker(start: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            for i in range(start, BILLS, 4):
                if stop.is_set():
                    return
                try:
                    response = http.post(
                        "/api/v1/payments/payments",
                        json=body(i),
                        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": keys[i]},
                    )
                except httpx.HTTPError:
                    return
                if response.status_code in (200, 201):
                    with lock:
                        acknowledged[i] = response.json()["id"]

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 30 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.send_signal(signal.SIGKILL)  # kill -9, mid-load
    server.wait()
    stop.set()
    for thread in threads:
        thread.join()
    assert 30 <= len(acknowledged) < BILLS

    server = _start(env, port)
    try:
        # Providers retry what they did not see acknowledged, with the same key.
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            for i in range(BILLS):
                response = http.post(
                    "/api/v1/payments/payments",
                    json=body(i),
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": keys[i]},
                )
                assert response.status_code in (200, 201), response.text
                if i in acknowledged:
                    assert response.status_code == 200
                    assert response.json()["id"] == acknowledged[i]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)

    platform = build_platform(settings)
    session = platform.db.read_session()
    try:
        per_txn = session.execute(
            select(Payment.provider_txn_id, func.count()).group_by(Payment.provider_txn_id)
        ).all()
        assert len(per_txn) == BILLS and all(count == 1 for _txn, count in per_txn)
        report = ledger.check(session)
        assert report.ok, report
        # Every payment has exactly its posting: no half-written transaction.
        postings = session.execute(select(func.count()).select_from(LedgerTransaction)).scalar_one()
        assert postings == BILLS
        legs = session.execute(select(func.count()).select_from(LedgerEntry)).scalar_one()
        assert legs == 2 * BILLS
    finally:
        session.close()
        platform.db.dispose()
