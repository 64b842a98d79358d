"""Payment posting on PostgreSQL with 16 concurrent clients ÷ pgbench's TPC-B tps, same run.

A posting is everything `POST /api/v1/payments/payments` does after authentication, in one
transaction: the idempotency check and key row, the bill's lock and state change, the payment
row, the balanced ledger entries and the audit entry (with its Merkle-tree append). 16 client
processes (as 16 uvicorn workers would be) call the service in-process (no HTTP), each
posting to its own bills.

Reference: `pgbench -i` then `pgbench -c 16 -j 2 -T 20` against a scratch database on the same
server, in the same run. Run: `.venv/bin/python bench/bench_payments_posting.py`
(needs PostgreSQL at 127.0.0.1:5432, user postgres; `BENCH_PG_URL` overrides).
"""

from __future__ import annotations

import multiprocessing
import os
import re
import subprocess
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text

from smartcity.app import build_platform
from smartcity.core.auth import Principal, Role, system_actor
from smartcity.core.keys import KeyRing
from smartcity.core.migrate import upgrade
from smartcity.core.platform import Platform
from smartcity.core.settings import Settings
from smartcity.core.time import taipei_today, utcnow
from smartcity.modules.payments import codes, ledger, service
from smartcity.modules.payments.catalogue import catalogue
from smartcity.modules.payments.models import Bill, Item

SERVER = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
CLIENTS = 16
SECONDS = 20
BILLS = 50_000
MODE = os.environ.get("BENCH_MODE", "threads")
"""`threads` (16 threads, one process) or `processes` (16 processes, like 16 workers)."""


def _recreate(name: str) -> str:
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return SERVER.rsplit("/", 1)[0] + f"/{name}"


def pgbench_tps() -> float:
    _recreate("bench_pgbench")
    base = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
    subprocess.run(  # noqa: S603  # PostgreSQL's own pgbench, fixed arguments
        ["pgbench", "-i", *base, "bench_pgbench"],  # noqa: S607  # pgbench from PATH
        check=True,
        capture_output=True,
    )
    result = subprocess.run(  # noqa: S603  # PostgreSQL's own pgbench, fixed arguments
        ["pgbench", "-c", str(CLIENTS), "-j", "2", "-T", str(SECONDS), *base, "bench_pgbench"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    )
    match = re.search(r"tps = ([\d.]+)", result.stdout)
    assert match, result.stdout
    return float(match.group(1))


def posting_rate() -> tuple[float, int]:
    url = _recreate("bench_payments")
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="bench-posting-")),
        database_url=url,
        environment="test",
        log_requests=False,
        modules=("identity", "payments"),
    )  # type: ignore[call-arg]
    platform = build_platform(settings, keys=KeyRing.load(settings.keys_dir))
    upgrade(platform.db.engine, platform.modules)
    due = taipei_today() + timedelta(days=60)
    with platform.unit_of_work(system_actor("bench")) as uow:
        uow.session.execute(insert(Item), catalogue())
        uow.audit("bench.setup", "catalogue", "bench", {})
    numbers = []
    with platform.db.engine.begin() as connection:
        rows = []
        for serial in range(BILLS):
            number = codes.make_write_off_number(due, serial)
            numbers.append(number)
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "write_off_number": number,
                    "virtual_account": codes.make_virtual_account("95270", serial),
                    "item_code": "TWD-FEE01",
                    "department": "TWD",
                    "amount": 500,
                    "paid_amount": 0,
                    "due_date": due,
                    "payer_kind": "plate",
                    "payer_value": "ABC-1234",
                    "description": "",
                    "status": "open",
                    "issued_by": "bench",
                    "created_at": utcnow(),
                }
            )
            if len(rows) == 10_000:
                connection.execute(insert(Bill), rows)
                rows = []
        if rows:
            connection.execute(insert(Bill), rows)
    start_at = time.time() + 3  # every client starts together, after its set-up
    work = [(settings, numbers[i::CLIENTS], i, start_at) for i in range(CLIENTS)]
    if MODE == "processes":
        platform.db.dispose()
        with multiprocessing.get_context("fork").Pool(CLIENTS) as pool:
            results = pool.starmap(_client, work)
    else:
        with ThreadPoolExecutor(CLIENTS) as threads:
            results = list(threads.map(lambda args: _client(*args, platform), work))
        platform.db.dispose()
    counts = [count for count, _seconds in results]
    elapsed = max(seconds for _count, seconds in results)
    platform = build_platform(settings, keys=KeyRing.load(settings.keys_dir))
    session = platform.db.read_session()
    assert ledger.check(session).ok
    session.close()
    platform.db.dispose()
    return sum(counts) / elapsed, sum(counts)


def _client(
    settings: Settings,
    numbers: list[str],
    index: int,
    start_at: float,
    shared: Platform | None = None,
) -> tuple[int, float]:
    """One client (a thread on the shared platform, or a process with its own): post until
    the time is up."""
    platform = shared or build_platform(settings, keys=KeyRing.load(settings.keys_dir))
    principal = Principal(kind="organisation", id="BOT", role=Role.PROVIDER, organisation="BOT")
    time.sleep(max(start_at - time.time(), 0))
    started = time.perf_counter()
    stop = started + SECONDS
    count = 0
    for number in numbers:
        if time.perf_counter() >= stop:
            break
        service.record_payment_retrying(
            platform,
            principal,
            None,
            "BOT",
            service.PaymentRequest(
                reference=number,
                amount=500,
                channel="bank",
                provider_txn_id=f"B{index}-{count}",
                paid_at=datetime.now(UTC),
            ),
            idempotency_key=f"k{index}-{count}",
        )
        count += 1
    elapsed = time.perf_counter() - started
    if shared is None:
        platform.db.dispose()
    return count, elapsed


def main() -> None:
    tps = pgbench_tps()
    rate, total = posting_rate()
    print(f"pgbench TPC-B (-c {CLIENTS} -j 2 -T {SECONDS}): {tps:.1f} tps")
    print(f"payment postings ({CLIENTS} {MODE}, {SECONDS} s): {rate:.1f}/s ({total} postings)")
    print(f"ratio: {rate / tps:.3f} (target ≥ 0.5)")


if __name__ == "__main__":
    main()
