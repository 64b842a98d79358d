"""Vocabularies of parking."""

from __future__ import annotations

from enum import StrEnum


class BayKind(StrEnum):
    """What a bay is for."""

    CAR = "car"
    """A car bay."""
    SCOOTER = "scooter"
    """A scooter (motorcycle) bay."""
    DISABLED = "disabled"
    """A bay kept for holders of a disabled parking permit."""
    LOADING = "loading"
    """A loading bay."""
    EV = "ev"
    """A bay with an electric-vehicle charger."""


class BayStatus(StrEnum):
    """What the bay's sensor last said."""

    FREE = "free"
    """The sensor reports no vehicle."""
    OCCUPIED = "occupied"
    """The sensor reports a vehicle."""
    UNKNOWN = "unknown"
    """Never heard, silent for too long, or reporting a fault."""


class SessionState(StrEnum):
    """Where a parking session is."""

    OPEN = "open"
    """A vehicle is in the bay."""
    CLOSED = "closed"
    """The vehicle left; billed once a plate is known."""
    TRANSIENT = "transient"
    """Shorter than the debounce time: a passing car or a flapping sensor, never billed."""
    SENSOR_FAULT = "sensor_fault"
    """The sensor failed or fell silent during the stay: flagged, never billed by guess."""


class Network(StrEnum):
    """How a bay's sensor reaches the hub."""

    LORAWAN = "lorawan"
    """A LoRaWAN device through a network server's MQTT uplinks."""


class AutopayState(StrEnum):
    """Whether a fee's bill is charged to the plate's autopay or left as a notice."""

    PENDING = "pending"
    """An autopay is in force for the plate: the charge is queued, after the bill commits."""
    CHARGED = "charged"
    """The provider charged the bound method; the bill is paid."""
    DECLINED = "declined"
    """The provider declined: the bill stays open, a notice the citizen pays as any other."""
    NOTICE = "notice"
    """No autopay applies (none bound, not in force, over the cap): the usual notice."""
