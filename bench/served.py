"""What the benchmarks that start `smartcity serve` share: waiting until it answers."""

from __future__ import annotations

import time

import httpx


def wait_until_healthy(base: str, attempts: int) -> None:
    """Poll `base`/healthz every half second until it answers 200, at most `attempts` times."""
    for _ in range(attempts):
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
