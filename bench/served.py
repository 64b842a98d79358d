"""What the benchmarks that start `smartcity serve` share: starting it, waiting until it answers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def wait_until_healthy(base: str, attempts: int) -> None:
    """Poll `base`/healthz every half second until it answers 200, at most `attempts` times."""
    for _ in range(attempts):
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)


def start_without_worker(database_url: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """`smartcity serve` on `port` over `database_url`, without a job worker or request log, so
    that what is timed is the server answering."""
    env = {
        **os.environ,
        "SMARTCITY_DATABASE_URL": database_url,
        "SMARTCITY_DATA_DIR": str(data_dir),
        "SMARTCITY_LOG_REQUESTS": "false",
    }
    return subprocess.Popen(  # noqa: S603  # our own interpreter and arguments
        [sys.executable, "-m", "smartcity", "serve", "--port", str(port), "--no-job-worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
