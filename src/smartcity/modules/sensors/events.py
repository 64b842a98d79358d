"""What sensors tells other modules, after the transaction commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from smartcity.core.events import Event


@dataclass(frozen=True)
class ObservationsStored(Event):
    """A batch of new observations was committed (one event per batch, not per row)."""

    count: int
    """New observations stored (re-deliveries already stored are not counted)."""
    device_ids: tuple[str, ...]
    """The devices (Things' `device_id`) the batch touched, sorted; empty for plain STA writes."""
    first_time: datetime
    """Earliest phenomenon time in the batch (UTC)."""
    last_time: datetime
    """Latest phenomenon time in the batch (UTC)."""


@dataclass(frozen=True)
class DeviceRegistered(Event):
    """A device or station appeared as a Thing for the first time."""

    device_id: str
    thing_id: int
    kind: str
