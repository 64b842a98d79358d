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
class ObservationsArrivedLate(Event):
    """A batch held readings of city days that had already ended (a device's backlog after an
    outage, a replay): what was computed from those days is out of date."""

    days: tuple[str, ...]
    """The ended city days (ISO dates, in the city's time zone) the batch's readings span,
    within the last `LATE_DAYS_KEPT` days."""


@dataclass(frozen=True)
class DeviceRegistered(Event):
    """A device or station appeared as a Thing for the first time."""

    device_id: str
    thing_id: int
    kind: str


@dataclass(frozen=True)
class UplinksStored(Event):
    """LoRaWAN uplinks were stored for the first time (replays are not repeated)."""

    uplinks: tuple[tuple[str, str, str, int | None, float | None, str | None], ...]
    """Per uplink: (dev EUI, the uplink's own time in ISO 8601, message kind — `status`,
    `heartbeat`, `startup` or `other` —, occupied 1 / free 0 / None, battery volts or None,
    the device's fault report or None)."""
