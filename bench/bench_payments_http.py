"""Payments posted through HTTP on PostgreSQL ÷ pgbench's TPC-B tps, same run, 1 and 2 workers.

The server is the production one: `smartcity serve --workers N` (uvicorn with the app factory,
every module enabled, `SMARTCITY_ENVIRONMENT=production`, one JSON log line per request) on a
fresh, migrated database holding bills and a provider's API key made with
`smartcity admin create-token`. The load comes from Debian's `wrk` (C, little CPU): 2 threads,
16 connections, `bench/payments_http.lua` posting each request to a bill of its own with its own
`Idempotency-Key`. Every response must be a 201, and every payment acknowledged must be stored
(the few in flight when wrk stops may be stored too, unacknowledged; at most one a connection).

Also measured, one connection at a time on one worker: the median latency of a payment, of
`GET /api/v1/identity/me` with the same key and of `/healthz`.

Reference: `pgbench -c 16 -j 2 -T 20`, as in bench/bench_payments_posting.py. Run:
`.venv/bin/python bench/bench_payments_http.py` (needs PostgreSQL at 127.0.0.1:5432, user
postgres — `BENCH_PG_URL` overrides — and /usr/bin/wrk).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_payments_posting import CLIENTS, SECONDS, pgbench_tps, recreate_database
from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.engine import Engine

from smartcity.core.time import local_today, utcnow
from smartcity.modules.payments import codes
from smartcity.modules.payments.catalogue import catalogue
from smartcity.modules.payments.models import Bill, Item, Payment

BENCH = Path(__file__).resolve().parent
SCRIPT = BENCH / "payments_http.lua"
SMARTCITY = Path(sys.executable).parent / "smartcity"
WRK = "/usr/bin/wrk"
THREADS = 2
WORKERS = (1, 2)
LATENCY_SECONDS = 5
WARM_UP_SECONDS = 2
BILLS_PER_SECOND = 1_500
"""More than a run pays a second at the rates seen; each run gets bills of its own."""
BILLS = BILLS_PER_SECOND * (
    len(WORKERS) * (WARM_UP_SECONDS + SECONDS) + WARM_UP_SECONDS + LATENCY_SECONDS
)


def main() -> None:
    load_before = os.getloadavg()[0]
    tps = pgbench_tps()
    run = Run()
    try:
        rates = {workers: run.throughput(workers) for workers in WORKERS}
        latencies = run.latencies()
    finally:
        run.close()
    print(
        f"machine: {os.cpu_count()} CPUs; load average {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after"
    )
    print(f"pgbench TPC-B (-c {CLIENTS} -j 2 -T {SECONDS}): {tps:.1f} tps")
    for workers, (rate, acknowledged, cpu_ms) in rates.items():
        print(
            f"HTTP payments, {workers} worker(s), wrk -t {THREADS} -c {CLIENTS} -d {SECONDS}s: "
            f"{rate:.1f}/s ({acknowledged} acknowledged, all stored; server CPU {cpu_ms:.2f} ms "
            f"each); ratio {rate / tps:.3f}"
        )
    print(
        "median latency, one connection, 1 worker: "
        + ", ".join(f"{name} {ms:.2f} ms" for name, ms in latencies.items())
    )


class Run:
    """One database with bills and a key, served by `smartcity serve`, measured with wrk."""

    def __init__(self) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="bench-http-"))
        url = recreate_database("bench_payments_http")
        self.port = _free_port()
        self.env = {
            **os.environ,
            "SMARTCITY_DATABASE_URL": url,
            "SMARTCITY_DATA_DIR": str(self.work / "data"),
            "SMARTCITY_ENVIRONMENT": "production",
            "SMARTCITY_BASE_URL": f"http://127.0.0.1:{self.port}",
            "SMARTCITY_MODULES": "",
        }
        self._cli("db", "upgrade")
        self.token = self._cli("admin", "create-token", "--role", "provider", "--provider", "BOT")
        self.engine = create_engine(url)
        self.references = _load_bills(self.engine, BILLS)
        self.server: subprocess.Popen[bytes] | None = None

    def throughput(self, workers: int) -> tuple[float, int, float]:
        """Payments acknowledged per second by `workers` server processes, how many, and the
        server's CPU milliseconds per payment (which the machine's other load hardly moves)."""
        self._serve(workers)
        before = self._stored()
        _output, warm_up = self._wrk(WARM_UP_SECONDS, threads=THREADS, connections=CLIENTS)
        cpu_before = self._server_cpu()
        output, acknowledged = self._wrk(SECONDS, threads=THREADS, connections=CLIENTS)
        cpu = self._server_cpu() - cpu_before
        self._stop()
        stored = self._stored()
        missing = (warm_up | acknowledged) - stored
        assert not missing, f"{len(missing)} acknowledged payments not stored"
        # A request in flight when wrk stopped may have been stored, unanswered: at most one a
        # connection, after the warm-up and after the run.
        unanswered = len(stored - before) - len(warm_up | acknowledged)
        assert 0 <= unanswered <= 2 * CLIENTS, unanswered
        return _rate(output), len(acknowledged), cpu * 1000 / len(acknowledged)

    def latencies(self) -> dict[str, float]:
        """Median milliseconds of one request at a time on one worker, by request."""
        self._serve(1)
        self._wrk(WARM_UP_SECONDS, threads=1, connections=1)
        payment, _acknowledged = self._wrk(LATENCY_SECONDS, threads=1, connections=1)
        bearer = ["-H", f"Authorization: Bearer {self.token}"]
        me = self._wrk_plain(LATENCY_SECONDS, "/api/v1/identity/me", bearer)
        health = self._wrk_plain(LATENCY_SECONDS, "/healthz", [])
        self._stop()
        return {
            "POST /api/v1/payments/payments": _median_ms(payment),
            "GET /api/v1/identity/me": _median_ms(me),
            "GET /healthz": _median_ms(health),
        }

    def close(self) -> None:
        self._stop()
        self.engine.dispose()

    def _cli(self, *args: str) -> str:
        result = subprocess.run(  # noqa: S603  # the project's own command, fixed arguments
            [str(SMARTCITY), *args], env=self.env, check=True, capture_output=True, text=True
        )
        return result.stdout.strip()

    def _serve(self, workers: int) -> None:
        command = [str(SMARTCITY), "serve", "--port", str(self.port), "--workers", str(workers)]
        log = (self.work / f"server-{workers}.log").open("ab")
        self.server = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)  # noqa: S603
        deadline = time.monotonic() + 180  # workers start slowly on a busy machine
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self._base}/healthz", timeout=1):  # noqa: S310
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the server did not start; see {log.name}")

    def _stop(self) -> None:
        if self.server is not None:
            self.server.send_signal(signal.SIGINT)  # uvicorn finishes requests in flight
            self.server.wait(timeout=30)
            self.server = None

    @property
    def _base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wrk(self, seconds: int, *, threads: int, connections: int) -> tuple[str, set[str]]:
        """wrk's report and the provider transaction ids it had acknowledged."""
        run = Path(tempfile.mkdtemp(dir=self.work))
        taken = self.references[: BILLS_PER_SECOND * seconds]
        # Even the unacknowledged may have been paid (in flight at the end): never reused.
        self.references = self.references[len(taken) :]
        for thread in range(threads):
            (run / f"references-{thread}.txt").write_text("\n".join(taken[thread::threads]))
        paid_at = datetime.now(UTC).isoformat()
        output = subprocess.run(  # noqa: S603  # wrk with fixed arguments
            [
                WRK,
                *("-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"),
                *("--latency", "--timeout", "30s", "-s", str(SCRIPT)),
                *(self._base, "--", self.token, paid_at),
            ],
            env={**os.environ, "PAYMENTS_DIR": str(run)},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        acknowledged = set((run / "acknowledged.txt").read_text().split())
        failures = (run / "failures.txt").read_text().splitlines()
        assert not failures, f"{len(failures)} responses not 201, e.g. {failures[0]}"
        assert "Socket errors" not in output, output
        return output, acknowledged

    def _wrk_plain(self, seconds: int, path: str, headers: list[str]) -> str:
        options = ["-t", "1", "-c", "1", "-d", f"{seconds}s", "--latency", "--timeout", "30s"]
        output = subprocess.run(  # noqa: S603  # wrk with fixed arguments
            [WRK, *options, *headers, self._base + path],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        assert "Non-2xx" not in output, output
        assert "Socket errors" not in output, output
        return output

    def _server_cpu(self) -> float:
        """CPU seconds used so far by the server and its worker processes."""
        assert self.server is not None
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # After the name in parentheses: state, ppid, …, utime and stime (proc(5): 14, 15).
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:
                continue  # a process that ended meanwhile
            if stat.parent.name == str(self.server.pid) or fields[1] == str(self.server.pid):
                total += int(fields[11]) + int(fields[12])
        return total / ticks

    def _stored(self) -> set[str]:
        with self.engine.connect() as connection:
            return set(connection.scalars(select(Payment.provider_txn_id)))


def _load_bills(engine: Engine, count: int) -> list[str]:
    """`count` open bills of NTD 500, their references in a random order."""
    due = local_today() + timedelta(days=60)
    numbers = [codes.make_write_off_number(due, serial) for serial in range(count)]
    with engine.begin() as connection:
        connection.execute(insert(Item), catalogue())
        for start in range(0, count, 10_000):
            connection.execute(
                insert(Bill),
                [
                    {
                        "id": uuid.uuid4(),
                        "write_off_number": number,
                        "virtual_account": codes.make_virtual_account("95270", start + offset),
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
                    for offset, number in enumerate(numbers[start : start + 10_000])
                ],
            )
        assert connection.scalar(select(func.count()).select_from(Bill)) == count
    return numbers


def _rate(output: str) -> float:
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert match, output
    return float(match.group(1))


def _median_ms(output: str) -> float:
    match = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", output)
    assert match, output
    return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    main()
