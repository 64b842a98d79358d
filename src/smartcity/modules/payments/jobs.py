"""payments' tasks for the job worker (scheduled in the manifest)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from smartcity.core.auth import system_actor
from smartcity.core.platform import Platform
from smartcity.modules.payments import imports, service, webhooks

log = logging.getLogger(__name__)


def deliver_webhooks(platform: Platform, _payload: Any) -> None:
    """One round of due webhook deliveries (each keeps its own backoff and attempt log)."""
    settings = service.settings_of(platform)
    with platform.unit_of_work(system_actor("webhooks")) as uow:
        counts = webhooks.deliver_round(
            uow.session, settings, allow_private=platform.settings.outbound_private_allowed
        )
    if any(counts.values()):
        log.info("webhooks: %s", " ".join(f"{k}={v}" for k, v in counts.items()))


def expire_overdue_bills(platform: Platform, _payload: Any) -> None:
    """Move open bills past their due date to expired (what `smartcity payments expire` does)."""
    with platform.unit_of_work(system_actor("payments-jobs")) as uow:
        service.expire_overdue(uow)


def import_bills(platform: Platform, payload: dict[str, Any]) -> None:
    """Issue an uploaded bill file, a chunk of lines per transaction (resumed where it stopped)."""
    settings = service.settings_of(platform)
    import_id = uuid.UUID(payload["import_id"])
    while imports.issue_next_chunk(platform, settings, import_id):
        pass
