"""Events identity publishes; other modules may subscribe to them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from smartcity.core.events import Event


@dataclass(frozen=True)
class CitizenRegistered(Event):
    """A citizen received a digital ID."""

    user_id: uuid.UUID


@dataclass(frozen=True)
class BindingVerified(Event):
    """An identifier became usable by other services for this citizen."""

    binding_id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    value: str


@dataclass(frozen=True)
class BindingEnded(Event):
    """A binding was revoked or rejected; services must stop relying on it."""

    binding_id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    value: str
