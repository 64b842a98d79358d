"""parking's jobs: the sensor hub's uplinks applied to bays, and silent sensors marked."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import smartcity.modules.payments.service as payments
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


def charge_autopay(platform: Platform, payload: dict[str, Any]) -> None:
    """Charge a roadside fee to its plate's autopay, with no transaction open during the call.

    Run again after a crash, the charge goes out with the same bill id as its idempotency key
    (the provider takes it once) and only the first answer recorded counts.
    """
    session_id = uuid.UUID(str(payload["session"]))
    with platform.db.read_session() as session:
        fee, charge, reason = service.autopay_charge_due(session, session_id)
    if fee is None:
        return
    outcome = None
    if charge is not None:
        settings = payments.settings_of(platform)
        outcome = payments.charge_autopay(
            charge,
            settings.autopay_charge_timeout_seconds,
            allow_private=platform.settings.outbound_private_allowed,
        )
    with platform.unit_of_work(system_actor("parking-autopay")) as uow:
        service.settle_autopay(uow, session_id, charge, outcome, reason)


def mark_silent(platform: Platform, _payload: Any) -> None:
    """Bays whose sensors have gone quiet become unknown; their open sessions are flagged."""
    with platform.unit_of_work(system_actor("parking-sensing")) as uow:
        service.mark_silent(uow, service.config_of(platform))
