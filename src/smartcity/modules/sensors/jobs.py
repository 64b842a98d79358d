"""sensors' tasks for the job worker (scheduled in the manifest)."""

from __future__ import annotations

from typing import Any

from smartcity.core.auth import system_actor
from smartcity.core.platform import Platform
from smartcity.core.time import utcnow
from smartcity.modules.sensors import service
from smartcity.modules.sensors.demo_feed import keep_alive


def keep_demo_alive(platform: Platform, _payload: dict[str, Any]) -> None:
    """The demo city's devices send what they would have sent since the last run."""
    with platform.db.read_session() as session:
        if service.demo_fed_until(session) is None:
            return  # not a demo city: no unit of work, no audit entry
    with platform.unit_of_work(system_actor("sensors-demo")) as uow:
        keep_alive(uow, platform, utcnow())
