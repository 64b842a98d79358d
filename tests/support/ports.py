"""A free TCP port on this machine, for tests that start servers of their own."""

from __future__ import annotations

import random
import socket
from pathlib import Path

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST = 10_000


def _ephemeral_low() -> int:
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768  # Linux's default


def free_port() -> int:
    """A port nothing listens on now, below the range the OS gives outgoing connections.

    A port the OS picks (bind to 0) is in that range, and a server started seconds later found
    it taken by some client's connection (a database's, the broker's): `address already in
    use`. Below the range only another listener can take it, and none of ours picks the same
    one of some 20,000 but by chance.
    """
    low = _ephemeral_low()
    draw = random.SystemRandom()
    if low - LOWEST > 1_000:
        for _ in range(100):
            port = draw.randrange(LOWEST, low)
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    # The range starts too low to leave room below it: let the OS pick.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
