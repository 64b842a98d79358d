"""payments' request and response bodies (inputs forbid extra fields; bounds everywhere)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from smartcity.core.money import NTD, PositiveNTD
from smartcity.modules.payments.values import Channel, ItemKind, PayoutPurpose

Text = Annotated[str, StringConstraints(max_length=200)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]


class Input(BaseModel):
    """Base of request bodies."""

    model_config = ConfigDict(extra="forbid")


class ItemOut(BaseModel):
    """A fee item of the public catalogue."""

    code: str
    name: str
    name_en: str
    kind: ItemKind
    department: str = Field(description="The owning department's code")
    amount_rule: str
    amount: int | None
    channels: list[str]
    refundable: bool
    partial_allowed: bool
    write_off_rule: str
    autopay: bool = Field(description="A parking fee that car-park exits bill and autopay charges")
    max_amount: int | None = Field(description="The most one bill may be, NTD; null: no cap")


class PayerIn(Input):
    """Exactly one: a citizen's id, or an identifier a citizen can bind."""

    citizen_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    plate: Annotated[str, StringConstraints(max_length=16)] | None = None
    account_number: Annotated[str, StringConstraints(max_length=24)] | None = None
    student_number: Annotated[str, StringConstraints(max_length=24)] | None = None


class BillIn(Input):
    """A bill to issue."""

    item_code: Code
    amount: Annotated[int, Field(gt=0, le=999_999_999)] | None = None
    due_date: date
    payer: PayerIn
    description: Text = ""


class PayerOut(BaseModel):
    """Who owes the bill."""

    kind: str
    value: str


class BillOut(BaseModel):
    """A bill with every number printed on it."""

    id: uuid.UUID
    reference: str = Field(description="The 16-digit write-off number (銷帳編號)")
    barcode: list[str] = Field(description="Code 39 segments 1, 2 and 3")
    virtual_account: str
    twqr: str
    status: str
    item_code: str
    item_name: str
    department: str
    amount: int
    paid_amount: int
    outstanding: int
    due_date: date
    payer: PayerOut
    description: str
    channels: list[str]
    created_at: datetime
    paid_at: datetime | None
    written_off_at: datetime | None


class CancelIn(Input):
    """Why a bill is withdrawn."""

    reason: Text = ""


class PaymentIn(Input):
    """What a provider collected."""

    reference: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    amount: PositiveNTD
    channel: Channel
    provider_txn_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    paid_at: datetime


class PaymentOut(BaseModel):
    """A recorded payment."""

    id: uuid.UUID
    bill_id: uuid.UUID
    reference: str
    provider: str
    provider_txn_id: str
    channel: str
    amount: int
    applied: int = Field(description="The part that settled the bill")
    refund_due: int = Field(description="Owed back to the payer (the exception queue)")
    refunded: int
    reposted: int = Field(description="The part owed back that an officer posted onto other bills")
    owed_back: int = Field(description="Still owed back: refund_due less refunded and reposted")
    flag: str
    exception_state: str | None
    assigned_to: str | None = Field(description="The officer an open exception is assigned to")
    paid_at: datetime
    bill_status: str
    settled: bool = Field(description="Confirmed by the provider's settlement file (核銷)")


class RefundIn(Input):
    """A refund; without an amount, everything still refundable."""

    amount: PositiveNTD | None = None
    reason: Text = ""


class RefundOut(BaseModel):
    """A refund."""

    id: uuid.UUID
    payment_id: uuid.UUID
    amount: int
    reason: str
    state: str
    created_at: datetime


class ResolveIn(Input):
    """Why an exception is closed without a refund."""

    note: Annotated[str, StringConstraints(min_length=1, max_length=500)]


Reason = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class RepostIn(Input):
    """The bill money owed back on a payment is posted onto instead, and why."""

    reference: Annotated[str, StringConstraints(min_length=1, max_length=32)] = Field(
        description="The bill's write-off number or virtual account"
    )
    reason: Reason


class RepostOut(BaseModel):
    """Money owed back on a payment, applied to another bill."""

    id: uuid.UUID
    payment_id: uuid.UUID
    bill_id: uuid.UUID
    amount: int
    reason: str
    created_at: datetime


class AssignIn(Input):
    """Whom (an active officer of the department) a piece of work goes to, and why."""

    officer_id: uuid.UUID
    reason: Reason


class AcceptIn(Input):
    """Why a settlement finding is closed as it is."""

    reason: Reason


class FindingOut(BaseModel):
    """One settlement finding and how it was closed."""

    id: int
    settlement_id: uuid.UUID
    line: int
    outcome: str
    reference: str
    amount: int
    department: str
    payment_id: uuid.UUID | None
    resolution: str | None
    resolution_note: str
    assigned_to: str | None


class SettlementSummary(BaseModel):
    """A settlement file received, without its findings."""

    id: uuid.UUID
    provider: str
    format: str
    lines: int
    total: int
    days: list[str]
    received_at: datetime
    outcomes: dict[str, int]


class SettlementOut(SettlementSummary):
    """A settlement file's reconciliation report."""

    by_department_day: list[dict[str, Any]]
    findings: list[dict[str, Any]] = Field(
        description=(
            "Every line that did not simply match: line (0 for a recorded payment the file"
            " does not list), outcome, provider_txn_id, reference, amount, payment_id,"
            " department, day, and for an `unknown` line the reason no bill has it"
            " (invalid_write_off_number, invalid_check_digit or unknown_reference); id,"
            " resolution (accepted, corrected or null while open), resolution_note and"
            " assigned_to"
        )
    )


class ReportRow(BaseModel):
    """One department's day."""

    department: str
    day: str
    payments: int
    collected: int
    applied: int
    refund_due: int
    reconciled: int
    unreconciled: int
    exceptions: int
    status: str


class ProviderIn(Input):
    """A provider's registration."""

    channels: list[Channel] = Field(min_length=1, max_length=5)
    fee: Annotated[int, Field(ge=0, le=1000)] = 0
    webhook_url: Annotated[str, StringConstraints(max_length=500, pattern=r"^(https?://\S+)?$")] = (
        Field("", description="Where webhooks are sent (signed POST); empty: none")
    )
    charge_url: Annotated[str, StringConstraints(max_length=500, pattern=r"^(https?://\S+)?$")] = (
        Field("", description="Where autopay charges are sent (signed POST); empty: no autopay")
    )


class ProviderOut(BaseModel):
    """A provider's registration; the secret is shown only when it is (re)generated."""

    code: str
    channels: list[str]
    fee: int
    webhook_url: str
    charge_url: str
    webhook_secret: str | None = None


class SubscriberIn(Input):
    """A department system's webhook endpoint."""

    url: Annotated[str, StringConstraints(min_length=8, max_length=500, pattern=r"^https?://")]


class SubscriberOut(BaseModel):
    """A department's webhook endpoint and its secret."""

    organisation: str
    url: str
    secret: str


class DeliveryOut(BaseModel):
    """One outbound webhook in the delivery log."""

    id: uuid.UUID
    organisation: str
    event: str
    state: str
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None


class AutopayIn(Input):
    """Bind a plate to one of your payment methods."""

    plate: Annotated[str, StringConstraints(min_length=3, max_length=16)]
    payment_method_binding_id: uuid.UUID
    effective_from: date | None = None


class AutopayOut(BaseModel):
    """A plate's autopay binding."""

    id: uuid.UUID
    plate: str
    provider: str
    effective_from: date
    active: bool


class ExitIn(Input):
    """A car park reports a vehicle leaving."""

    plate: Annotated[str, StringConstraints(min_length=3, max_length=16)]
    car_park: Annotated[str, StringConstraints(min_length=1, max_length=60)] = Field(
        description="Which lot or gate (printed on the bill)"
    )
    amount: Annotated[int, Field(gt=0, le=100_000)] = Field(
        description="NTD; at most the item's per-exit cap"
    )
    exited_at: datetime
    item_code: Code | None = Field(
        None,
        description="One of the department's parking fees; empty: the car park's own item",
    )


class CarParkIn(Input):
    """Which department runs a car park, and the parking fee its exits are billed under."""

    department: Code
    item_code: Code


class CarParkOut(BaseModel):
    """A car park: a device owner whose device keys report exits for a department."""

    organisation: str
    department: str
    item_code: str
    active: bool


class ExitOut(BaseModel):
    """The bill issued for the stay, and whether autopay paid it."""

    bill: BillOut
    charged: bool
    payment_id: uuid.UUID | None
    reason: str


class PayeeIn(Input):
    """One payee of a batch."""

    citizen_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    amount: Annotated[int, Field(gt=0, le=10_000_000)]


class BatchIn(Input):
    """A disbursement batch; a second person approves it before anything is paid."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    purpose: PayoutPurpose = Field(
        description="subsidy: any citizen; refund: a citizen who paid the department that much"
    )
    payees: list[PayeeIn] = Field(min_length=1, max_length=10_000)
    department: Code | None = Field(None, description="Administrators name the department")


class RejectIn(Input):
    """Why a batch is refused."""

    reason: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class PayoutOut(BaseModel):
    """One payout."""

    id: uuid.UUID
    batch_id: uuid.UUID
    batch_name: str = ""
    amount: int
    account: str = Field(description="The receiving account, masked (bank code, last 4 digits)")
    state: str
    reason: str


class BatchSummary(BaseModel):
    """A batch: who made it, who decided on it, its total."""

    id: uuid.UUID
    department: str
    name: str
    purpose: str
    state: str
    total: int
    created_by: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None


class BatchOut(BatchSummary):
    """A batch and its payouts."""

    payouts: list[PayoutOut]


class PayoutResultIn(Input):
    """The bank's answer for one payout."""

    paid: bool
    reason: Text = ""


class LedgerCheckOut(BaseModel):
    """What the ledger check found."""

    ok: bool
    transactions: int
    debits: NTD
    credits: NTD
    unbalanced: list[str]
    bills_without_postings: list[str]


class CitizenBillOut(BillOut):
    """A bill in a citizen's e-ledger, with its payments and refunds."""

    payments: list[PaymentOut]
    refunds: list[RefundOut]


class BulkIssued(BaseModel):
    """The result of a CSV bulk import."""

    issued: int
    references: list[str]
