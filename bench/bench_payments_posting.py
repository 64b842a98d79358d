"""Payment posting on PostgreSQL with 16 concurrent clients ÷ pgbench's TPC-B tps, same run.

A posting is everything `POST /api/v1/payments/payments` does after authentication, in one
transaction: the idempotency key claim, the bill's lock and state change, the payment row, the
balanced ledger entries and the audit entry (queued in the transaction, then made a Merkle leaf
by the sequencer right after the commit, before the call returns). The clients call the service
in-process (no HTTP), each posting to its own bills.

How the clients run (`BENCH_MODE`):
- `workers` (default): as `smartcity serve --workers 2` on this 2-core machine — 2 processes,
  each with 8 threads (uvicorn runs sync endpoints in a thread pool); `BENCH_WORKERS` changes 2.
- `threads`: 16 threads in one process; `processes`: 16 single-threaded processes.

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
from smartcity.core.time import local_today, utcnow
from smartcity.modules.payments import codes, ledger, service
from smartcity.modules.payments.catalogue import catalogue
from smartcity.modules.payments.models import Bill, Item

SERVER = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
CLIENTS = 16
SECONDS = 20
BILLS = 50_000
MODE = os.environ.get("BENCH_MODE", "workers")
"""`workers` (BENCH_WORKERS processes sharing the clients as threads), `threads`, `processes`."""
PROCESSES = {"threads": 1, "processes": CLIENTS}.get(MODE) or int(
    os.environ.get("BENCH_WORKERS", "2")
)


def recreate_database(name: str) -> str:
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return SERVER.rsplit("/", 1)[0] + f"/{name}"


def pgbench_tps() -> float:
    recreate_database("bench_pgbench")
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
    url = recreate_database("bench_payments")
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="bench-posting-")),
        database_url=url,
        environment="test",
        log_requests=False,
        modules=("identity", "payments"),
    )  # type: ignore[call-arg]
    platform = build_platform(settings, keys=KeyRing.load(settings.keys_dir))
    upgrade(platform.db.engine, platform.modules)
    due = local_today() + timedelta(days=60)
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
    groups = [numbers[i::CLIENTS] for i in range(CLIENTS)]
    work = [
        (settings, list(range(p, CLIENTS, PROCESSES)), groups, start_at) for p in range(PROCESSES)
    ]
    if PROCESSES == 1:
        results = _worker(*work[0], platform)
        platform.db.dispose()
    else:
        platform.db.dispose()
        with multiprocessing.get_context("fork").Pool(PROCESSES) as pool:
            results = [r for process in pool.starmap(_worker, work) for r in process]
    counts = [count for count, _seconds in results]
    elapsed = max(seconds for _count, seconds in results)
    platform = build_platform(settings, keys=KeyRing.load(settings.keys_dir))
    session = platform.db.read_session()
    assert ledger.check(session).ok
    # Every posting's audit entry is a leaf by the time its call returned.
    assert not platform.log.pending(session)
    assert platform.log.head(session).tree_size == sum(counts) + 1  # + the set-up entry
    session.close()
    platform.db.dispose()
    return sum(counts) / elapsed, sum(counts)


def _worker(
    settings: Settings,
    clients: list[int],
    groups: list[list[str]],
    start_at: float,
    shared: Platform | None = None,
) -> list[tuple[int, float]]:
    """One server process: its own platform (unless given), one thread per client."""
    platform = shared or build_platform(settings, keys=KeyRing.load(settings.keys_dir))
    with ThreadPoolExecutor(len(clients)) as threads:
        results = list(
            threads.map(lambda index: _client(platform, groups[index], index, start_at), clients)
        )
    if shared is None:
        platform.db.dispose()
    return results


def _client(
    platform: Platform, numbers: list[str], index: int, start_at: float
) -> tuple[int, float]:
    """One client: post until the time is up."""
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
    return count, time.perf_counter() - started


def main() -> None:
    load_before = os.getloadavg()[0]
    tps = pgbench_tps()
    rate, total = posting_rate()
    print(
        f"machine: {os.cpu_count()} CPUs; load average {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after"
    )
    print(f"pgbench TPC-B (-c {CLIENTS} -j 2 -T {SECONDS}): {tps:.1f} tps")
    print(
        f"payment postings ({CLIENTS} clients: {MODE}, {PROCESSES} process(es), {SECONDS} s): "
        f"{rate:.1f}/s ({total} postings)"
    )
    print(f"ratio: {rate / tps:.3f} (target ≥ 0.5)")


if __name__ == "__main__":
    main()
