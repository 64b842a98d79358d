"""Audit-log append cost stays flat as the log grows (O(log n), not O(n)).

Figure: the time to commit one audited change ÷ the time to commit the same change without
the log, measured with 1,000 and with 100,000 entries already in the log, in one run on the
embedded SQLite default. Run: `make bench` or `.venv/bin/python bench/bench_audit_append.py`.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from smartcity.app import build_platform
from smartcity.core.audit.log import PendingEntry
from smartcity.core.auth import system_actor
from smartcity.core.keys import KeyRing
from smartcity.core.meta import Meta
from smartcity.core.migrate import upgrade
from smartcity.core.settings import Settings
from smartcity.core.time import utcnow

SAMPLES = 400


def _fill(platform, count: int) -> None:  # type: ignore[no-untyped-def]
    """Grow the log quickly: many entries per transaction."""
    batch = 5000
    written = 0
    while written < count:
        size = min(batch, count - written)
        session = platform.db.write_session()
        entries = [
            PendingEntry(utcnow(), "system", "bench", "bench.fill", "meta", str(n), "r", "{}")
            for n in range(size)
        ]
        platform.log.append(session, entries)
        session.commit()
        session.close()
        written += size


def _time_audited(platform, label: str) -> float:  # type: ignore[no-untyped-def]
    times = []
    for n in range(SAMPLES):
        started = time.perf_counter()
        with platform.unit_of_work(system_actor("bench")) as uow:
            uow.session.add(Meta(key=f"{label}-{n}", value="x"))
            uow.audit("bench.change", "meta", f"{label}-{n}", {"n": n})
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _time_plain(platform, label: str) -> float:  # type: ignore[no-untyped-def]
    times = []
    for n in range(SAMPLES):
        started = time.perf_counter()
        session = platform.db.write_session()
        session.execute(insert(Meta).values(key=f"plain-{label}-{n}", value="x"))
        session.commit()
        session.close()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            database_url=f"sqlite:///{Path(folder) / 'bench.db'}",
            data_dir=Path(folder),
            log_requests=False,
        )
        platform = build_platform(settings, keys=KeyRing.ephemeral())
        upgrade(platform.db.engine, platform.modules)
        rows = []
        filled = 0
        for size in (1_000, 100_000):
            _fill(platform, size - filled)
            filled = size
            audited = _time_audited(platform, str(size))
            plain = _time_plain(platform, str(size))
            rows.append((size, audited, plain, audited / plain))
        print("log size | audited commit (ms) | plain commit (ms) | ratio")
        for size, audited, plain, ratio in rows:
            print(f"{size:>8} | {audited * 1000:>19.3f} | {plain * 1000:>17.3f} | {ratio:.2f}")
        growth = rows[1][3] / rows[0][3]
        print(f"ratio at 100,000 ÷ ratio at 1,000 = {growth:.2f} (an O(n) append would be ~100)")
        platform.db.dispose()


if __name__ == "__main__":
    main()
