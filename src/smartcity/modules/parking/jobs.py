"""parking's jobs: the sensor hub's uplinks applied to bays, and silent sensors marked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from smartcity.core.auth import system_actor
from smartcity.core.platform import Platform
from smartcity.modules.parking import service
from smartcity.modules.sensors.events import UplinksStored


def apply_uplinks(platform: Platform, event: UplinksStored) -> None:
    """Move bays and sessions by the uplinks the hub just stored (sensors' event).

    Delivered at least once: a second delivery finds every bay already at those times and
    changes nothing.
    """
    uplinks = [
        (eui, datetime.fromisoformat(at), message, occupied, battery, fault)
        for eui, at, message, occupied, battery, fault in event.uplinks
    ]
    with platform.unit_of_work(system_actor("parking-sensing")) as uow:
        service.apply_uplinks(uow, uplinks, service.config_of(platform))


def mark_silent(platform: Platform, _payload: Any) -> None:
    """Bays whose sensors have gone quiet become unknown; their open sessions are flagged."""
    with platform.unit_of_work(system_actor("parking-sensing")) as uow:
        service.mark_silent(uow, service.config_of(platform))
