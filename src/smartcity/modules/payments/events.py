"""Events payments publishes; other modules may subscribe to them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from smartcity.core.events import Event


@dataclass(frozen=True)
class BillIssued(Event):
    """A department issued a bill."""

    bill_id: uuid.UUID
    department: str
    amount: int


@dataclass(frozen=True)
class PaymentRecorded(Event):
    """A provider's payment was recorded (flag says whether it needs attention)."""

    payment_id: uuid.UUID
    bill_id: uuid.UUID
    amount: int
    flag: str


@dataclass(frozen=True)
class BillWrittenOff(Event):
    """A bill was fully paid and written off."""

    bill_id: uuid.UUID
    department: str


@dataclass(frozen=True)
class SettlementReconciled(Event):
    """A provider's settlement file was reconciled."""

    settlement_id: uuid.UUID
    provider: str
